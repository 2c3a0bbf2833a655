//! Items the `#[actor]` expansion refers to. Not a public API: names and signatures may
//! change with the macro.

use std::fmt::Display;

use crate::actor::Actor;
use crate::codec::Decode;
use crate::host::websocket::{IntoWsReplies, WsMessage};
use crate::reply::IntoReply;
use crate::types::ChannelAccept;

#[cfg(target_arch = "wasm32")]
pub use crate::wasm::exports::Exports;
#[cfg(target_arch = "wasm32")]
pub use crate::wasm::http_exports::HttpExports;

/// Decodes a handler's message parameter, naming the actor and the message in the error.
pub fn decode<T: Decode>(bytes: Vec<u8>, actor: &str, what: &str) -> Result<T, String> {
    T::decode(bytes).map_err(|e| format!("actor {actor}: cannot decode {what}: {e}"))
}

/// A parameter fed from bytes the host may omit (`init`'s initial state, a child's exit
/// result): only `Option<T>` fits, `None` when there were no bytes.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot receive bytes the host may omit",
    label = "declare this parameter as `Option<T>`",
    note = "the host passes these bytes only sometimes, so the parameter must be an `Option`"
)]
pub trait DecodeOption: Sized {
    fn decode_option(bytes: Option<Vec<u8>>, actor: &str, what: &str) -> Result<Self, String>;
}

impl<T: Decode> DecodeOption for Option<T> {
    fn decode_option(bytes: Option<Vec<u8>>, actor: &str, what: &str) -> Result<Self, String> {
        bytes.map(|b| decode(b, actor, what)).transpose()
    }
}

/// A parameter receiving an id the host passes (the actor's own id, a request, channel or
/// child id): `String`, or `&str` borrowed for the call.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot receive an id",
    label = "declare this parameter as `String` or `&str`",
    note = "ids (of actors, requests, channels and children) arrive as text"
)]
pub trait IdParam<'a>: Sized {
    fn from_id(id: &'a str) -> Self;
}

impl<'a> IdParam<'a> for &'a str {
    fn from_id(id: &'a str) -> Self {
        id
    }
}

impl IdParam<'_> for String {
    fn from_id(id: &str) -> Self {
        id.to_string()
    }
}

/// An `init(id)` actor given initial state bytes starts from them instead of calling `init`.
pub fn resume<A: Actor>(state: &[u8]) -> Result<A, String> {
    crate::dispatch::load(state)
}

/// A request handler's result as the reply bytes (`None` = deferred).
pub fn reply<R: IntoReply>(result: Result<R, String>) -> Result<Option<Vec<u8>>, String> {
    result.and_then(IntoReply::into_reply)
}

/// A channel-open handler's result as the contract's answer.
pub fn accept<A: Into<ChannelAccept>>(result: Result<A, String>) -> Result<ChannelAccept, String> {
    result.map(Into::into)
}

/// A WebSocket handler's result as the messages to send back.
pub fn ws_replies<R: IntoWsReplies>(result: Result<R, String>) -> Result<Vec<WsMessage>, String> {
    result.map(IntoWsReplies::into_replies)
}

/// A handler's error, whatever its type, as the contract's error string.
pub fn error_string<E: Display>(error: E) -> String {
    error.to_string()
}

//! The wire-level contract between an actor type and the host: what `#[actor]` implements.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::host::http_server::{HandlerId, HttpRequest, HttpResponse, Middleware};
use crate::host::websocket::{ConnectionId, WsMessage};
use crate::types::{ChannelAccept, ChildError};

/// An actor as the host sees it: bytes in, bytes out, state kept between calls.
///
/// `#[actor]` implements this from the `init` and `handle_*` methods of an impl block:
/// it decodes the message into the handler's parameter type and encodes the reply. The
/// component exports and `TestActor` drive an actor through it.
///
/// The state crosses the host as `serde_json` of `Self`, so every call starts from the
/// state the previous successful call left behind (a failed call leaves it unchanged).
/// Every handler has a default that answers with an error naming the actor, so the host
/// never calls into a missing export.
pub trait Actor: ActorState + 'static {
    /// The name used in error messages: the state type's name.
    const NAME: &'static str;

    /// Creates the state of a new actor. `id` is the actor's own id; `initial` the initial
    /// bytes the host passed (the manifest's `init_state` or a parent's spawn bytes), if
    /// any. Never called for a restart: that is [`on_resume`](Self::on_resume).
    fn on_init(id: String, initial: Option<Vec<u8>>) -> Result<Self, String>;

    /// A restarted or resumed actor (by its supervisor, `theater restart`, a server coming
    /// back) starts from `state`, its last committed state. The default keeps it.
    fn on_resume(id: String, state: Self) -> Result<Self, String> {
        let _ = id;
        Ok(state)
    }

    /// A fire-and-forget message.
    fn on_send(&mut self, msg: Vec<u8>) -> Result<(), String> {
        let _ = msg;
        Err(unhandled::<Self>("sent messages", "handle_send"))
    }

    /// A request; `Ok(None)` defers the reply (see [`crate::messages::respond_to_request`]).
    fn on_request(&mut self, request_id: String, msg: Vec<u8>) -> Result<Option<Vec<u8>>, String> {
        let _ = (request_id, msg);
        Err(unhandled::<Self>("requests", "handle_request"))
    }

    /// Another party asks to open a channel; the answer accepts or rejects it.
    fn on_channel_open(
        &mut self,
        channel_id: String,
        msg: Vec<u8>,
    ) -> Result<ChannelAccept, String> {
        let _ = (channel_id, msg);
        Err(unhandled::<Self>("channels", "handle_channel_open"))
    }

    /// A message on an open channel.
    fn on_channel_message(&mut self, channel_id: String, msg: Vec<u8>) -> Result<(), String> {
        let _ = (channel_id, msg);
        Err(unhandled::<Self>(
            "channel messages",
            "handle_channel_message",
        ))
    }

    /// The other side closed a channel.
    fn on_channel_close(&mut self, channel_id: String) -> Result<(), String> {
        let _ = channel_id;
        Err(unhandled::<Self>("channel closes", "handle_channel_close"))
    }

    /// A child actor failed.
    fn on_child_error(&mut self, child_id: String, error: ChildError) -> Result<(), String> {
        let _ = (child_id, error);
        Err(unhandled::<Self>("child errors", "handle_child_error"))
    }

    /// A child actor exited; `result` is what it passed to shutdown, if anything.
    fn on_child_exit(&mut self, child_id: String, result: Option<Vec<u8>>) -> Result<(), String> {
        let _ = (child_id, result);
        Err(unhandled::<Self>("child exits", "handle_child_exit"))
    }

    /// An HTTP request to one of the actor's routes (`handler` is the route's handler).
    fn on_http_request(
        &mut self,
        handler: HandlerId,
        request: HttpRequest,
    ) -> Result<HttpResponse, String> {
        let _ = (handler, request);
        Err(unhandled::<Self>("HTTP requests", "handle_http"))
    }

    /// A request passing one of the actor's middleware, before its route's handler.
    fn on_http_middleware(
        &mut self,
        handler: HandlerId,
        request: HttpRequest,
    ) -> Result<Middleware, String> {
        let _ = (handler, request);
        Err(unhandled::<Self>(
            "HTTP middleware",
            "handle_http_middleware",
        ))
    }

    /// A WebSocket client connected to `path` (with `query`, if any). The default accepts
    /// it without a word: only actors that track connections need to know.
    fn on_ws_connect(
        &mut self,
        handler: HandlerId,
        connection: ConnectionId,
        path: String,
        query: Option<String>,
    ) -> Result<(), String> {
        let _ = (handler, connection, path, query);
        Ok(())
    }

    /// A WebSocket message; the result is sent back on the connection, in order.
    fn on_ws_message(
        &mut self,
        handler: HandlerId,
        connection: ConnectionId,
        message: WsMessage,
    ) -> Result<Vec<WsMessage>, String> {
        let _ = (handler, connection, message);
        Err(unhandled::<Self>("WebSocket messages", "handle_ws"))
    }

    /// A WebSocket connection closed. The default does nothing, like the connect default.
    fn on_ws_disconnect(
        &mut self,
        handler: HandlerId,
        connection: ConnectionId,
    ) -> Result<(), String> {
        let _ = (handler, connection);
        Ok(())
    }
}

/// How an actor's state becomes the bytes the host keeps between calls: its `serde_json`.
/// Implemented for every `Serialize + Deserialize` type, and a trait of its own so that a
/// state type without those derives gets one plain error.
#[diagnostic::on_unimplemented(
    message = "actor state `{Self}` must derive serde's `Serialize` and `Deserialize`",
    label = "the host keeps this state as JSON between calls",
    note = "add `#[derive(serde::Serialize, serde::Deserialize)]` to `{Self}`"
)]
pub trait ActorState: Sized {
    /// The state as the host keeps it.
    fn to_state_bytes(&self) -> Result<Vec<u8>, String>;
    /// The state back from the host's bytes.
    fn from_state_bytes(bytes: &[u8]) -> Result<Self, String>;
}

impl<T: Serialize + DeserializeOwned> ActorState for T {
    fn to_state_bytes(&self) -> Result<Vec<u8>, String> {
        serde_json::to_vec(self).map_err(|e| e.to_string())
    }

    fn from_state_bytes(bytes: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }
}

/// The error a handler the actor does not define answers with.
fn unhandled<A: Actor>(what: &str, method: &str) -> String {
    format!(
        "actor {} does not handle {what} (it defines no `{method}`)",
        A::NAME
    )
}

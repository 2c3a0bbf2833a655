//! What a request handler returns: a reply now, or a promise to reply later.

use crate::codec::Encode;

/// A request handler's answer when it may defer the reply.
///
/// `Reply::Deferred` leaves the request open: the actor keeps the request id (take
/// `request_id: String` as `handle_request`'s first parameter) and answers later with
/// [`crate::messages::respond_to_request`], e.g. once another actor has replied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply<T> {
    /// Answer the request now with this value.
    Now(T),
    /// Answer later with `respond_to_request`.
    Deferred,
}

/// A request handler's return value turned into the reply bytes the host expects
/// (`None` = deferred). Implemented for every [`Encode`] value and for [`Reply`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a request's reply",
    note = "return a type deriving `serde::Serialize` (sent as JSON), `theater_sdk::Raw`, or `theater_sdk::Reply<T>` to defer"
)]
pub trait IntoReply {
    /// The reply bytes, or `None` when the reply is deferred.
    fn into_reply(self) -> Result<Option<Vec<u8>>, String>;
}

impl<T: Encode> IntoReply for T {
    fn into_reply(self) -> Result<Option<Vec<u8>>, String> {
        self.encode().map(Some)
    }
}

impl<T: Encode> IntoReply for Reply<T> {
    fn into_reply(self) -> Result<Option<Vec<u8>>, String> {
        match self {
            Reply::Now(value) => value.encode().map(Some),
            Reply::Deferred => Ok(None),
        }
    }
}

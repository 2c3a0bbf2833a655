//! `theater:simple/websocket-types`: WebSocket messages an actor receives (`handle_ws`) and
//! sends back (its return value, or [`crate::http_server::HttpServer::send`]).

/// Identifies one WebSocket connection to one of the actor's servers; the host chooses it
/// when the client connects (`handle_ws_connect`) and names it in every later call.
pub type ConnectionId = u64;

/// One WebSocket message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsMessage {
    /// A text frame.
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
    /// A ping, with its payload.
    Ping(Vec<u8>),
    /// A pong, with its payload.
    Pong(Vec<u8>),
    /// The connection is closing (received), or close it (sent).
    Close,
    /// The contract's `connect` message type.
    Connect,
    /// A message type the contract names only as text.
    Other(String),
}

impl WsMessage {
    /// A text message.
    pub fn text(text: impl Into<String>) -> WsMessage {
        WsMessage::Text(text.into())
    }

    /// A binary message.
    pub fn binary(bytes: impl Into<Vec<u8>>) -> WsMessage {
        WsMessage::Binary(bytes.into())
    }

    /// The text of a text message.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            WsMessage::Text(text) => Some(text),
            _ => None,
        }
    }
}

/// What `handle_ws` may return: the messages to send back on the connection, in order.
/// Implemented for `()` (none), [`WsMessage`], `Option<WsMessage>` and `Vec<WsMessage>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the reply to a WebSocket message",
    note = "return `()`, a `WsMessage`, an `Option<WsMessage>` or a `Vec<WsMessage>`"
)]
pub trait IntoWsReplies {
    /// The messages to send back.
    fn into_replies(self) -> Vec<WsMessage>;
}

impl IntoWsReplies for () {
    fn into_replies(self) -> Vec<WsMessage> {
        Vec::new()
    }
}

impl IntoWsReplies for WsMessage {
    fn into_replies(self) -> Vec<WsMessage> {
        vec![self]
    }
}

impl IntoWsReplies for Option<WsMessage> {
    fn into_replies(self) -> Vec<WsMessage> {
        self.into_iter().collect()
    }
}

impl IntoWsReplies for Vec<WsMessage> {
    fn into_replies(self) -> Vec<WsMessage> {
        self
    }
}

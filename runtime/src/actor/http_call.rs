//! The calls an actor's `http-framework` servers deliver through its mailbox, one at a time
//! like every other message: a request (through middleware first), and a WebSocket
//! connection's connect, messages and disconnect. `http_dispatch` runs each as one recorded
//! export call of `http-handlers`; its answer goes back to the server task waiting for it.

use tokio::sync::oneshot;

use super::CallError;
use crate::bindings::{HttpRequest, HttpResponse, MiddlewareResult, WebsocketMessage};

/// Where the answer to a call goes.
pub type Answer<T> = oneshot::Sender<Result<T, CallError>>;

/// One `http-handlers` call for the actor, from one of its servers.
pub enum HttpCall {
    /// `handle-request` for the route's handler.
    Request {
        handler: u64,
        request: HttpRequest,
        reply: Answer<HttpResponse>,
    },
    /// `handle-middleware` for a middleware on the request's path.
    Middleware {
        handler: u64,
        request: HttpRequest,
        reply: Answer<MiddlewareResult>,
    },
    /// `handle-websocket-connect`: a client opened connection `connection` on `path`.
    WebSocketConnect {
        handler: u64,
        connection: u64,
        path: String,
        query: Option<String>,
        done: Answer<()>,
    },
    /// `handle-websocket-message`: the reply is the messages to send back.
    WebSocketMessage {
        handler: u64,
        connection: u64,
        message: WebsocketMessage,
        reply: Answer<Vec<WebsocketMessage>>,
    },
    /// `handle-websocket-disconnect`: the connection is closed.
    WebSocketDisconnect { handler: u64, connection: u64 },
}

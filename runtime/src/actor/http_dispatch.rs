//! Runs an [`HttpCall`] from the actor's mailbox as its `http-handlers` export and sends the
//! answer back to the server that delivered it.

use super::error::trap_reason;
use super::http_call::{Answer, HttpCall};
use super::{ActorInstance, CallError};

/// Run the call's export and answer the server; the trap's reason, if it trapped.
pub(super) async fn handle(actor: &mut ActorInstance, call: HttpCall) -> Option<String> {
    match call {
        HttpCall::Request {
            handler,
            request,
            reply,
        } => answer(reply, actor.handle_http_request(handler, request).await),
        HttpCall::Middleware {
            handler,
            request,
            reply,
        } => answer(reply, actor.handle_http_middleware(handler, request).await),
        HttpCall::WebSocketConnect {
            handler,
            connection,
            path,
            query,
            done,
        } => {
            let r = actor
                .handle_websocket_connect(handler, connection, path, query)
                .await;
            answer(done, r)
        }
        HttpCall::WebSocketMessage {
            handler,
            connection,
            message,
            reply,
        } => {
            let r = actor
                .handle_websocket_message(handler, connection, message)
                .await;
            answer(reply, r)
        }
        HttpCall::WebSocketDisconnect {
            handler,
            connection,
        } => trap_reason(&actor.handle_websocket_disconnect(handler, connection).await),
    }
}

fn answer<T>(to: Answer<T>, result: Result<T, CallError>) -> Option<String> {
    let trap = trap_reason(&result);
    // A server that stopped waiting (its client left) needs no answer.
    let _ = to.send(result);
    trap
}

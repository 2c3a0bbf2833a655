//! WebSocket connections of an actor's server. Each connection gets an id; its connect,
//! every text or binary message, and its disconnect are delivered to the actor one at a
//! time through its mailbox (a client that sends faster than the actor answers waits: the
//! connection is read only after the previous message was handled). The messages the actor
//! sends with `send-websocket-message` and those it returns go out in the order it made them.

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use tokio::sync::mpsc;

use super::routes::WebSocketRoute;
use super::shared::{deliver, stopped, App, ServerShared};
use crate::actor::{Envelope, HttpCall};
use crate::bindings::{MessageType, WebsocketMessage};

/// Answer the upgrade and serve the connection in its own task.
pub fn accept(
    app: App,
    upgrade: WebSocketUpgrade,
    route: WebSocketRoute,
    path: String,
    query: Option<String>,
) -> Response {
    let max = app.shared.limits.max_body_bytes;
    upgrade
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| connection(app, socket, route, path, query))
}

async fn connection(
    app: App,
    mut socket: WebSocket,
    route: WebSocketRoute,
    path: String,
    query: Option<String>,
) {
    let shared = &app.shared;
    let (id, mut outgoing) = shared.sockets.open();
    let connected = match route.connect {
        Some(handler) => {
            let connect = deliver(shared, |done| HttpCall::WebSocketConnect {
                handler,
                connection: id,
                path,
                query,
                done,
            });
            tokio::select! {
                answered = connect => answered.is_ok(),
                () = stopped(app.stop.clone()) => false,
            }
        }
        None => true,
    };
    if connected {
        converse(&app, &mut socket, route.message, id, &mut outgoing).await;
    }
    shared.sockets.close(id);
    let _ = socket.send(Message::Close(None)).await;
    if let Some(handler) = route.disconnect {
        disconnected(shared, handler, id).await;
    }
}

/// Relay messages both ways until either side closes or the server stops.
async fn converse(
    app: &App,
    socket: &mut WebSocket,
    handler: u64,
    id: u64,
    outgoing: &mut mpsc::Receiver<WebsocketMessage>,
) {
    loop {
        let incoming = tokio::select! {
            incoming = socket.recv() => incoming,
            queued = outgoing.recv() => match queued {
                Some(message) => {
                    if send(socket, message).await {
                        continue;
                    }
                    return;
                }
                None => return,
            },
            () = stopped(app.stop.clone()) => return,
        };
        let message = match incoming {
            Some(Ok(Message::Text(text))) => WebsocketMessage {
                ty: MessageType::Text,
                data: None,
                text: Some(text.to_string()),
            },
            Some(Ok(Message::Binary(data))) => WebsocketMessage {
                ty: MessageType::Binary,
                data: Some(data.to_vec()),
                text: None,
            },
            // Pings are answered by the WebSocket layer itself.
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Close(_)) | Err(_)) | None => return,
        };
        let delivered = deliver(&app.shared, |reply| HttpCall::WebSocketMessage {
            handler,
            connection: id,
            message,
            reply,
        });
        // An actor that ended answers nothing: its server's stop ends the wait.
        let replies = tokio::select! {
            replies = delivered => replies,
            () = stopped(app.stop.clone()) => return,
        };
        let Ok(replies) = replies else { return };
        // What the actor sent during the call went out first, then what it returned.
        let mut sent_meanwhile = Vec::new();
        while let Ok(message) = outgoing.try_recv() {
            sent_meanwhile.push(message);
        }
        for reply in sent_meanwhile.into_iter().chain(replies) {
            if !send(socket, reply).await {
                return;
            }
        }
    }
}

/// Send the actor's message; false when the connection is done (closed by the actor, or gone).
async fn send(socket: &mut WebSocket, message: WebsocketMessage) -> bool {
    let frame = match message.ty {
        MessageType::Text => Message::Text(message.text.unwrap_or_default().into()),
        MessageType::Binary => Message::Binary(message.data.unwrap_or_default().into()),
        MessageType::Ping => Message::Ping(message.data.unwrap_or_default().into()),
        MessageType::Pong => Message::Pong(message.data.unwrap_or_default().into()),
        MessageType::Close => return false,
        // Nothing to send for the others.
        MessageType::Connect | MessageType::Other(_) => return true,
    };
    socket.send(frame).await.is_ok()
}

/// Tell the actor the connection closed; nobody waits for its answer.
async fn disconnected(shared: &ServerShared, handler: u64, connection: u64) {
    let Some(handle) = shared.own.borrow().as_ref().and_then(|w| w.upgrade()) else {
        return;
    };
    let _ = handle
        .deliver(Envelope::Http(HttpCall::WebSocketDisconnect {
            handler,
            connection,
        }))
        .await;
}

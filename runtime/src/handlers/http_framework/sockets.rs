//! A server's open WebSocket connections: where what the actor sends to each goes
//! (`send-websocket-message`, `close-websocket`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use tokio::sync::mpsc;

use crate::bindings::WebsocketMessage;

/// Messages the actor may queue on one connection before `send-websocket-message` refuses.
const SEND_QUEUE: usize = 256;

/// A server's open WebSocket connections: where the actor's messages to each go.
#[derive(Default)]
pub struct Sockets {
    next: AtomicU64,
    open: Mutex<HashMap<u64, mpsc::Sender<WebsocketMessage>>>,
}

impl Sockets {
    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<u64, mpsc::Sender<WebsocketMessage>>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn open(&self) -> (u64, mpsc::Receiver<WebsocketMessage>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed).saturating_add(1);
        let (tx, rx) = mpsc::channel(SEND_QUEUE);
        self.table().insert(id, tx);
        (id, rx)
    }

    pub fn close(&self, id: u64) {
        self.table().remove(&id);
    }

    /// Queue `message` on connection `id` (a `close` message closes it).
    pub fn send(&self, server: u64, id: u64, message: WebsocketMessage) -> Result<(), String> {
        let table = self.table();
        let tx = table
            .get(&id)
            .ok_or_else(|| format!("server {server} has no open WebSocket connection {id}"))?;
        tx.try_send(message).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => format!(
                "WebSocket connection {id} has {SEND_QUEUE} messages waiting to go out; send later"
            ),
            mpsc::error::TrySendError::Closed(_) => format!("WebSocket connection {id} is closed"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::MessageType;

    fn text(t: &str) -> WebsocketMessage {
        WebsocketMessage {
            ty: MessageType::Text,
            data: None,
            text: Some(t.into()),
        }
    }

    #[test]
    fn sends_go_to_open_connections_only_and_a_full_queue_refuses() {
        let sockets = Sockets::default();
        let (id, mut rx) = sockets.open();
        assert!(sockets
            .send(1, id + 1, text("x"))
            .unwrap_err()
            .contains("no open WebSocket connection"));
        for _ in 0..SEND_QUEUE {
            sockets.send(1, id, text("x")).unwrap();
        }
        assert!(sockets
            .send(1, id, text("x"))
            .unwrap_err()
            .contains("waiting to go out"));
        assert_eq!(rx.try_recv().unwrap().text.as_deref(), Some("x"));
        drop(rx);
        assert!(sockets
            .send(1, id, text("x"))
            .unwrap_err()
            .contains("is closed"));
        sockets.close(id);
        assert!(sockets
            .send(1, id, text("x"))
            .unwrap_err()
            .contains("no open"));
    }
}

//! What the tasks of one server share: the grant's bounds, the routing table, the open
//! WebSocket connections and the actor's address; how a call reaches the actor (through its
//! mailbox) and what the client gets when the host answers instead.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tokio::sync::{oneshot, watch};

use super::routes::RouteTable;
use super::sockets::Sockets;
use crate::actor::{Answer, CallError, Envelope, HttpCall, WeakActorHandle};

/// The grant's bounds, as one server applies them.
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    pub max_body_bytes: usize,
    pub max_header_bytes: usize,
    pub max_headers: usize,
    pub max_connections: usize,
    pub timeout: Duration,
}

/// What a server's tasks share.
pub struct ServerShared {
    pub actor_id: String,
    /// The actor's own address, published once its task runs.
    pub own: watch::Receiver<Option<WeakActorHandle>>,
    pub table: RwLock<RouteTable>,
    pub sockets: Sockets,
    pub limits: ServeLimits,
}

impl ServerShared {
    pub fn table(&self) -> std::sync::RwLockReadGuard<'_, RouteTable> {
        self.table.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn table_mut(&self) -> std::sync::RwLockWriteGuard<'_, RouteTable> {
        self.table.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// A request's state: the server, and what ends its connections.
#[derive(Clone)]
pub struct App {
    pub shared: Arc<ServerShared>,
    pub stop: watch::Receiver<()>,
}

/// An answer the host gives instead of the actor's.
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

impl Refusal {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status, format!("{}\n", self.message)).into_response()
    }
}

/// Completes when the server stops.
pub async fn stopped(mut stop: watch::Receiver<()>) {
    while stop.changed().await.is_ok() {}
}

/// Deliver a call to the actor through its mailbox (waiting for room, and for its task to
/// start if it is still in `init`) and wait for its answer.
pub async fn deliver<T>(
    shared: &ServerShared,
    call: impl FnOnce(Answer<T>) -> HttpCall,
) -> Result<T, Refusal> {
    let unavailable = |why: String| Refusal::new(StatusCode::SERVICE_UNAVAILABLE, why);
    let mut own = shared.own.clone();
    let weak = own
        .wait_for(Option::is_some)
        .await
        .map_err(|_| unavailable(format!("actor {} is not running", shared.actor_id)))?
        .clone();
    let handle = weak
        .and_then(|w| w.upgrade())
        .ok_or_else(|| unavailable(format!("actor {} is not running", shared.actor_id)))?;
    let (reply, answer) = oneshot::channel();
    handle
        .deliver(Envelope::Http(call(reply)))
        .await
        .map_err(|e| unavailable(e.to_string()))?;
    match answer.await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(failed(e)),
        Err(_) => Err(unavailable(format!(
            "actor {} ended before it answered",
            shared.actor_id
        ))),
    }
}

fn failed(e: CallError) -> Refusal {
    let status = match e {
        CallError::NotExported(_) => StatusCode::NOT_IMPLEMENTED,
        CallError::NotHandled(_) => StatusCode::SERVICE_UNAVAILABLE,
        CallError::Guest(_) | CallError::Trap(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    Refusal::new(status, e.to_string())
}

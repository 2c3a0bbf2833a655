//! The actor's task: take one envelope at a time from the bounded mailbox, run the matching
//! export, answer the sender. A trap ends the task with the actor failed; `runtime.shutdown`
//! or a stop request ends it stopped. Either way the chain records why, and every message
//! still waiting is answered with an error rather than dropped silently.

use std::collections::HashMap;

use ciborium::value::Value;
use tokio::sync::{mpsc, oneshot, watch};

use super::instance::Cause;
use super::{ActorError, ActorInstance, CallError};
use crate::chain::payload::{encode, map};

/// A message in an actor's mailbox.
pub enum Envelope {
    /// Fire-and-forget; `done` (if any) learns when it was handled.
    Send { msg: Vec<u8>, cause: Option<Cause>, done: Option<oneshot::Sender<Result<(), CallError>>> },
    /// Expects a reply.
    Request { msg: Vec<u8>, cause: Option<Cause>, reply: oneshot::Sender<Result<Vec<u8>, CallError>> },
    /// Stop after the messages before it; `done` learns when the chain is flushed.
    Stop { done: oneshot::Sender<()> },
}

/// Where an actor is in its life.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "kebab-case")]
pub enum ActorStatus {
    Running,
    /// Stopped normally (asked to, or called `runtime.shutdown`).
    Stopped,
    /// Trapped or failed to start; the reason says why.
    Failed(String),
}

impl std::fmt::Display for ActorStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ActorStatus::Running => f.write_str("running"),
            ActorStatus::Stopped => f.write_str("stopped"),
            ActorStatus::Failed(reason) => write!(f, "failed: {reason}"),
        }
    }
}

/// A cloneable address of a running actor.
#[derive(Clone)]
pub struct ActorHandle {
    id: String,
    tx: mpsc::Sender<Envelope>,
    status: watch::Receiver<ActorStatus>,
    mailbox: usize,
    max_message_bytes: usize,
}

impl ActorHandle {
    pub(crate) fn new(id: String, mailbox: usize, max_message_bytes: usize) -> (ActorHandle, mpsc::Receiver<Envelope>, watch::Sender<ActorStatus>) {
        let (tx, rx) = mpsc::channel(mailbox);
        let (status_tx, status) = watch::channel(ActorStatus::Running);
        (ActorHandle { id, tx, status, mailbox, max_message_bytes }, rx, status_tx)
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn status(&self) -> ActorStatus {
        self.status.borrow().clone()
    }

    /// Wait until the actor is no longer running; returns how it ended.
    pub async fn wait(&self) -> ActorStatus {
        let mut status = self.status.clone();
        let _ = status.wait_for(|s| *s != ActorStatus::Running).await;
        let ended = status.borrow().clone();
        ended
    }

    fn check_size(&self, msg: &[u8]) -> Result<(), ActorError> {
        if msg.len() > self.max_message_bytes {
            return Err(ActorError::MessageTooLarge { id: self.id.clone(), size: msg.len(), limit: self.max_message_bytes });
        }
        Ok(())
    }

    fn not_running(&self) -> ActorError {
        ActorError::NotRunning { id: self.id.clone(), status: self.status().to_string() }
    }

    /// Put an envelope in the mailbox without waiting: a full mailbox is an error (what
    /// actors get, so one slow actor cannot stall another).
    pub fn try_deliver(&self, envelope: Envelope) -> Result<(), ActorError> {
        self.tx.try_send(envelope).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => ActorError::MailboxFull { id: self.id.clone(), capacity: self.mailbox },
            mpsc::error::TrySendError::Closed(_) => self.not_running(),
        })
    }

    /// Put an envelope in the mailbox, waiting for room (back-pressure for external callers).
    pub async fn deliver(&self, envelope: Envelope) -> Result<(), ActorError> {
        self.tx.send(envelope).await.map_err(|_| self.not_running())
    }

    /// Send a message and wait until the actor has handled it.
    pub async fn send(&self, msg: Vec<u8>) -> Result<(), ActorError> {
        self.check_size(&msg)?;
        let (done, rx) = oneshot::channel();
        self.deliver(Envelope::Send { msg, cause: None, done: Some(done) }).await?;
        match rx.await {
            Ok(result) => result.map_err(|error| ActorError::Call { id: self.id.clone(), error }),
            Err(_) => Err(ActorError::Stopped { id: self.id.clone() }),
        }
    }

    /// Send a request and wait for the reply.
    pub async fn request(&self, msg: Vec<u8>) -> Result<Vec<u8>, ActorError> {
        self.check_size(&msg)?;
        let (reply, rx) = oneshot::channel();
        self.deliver(Envelope::Request { msg, cause: None, reply }).await?;
        match rx.await {
            Ok(result) => result.map_err(|error| ActorError::Call { id: self.id.clone(), error }),
            Err(_) => Err(ActorError::Stopped { id: self.id.clone() }),
        }
    }

    /// Ask the actor to stop after the messages already queued; waits until it has.
    pub async fn stop(&self) {
        let (done, rx) = oneshot::channel();
        if self.deliver(Envelope::Stop { done }).await.is_ok() {
            let _ = rx.await;
        }
        self.wait().await;
    }
}

/// Run the actor until it stops or fails; returns the instance's final status.
pub(crate) async fn run(mut actor: ActorInstance, mut mailbox: mpsc::Receiver<Envelope>, status: watch::Sender<ActorStatus>) -> ActorStatus {
    let mut next_request = 0u64;
    // Requests the actor deferred (`handle-request` returned no reply), by request id.
    let mut deferred: HashMap<String, oneshot::Sender<Result<Vec<u8>, CallError>>> = HashMap::new();
    let mut stop_waiters = Vec::new();
    let ended = loop {
        let Some(envelope) = mailbox.recv().await else { break ActorStatus::Stopped };
        let outcome = match envelope {
            Envelope::Send { msg, cause, done } => {
                let r = actor.handle_send(msg, cause).await;
                let trapped = trap_reason(&r);
                if let Some(done) = done {
                    let _ = done.send(r);
                }
                trapped
            }
            Envelope::Request { msg, cause, reply } => {
                next_request += 1;
                let request_id = format!("req-{next_request}");
                match actor.handle_request(request_id.clone(), msg, cause).await {
                    Ok(Some(bytes)) => {
                        let _ = reply.send(Ok(bytes));
                        None
                    }
                    Ok(None) => {
                        deferred.insert(request_id, reply);
                        None
                    }
                    Err(e) => {
                        let trapped = trap_reason::<()>(&Err(e.clone()));
                        let _ = reply.send(Err(e));
                        trapped
                    }
                }
            }
            Envelope::Stop { done } => {
                stop_waiters.push(done);
                break ActorStatus::Stopped;
            }
        };
        if let Some(reason) = outcome {
            break ActorStatus::Failed(reason);
        }
        if actor.ctx().shutdown.is_some() {
            break ActorStatus::Stopped;
        }
    };

    // Nothing waiting is dropped without an answer.
    mailbox.close();
    let refusal = match &ended {
        ActorStatus::Failed(reason) => CallError::Trap(format!("the actor failed before handling this message: {reason}")),
        _ => CallError::Trap("the actor stopped before handling this message".into()),
    };
    while let Ok(envelope) = mailbox.try_recv() {
        match envelope {
            Envelope::Send { done: Some(done), .. } => {
                let _ = done.send(Err(refusal.clone()));
            }
            Envelope::Send { done: None, .. } => {}
            Envelope::Request { reply, .. } => {
                let _ = reply.send(Err(refusal.clone()));
            }
            Envelope::Stop { done } => stop_waiters.push(done),
        }
    }
    for (_, reply) in deferred.drain() {
        let _ = reply.send(Err(refusal.clone()));
    }

    let ctx = actor.ctx_mut();
    let (event_type, payload) = match &ended {
        ActorStatus::Failed(reason) => ("lifecycle/failed", map(vec![("reason", Value::Text(reason.clone()))])),
        _ => ("lifecycle/stopped", map(vec![("data", ctx.shutdown.clone().flatten().map_or(Value::Null, Value::Bytes))])),
    };
    ctx.chain.record(event_type, encode(&payload));
    ctx.chain.sink().set_status(ctx.chain.key(), &ended.to_string());
    if let Err(e) = ctx.chain.sink().flush_async().await {
        tracing::error!("actor {}: chain not flushed: {e}", ctx.id);
    }
    let _ = status.send(ended.clone());
    for done in stop_waiters {
        let _ = done.send(());
    }
    ended
}

fn trap_reason<T>(r: &Result<T, CallError>) -> Option<String> {
    match r {
        Err(CallError::Trap(reason)) => Some(reason.clone()),
        _ => None,
    }
}

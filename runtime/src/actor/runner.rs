//! The actor's task: take one envelope at a time from the bounded mailbox, run the matching
//! export, answer the sender. A trap ends the task with the actor failed; `runtime.shutdown`
//! or a stop request ends it stopped; the runtime's interruption (shutdown past its deadline)
//! ends it interrupted, its mailbox abandoned. Either way the chain records why, and every
//! message still waiting is answered with an error rather than dropped silently. A panic
//! while handling a message (a runtime bug a guest might reach) is contained the same way:
//! the actor fails, its chain says so, and its supervisor is told — the host lives on.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;

use ciborium::value::Value;
use tokio::sync::{mpsc, oneshot, watch};

use super::ctx::Interrupter;
use super::instance::Cause;
use super::{ActorCtx, ActorError, ActorInstance, CallError};
use crate::bindings::ChannelAccept;
use crate::chain::payload::{encode, map};
use crate::limits::Interrupted;

/// A reply to a request, with the causal link to the responder's event.
#[derive(Debug, Clone)]
pub struct Reply {
    pub bytes: Vec<u8>,
    pub cause: Cause,
}

/// Where a request's reply goes.
pub type ReplyTx = oneshot::Sender<Result<Reply, CallError>>;

/// A message in an actor's mailbox.
pub enum Envelope {
    /// Fire-and-forget; `done` (if any) learns when it was handled.
    Send { msg: Vec<u8>, cause: Option<Cause>, done: Option<oneshot::Sender<Result<(), CallError>>> },
    /// Expects a reply.
    Request { msg: Vec<u8>, cause: Option<Cause>, reply: ReplyTx },
    /// Another actor opens a channel; the reply says whether this actor accepts.
    ChannelOpen { channel: String, msg: Vec<u8>, cause: Option<Cause>, reply: oneshot::Sender<Result<ChannelAccept, CallError>> },
    /// A message on an open channel.
    ChannelMessage { channel: String, msg: Vec<u8>, cause: Option<Cause> },
    /// The other end closed a channel.
    ChannelClose { channel: String, cause: Option<Cause> },
    /// A child of this actor stopped or failed (supervision decides what happens next).
    ChildExited { child: String, status: ActorStatus, data: Option<Vec<u8>> },
    /// A child of this actor was stopped from outside (`Theater::stop`).
    ChildStopped { child: String },
    /// The committed state, read between messages.
    GetState { reply: oneshot::Sender<Option<Vec<u8>>> },
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

impl ActorStatus {
    /// The status as the chain database records it (`running`, `stopped`, `failed: …`,
    /// `interrupted`); an interrupted actor did not fail by its own doing, but it is not
    /// running either.
    pub fn from_recorded(status: &str) -> ActorStatus {
        match status {
            "running" => ActorStatus::Running,
            "stopped" => ActorStatus::Stopped,
            other => ActorStatus::Failed(other.strip_prefix("failed: ").unwrap_or(other).to_string()),
        }
    }
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
    interrupter: Interrupter,
}

impl ActorHandle {
    pub(crate) fn new(
        id: String,
        mailbox: usize,
        max_message_bytes: usize,
        interrupter: Interrupter,
    ) -> (ActorHandle, mpsc::Receiver<Envelope>, watch::Sender<ActorStatus>) {
        let (tx, rx) = mpsc::channel(mailbox);
        let (status_tx, status) = watch::channel(ActorStatus::Running);
        (ActorHandle { id, tx, status, mailbox, max_message_bytes, interrupter }, rx, status_tx)
    }

    /// The handle of an actor that is not running here (loaded from a previous server's
    /// chain, to be resumed): its mailbox is closed and its status is `status`.
    pub(crate) fn ended(id: String, status: ActorStatus, limits: &crate::manifest::Limits, interrupter: Interrupter) -> ActorHandle {
        let (handle, _mailbox, status_tx) = ActorHandle::new(id, limits.mailbox, limits.max_message_bytes, interrupter);
        status_tx.send_replace(status);
        handle
    }

    /// End the actor now: its running call traps, its host waits end, and the messages
    /// still in its mailbox are abandoned (answered with an error, counted in its chain).
    pub fn interrupt(&self) {
        self.interrupter.interrupt();
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
        // The mailbox closes a moment before the final status is published.
        let status = match self.status() {
            ActorStatus::Running => "is stopping or being restarted".to_string(),
            ended => ended.to_string(),
        };
        ActorError::NotRunning { id: self.id.clone(), status }
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
            Ok(result) => result.map(|r| r.bytes).map_err(|error| ActorError::Call { id: self.id.clone(), error }),
            Err(_) => Err(ActorError::Stopped { id: self.id.clone() }),
        }
    }

    /// The actor's committed state, read between messages.
    pub async fn state(&self) -> Result<Option<Vec<u8>>, ActorError> {
        let (reply, rx) = oneshot::channel();
        self.deliver(Envelope::GetState { reply }).await?;
        rx.await.map_err(|_| ActorError::Stopped { id: self.id.clone() })
    }

    /// Check a message's size against the receiver's limit.
    pub fn accepts(&self, msg: &[u8]) -> Result<(), ActorError> {
        self.check_size(msg)
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

/// How an actor's task ended, with what a restart needs: its context (chain, identity)
/// and its last committed state.
pub(crate) struct Exit {
    pub status: ActorStatus,
    pub ctx: ActorCtx,
    pub state: Option<Vec<u8>>,
}

/// What handling one envelope leads to.
enum Step {
    Continue,
    Fail(String),
    Stop(oneshot::Sender<()>),
}

/// Run `f`; a panic inside it comes back as `Err` with a message for the actor's chain
/// instead of unwinding through the actor's task.
pub(crate) async fn contain<T>(f: impl Future<Output = T>) -> Result<T, String> {
    AssertUnwindSafe(f)
        .catch_unwind()
        .await
        .map_err(|panic| format!("the runtime failed while serving this actor (a bug; please report it): {}", panic_text(&*panic)))
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(s), _) => s.to_string(),
        (_, Some(s)) => s.clone(),
        _ => "panic".to_string(),
    }
}

/// Run the actor until it stops or fails. An actor that asked to shut down during `init`
/// ends before its first message.
pub(crate) async fn run(mut actor: ActorInstance, mut mailbox: mpsc::Receiver<Envelope>, status: watch::Sender<ActorStatus>) -> Exit {
    let mut next_request = 0u64;
    let mut stop_waiters = Vec::new();
    let until_interrupted = actor.ctx().until_interrupted();
    tokio::pin!(until_interrupted);
    // How it ended, and whether the runtime's interruption ended it.
    let (ended, interrupted) = loop {
        if actor.ctx().shutdown.is_some() {
            break (ActorStatus::Stopped, false);
        }
        // Between messages, wait while the chain writer is behind (back-pressure).
        tokio::select! {
            biased;
            () = &mut until_interrupted => break (ActorStatus::Failed(Interrupted.to_string()), true),
            _ = actor.ctx().chain.wait_for_room() => {}
        }
        if let Some(reason) = actor.ctx_mut().chain.fault() {
            break (ActorStatus::Failed(unrecorded(&reason)), false);
        }
        // An idle actor wakes for a write failure too, so it stops at once.
        let received = tokio::select! {
            biased;
            () = &mut until_interrupted => break (ActorStatus::Failed(Interrupted.to_string()), true),
            envelope = mailbox.recv() => Some(envelope),
            () = actor.ctx().chain.fault_raised() => None,
        };
        let Some(envelope) = received else { continue };
        let Some(envelope) = envelope else { break (ActorStatus::Stopped, false) };
        match contain(handle(&mut actor, envelope, &mut next_request)).await.unwrap_or_else(Step::Fail) {
            Step::Continue => {}
            Step::Fail(reason) => break (ActorStatus::Failed(reason), actor.ctx().interrupted()),
            Step::Stop(done) => {
                stop_waiters.push(done);
                break (ActorStatus::Stopped, false);
            }
        }
        if let Some(reason) = actor.ctx_mut().chain.fault() {
            break (ActorStatus::Failed(unrecorded(&reason)), false);
        }
    };

    // Nothing waiting is dropped without an answer.
    mailbox.close();
    let refusal = match &ended {
        _ if interrupted => CallError::NotHandled("the runtime shut down before the actor got to it".into()),
        ActorStatus::Failed(reason) => CallError::NotHandled(format!("the actor failed before it got to it: {reason}")),
        _ => CallError::NotHandled("the actor stopped before it got to it".into()),
    };
    let mut abandoned = 0u64;
    while let Ok(envelope) = mailbox.try_recv() {
        if !matches!(envelope, Envelope::Stop { .. } | Envelope::GetState { .. }) {
            abandoned += 1;
        }
        match envelope {
            Envelope::Send { done: Some(done), .. } => {
                let _ = done.send(Err(refusal.clone()));
            }
            Envelope::Request { reply, .. } => {
                let _ = reply.send(Err(refusal.clone()));
            }
            Envelope::ChannelOpen { reply, .. } => {
                let _ = reply.send(Err(refusal.clone()));
            }
            Envelope::Stop { done } => stop_waiters.push(done),
            _ => {}
        }
    }
    for (_, reply) in actor.ctx_mut().deferred.drain() {
        let _ = reply.send(Err(refusal.clone()));
    }

    // A tree stops from the leaves: children end before their supervisor reports it ended.
    // Those still running then come back if this actor is restarted.
    if let Ok(theater) = actor.ctx().theater() {
        let mut stopped_with = Vec::new();
        for child in actor.ctx().children.clone().iter().rev() {
            if theater.actor(child).is_ok_and(|c| c.handle.status() == ActorStatus::Running) {
                stopped_with.push(child.clone());
            }
            theater.stop_quietly(child).await;
        }
        actor.ctx_mut().stopped_with = stopped_with;
    }
    let ctx = actor.ctx_mut();
    let (event_type, payload) = match &ended {
        ActorStatus::Failed(reason) if interrupted => (
            "lifecycle/interrupted",
            map(vec![("reason", Value::Text(reason.clone())), ("abandoned", Value::Integer(abandoned.into()))]),
        ),
        ActorStatus::Failed(reason) => ("lifecycle/failed", map(vec![("reason", Value::Text(reason.clone()))])),
        _ => ("lifecycle/stopped", map(vec![("data", ctx.shutdown.clone().flatten().map_or(Value::Null, Value::Bytes))])),
    };
    ctx.chain.record(event_type, encode(&payload));
    ctx.chain.sign_head();
    let status_text = if interrupted { "interrupted".to_string() } else { ended.to_string() };
    ctx.chain.set_status(&status_text);
    if let Err(e) = ctx.chain.flush().await {
        tracing::error!("actor {}: chain not flushed: {e}", ctx.id);
    }
    let _ = status.send(ended.clone());
    for done in stop_waiters {
        let _ = done.send(());
    }
    let state = actor.state().clone();
    Exit { status: ended, ctx: actor.into_ctx(), state }
}

/// Why an actor stops when its events cannot be stored.
pub(crate) fn unrecorded(reason: &str) -> String {
    format!("stopped because its events can no longer be recorded (it never runs unrecorded): {reason}")
}

fn trap_reason<T>(r: &Result<T, CallError>) -> Option<String> {
    match r {
        Err(CallError::Trap(reason)) => Some(reason.clone()),
        _ => None,
    }
}

/// Handle one envelope: run the matching export and answer its sender.
async fn handle(actor: &mut ActorInstance, envelope: Envelope, next_request: &mut u64) -> Step {
    let trapped = match envelope {
        Envelope::Send { msg, cause, done } => {
            let r = actor.handle_send(msg, cause).await;
            let trapped = trap_reason(&r);
            if let Some(done) = done {
                let _ = done.send(r);
            }
            trapped
        }
        Envelope::Request { msg, cause, reply } => {
            *next_request += 1;
            let request_id = format!("req-{next_request}");
            match actor.handle_request(request_id.clone(), msg, cause).await {
                Ok(Some(bytes)) => {
                    let _ = reply.send(Ok(Reply { bytes, cause: actor.ctx().cause() }));
                    None
                }
                Ok(None) => {
                    actor.ctx_mut().deferred.insert(request_id, reply);
                    None
                }
                Err(e) => {
                    let trapped = trap_reason::<()>(&Err(e.clone()));
                    let _ = reply.send(Err(e));
                    trapped
                }
            }
        }
        Envelope::ChannelOpen { channel, msg, cause, reply } => {
            let r = actor.handle_channel_open(channel, msg, cause).await;
            let trapped = trap_reason(&r);
            let _ = reply.send(r);
            trapped
        }
        Envelope::ChannelMessage { channel, msg, cause } => trap_reason(&actor.handle_channel_message(channel, msg, cause).await),
        Envelope::ChannelClose { channel, cause } => trap_reason(&actor.handle_channel_close(channel, cause).await),
        Envelope::ChildExited { child, status, data } => crate::supervision::child_exited(actor, &child, &status, data).await.err(),
        Envelope::ChildStopped { child } => crate::supervision::child_stopped(actor, &child).await.err(),
        Envelope::GetState { reply } => {
            let _ = reply.send(actor.state().clone());
            None
        }
        Envelope::Stop { done } => return Step::Stop(done),
    };
    match trapped {
        Some(reason) => Step::Fail(reason),
        None => Step::Continue,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_an_error_naming_it() {
        assert_eq!(contain(async { 7 }).await, Ok(7));
        let e = contain(async { panic!("index out of bounds") }).await.unwrap_err();
        assert!(e.contains("index out of bounds") && e.contains("runtime failed"), "{e}");
        let e = contain(async { std::panic::panic_any(3u8) }).await.unwrap_err();
        assert!(e.ends_with("panic"), "{e}");
    }
}

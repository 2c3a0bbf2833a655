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

use super::error::trap_reason;
use super::mailbox::{Envelope, Reply};
use super::{ActorCtx, ActorInstance, CallError};
use crate::chain::payload::{encode, map};
use crate::limits::Interrupted;
use crate::status::ActorStatus;

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
    AssertUnwindSafe(f).catch_unwind().await.map_err(|panic| {
        format!(
            "the runtime failed while serving this actor (a bug; please report it): {}",
            panic_text(&*panic)
        )
    })
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(s), _) => s.to_string(),
        (_, Some(s)) => s.clone(),
        _ => "panic".to_string(),
    }
}

/// How the actor's loop ended, and whether the runtime's interruption ended it.
struct Ending {
    status: ActorStatus,
    interrupted: bool,
}

impl Ending {
    fn new(status: ActorStatus, interrupted: bool) -> Ending {
        Ending {
            status,
            interrupted,
        }
    }
}

/// Who waits to hear that the actor has stopped (and its chain is flushed).
type StopWaiters = Vec<oneshot::Sender<()>>;

/// Run the actor until it stops or fails. An actor that asked to shut down during `init`
/// ends before its first message.
pub(crate) async fn run(
    mut actor: ActorInstance,
    mut mailbox: mpsc::Receiver<Envelope>,
    status: watch::Sender<ActorStatus>,
) -> Exit {
    let mut stop_waiters = StopWaiters::new();
    let ending = serve(&mut actor, &mut mailbox, &mut stop_waiters).await;
    // Its servers close first, so nothing new arrives while the mailbox is refused.
    actor.ctx_mut().release_resources();
    let abandoned = refuse_waiting(&mut actor, &mut mailbox, &ending, &mut stop_waiters);
    stop_children(&mut actor).await;
    record_end(actor.ctx_mut(), &ending, abandoned).await;
    let _ = status.send(ending.status.clone());
    for done in stop_waiters {
        let _ = done.send(());
    }
    let state = actor.state().clone();
    Exit {
        status: ending.status,
        ctx: actor.into_ctx(),
        state,
    }
}

/// Handle one envelope at a time until the actor stops, fails or is interrupted.
async fn serve(
    actor: &mut ActorInstance,
    mailbox: &mut mpsc::Receiver<Envelope>,
    stop_waiters: &mut StopWaiters,
) -> Ending {
    let mut next_request = 0u64;
    let until_interrupted = actor.ctx().until_interrupted();
    tokio::pin!(until_interrupted);
    loop {
        if actor.ctx().shutdown.is_some() {
            return Ending::new(ActorStatus::Stopped, false);
        }
        // Between messages, wait while the chain writer is behind (back-pressure).
        tokio::select! {
            biased;
            () = &mut until_interrupted => return Ending::new(ActorStatus::Failed(Interrupted.to_string()), true),
            _ = actor.ctx().chain.wait_for_room() => {}
        }
        if let Some(reason) = actor.ctx_mut().chain.fault() {
            return Ending::new(ActorStatus::Failed(unrecorded(&reason)), false);
        }
        // An idle actor wakes for a write failure too, so it stops at once.
        let received = tokio::select! {
            biased;
            () = &mut until_interrupted => return Ending::new(ActorStatus::Failed(Interrupted.to_string()), true),
            envelope = mailbox.recv() => Some(envelope),
            () = actor.ctx().chain.fault_raised() => None,
        };
        let Some(envelope) = received else { continue };
        let Some(envelope) = envelope else {
            return Ending::new(ActorStatus::Stopped, false);
        };
        match contain(handle(actor, envelope, &mut next_request))
            .await
            .unwrap_or_else(Step::Fail)
        {
            Step::Continue => {}
            Step::Fail(reason) => {
                return Ending::new(ActorStatus::Failed(reason), actor.ctx().interrupted())
            }
            Step::Stop(done) => {
                stop_waiters.push(done);
                return Ending::new(ActorStatus::Stopped, false);
            }
        }
        if let Some(reason) = actor.ctx_mut().chain.fault() {
            return Ending::new(ActorStatus::Failed(unrecorded(&reason)), false);
        }
    }
}

/// Answer everything still waiting (in the mailbox, deferred requests) with an error: nothing
/// is dropped without an answer. Returns how many messages were abandoned.
fn refuse_waiting(
    actor: &mut ActorInstance,
    mailbox: &mut mpsc::Receiver<Envelope>,
    ending: &Ending,
    stop_waiters: &mut StopWaiters,
) -> u64 {
    mailbox.close();
    let refusal = match &ending.status {
        _ if ending.interrupted => {
            CallError::NotHandled("the runtime shut down before the actor got to it".into())
        }
        ActorStatus::Failed(reason) => {
            CallError::NotHandled(format!("the actor failed before it got to it: {reason}"))
        }
        _ => CallError::NotHandled("the actor stopped before it got to it".into()),
    };
    let mut abandoned = 0u64;
    while let Ok(envelope) = mailbox.try_recv() {
        if !matches!(envelope, Envelope::Stop { .. } | Envelope::GetState { .. }) {
            abandoned += 1;
        }
        match envelope {
            Envelope::Send {
                done: Some(done), ..
            } => {
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
    abandoned
}

/// A tree stops from the leaves: children end before their supervisor reports it ended.
/// Those still running then come back if this actor is restarted.
async fn stop_children(actor: &mut ActorInstance) {
    let Ok(system) = actor.ctx().system() else {
        return;
    };
    let mut stopped_with = Vec::new();
    for child in actor.ctx().supervising.children.clone().iter().rev() {
        if system
            .actor(child)
            .is_ok_and(|c| c.handle.status() == ActorStatus::Running)
        {
            stopped_with.push(child.clone());
        }
        system.stop_quietly(child).await;
    }
    actor.ctx_mut().supervising.stopped_with = stopped_with;
}

/// Record how the actor ended, sign its head and flush its chain.
async fn record_end(ctx: &mut ActorCtx, ending: &Ending, abandoned: u64) {
    let (event_type, payload) = match &ending.status {
        ActorStatus::Failed(reason) if ending.interrupted => (
            "lifecycle/interrupted",
            map(vec![
                ("reason", Value::Text(reason.clone())),
                ("abandoned", Value::Integer(abandoned.into())),
            ]),
        ),
        ActorStatus::Failed(reason) => (
            "lifecycle/failed",
            map(vec![("reason", Value::Text(reason.clone()))]),
        ),
        _ => {
            let data = ctx.shutdown.as_ref().and_then(|s| s.data.clone());
            (
                "lifecycle/stopped",
                map(vec![("data", data.map_or(Value::Null, Value::Bytes))]),
            )
        }
    };
    ctx.chain.record(event_type, encode(&payload));
    ctx.chain.sign_head();
    let status_text = if ending.interrupted {
        "interrupted".to_string()
    } else {
        ending.status.to_string()
    };
    ctx.chain.set_status(&status_text);
    if let Err(e) = ctx.chain.flush().await {
        tracing::error!("actor {}: chain not flushed: {e}", ctx.id);
    }
}

/// Why an actor stops when its events cannot be stored.
pub(crate) fn unrecorded(reason: &str) -> String {
    format!(
        "stopped because its events can no longer be recorded (it never runs unrecorded): {reason}"
    )
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
                    let _ = reply.send(Ok(Reply {
                        bytes,
                        cause: actor.ctx().cause(),
                    }));
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
        Envelope::ChannelOpen {
            channel,
            msg,
            cause,
            reply,
        } => {
            let r = actor.handle_channel_open(channel, msg, cause).await;
            let trapped = trap_reason(&r);
            let _ = reply.send(r);
            trapped
        }
        Envelope::ChannelMessage {
            channel,
            msg,
            cause,
        } => trap_reason(&actor.handle_channel_message(channel, msg, cause).await),
        Envelope::ChannelClose { channel, cause } => {
            trap_reason(&actor.handle_channel_close(channel, cause).await)
        }
        Envelope::Http(call) => super::http_dispatch::handle(actor, call).await,
        Envelope::ChildExited {
            child,
            status,
            data,
        } => super::supervise::child_exited(actor, &child, &status, data)
            .await
            .err(),
        Envelope::ChildStopped { child } => {
            super::supervise::child_stopped(actor, &child).await.err()
        }
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
        let e = contain(async { panic!("index out of bounds") })
            .await
            .unwrap_err();
        assert!(
            e.contains("index out of bounds") && e.contains("runtime failed"),
            "{e}"
        );
        let e = contain(async { std::panic::panic_any(3u8) })
            .await
            .unwrap_err();
        assert!(e.ends_with("panic"), "{e}");
    }
}

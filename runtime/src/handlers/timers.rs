//! `theater:simple/timers`: messages an actor sends itself, once after a delay or every
//! interval. A tick is an ordinary `handle-send` delivery through the actor's own mailbox,
//! recorded like every message, whose cause is the `set-*` call that made the timer (that
//! call records `message/outgoing` first, like every sending call). A replay re-runs the
//! recorded deliveries and answers the `set-*` calls from the chain, so no timer fires.
//!
//! Each timer is a tokio task held as one of the actor's resources ([`Timers`]): cancelling
//! aborts it, and so does the end of the actor's task (which releases its resources), so a
//! stopped actor gets no more ticks and a restarted one starts with none. The manifest bounds the timers alive at once, the
//! shortest interval and the longest delay. A tick that finds the mailbox full is dropped,
//! never queued elsewhere, so a flood of ticks cannot grow the host's memory.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use wasmtime::component::Linker;

use super::{define_sending_sync, define_sync, Handler};
use crate::actor::{ActorCtx, ActorError, Cause, Envelope, WeakActorHandle};
use crate::manifest::{HandlerConfig, Manifest};

const INTERFACE: &str = "theater:simple/timers";

/// Serves `theater:simple/timers`.
pub struct TimersHandler;

type Outcome<T> = Result<T, String>;

impl Handler for TimersHandler {
    fn interface(&self) -> &'static str {
        INTERFACE
    }

    fn link(&self, linker: &mut Linker<ActorCtx>) -> wasmtime::Result<()> {
        let mut inst = linker.instance(INTERFACE)?;
        define_sending_sync(
            &mut inst,
            INTERFACE,
            "set-timeout",
            |ctx, (delay, msg): (u64, Vec<u8>)| Ok((set(ctx, Schedule::Once(delay), msg),)),
        )?;
        define_sending_sync(
            &mut inst,
            INTERFACE,
            "set-interval",
            |ctx, (interval, msg): (u64, Vec<u8>)| Ok((set(ctx, Schedule::Every(interval), msg),)),
        )?;
        define_sync(&mut inst, INTERFACE, "cancel", |ctx, (id,): (u64,)| {
            Ok((cancel(ctx, id),))
        })?;
        Ok(())
    }
}

/// When a timer delivers, in milliseconds.
#[derive(Clone, Copy)]
enum Schedule {
    Once(u64),
    Every(u64),
}

/// The manifest's bounds on timers.
struct Bounds {
    max_timers: u64,
    min_interval_ms: u64,
    max_delay_ms: u64,
}

impl Bounds {
    fn of(manifest: &Manifest) -> Outcome<Bounds> {
        match manifest.handler("timers") {
            Some(HandlerConfig::Timers {
                max_timers,
                min_interval_ms,
                max_delay_ms,
            }) => Ok(Bounds {
                max_timers: *max_timers,
                min_interval_ms: *min_interval_ms,
                max_delay_ms: *max_delay_ms,
            }),
            _ => Err("timers are not granted: add [[handler]] type = \"timers\"".into()),
        }
    }

    /// The schedule if the manifest allows it, else the refusal the guest sees.
    fn check(&self, schedule: Schedule) -> Outcome<()> {
        let (what, ms) = match schedule {
            Schedule::Once(ms) => ("delay", ms),
            Schedule::Every(ms) => ("interval", ms),
        };
        if ms > self.max_delay_ms {
            return Err(format!("{what} of {ms} ms refused: longer than this actor's max_delay_ms of {} ms ([[handler]] type = \"timers\")", self.max_delay_ms));
        }
        match schedule {
            Schedule::Every(ms) if ms < self.min_interval_ms.max(1) => Err(format!(
                "interval of {ms} ms refused: shorter than this actor's min_interval_ms of {} ms ([[handler]] type = \"timers\")",
                self.min_interval_ms
            )),
            _ => Ok(()),
        }
    }
}

/// An actor's live timers, one of its resources: dropping it stops them all.
#[derive(Default)]
pub(crate) struct Timers {
    next_id: u64,
    live: BTreeMap<u64, JoinHandle<()>>,
}

impl Timers {
    /// Forget timers that have finished (timeouts that fired).
    fn prune(&mut self) {
        self.live.retain(|_, task| !task.is_finished());
    }
}

impl Drop for Timers {
    fn drop(&mut self) {
        for task in self.live.values() {
            task.abort();
        }
    }
}

fn set(ctx: &mut ActorCtx, schedule: Schedule, msg: Vec<u8>) -> Outcome<u64> {
    let bounds = Bounds::of(ctx.manifest())?;
    bounds.check(schedule)?;
    let limit = ctx.manifest().limits.max_message_bytes;
    if msg.len() > limit {
        return Err(format!("the message is {} bytes, larger than this actor's limit of {limit} bytes ([limits] max_message_bytes)", msg.len()));
    }
    let tick = Tick {
        own: ctx.own_handle(),
        actor: ctx.id().to_string(),
        msg,
        cause: ctx.cause(),
    };
    let timers = ctx.resource(Timers::default);
    timers.prune();
    if timers.live.len() as u64 >= bounds.max_timers {
        return Err(format!(
            "this actor already has {} timers, its limit (max_timers of [[handler]] type = \"timers\"): cancel one first",
            timers.live.len()
        ));
    }
    timers.next_id = timers.next_id.saturating_add(1);
    let id = timers.next_id;
    timers.live.insert(id, tokio::spawn(tick.run(schedule)));
    Ok(id)
}

fn cancel(ctx: &mut ActorCtx, id: u64) -> Outcome<()> {
    let timers = ctx.resource(Timers::default);
    timers.prune();
    match timers.live.remove(&id) {
        Some(task) => {
            task.abort();
            Ok(())
        }
        None => Err(format!("no live timer {id} (a timeout that fired is gone)")),
    }
}

/// What a timer delivers, and to whom.
struct Tick {
    /// The actor's address, published once its task runs.
    own: watch::Receiver<Option<WeakActorHandle>>,
    actor: String,
    msg: Vec<u8>,
    cause: Cause,
}

impl Tick {
    async fn run(self, schedule: Schedule) {
        match schedule {
            Schedule::Once(ms) => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                self.deliver().await;
            }
            Schedule::Every(ms) => {
                let period = Duration::from_millis(ms);
                let mut ticks =
                    tokio::time::interval_at(tokio::time::Instant::now() + period, period);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                loop {
                    ticks.tick().await;
                    if !self.deliver().await {
                        return;
                    }
                }
            }
        }
    }

    /// Put the tick in the actor's mailbox; `false` once the actor is gone. A timer set in
    /// `init` may fire before the actor's task runs: it waits for its address.
    async fn deliver(&self) -> bool {
        let mut own = self.own.clone();
        let handle = match own.wait_for(Option::is_some).await {
            Ok(weak) => weak.as_ref().and_then(WeakActorHandle::upgrade),
            Err(_) => None,
        };
        let Some(handle) = handle else {
            return false;
        };
        let envelope = Envelope::Send {
            msg: self.msg.clone(),
            cause: Some(self.cause.clone()),
            done: None,
        };
        match handle.try_deliver(envelope) {
            Ok(()) => true,
            Err(ActorError::MailboxFull { .. }) => {
                tracing::debug!(
                    "actor {}: a timer tick was dropped: its mailbox is full",
                    self.actor
                );
                true
            }
            Err(_) => false,
        }
    }
}

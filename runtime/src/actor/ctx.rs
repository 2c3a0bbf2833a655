//! The data every actor's wasmtime `Store` carries: its identity, its chain, its limits and
//! the per-call bookkeeping host functions need. Host functions see only this, never the
//! rest of the runtime, except through the handles it holds.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use ciborium::value::Value;
use tokio::sync::watch;

use crate::chain::payload::{encode, map};
use crate::chain::{sha256, ActorChain, Hash};
use crate::limits::{LimitExceeded, Limiter, Rate};
use crate::manifest::Manifest;
use crate::replay_feed::ReplayFeed;
use crate::supervision::RestartWindow;
use crate::system::ActorSystem;

use super::cause::Cause;
use super::handle::{ActorHandle, WeakActorHandle};
use super::interrupt::Interrupter;
use super::mailbox::ReplyTx;

/// The event a message-sending host call records before its message leaves: the receiver's
/// `cause` names it, so a reader follows a message from the exact event that sent it. The
/// call's own event (parameters, result) follows it.
pub(crate) const OUTGOING: &str = "message/outgoing";

/// A line an actor wrote with `runtime.log`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LogLine {
    pub actor_id: String,
    pub actor_name: String,
    pub message: String,
}

/// Where actor log lines go (stderr for `theater run`, subscribers for the server).
pub type LogSink = Arc<dyn Fn(&LogLine) + Send + Sync>;

/// Store data of one actor.
pub struct ActorCtx {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) chain: ActorChain,
    pub(crate) logs: LogSink,
    /// Set by `runtime.shutdown`: the actor stops after the current call.
    pub(crate) shutdown: Option<ShutdownRequest>,
    /// The export call under way.
    pub(crate) call: CurrentCall,
    /// The limits kept at the sandbox boundary, and what the actor has used of them.
    pub(crate) boundary: Boundary,
    /// The manifest the actor was started from (handlers read their options here).
    pub(crate) manifest: Arc<Manifest>,
    /// Per-actor state of handlers, one value per type, created on first use.
    extensions: HashMap<TypeId, Box<dyn Any + Send>>,
    /// Per-actor resources of handlers that live only while the actor runs (servers,
    /// sockets): dropped when its task ends, kept by nothing across a restart.
    resources: HashMap<TypeId, Box<dyn Any + Send>>,
    /// The runtime this actor runs in (weak: the runtime owns the actors, not the reverse).
    system: Weak<dyn ActorSystem>,
    /// Requests this actor deferred (`handle-request` returned no reply), by request id.
    pub(crate) deferred: HashMap<String, ReplyTx>,
    /// This actor as a supervisor: its children and its recent restarts of them.
    pub(crate) supervising: Supervising,
    /// Set when the actor is being replayed: host calls are answered from the recording.
    pub(crate) replay: Option<ReplayFeed>,
    /// Becomes true when the runtime interrupts the actor (shutdown past its deadline):
    /// guest code traps at the next epoch tick and host waits end.
    interrupt: watch::Receiver<bool>,
    interrupter: Interrupter,
    /// The actor's own address once its task runs (none before, and after it ended): for
    /// handlers that deliver to the actor itself (its servers' requests).
    own: watch::Sender<Option<WeakActorHandle>>,
}

/// The export call under way, as the host functions it makes see it.
pub(crate) struct CurrentCall {
    /// When it must end (guest time; host waits are not counted).
    pub deadline: Instant,
    /// The last line it logged, to explain a trap (e.g. a panic message).
    pub last_log: Option<String>,
    /// The causal link the current host call attaches to its event (set by the handler).
    pub link: Option<Value>,
    /// The actor whose message it handles (`current-sender`); none for messages from
    /// outside the actors.
    pub sender: Option<String>,
}

/// The limits kept at the sandbox boundary and what the actor has used of them.
pub(crate) struct Boundary {
    /// Linear memory (`[limits] memory_mb`), for wasmtime's resource limiter.
    pub limiter: Limiter,
    /// Host calls in the current second (`[limits] max_events_per_sec`).
    pub event_rate: Rate,
    /// Log lines in the current second (`[limits] max_logs_per_sec`).
    pub log_rate: Rate,
    /// Bytes put into stores and written to files over the actor's life, restarts included.
    pub spent: Spent,
}

/// An actor's own request to stop (`runtime.shutdown`), with the data it ends with.
#[derive(Debug, Clone)]
pub(crate) struct ShutdownRequest {
    pub data: Option<Vec<u8>>,
}

/// An actor as a supervisor.
#[derive(Debug, Default)]
pub(crate) struct Supervising {
    /// Children in start order (the order rest-for-one and shutdown rely on).
    pub children: Vec<String>,
    /// Children that were running when this actor's task ended and were stopped with it:
    /// a restart of this actor brings them back (see `actor::supervise::restore_children`).
    pub stopped_with: Vec<String>,
    /// When this actor restarted children: the restart-intensity window.
    pub restarts: RestartWindow,
}

/// A lifetime byte budget of `[limits]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Budget {
    /// `max_store_bytes`: content put into stores.
    Store,
    /// `max_fs_bytes_written`: bytes written through `filesystem`.
    FsWritten,
}

/// Byte budgets used so far.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Spent {
    pub store_bytes: u64,
    pub fs_bytes_written: u64,
}

impl ActorCtx {
    pub(crate) fn new(
        id: String,
        manifest: Arc<Manifest>,
        chain: ActorChain,
        logs: LogSink,
        system: Weak<dyn ActorSystem>,
    ) -> Self {
        let limits = &manifest.limits;
        let (interrupter, interrupt) = Interrupter::new();
        ActorCtx {
            id,
            name: manifest.name.clone(),
            chain,
            logs,
            shutdown: None,
            call: CurrentCall {
                deadline: Instant::now(),
                last_log: None,
                link: None,
                sender: None,
            },
            boundary: Boundary {
                limiter: Limiter::new(limits.memory_mb, limits.call_timeout_ms),
                event_rate: Rate::default(),
                log_rate: Rate::default(),
                spent: Spent::default(),
            },
            manifest,
            extensions: HashMap::new(),
            resources: HashMap::new(),
            system,
            deferred: HashMap::new(),
            supervising: Supervising::default(),
            replay: None,
            interrupt,
            interrupter,
            own: watch::channel(None).0,
        }
    }

    /// Publish the actor's own address (its task starts) or withdraw it (its task ended).
    pub(crate) fn set_own_handle(&self, handle: Option<&ActorHandle>) {
        self.own.send_replace(handle.map(ActorHandle::downgrade));
    }

    /// The actor's own address as it is published: a handler that delivers to the actor
    /// (an HTTP server started during `init`) waits on it until the actor's task runs.
    pub fn own_handle(&self) -> watch::Receiver<Option<WeakActorHandle>> {
        self.own.subscribe()
    }

    /// What interrupts this actor.
    pub(crate) fn interrupter(&self) -> Interrupter {
        self.interrupter.clone()
    }

    /// Whether the runtime has interrupted this actor.
    pub(crate) fn interrupted(&self) -> bool {
        *self.interrupt.borrow()
    }

    /// Completes when the runtime interrupts this actor (never, otherwise).
    pub(crate) fn until_interrupted(
        &self,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut interrupt = self.interrupt.clone();
        async move {
            let interrupted = interrupt.wait_for(|cut| *cut).await.is_ok();
            if !interrupted {
                std::future::pending::<()>().await;
            }
        }
    }

    /// Clear an interruption before the actor runs again (a restart).
    pub(crate) fn clear_interrupt(&self) {
        self.interrupter.clear();
    }

    /// The runtime, or an error string for the guest if it is shutting down.
    pub(crate) fn system(&self) -> Result<Arc<dyn ActorSystem>, String> {
        self.system
            .upgrade()
            .ok_or_else(|| "the runtime is shutting down".to_string())
    }

    /// The causal link a message leaving now carries: this actor and its latest event — for a
    /// host call that sends, the `message/outgoing` event recorded just before it runs.
    pub(crate) fn cause(&self) -> Cause {
        Cause {
            actor_id: self.id.clone(),
            event: self.chain.head().unwrap_or([0; 32]),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// This actor's value of handler state `T`, created by `init` on first use (handlers keep
    /// per-actor state here — a seeded generator, an allow-list — without the context
    /// having to know every handler).
    pub fn extension<T: Any + Send>(&mut self, init: impl FnOnce(&Manifest) -> T) -> &mut T {
        let manifest = &self.manifest;
        self.extensions
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Box::new(init(manifest)))
            .downcast_mut::<T>()
            .expect("extensions are keyed by their own TypeId")
    }

    /// This actor's resource `T` (a handler's servers, say), created by `init` on first use
    /// and dropped when the actor's task ends ([`ActorCtx::release_resources`]).
    pub fn resource<T: Any + Send>(&mut self, init: impl FnOnce() -> T) -> &mut T {
        self.resources
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Box::new(init()))
            .downcast_mut::<T>()
            .expect("resources are keyed by their own TypeId")
    }

    /// Drop every resource and withdraw the actor's own address: its task has ended
    /// (stopped, failed or interrupted).
    pub(crate) fn release_resources(&mut self) {
        self.resources.clear();
        self.set_own_handle(None);
    }

    /// Check a host call the guest is making, before it runs, against `[limits]
    /// max_events_per_sec` and `max_event_bytes` (its parameters alone). A refused call is
    /// recorded as such ([`ActorCtx::record_refusal`]) and traps.
    pub(crate) fn admit_host_call(
        &mut self,
        event_type: &str,
        params: &Value,
    ) -> Result<(), LimitExceeded> {
        let limits = &self.manifest.limits;
        let refusal = if !self
            .boundary
            .event_rate
            .admit(limits.max_events_per_sec, Instant::now())
        {
            Some(LimitExceeded {
                key: "max_events_per_sec",
                limit: limits.max_events_per_sec,
                what: format!("{event_type}: more host calls in one second"),
            })
        } else {
            let size = encode(params).len() as u64;
            (size > limits.max_event_bytes).then(|| LimitExceeded {
                key: "max_event_bytes",
                limit: limits.max_event_bytes,
                what: format!("{event_type} with {size} bytes of parameters"),
            })
        };
        match refusal {
            Some(e) => {
                self.record_refusal(event_type, params, &e.to_string());
                Err(e)
            }
            None => Ok(()),
        }
    }

    /// Record one crossing of the sandbox boundary: what the guest asked and what it got.
    /// A handler may attach a causal link (e.g. to the reply's event in another actor). An
    /// event larger than `[limits] max_event_bytes` is recorded as a refusal and traps.
    pub(crate) fn record_host_call(
        &mut self,
        event_type: &str,
        params: Value,
        result: Value,
    ) -> Result<Hash, LimitExceeded> {
        let mut fields = vec![("params", params), ("result", result)];
        if let Some(link) = self.call.link.take() {
            fields.push(("link", link));
        }
        let payload = encode(&map(fields));
        let limit = self.manifest.limits.max_event_bytes;
        if payload.len() as u64 > limit {
            let e = LimitExceeded {
                key: "max_event_bytes",
                limit,
                what: format!("{event_type} answered with a {} byte event", payload.len()),
            };
            let params = crate::chain::payload::decode(&payload)
                .ok()
                .and_then(|v| crate::chain::payload::Fields::new(v).ok())
                .and_then(|mut f| f.take_opt("params"))
                .unwrap_or(Value::Null);
            self.record_refusal(event_type, &params, &e.to_string());
            return Err(e);
        }
        Ok(self.chain.record(event_type, payload))
    }

    /// Record a host call that trapped instead of answering: the SHA-256 and size of its
    /// encoded parameters (not the parameters: they may be what was too large) and why.
    /// A replay checks the digest and traps the same way.
    pub(crate) fn record_refusal(
        &mut self,
        event_type: &str,
        params: &Value,
        reason: &str,
    ) -> Hash {
        let encoded = encode(params);
        let fields = vec![
            ("params_sha256", Value::Bytes(sha256(&encoded).to_vec())),
            (
                "params_bytes",
                Value::Integer((encoded.len() as u64).into()),
            ),
            ("trap", Value::Text(reason.to_string())),
        ];
        self.chain.record(event_type, encode(&map(fields)))
    }

    /// Spend `bytes` of a lifetime byte budget, or refuse if that would pass it.
    pub(crate) fn spend(&mut self, budget: Budget, bytes: u64) -> Result<(), LimitExceeded> {
        let limits = &self.manifest.limits;
        let (spent, limit, key) = match budget {
            Budget::Store => (
                &mut self.boundary.spent.store_bytes,
                limits.max_store_bytes,
                "max_store_bytes",
            ),
            Budget::FsWritten => (
                &mut self.boundary.spent.fs_bytes_written,
                limits.max_fs_bytes_written,
                "max_fs_bytes_written",
            ),
        };
        let total = spent.saturating_add(bytes);
        if total > limit {
            return Err(LimitExceeded {
                key,
                limit,
                what: format!("writing {bytes} more bytes after {spent} would make {total}"),
            });
        }
        *spent = total;
        Ok(())
    }

    /// Record that a message is about to leave through host call `call` (the call's own
    /// event follows): the parameters by their SHA-256, which the call's event carries whole.
    pub(crate) fn record_outgoing(&mut self, call: &str, params: &Value) -> Hash {
        let digest = sha256(&encode(params));
        let payload = map(vec![
            ("call", Value::Text(call.to_string())),
            ("params_sha256", Value::Bytes(digest.to_vec())),
        ]);
        self.chain.record(OUTGOING, encode(&payload))
    }

    /// Time spent waiting on the host (another actor, a timer) is not the guest's to pay.
    pub(crate) fn extend_deadline(&mut self, waited: Duration) {
        self.call.deadline += waited;
    }

    pub(crate) fn emit_log(&mut self, message: String) {
        (self.logs)(&LogLine {
            actor_id: self.id.clone(),
            actor_name: self.name.clone(),
            message: message.clone(),
        });
        self.call.last_log = Some(message);
    }
}

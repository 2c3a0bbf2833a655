//! The data every actor's wasmtime `Store` carries: its identity, its chain, its limits and
//! the per-call bookkeeping host functions need. Host functions see only this, never the
//! rest of the runtime, except through the handles it holds.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ciborium::value::Value;

use crate::chain::payload::{encode, map};
use crate::chain::{ActorChain, Hash};
use crate::limits::Limiter;
use crate::manifest::Manifest;

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
    pub(crate) limiter: Limiter,
    pub(crate) logs: LogSink,
    /// Set by `runtime.shutdown`: the actor stops after the current call.
    pub(crate) shutdown: Option<Option<Vec<u8>>>,
    /// When the current export call must end (guest time; host waits are not counted).
    pub(crate) call_deadline: Instant,
    /// The last line logged during the current call, to explain a trap (e.g. a panic message).
    pub(crate) last_log: Option<String>,
    /// The chain database, for `get-chain`.
    pub(crate) db_path: std::path::PathBuf,
    /// The manifest the actor was started from (handlers read their options here).
    pub(crate) manifest: Arc<Manifest>,
    /// Per-actor state of handlers, one value per type, created on first use.
    extensions: HashMap<TypeId, Box<dyn Any + Send>>,
}

impl ActorCtx {
    pub(crate) fn new(id: String, manifest: Arc<Manifest>, chain: ActorChain, logs: LogSink, db_path: std::path::PathBuf) -> Self {
        let limits = &manifest.limits;
        ActorCtx {
            id,
            name: manifest.name.clone(),
            chain,
            limiter: Limiter::new(limits.memory_mb, limits.call_timeout_ms),
            logs,
            shutdown: None,
            call_deadline: Instant::now(),
            last_log: None,
            db_path,
            manifest,
            extensions: HashMap::new(),
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

    /// Record one crossing of the sandbox boundary: what the guest asked and what it got.
    pub(crate) fn record_host_call(&mut self, event_type: &str, params: Value, result: Value) -> Hash {
        let payload = encode(&map(vec![("params", params), ("result", result)]));
        self.chain.record(event_type, payload)
    }

    /// Time spent waiting on the host (another actor, a timer) is not the guest's to pay.
    pub(crate) fn extend_deadline(&mut self, waited: Duration) {
        self.call_deadline += waited;
    }

    pub(crate) fn emit_log(&mut self, message: String) {
        (self.logs)(&LogLine { actor_id: self.id.clone(), actor_name: self.name.clone(), message: message.clone() });
        self.last_log = Some(message);
    }
}

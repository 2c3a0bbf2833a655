//! Deterministic replay: re-run an actor's recorded export calls against its component (or
//! another one) with every host call answered from the chain, rebuild the chain and compare
//! it hash for hash. The first event that differs is reported with both versions decoded.
//!
//! What makes this work: actors have no ambient inputs (no WASI), every host call crosses
//! the one recording wrapper (`handlers::host_fn`), and timestamps come from the recording.
//! Inputs from outside the actor — its first event, lifecycle and supervision events — are
//! taken as recorded; everything the guest computes is recomputed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

mod system;
use std::time::Duration;

use ciborium::value::Value;
use wasmtime::component::InstancePre;

use crate::actor::exports::{
    HTTP_MIDDLEWARE, HTTP_REQUEST, WEBSOCKET_CONNECT, WEBSOCKET_DISCONNECT, WEBSOCKET_MESSAGE,
};
use crate::actor::{ActorCtx, ActorInstance, CallError, Cause};
use crate::bindings::{HttpRequest, WebsocketMessage, WitActorError};
use crate::chain::payload::{decode, Fields, Wire};
use crate::chain::verify::{verify_links, VerifyError};
use crate::chain::{sha256, ActorChain, BlobLookup, Event, Hash};
use crate::component_cache::ComponentCache;
use crate::component_store::{ComponentStore, ComponentStoreError};
use crate::error::RuntimeError;
use crate::manifest::Manifest;
use crate::recorded_start::{RecordedStart, StartError};
use crate::replay_feed::ReplayFeed;
use crate::sandbox;
use crate::system::ActorSystem;

/// What a replay needs besides the chain: the component to run and the initial state.
pub struct ReplayInput {
    /// The recorded chain, first event first.
    pub events: Vec<Event>,
    /// Run this component instead of the recorded one (the upgrade check).
    pub component: Option<PathBuf>,
    /// Stored state values by hash (the initial state is recorded by hash only).
    pub blobs: Box<BlobLookup>,
}

pub use crate::replay_feed::{Divergence, EventView};

/// The outcome of a replay.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReplayReport {
    /// Events replayed identically before the end or the divergence.
    pub identical: u64,
    pub recorded: u64,
    #[serde(serialize_with = "hex_opt")]
    pub head: Option<Hash>,
    pub divergence: Option<Divergence>,
}

fn hex_opt<S: serde::Serializer>(h: &Option<Hash>, s: S) -> Result<S::Ok, S::Error> {
    match h {
        Some(h) => s.serialize_str(&hex::encode(h)),
        None => s.serialize_none(),
    }
}

/// Why a replay could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("the chain does not verify, so it was not replayed: {0}")]
    Tampered(#[from] VerifyError),
    #[error("the chain is empty")]
    Empty,
    #[error("event 0 is {0}, not lifecycle/started: this is not a whole chain")]
    NoStart(String),
    #[error("event {index} is malformed: {reason}")]
    Malformed { index: u64, reason: String },
    #[error("the component at {path} is not the one recorded (its SHA-256 is {actual}, the chain recorded {recorded})\n  hint: pass --component {path} to replay the recording against this new component")]
    ComponentChanged {
        path: String,
        actual: String,
        recorded: String,
    },
    #[error("the recorded initial state {0} is not available (replay from the database, or from an export that includes it)")]
    MissingState(String),
    /// The component could not be read, checked, compiled or started.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

impl From<StartError> for ReplayError {
    fn from(e: StartError) -> ReplayError {
        match e {
            StartError::NotAStart(found) => ReplayError::NoStart(found),
            StartError::Malformed(reason) => malformed(0, reason),
        }
    }
}

fn malformed(index: u64, reason: impl Into<String>) -> ReplayError {
    ReplayError::Malformed {
        index,
        reason: reason.into(),
    }
}

/// The manifest a chain's first event (`lifecycle/started`) recorded: what the actor ran
/// with, its component path resolved against the directory it was started from.
pub fn recorded_manifest(first: &Event) -> Result<Arc<Manifest>, ReplayError> {
    Ok(RecordedStart::read(first)?.manifest)
}

/// One recorded export call.
struct Call {
    export: String,
    params: Value,
    state: Option<Hash>,
    cause: Option<Cause>,
}

fn read_call(index: u64, e: &Event) -> Result<Call, ReplayError> {
    let bad = |r: String| malformed(index, r);
    let mut f = Fields::new(decode(&e.payload).map_err(|p| bad(p.to_string()))?)
        .map_err(|p| bad(p.to_string()))?;
    let state: Option<Vec<u8>> = f.get("state").map_err(|p| bad(p.to_string()))?;
    let cause = match f.take_opt("cause") {
        Some(v) => {
            let mut c = Fields::new(v).map_err(|p| bad(p.to_string()))?;
            let event: Vec<u8> = c.get("event").map_err(|p| bad(p.to_string()))?;
            Some(Cause {
                actor_id: c.get("actor").map_err(|p| bad(p.to_string()))?,
                event: event
                    .try_into()
                    .map_err(|_| bad("cause hash is not 32 bytes".into()))?,
            })
        }
        None => None,
    };
    Ok(Call {
        export: f.get("export").map_err(|p| bad(p.to_string()))?,
        params: f.take("params").map_err(|p| bad(p.to_string()))?,
        state: state
            .map(|s| {
                s.try_into()
                    .map_err(|_| bad("state hash is not 32 bytes".into()))
            })
            .transpose()?,
        cause,
    })
}

fn args<T: Wire>(index: u64, v: Value) -> Result<T, ReplayError> {
    T::from_value(v).map_err(|e| malformed(index, format!("parameters: {e}")))
}

/// Run one recorded export call on the replay instance. Its outcome (reply, error, trap)
/// is not returned: it is in the `wasm/result` event, which is compared with the recording.
async fn run_call(instance: &mut ActorInstance, index: u64, call: Call) -> Result<(), ReplayError> {
    let p = call.params;
    let cause = call.cause;
    let _outcome: Result<(), CallError> = match call.export.as_str() {
        "init" => {
            let (id,): (String,) = args(index, p)?;
            instance.init(id).await
        }
        "resume" => {
            let (id,): (String,) = args(index, p)?;
            instance.resume(id).await
        }
        "handle-send" => {
            let (msg,): (Vec<u8>,) = args(index, p)?;
            instance.handle_send(msg, cause).await
        }
        "handle-request" => {
            let (id, msg): (String, Vec<u8>) = args(index, p)?;
            instance.handle_request(id, msg, cause).await.map(|_| ())
        }
        "handle-channel-open" => {
            let (ch, msg): (String, Vec<u8>) = args(index, p)?;
            instance
                .handle_channel_open(ch, msg, cause)
                .await
                .map(|_| ())
        }
        "handle-channel-message" => {
            let (ch, msg): (String, Vec<u8>) = args(index, p)?;
            instance.handle_channel_message(ch, msg, cause).await
        }
        "handle-channel-close" => {
            let (ch,): (String,) = args(index, p)?;
            instance.handle_channel_close(ch, cause).await
        }
        "handle-child-error" => {
            let (child, error): (String, WitActorError) = args(index, p)?;
            instance.handle_child_error(child, error).await
        }
        "handle-child-exit" => {
            let (child, data): (String, Option<Vec<u8>>) = args(index, p)?;
            instance.handle_child_exit(child, data).await
        }
        "handle-child-external-stop" => {
            let (child,): (String,) = args(index, p)?;
            instance.handle_child_external_stop(child).await
        }
        HTTP_REQUEST => {
            let (handler, request): (u64, HttpRequest) = args(index, p)?;
            instance
                .handle_http_request(handler, request)
                .await
                .map(|_| ())
        }
        HTTP_MIDDLEWARE => {
            let (handler, request): (u64, HttpRequest) = args(index, p)?;
            instance
                .handle_http_middleware(handler, request)
                .await
                .map(|_| ())
        }
        WEBSOCKET_CONNECT => {
            let (handler, connection, path, query) = args(index, p)?;
            instance
                .handle_websocket_connect(handler, connection, path, query)
                .await
        }
        WEBSOCKET_MESSAGE => {
            let (handler, connection, message): (u64, u64, WebsocketMessage) = args(index, p)?;
            instance
                .handle_websocket_message(handler, connection, message)
                .await
                .map(|_| ())
        }
        WEBSOCKET_DISCONNECT => {
            let (handler, connection) = args(index, p)?;
            instance
                .handle_websocket_disconnect(handler, connection)
                .await
        }
        other => return Err(malformed(index, format!("unknown export {other}"))),
    };
    Ok(())
}

/// Compare the events the replay produced from `from` on with the recording (earlier ones
/// were compared already, so a whole replay compares each event once).
fn first_difference(produced: &[Event], recorded: &[Event], from: usize) -> Option<Divergence> {
    let offset = produced
        .iter()
        .zip(recorded)
        .skip(from)
        .position(|(a, b)| a.hash != b.hash)?;
    let index = from + offset;
    Some(Divergence {
        index: index as u64,
        expected: Some(EventView::of(&recorded[index])),
        actual: Some(EventView::of(&produced[index])),
    })
}

/// What a replay runs with: the runtime's component cache and component store, and the
/// chain database summarised calls read their pages from again.
pub(crate) struct Replayer<'a> {
    pub cache: &'a ComponentCache,
    pub components: &'a ComponentStore,
    pub chain_db: PathBuf,
}

/// The replay under way: the recording, and the instance rebuilding it.
struct Run {
    recorded: Arc<Vec<Event>>,
    pre: InstancePre<ActorCtx>,
    start: RecordedStart,
    timeout: Duration,
    /// Events of the replay compared with the recording so far.
    compared: usize,
}

impl Replayer<'_> {
    /// Replay a recorded chain. Refuses a chain that does not verify.
    pub(crate) async fn replay(&self, input: ReplayInput) -> Result<ReplayReport, ReplayError> {
        let recorded = Arc::new(input.events);
        verify_links(&recorded)?;
        let first = recorded.first().ok_or(ReplayError::Empty)?.clone();
        let start = RecordedStart::read(&first)?;
        let pre = self.prepare(&start, input.component.as_deref())?;
        let system: Arc<dyn ActorSystem> =
            Arc::new(system::ReplaySystem::new(self.chain_db.clone()));
        let mut ctx = ActorCtx::new(
            start.actor.clone(),
            start.manifest.clone(),
            ActorChain::replay(recorded.clone()),
            Arc::new(|_| {}),
            Arc::downgrade(&system),
        );
        ctx.replay = Some(ReplayFeed::new(recorded.clone()));
        ctx.chain.record(&first.event_type, first.payload.clone());
        let timeout = Duration::from_millis(start.manifest.limits.call_timeout_ms);
        let mut run = Run {
            recorded,
            pre,
            start,
            timeout,
            compared: 0,
        };
        let instance = run.instantiate(ctx).await?;
        run.drive(instance, &input.blobs).await
    }

    /// Check the component to replay against the recorded manifest's grants and link it.
    fn prepare(
        &self,
        start: &RecordedStart,
        given: Option<&Path>,
    ) -> Result<InstancePre<ActorCtx>, ReplayError> {
        let manifest = &start.manifest;
        let (path, bytes) = self.replay_component(given, &manifest.component, &start.component)?;
        let granted = manifest.granted_interfaces();
        let imports = sandbox::component_imports(&bytes, &path.display().to_string())
            .map_err(RuntimeError::from)?;
        sandbox::check_imports(&imports, &granted, &manifest.name, &manifest.origin)
            .map_err(RuntimeError::from)?;
        let loaded = self.cache.load(&bytes, &path)?;
        Ok(self.cache.instance_pre(&loaded, &granted)?)
    }

    /// The component to replay: the one given, else the recorded one from the component
    /// store, else the manifest's file if it still is the recorded one.
    fn replay_component(
        &self,
        given: Option<&Path>,
        manifest_path: &Path,
        recorded: &Hash,
    ) -> Result<(PathBuf, Vec<u8>), ReplayError> {
        if let Some(path) = given {
            return Ok((
                path.to_path_buf(),
                std::fs::read(path).map_err(|e| RuntimeError::io(path, e))?,
            ));
        }
        match self.components.get(recorded) {
            Ok(bytes) => return Ok((manifest_path.to_path_buf(), bytes)),
            Err(ComponentStoreError::Missing { .. }) => {}
            Err(e) => return Err(RuntimeError::from(e).into()),
        }
        let bytes = std::fs::read(manifest_path).map_err(|e| RuntimeError::io(manifest_path, e))?;
        if sha256(&bytes) != *recorded {
            return Err(ReplayError::ComponentChanged {
                path: manifest_path.display().to_string(),
                actual: hex::encode(sha256(&bytes)),
                recorded: hex::encode(recorded),
            });
        }
        Ok((manifest_path.to_path_buf(), bytes))
    }
}

impl Run {
    /// A new instance for the replayed actor (at the start, and at each recorded restart).
    async fn instantiate(&self, ctx: ActorCtx) -> Result<ActorInstance, ReplayError> {
        ActorInstance::new(&self.pre, ctx, self.timeout)
            .await
            .map_err(|(e, _)| {
                let reason = e.to_string();
                RuntimeError::StartFailed {
                    actor: self.start.manifest.name.clone(),
                    id: self.start.actor.clone(),
                    reason,
                }
                .into()
            })
    }

    /// Feed the recording to the instance event by event, comparing as it goes.
    async fn drive(
        &mut self,
        mut instance: ActorInstance,
        blobs: &BlobLookup,
    ) -> Result<ReplayReport, ReplayError> {
        let recorded = self.recorded.clone();
        loop {
            let index = instance.ctx().chain.len();
            let Some(event) = usize::try_from(index).ok().and_then(|i| recorded.get(i)) else {
                break;
            };
            if matches!(
                event.event_type.as_str(),
                "lifecycle/restarted" | "lifecycle/resumed"
            ) {
                instance = self.restart(instance, event).await?;
            } else if let Some(divergence) = self.step(&mut instance, index, event, blobs).await? {
                return Ok(self.report(&instance, blobs, Some(divergence)));
            }
            let diverged = instance
                .ctx_mut()
                .replay
                .as_mut()
                .and_then(ReplayFeed::take_divergence);
            let produced = instance.ctx().chain.produced();
            let found = diverged.or_else(|| first_difference(produced, &recorded, self.compared));
            if found.is_some() {
                return Ok(self.report(&instance, blobs, found));
            }
            self.compared = produced.len();
        }
        let produced = instance.ctx().chain.produced();
        let short = (produced.len() < recorded.len()).then(|| Divergence {
            index: produced.len() as u64,
            expected: recorded.get(produced.len()).map(EventView::of),
            actual: None,
        });
        Ok(self.report(&instance, blobs, short))
    }

    /// A recorded restart (or a resume by a new server): a new instance from the last
    /// committed state.
    async fn restart(
        &self,
        instance: ActorInstance,
        event: &Event,
    ) -> Result<ActorInstance, ReplayError> {
        let state = instance.state().clone();
        let mut ctx = instance.into_ctx();
        ctx.chain.record(&event.event_type, event.payload.clone());
        let mut instance = self.instantiate(ctx).await?;
        instance.set_state(state);
        Ok(instance)
    }

    /// Replay recorded event `event` at `index`: run an export call, or take an input from
    /// outside the actor as recorded. A divergence found on the way is returned.
    async fn step(
        &self,
        instance: &mut ActorInstance,
        index: u64,
        event: &Event,
        blobs: &BlobLookup,
    ) -> Result<Option<Divergence>, ReplayError> {
        match event.event_type.as_str() {
            "wasm/call" => {
                let call = read_call(index, event)?;
                if call.export == "init"
                    && call.state.is_some()
                    && call.state != instance.state().as_deref().map(sha256)
                {
                    let hash = call.state.unwrap_or_default();
                    let state =
                        blobs(&hash).ok_or_else(|| ReplayError::MissingState(hex::encode(hash)))?;
                    instance.set_state(Some(state));
                }
                run_call(instance, index, call).await?;
            }
            t if t.starts_with("lifecycle/") || t.starts_with("supervision/") => {
                instance
                    .ctx_mut()
                    .chain
                    .record(&event.event_type, event.payload.clone());
            }
            other => {
                return Ok(Some(Divergence {
                    index,
                    expected: Some(EventView::of(event)),
                    actual: Some(EventView::unrecorded(
                        format!("(no host call: {other} outside an export call)"),
                        serde_json::Value::Null,
                    )),
                }));
            }
        }
        Ok(None)
    }

    /// The report, with the states both sides of a divergence name decoded: the recorded
    /// ones from the stored blobs, the replayed one from the instance (its current state).
    fn report(
        &self,
        instance: &ActorInstance,
        blobs: &BlobLookup,
        mut divergence: Option<Divergence>,
    ) -> ReplayReport {
        let current = instance.state().clone();
        let lookup =
            |hash: &Hash| blobs(hash).or_else(|| current.clone().filter(|s| sha256(s) == *hash));
        if let Some(d) = &mut divergence {
            for view in [&mut d.expected, &mut d.actual].into_iter().flatten() {
                view.decode_state(&lookup);
            }
        }
        let produced = instance.ctx().chain.produced();
        let identical = divergence
            .as_ref()
            .map_or(produced.len() as u64, |d| d.index);
        ReplayReport {
            identical,
            recorded: self.recorded.len() as u64,
            head: produced.last().map(|e| e.hash),
            divergence,
        }
    }
}

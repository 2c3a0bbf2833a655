//! Deterministic replay: re-run an actor's recorded export calls against its component (or
//! another one) with every host call answered from the chain, rebuild the chain and compare
//! it hash for hash. The first event that differs is reported with both versions decoded.
//!
//! What makes this work: actors have no ambient inputs (no WASI), every host call crosses
//! the one recording wrapper (`handlers::host_fn`), and timestamps come from the recording.
//! Inputs from outside the actor — its first event, lifecycle and supervision events — are
//! taken as recorded; everything the guest computes is recomputed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::time::Duration;

use ciborium::value::Value;

use crate::actor::{ActorCtx, ActorInstance, Cause, CallError};
use crate::bindings::WitActorError;
use crate::chain::payload::{bytes_to_json, decode, encode, Fields, Wire};
use crate::chain::verify::{verify_links, VerifyError};
use crate::chain_page::PageSummary;
use crate::chain::{sha256, state_hash, ActorChain, Event, Hash};
use crate::component_store::ComponentStoreError;
use crate::error::RuntimeError;
use crate::manifest::Manifest;
use crate::state_view::decoded_state;
use crate::sandbox;
use crate::theater::Theater;

/// What a replay needs besides the chain: the component to run and the initial state.
pub struct ReplayInput {
    /// The recorded chain, first event first.
    pub events: Vec<Event>,
    /// Run this component instead of the recorded one (the upgrade check).
    pub component: Option<PathBuf>,
    /// Stored state values by hash (the initial state is recorded by hash only).
    pub blobs: Box<dyn Fn(&Hash) -> Option<Vec<u8>> + Send + Sync>,
}

/// An event as a report shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EventView {
    #[serde(rename = "type")]
    pub event_type: String,
    pub payload: serde_json::Value,
    /// The state the payload names by hash, decoded (JSON, else text, else hex), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<serde_json::Value>,
    #[serde(skip)]
    state_hash: Option<Hash>,
}

impl EventView {
    fn of(e: &Event) -> EventView {
        let state_hash = state_hash(&e.payload);
        EventView { event_type: e.event_type.clone(), payload: bytes_to_json(&e.payload), state: None, state_hash }
    }

    /// What the replay did instead of a recorded event: no event, so no state.
    fn unrecorded(event_type: String, payload: serde_json::Value) -> EventView {
        EventView { event_type, payload, state: None, state_hash: None }
    }

    /// Fill in the state the payload names, from `lookup`.
    fn decode_state(&mut self, lookup: &dyn Fn(&Hash) -> Option<Vec<u8>>) {
        self.state = self.state_hash.as_ref().and_then(lookup).map(|bytes| decoded_state(&bytes));
    }
}

/// The first point where the replay differs from the recording.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Divergence {
    pub index: u64,
    /// The recorded event at `index` (none: the replay went on past the recording's end).
    pub expected: Option<EventView>,
    /// What the replay did at `index` (none: it stopped short of the recording's end).
    pub actual: Option<EventView>,
}

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
    ComponentChanged { path: String, actual: String, recorded: String },
    #[error("the recorded initial state {0} is not available (replay from the database, or from an export that includes it)")]
    MissingState(String),
}

const LOG: &str = "theater:simple/runtime/log";

/// The replay state carried in the actor context: the recording being answered from.
pub(crate) struct ReplayFeed {
    recorded: Arc<Vec<Event>>,
    /// Set when the guest asked for something the recording does not hold.
    diverged: Option<Divergence>,
}

/// Answer a host call from the recording: the event at the replay's position must be this
/// call with these parameters; the event is the recorded one, and the recorded result is
/// given back as it is (the wrapper decodes it, or rebuilds the answer from a summary).
pub(crate) fn answer_value(ctx: &mut ActorCtx, event_type: &str, params: Value) -> wasmtime::Result<Value> {
    answer_with(ctx, event_type, params, Some)
}

/// What the recording holds for one host call.
enum Recorded<R> {
    Answered(R),
    /// The live call trapped (`ActorCtx::record_refusal`); the replay traps the same way.
    Refused(String),
}

/// The recorded outcome of event `e` if it is this call with these parameters.
fn recorded_outcome<R>(e: &Event, event_type: &str, params: &Value, convert: impl FnOnce(Value) -> Option<R>) -> Option<Recorded<R>> {
    if e.event_type != event_type {
        return None;
    }
    let mut fields = Fields::new(decode(&e.payload).ok()?).ok()?;
    if let Some(trap) = fields.take_opt("trap") {
        let digest: Vec<u8> = fields.get("params_sha256").ok()?;
        let reason: String = String::from_value(trap).ok()?;
        return (digest == sha256(&encode(params)).to_vec()).then_some(Recorded::Refused(reason));
    }
    (fields.take_opt("params")? == *params).then_some(())?;
    convert(fields.take_opt("result")?).map(Recorded::Answered)
}

fn answer_with<R>(ctx: &mut ActorCtx, event_type: &str, params: Value, convert: impl FnOnce(Value) -> Option<R>) -> wasmtime::Result<R> {
    let index = ctx.chain.len();
    let Some(feed) = ctx.replay.as_mut() else {
        return Err(wasmtime::Error::msg("replay answer outside a replay"));
    };
    let expected = feed.recorded.get(index as usize).cloned();
    let outcome = expected.as_ref().and_then(|e| recorded_outcome(e, event_type, &params, convert));
    match (expected, outcome) {
        (Some(e), Some(outcome)) => {
            if event_type == LOG && matches!(outcome, Recorded::Answered(_)) {
                // The live handler keeps the last line to explain a trap (a panic message);
                // the same bookkeeping keeps a replayed trap's description identical.
                ctx.last_log = String::from_value(match params {
                    Value::Array(mut items) if !items.is_empty() => items.swap_remove(0),
                    other => other,
                })
                .ok();
            }
            ctx.chain.record(&e.event_type, e.payload.clone());
            match outcome {
                Recorded::Answered(result) => Ok(result),
                Recorded::Refused(reason) => Err(wasmtime::Error::msg(reason)),
            }
        }
        (expected, _) => {
            let feed = ctx.replay.as_mut().ok_or_else(|| wasmtime::Error::msg("replay answer outside a replay"))?;
            let params = serde_json::json!({ "params": crate::chain::payload::to_json(&params) });
            let actual = EventView::unrecorded(event_type.to_string(), params);
            feed.diverged = Some(Divergence { index, expected: expected.as_ref().map(EventView::of), actual: Some(actual) });
            Err(wasmtime::Error::msg(format!("replay diverged at event {index}")))
        }
    }
}

/// The events `summary` describes, from the chain being replayed (a `get-chain` answer).
pub(crate) fn recorded_page(ctx: &ActorCtx, summary: PageSummary) -> Result<Vec<Event>, String> {
    let feed = ctx.replay.as_ref().ok_or("not a replay")?;
    let from = usize::try_from(summary.from).map_err(|e| e.to_string())?;
    let to = from.saturating_add(usize::try_from(summary.events).map_err(|e| e.to_string())?);
    let page = feed.recorded.get(from..to).ok_or("the recorded page lies outside the recorded chain")?;
    if PageSummary::of(page) == summary { Ok(page.to_vec()) } else { Err("the recorded page does not match the recorded chain".into()) }
}

fn malformed(index: u64, reason: impl Into<String>) -> ReplayError {
    ReplayError::Malformed { index, reason: reason.into() }
}

/// The fields of the recorded `lifecycle/started` event.
struct Start {
    actor: String,
    manifest: Manifest,
    component: Hash,
}

/// The manifest a chain's first event (`lifecycle/started`) recorded: what the actor ran
/// with, its component path resolved against the directory it was started from.
pub fn recorded_manifest(first: &Event) -> Result<Manifest, ReplayError> {
    read_start(first).map(|start| start.manifest)
}

fn read_start(e: &Event) -> Result<Start, ReplayError> {
    if e.event_type != "lifecycle/started" {
        return Err(ReplayError::NoStart(e.event_type.clone()));
    }
    let bad = |r: String| malformed(0, r);
    let mut f = Fields::new(decode(&e.payload).map_err(|p| bad(p.to_string()))?).map_err(|p| bad(p.to_string()))?;
    let text: String = f.get("manifest").map_err(|p| bad(p.to_string()))?;
    let origin: String = f.get::<Option<String>>("origin").ok().flatten().unwrap_or_else(|| "<recorded manifest>".into());
    let base_dir: String = f.get::<Option<String>>("base_dir").ok().flatten().unwrap_or_else(|| ".".into());
    let manifest = Manifest::parse_recorded(&text, Path::new(&base_dir), &origin).map_err(|e| bad(e.to_string()))?;
    let component: Vec<u8> = f.get("component").map_err(|p| bad(p.to_string()))?;
    Ok(Start {
        actor: f.get("actor").map_err(|p| bad(p.to_string()))?,
        manifest,
        component: component.try_into().map_err(|_| bad("component hash is not 32 bytes".into()))?,
    })
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
    let mut f = Fields::new(decode(&e.payload).map_err(|p| bad(p.to_string()))?).map_err(|p| bad(p.to_string()))?;
    let state: Option<Vec<u8>> = f.get("state").map_err(|p| bad(p.to_string()))?;
    let cause = match f.take_opt("cause") {
        Some(v) => {
            let mut c = Fields::new(v).map_err(|p| bad(p.to_string()))?;
            let event: Vec<u8> = c.get("event").map_err(|p| bad(p.to_string()))?;
            Some(Cause {
                actor_id: c.get("actor").map_err(|p| bad(p.to_string()))?,
                event: event.try_into().map_err(|_| bad("cause hash is not 32 bytes".into()))?,
            })
        }
        None => None,
    };
    Ok(Call {
        export: f.get("export").map_err(|p| bad(p.to_string()))?,
        params: f.take("params").map_err(|p| bad(p.to_string()))?,
        state: state.map(|s| s.try_into().map_err(|_| bad("state hash is not 32 bytes".into()))).transpose()?,
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
            instance.handle_channel_open(ch, msg, cause).await.map(|_| ())
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
        other => return Err(malformed(index, format!("unknown export {other}"))),
    };
    Ok(())
}

/// Compare the events the replay produced from `from` on with the recording (earlier ones
/// were compared already, so a whole replay compares each event once).
fn first_difference(produced: &[Event], recorded: &[Event], from: usize) -> Option<Divergence> {
    let offset = produced.iter().zip(recorded).skip(from).position(|(a, b)| a.hash != b.hash)?;
    let index = from + offset;
    Some(Divergence { index: index as u64, expected: Some(EventView::of(&recorded[index])), actual: Some(EventView::of(&produced[index])) })
}

impl Theater {
    /// Replay a recorded chain. Refuses a chain that does not verify.
    pub async fn replay(&self, input: ReplayInput) -> Result<ReplayReport, RuntimeError> {
        let recorded = Arc::new(input.events);
        verify_links(&recorded).map_err(ReplayError::from)?;
        let first = recorded.first().ok_or(ReplayError::Empty)?;
        let start = read_start(first)?;
        let manifest = Arc::new(start.manifest);

        let (path, bytes) = self.replay_component(input.component.as_deref(), &manifest.component, &start.component)?;
        let granted = manifest.granted_interfaces();
        let imports = sandbox::component_imports(&bytes, &path.display().to_string())?;
        sandbox::check_imports(&imports, &granted, &manifest.name, &manifest.origin)?;
        let loaded = self.engine().load_bytes(&bytes, &path)?;
        let pre = self.instance_pre(&loaded, &granted)?;

        let mut ctx = ActorCtx::new(
            start.actor.clone(),
            manifest.clone(),
            ActorChain::replay(recorded.clone()),
            Arc::new(|_| {}),
            crate::paths::chain_db(self.data_dir()),
            Weak::new(),
        );
        ctx.replay = Some(ReplayFeed { recorded: recorded.clone(), diverged: None });
        ctx.chain.record(&first.event_type, first.payload.clone());
        let timeout = Duration::from_millis(manifest.limits.call_timeout_ms);
        let mut instance = ActorInstance::new(&pre, ctx, timeout).await.map_err(|(e, _)| RuntimeError::StartFailed {
            actor: manifest.name.clone(),
            id: start.actor.clone(),
            reason: e.to_string(),
        })?;

        let mut compared = 0;
        loop {
            let index = instance.ctx().chain.len();
            let Some(event) = recorded.get(index as usize) else { break };
            match event.event_type.as_str() {
                "wasm/call" => {
                    let call = read_call(index, event)?;
                    if call.export == "init" && call.state.is_some() && call.state != instance.state().as_deref().map(sha256) {
                        let hash = call.state.unwrap_or_default();
                        let state = (input.blobs)(&hash).ok_or_else(|| ReplayError::MissingState(hex::encode(hash)))?;
                        instance.set_state(Some(state));
                    }
                    run_call(&mut instance, index, call).await?;
                }
                "lifecycle/restarted" => {
                    // A restart is a new instance from the last committed state.
                    let state = instance.state().clone();
                    let mut ctx = instance.into_ctx();
                    ctx.chain.record(&event.event_type, event.payload.clone());
                    instance = ActorInstance::new(&pre, ctx, timeout).await.map_err(|(e, _)| RuntimeError::StartFailed {
                        actor: manifest.name.clone(),
                        id: start.actor.clone(),
                        reason: e.to_string(),
                    })?;
                    instance.set_state(state);
                }
                t if t.starts_with("lifecycle/") || t.starts_with("supervision/") => {
                    instance.ctx_mut().chain.record(&event.event_type, event.payload.clone());
                }
                other => {
                    return Ok(self.report(&instance, &recorded, &*input.blobs, Some(Divergence {
                        index,
                        expected: Some(EventView::of(event)),
                        actual: Some(EventView::unrecorded(format!("(no host call: {other} outside an export call)"), serde_json::Value::Null)),
                    })));
                }
            }
            let diverged = instance.ctx_mut().replay.as_mut().and_then(|f| f.diverged.take());
            let produced = instance.ctx().chain.produced();
            let found = diverged.or_else(|| first_difference(produced, &recorded, compared));
            if found.is_some() {
                return Ok(self.report(&instance, &recorded, &*input.blobs, found));
            }
            compared = produced.len();
        }
        let produced = instance.ctx().chain.produced();
        let short = (produced.len() < recorded.len()).then(|| Divergence {
            index: produced.len() as u64,
            expected: recorded.get(produced.len()).map(EventView::of),
            actual: None,
        });
        Ok(self.report(&instance, &recorded, &*input.blobs, short))
    }

    /// The component to replay: the one given, else the recorded one from the component
    /// store, else the manifest's file if it still is the recorded one.
    fn replay_component(&self, given: Option<&Path>, manifest_path: &Path, recorded: &Hash) -> Result<(PathBuf, Vec<u8>), RuntimeError> {
        if let Some(path) = given {
            return Ok((path.to_path_buf(), std::fs::read(path).map_err(|e| RuntimeError::io(path, e))?));
        }
        match self.components().get(recorded) {
            Ok(bytes) => return Ok((manifest_path.to_path_buf(), bytes)),
            Err(ComponentStoreError::Missing { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let bytes = std::fs::read(manifest_path).map_err(|e| RuntimeError::io(manifest_path, e))?;
        if sha256(&bytes) != *recorded {
            return Err(ReplayError::ComponentChanged {
                path: manifest_path.display().to_string(),
                actual: hex::encode(sha256(&bytes)),
                recorded: hex::encode(recorded),
            }
            .into());
        }
        Ok((manifest_path.to_path_buf(), bytes))
    }

    /// The report, with the states both sides of a divergence name decoded: the recorded
    /// ones from the stored blobs, the replayed one from the instance (its current state).
    fn report(
        &self,
        instance: &ActorInstance,
        recorded: &[Event],
        blobs: &(dyn Fn(&Hash) -> Option<Vec<u8>> + Send + Sync),
        mut divergence: Option<Divergence>,
    ) -> ReplayReport {
        let current = instance.state().clone();
        let lookup = |hash: &Hash| blobs(hash).or_else(|| current.clone().filter(|s| sha256(s) == *hash));
        if let Some(d) = &mut divergence {
            for view in [&mut d.expected, &mut d.actual].into_iter().flatten() {
                view.decode_state(&lookup);
            }
        }
        let produced = instance.ctx().chain.produced();
        let identical = divergence.as_ref().map_or(produced.len() as u64, |d| d.index);
        ReplayReport { identical, recorded: recorded.len() as u64, head: produced.last().map(|e| e.hash), divergence }
    }
}

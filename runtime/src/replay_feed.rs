//! The recording a replayed actor's host calls are answered from: each call must be the
//! recorded one at the replay's position, with the recorded parameters; it gets the recorded
//! result (or traps as the live call did). The first call that differs is kept as the
//! replay's divergence. Nothing here touches the actor: `actor::replay_answer` applies it.

use std::sync::Arc;

use ciborium::value::Value;

use crate::chain::payload::{bytes_to_json, decode, encode, Fields, Wire};
use crate::chain::state_view::decoded_state;
use crate::chain::{sha256, state_hash, Event, Hash};
use crate::chain_page::PageSummary;

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
    pub(crate) fn of(e: &Event) -> EventView {
        let state_hash = state_hash(&e.payload);
        EventView {
            event_type: e.event_type.clone(),
            payload: bytes_to_json(&e.payload),
            state: None,
            state_hash,
        }
    }

    /// What the replay did instead of a recorded event: no event, so no state.
    pub(crate) fn unrecorded(event_type: String, payload: serde_json::Value) -> EventView {
        EventView {
            event_type,
            payload,
            state: None,
            state_hash: None,
        }
    }

    /// Fill in the state the payload names, from `lookup`.
    pub(crate) fn decode_state(&mut self, lookup: &dyn Fn(&Hash) -> Option<Vec<u8>>) {
        self.state = self
            .state_hash
            .as_ref()
            .and_then(lookup)
            .map(|bytes| decoded_state(&bytes));
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

/// The replay state carried in the actor context: the recording being answered from.
pub(crate) struct ReplayFeed {
    recorded: Arc<Vec<Event>>,
    /// Set when the guest asked for something the recording does not hold.
    diverged: Option<Divergence>,
}

/// What the recording holds for one host call.
pub(crate) enum Recorded {
    /// The recorded result, as it was recorded.
    Answered(Value),
    /// The live call trapped (`ActorCtx::record_refusal`); the replay traps the same way.
    Refused(String),
}

/// The recorded event a host call is answered with, and what it holds.
pub(crate) struct Answer {
    pub event: Event,
    pub outcome: Recorded,
}

impl ReplayFeed {
    pub(crate) fn new(recorded: Arc<Vec<Event>>) -> ReplayFeed {
        ReplayFeed {
            recorded,
            diverged: None,
        }
    }

    /// The answer to host call `event_type(params)` made at position `index`: the recorded
    /// event there must be this call with these parameters. If it is not, the divergence is
    /// kept and the error says where.
    pub(crate) fn answer(
        &mut self,
        index: u64,
        event_type: &str,
        params: &Value,
    ) -> Result<Answer, String> {
        let expected = usize::try_from(index)
            .ok()
            .and_then(|i| self.recorded.get(i))
            .cloned();
        let outcome = expected
            .as_ref()
            .and_then(|e| recorded_outcome(e, event_type, params));
        match (expected, outcome) {
            (Some(event), Some(outcome)) => Ok(Answer { event, outcome }),
            (expected, _) => {
                let params =
                    serde_json::json!({ "params": crate::chain::payload::to_json(params) });
                let actual = EventView::unrecorded(event_type.to_string(), params);
                self.diverged = Some(Divergence {
                    index,
                    expected: expected.as_ref().map(EventView::of),
                    actual: Some(actual),
                });
                Err(format!("replay diverged at event {index}"))
            }
        }
    }

    /// The events `summary` describes, from the chain being replayed (a `get-chain` answer).
    pub(crate) fn page(&self, summary: PageSummary) -> Result<Vec<Event>, String> {
        let from = usize::try_from(summary.from).map_err(|e| e.to_string())?;
        let to = from.saturating_add(usize::try_from(summary.events).map_err(|e| e.to_string())?);
        let page = self
            .recorded
            .get(from..to)
            .ok_or("the recorded page lies outside the recorded chain")?;
        if PageSummary::of(page) == summary {
            Ok(page.to_vec())
        } else {
            Err("the recorded page does not match the recorded chain".into())
        }
    }

    /// Where the guest first asked for something the recording does not hold, once.
    pub(crate) fn take_divergence(&mut self) -> Option<Divergence> {
        self.diverged.take()
    }
}

/// The recorded outcome of event `e` if it is this call with these parameters.
fn recorded_outcome(e: &Event, event_type: &str, params: &Value) -> Option<Recorded> {
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
    fields.take_opt("result").map(Recorded::Answered)
}

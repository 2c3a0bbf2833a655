//! A replayed actor's host calls, answered from the recording ([`ReplayFeed`]) instead of
//! by their handlers; the recorded event is appended to the replay's chain as it was.

use ciborium::value::Value;

use super::ActorCtx;
use crate::chain::payload::Wire;
use crate::chain::Event;
use crate::chain_page::PageSummary;
use crate::replay_feed::{Answer, Recorded};

/// The host call whose last line the live handler keeps to explain a trap.
const LOG: &str = "theater:simple/runtime/log";

impl ActorCtx {
    /// Answer a host call from the recording: the event at the replay's position must be this
    /// call with these parameters; the event is the recorded one, and the recorded result is
    /// given back as it is (the wrapper decodes it, or rebuilds the answer from a summary).
    pub(crate) fn answer_from_recording(
        &mut self,
        event_type: &str,
        params: Value,
    ) -> wasmtime::Result<Value> {
        let index = self.chain.len();
        let feed = self
            .replay
            .as_mut()
            .ok_or_else(|| wasmtime::Error::msg("replay answer outside a replay"))?;
        let Answer { event, outcome } = feed
            .answer(index, event_type, &params)
            .map_err(wasmtime::Error::msg)?;
        if event_type == LOG && matches!(outcome, Recorded::Answered(_)) {
            // The live handler keeps the last line to explain a trap (a panic message);
            // the same bookkeeping keeps a replayed trap's description identical.
            self.call.last_log = String::from_value(match params {
                Value::Array(mut items) if !items.is_empty() => items.swap_remove(0),
                other => other,
            })
            .ok();
        }
        self.chain.record(&event.event_type, event.payload);
        match outcome {
            Recorded::Answered(result) => Ok(result),
            Recorded::Refused(reason) => Err(wasmtime::Error::msg(reason)),
        }
    }

    /// The events `summary` describes, from the chain being replayed (a `get-chain` answer).
    pub(crate) fn recorded_page(&self, summary: PageSummary) -> Result<Vec<Event>, String> {
        self.replay.as_ref().ok_or("not a replay")?.page(summary)
    }
}

//! Timers in the native test host: recorded, never run by a clock. A test lists them
//! ([`TestHost::timers`]) and fires one ([`TestActor::fire_timer`]), which delivers its
//! message to the actor's `handle_send` as the runtime would; a fired timeout is gone.

use std::collections::BTreeMap;

use super::host::with_state;
use super::{TestActor, TestHost};
use crate::host::timers::TimerId;
use crate::{Actor, Raw};

/// A timer the actor set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestTimer {
    pub id: TimerId,
    /// The message it delivers.
    pub msg: Vec<u8>,
    /// `set-interval`'s interval, or `None` for a timeout.
    pub every_ms: Option<u64>,
    /// The delay before its first delivery.
    pub delay_ms: u64,
}

/// The live timers of a test host.
#[derive(Default)]
pub(crate) struct Timers {
    last_id: TimerId,
    live: BTreeMap<TimerId, TestTimer>,
}

impl Timers {
    fn set(&mut self, delay_ms: u64, every_ms: Option<u64>, msg: &[u8]) -> TimerId {
        self.last_id += 1;
        let id = self.last_id;
        let timer = TestTimer {
            id,
            msg: msg.to_vec(),
            every_ms,
            delay_ms,
        };
        self.live.insert(id, timer);
        id
    }

    /// The message of timer `id`, which a timeout leaves behind when it fires.
    fn fire(&mut self, id: TimerId) -> Result<Vec<u8>, String> {
        let timer = self.live.get(&id).ok_or_else(|| no_timer(id))?;
        let msg = timer.msg.clone();
        if timer.every_ms.is_none() {
            self.live.remove(&id);
        }
        Ok(msg)
    }
}

fn no_timer(id: TimerId) -> String {
    format!("no live timer {id}")
}

/// The calls of `theater:simple/timers`, with the wasm side's signatures.
pub(crate) mod calls {
    use super::*;

    pub(crate) fn set_timeout(delay: u64, msg: &[u8]) -> Result<TimerId, String> {
        Ok(with_state(|s| s.timers.set(delay, None, msg)))
    }

    /// An interval of 0 is refused, as the runtime refuses it.
    pub(crate) fn set_interval(interval: u64, msg: &[u8]) -> Result<TimerId, String> {
        if interval == 0 {
            return Err("interval of 0 ms refused".into());
        }
        Ok(with_state(|s| s.timers.set(interval, Some(interval), msg)))
    }

    pub(crate) fn cancel(id: TimerId) -> Result<(), String> {
        with_state(|s| {
            s.timers
                .live
                .remove(&id)
                .map(|_| ())
                .ok_or_else(|| no_timer(id))
        })
    }
}

impl TestHost {
    /// The timers the actor has set and not cancelled (fired timeouts are gone), by id.
    pub fn timers(&self) -> Vec<TestTimer> {
        self.enter(|| with_state(|s| s.timers.live.values().cloned().collect()))
    }
}

impl<A: Actor> TestActor<A> {
    /// Fire timer `id`: deliver its message to the actor's `handle_send`.
    pub fn fire_timer(&mut self, id: TimerId) -> Result<(), String> {
        let msg = self.host().enter(|| with_state(|s| s.timers.fire(id)))?;
        self.send(&Raw(msg))
    }
}

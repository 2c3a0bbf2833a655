//! `theater:simple/timers`: messages this actor sends itself, once after a delay or every
//! interval. Each arrives at the actor's message handler (`handle_send`) through its
//! mailbox like any other message, and is recorded in its chain, so a replay sees the
//! same ticks. Needs `[[handler]] type = "timers"`; its `max_timers`, `min_interval_ms` and
//! `max_delay_ms` bound what may be asked. Timers end when the actor stops; a restarted
//! actor has none.
//!
//! ```no_run
//! # use theater_sdk::timers;
//! let tick = timers::set_interval(1_000, &serde_json::json!({"tick": {}}))?;
//! timers::cancel(tick)?;
//! # Ok::<(), String>(())
//! ```
//!
//! Natively, [`crate::TestHost::timers`] lists the timers and [`crate::TestActor::fire_timer`]
//! delivers one's message.

use crate::codec::Encode;
use crate::sys::timers as sys;

/// A timer of this actor.
pub type TimerId = u64;

/// Delivers `msg` to this actor once, `delay_ms` from now.
pub fn set_timeout(delay_ms: u64, msg: &impl Encode) -> Result<TimerId, String> {
    sys::set_timeout(delay_ms, &msg.encode()?)
}

/// Delivers `msg` to this actor every `interval_ms`, until cancelled.
pub fn set_interval(interval_ms: u64, msg: &impl Encode) -> Result<TimerId, String> {
    sys::set_interval(interval_ms, &msg.encode()?)
}

/// Stops a timer (a tick already in the mailbox is still delivered).
pub fn cancel(id: TimerId) -> Result<(), String> {
    sys::cancel(id)
}

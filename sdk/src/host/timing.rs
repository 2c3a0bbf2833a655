//! `theater:simple/timing`: the clock, in milliseconds since the Unix epoch. The only
//! clock an actor has; its readings are recorded so a replay sees the same times.

use crate::sys::timing as sys;

/// Now, in milliseconds since the Unix epoch.
pub fn now() -> u64 {
    sys::now()
}

/// Blocks the actor for `duration_ms` milliseconds.
pub fn sleep(duration_ms: u64) -> Result<(), String> {
    sys::sleep(duration_ms)
}

/// Blocks the actor until `timestamp_ms` (milliseconds since the Unix epoch).
pub fn deadline(timestamp_ms: u64) -> Result<(), String> {
    sys::deadline(timestamp_ms)
}

//! `theater:simple/random`: randomness from the host, recorded so a replay answers with
//! the same values.

use crate::sys::random as sys;

/// `length` random bytes.
pub fn random_bytes(length: u32) -> Result<Vec<u8>, String> {
    sys::random_bytes(length)
}

/// A random integer from `min` (inclusive) to `max` (exclusive).
pub fn random_range(min: u64, max: u64) -> Result<u64, String> {
    sys::random_range(min, max)
}

/// A random float in `[0, 1)`.
pub fn random_float() -> Result<f64, String> {
    sys::random_float()
}

/// A random (version 4) UUID in its usual text form.
pub fn generate_uuid() -> Result<String, String> {
    sys::generate_uuid()
}

//! Per-actor resource limits enforced inside wasmtime: linear memory through a
//! `ResourceLimiter` that fails the growing call with a message naming the manifest key,
//! and wall-clock time per call through epoch interruption, which also cuts a call short
//! when the runtime's shutdown deadline has passed; and the limits checked at the sandbox
//! boundary (rates, sizes, byte budgets), which raise [`LimitExceeded`].

use std::time::Instant;

use wasmtime::ResourceLimiter;

/// Raised (as a trap) when a guest grows its memory past `limits.memory_mb`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the actor tried to grow its memory to {desired_mb} MiB, past its limit of {limit_mb} MiB ([limits] memory_mb)")]
pub struct MemoryLimitExceeded {
    pub limit_mb: u64,
    pub desired_mb: u64,
}

/// Raised (as a trap) when one export call runs past `limits.call_timeout_ms`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the call ran longer than its limit of {limit_ms} ms ([limits] call_timeout_ms) and was stopped")]
pub struct CallTimeout {
    pub limit_ms: u64,
}

/// Raised when a guest passes a `[limits]` rate, size or budget at the sandbox boundary.
/// As a trap it fails the call (rates, event size); as a refusal it is the guest's error
/// (store and filesystem budgets).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{what}, over this actor's limit of {limit} ([limits] {key})")]
pub struct LimitExceeded {
    pub key: &'static str,
    pub limit: u64,
    pub what: String,
}

/// Counts events in the current one-second window.
#[derive(Debug, Default)]
pub(crate) struct Rate {
    window: Option<Instant>,
    count: u64,
}

impl Rate {
    /// Count one more; `false` once `limit` have been counted in the current second.
    pub(crate) fn admit(&mut self, limit: u64, now: Instant) -> bool {
        if self
            .window
            .is_none_or(|start| now.duration_since(start).as_secs() >= 1)
        {
            self.window = Some(now);
            self.count = 0;
        }
        self.count = self.count.saturating_add(1);
        self.count <= limit
    }
}

/// Raised (as a trap) when the runtime cuts a call short: it is shutting down and the
/// actor's time to stop has run out.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("interrupted: the runtime is shutting down and the actor's time to stop ran out")]
pub struct Interrupted;

/// Largest table a guest may grow to; tables hold function references, not data.
const MAX_TABLE_ELEMENTS: usize = 100_000;

/// The memory limiter kept in each actor's store.
pub struct Limiter {
    memory_bytes: usize,
    pub(crate) call_timeout_ms: u64,
}

impl Limiter {
    pub fn new(memory_mb: u64, call_timeout_ms: u64) -> Limiter {
        Limiter {
            memory_bytes: (memory_mb as usize) << 20,
            call_timeout_ms,
        }
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            return Err(MemoryLimitExceeded {
                limit_mb: (self.memory_bytes >> 20) as u64,
                desired_mb: desired.div_ceil(1 << 20) as u64,
            }
            .into());
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_rate_admits_its_limit_per_second() {
        let mut rate = Rate::default();
        let t = Instant::now();
        assert!((0..3).all(|_| rate.admit(3, t)));
        assert!(!rate.admit(3, t + Duration::from_millis(999)));
        assert!(
            rate.admit(3, t + Duration::from_secs(1)),
            "a new second starts a new count"
        );
    }
}

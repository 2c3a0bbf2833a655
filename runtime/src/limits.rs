//! Per-actor resource limits enforced inside wasmtime: linear memory through a
//! `ResourceLimiter` that fails the growing call with a message naming the manifest key,
//! and wall-clock time per call through epoch interruption, which also cuts a call short
//! when the runtime's shutdown deadline has passed.

use std::time::Instant;

use wasmtime::{ResourceLimiter, StoreContextMut, UpdateDeadline};

use crate::actor::ActorCtx;

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
        Limiter { memory_bytes: (memory_mb as usize) << 20, call_timeout_ms }
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            return Err(MemoryLimitExceeded { limit_mb: (self.memory_bytes >> 20) as u64, desired_mb: desired.div_ceil(1 << 20) as u64 }.into());
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

/// Called by wasmtime at each epoch tick while guest code runs: yield to other tasks, or
/// stop the call once its deadline has passed.
pub(crate) fn on_epoch(ctx: StoreContextMut<'_, ActorCtx>) -> wasmtime::Result<UpdateDeadline> {
    let data = ctx.data();
    if data.interrupted() {
        return Err(Interrupted.into());
    }
    if Instant::now() >= data.call_deadline {
        return Err(CallTimeout { limit_ms: data.limiter.call_timeout_ms }.into());
    }
    Ok(UpdateDeadline::Yield(1))
}

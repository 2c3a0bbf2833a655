//! One actor: its wasmtime store and instance, its export calls, and the task that feeds
//! it one message at a time from its bounded mailbox.

mod ctx;
mod error;
mod exports;
mod instance;
mod runner;

pub use ctx::{ActorCtx, Interrupter, LogLine, LogSink};
pub(crate) use ctx::Budget;
pub use error::{ActorError, CallError};
pub use instance::Cause;
pub use runner::{ActorHandle, ActorStatus, Envelope, Reply};

pub(crate) use instance::ActorInstance;
pub(crate) use runner::{contain, run, unrecorded, Exit};

//! One actor: its wasmtime store and instance, its export calls, and the task that feeds
//! it one message at a time from its bounded mailbox.

mod cause;
mod ctx;
mod error;
pub(crate) mod exports;
mod handle;
mod http_call;
mod http_dispatch;
mod instance;
mod interrupt;
mod mailbox;
mod replay_answer;
mod runner;
mod supervise;

pub use crate::status::ActorStatus;
pub use cause::Cause;
pub use ctx::{ActorCtx, LogLine, LogSink};
pub(crate) use ctx::{Budget, ShutdownRequest};
pub use error::{ActorError, CallError};
pub use handle::{ActorHandle, WeakActorHandle};
pub use http_call::{Answer, HttpCall};
pub use interrupt::Interrupter;
pub use mailbox::{Envelope, Reply};

pub(crate) use instance::ActorInstance;
pub(crate) use runner::{contain, run, unrecorded, Exit};
pub(crate) use supervise::restore_children;

//! Theater's host runtime: WebAssembly component actors in a sandbox that links only what
//! their manifest grants, with every crossing of the sandbox boundary recorded in a
//! hash-linked event chain persisted in SQLite.
//!
//! Start with [`Theater`]: `Theater::new(TheaterConfig::new(None))?.spawn(manifest, None, None)`.

pub mod actor;
pub mod actor_label;
pub mod attenuation;
mod bindings;
pub mod capacity;
pub mod chain_page;
mod channels;
mod component_cache;
pub mod component_store;
mod engine;
mod error;
pub mod handlers;
pub mod ids;
#[cfg(feature = "http-framework")]
pub mod limited_listener;
mod limits;
pub mod listeners;
pub mod manifest;
pub mod manifest_files;
pub mod manifest_http;
mod manifest_read;
pub mod manifest_upstream;
pub mod names;
mod recorded_start;
pub mod replay;
mod replay_feed;
mod resume;
pub mod sandbox;
mod shutdown;
mod status;
mod supervision;
pub mod system;
mod theater;
mod wait_for;

/// The event chain (the `theater-chain` crate), re-exported for embedders and handlers.
pub use theater_chain as chain;
pub use theater_chain::paths;

pub use actor::{ActorError, ActorHandle, ActorStatus, CallError, LogLine, LogSink};
pub use engine::EngineConfig;
pub use error::RuntimeError;
pub use limits::{CallTimeout, Interrupted, MemoryLimitExceeded};
pub use manifest::Manifest;
pub use resume::{NotResumed, ResumeReport, ResumedTree};
pub use shutdown::ShutdownReport;
pub use system::{ActorInfo, ActorSystem};
pub use theater::{Theater, TheaterConfig};
pub use wait_for::WaitGuard;

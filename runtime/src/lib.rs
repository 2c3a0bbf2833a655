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
pub mod chain;
pub mod component_store;
mod engine;
mod error;
mod handlers;
pub mod ids;
mod limits;
pub mod manifest;
pub mod manifest_files;
pub mod names;
pub mod paths;
pub mod replay;
pub mod sandbox;
pub mod server;
mod shutdown;
pub mod state_view;
mod supervision;
mod theater;

pub use actor::{ActorError, ActorHandle, ActorStatus, CallError, LogLine, LogSink};
pub use engine::EngineConfig;
pub use error::RuntimeError;
pub use limits::{CallTimeout, Interrupted, MemoryLimitExceeded};
pub use manifest::Manifest;
pub use shutdown::ShutdownReport;
pub use theater::{ActorInfo, Theater, TheaterConfig};

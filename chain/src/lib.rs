//! The event chain: one hash-linked sequence of events per actor, persisted in SQLite.
//! See docs/chain-format.md for the exact hashed layout and the export format.
//!
//! This crate has no WebAssembly engine in it: tools that only read, verify or export
//! chains (`theater events`, `export`, `verify`, `key`) depend on it alone. The runtime
//! re-exports it as `theater_runtime::chain`.

mod backpressure;
mod checkpoint;
mod committed_state;
mod event;
pub mod export;
mod fault;
pub mod paths;
pub mod payload;
mod process;
mod reader;
mod recorder;
mod resume;
mod rows;
mod schema;
pub mod signing;
pub mod state_view;
mod store;
#[cfg(test)]
mod tests;
pub mod verify;
mod writer;

pub use backpressure::{QUEUE_BYTES, QUEUE_EVENTS};
pub use checkpoint::Checkpoint;
pub use committed_state::state_hash;
pub use event::{compute_hash, sha256, Event, Hash, HASH_DOMAIN};
pub use process::{INTERRUPTED, INTERRUPTED_STATUS};
pub use reader::{ChainReader, MIN_ID_PREFIX};
pub use recorder::ActorChain;
pub use resume::{ClaimedChain, DormantActor};
pub use rows::{ActorRecord, EventFilter};
pub use signing::SignedHead;
pub use store::{ChainClock, ChainDb, ChainOptions, ChainSink, ChainUpdate, Durability};

/// Failures of the chain's storage or integrity.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("chain database {path}: {source}")]
    Db {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("no chain database at {0}\n  hint: run an actor first, or pass the --data-dir the actor ran with")]
    NoDatabase(String),
    #[error("no actor {0} in the chain database\n  hint: `theater events` with no id lists the recorded actors")]
    UnknownActor(String),
    #[error("the chain writer has stopped: {0}")]
    WriterGone(String),
    #[error("{0}")]
    Write(String),
    #[error("{0}")]
    Key(String),
    #[error("cannot read chain file {path}: {reason}")]
    File { path: String, reason: String },
}

/// Stored values (state blobs) by hash: from the database, or from an export file.
pub type BlobLookup = dyn Fn(&Hash) -> Option<Vec<u8>> + Send + Sync;

/// Milliseconds since the Unix epoch, the chain's clock.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

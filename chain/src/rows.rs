//! The database's rows as types: a recorded actor, which events to read, and how a
//! database error names the file it came from. Shared by the reader, the writer and the
//! store.

use std::path::Path;

use super::ChainError;

/// An actor as recorded in the database.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ActorRecord {
    pub actor_id: String,
    pub name: String,
    pub parent_id: Option<String>,
    /// The manifest's origin (its path, or `<inline>`).
    pub manifest: String,
    pub created_ms: u64,
    /// Last status written: running, stopped, failed: …, interrupted.
    pub status: String,
    pub events: u64,
}

/// Which events to read.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Skip events before this sequence number.
    pub from_seq: u64,
    /// At most this many events (all if `None`).
    pub limit: Option<u64>,
    /// Only events whose type starts with this prefix.
    pub type_prefix: Option<String>,
}

pub(crate) fn db_err(path: &Path) -> impl Fn(rusqlite::Error) -> ChainError + '_ {
    move |source| ChainError::Db {
        path: path.display().to_string(),
        source,
    }
}

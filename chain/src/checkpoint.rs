//! Folding the write-ahead log back into the database file. SQLite in WAL mode keeps recent
//! commits in `chains.db-wal` until a checkpoint; after a clean shutdown the database file
//! alone must be complete, so it can be copied, mailed or opened read-only on its own.

use std::time::Duration;

use rusqlite::Connection;

use super::rows::db_err;
use super::store::ChainDb;
use super::ChainError;

/// How long to wait for other processes' readers and writers before giving up: a busy
/// database is not an error here, only a log the next checkpoint folds in.
const CHECKPOINT_WAIT: Duration = Duration::from_secs(1);

/// How a checkpoint went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checkpoint {
    /// Every committed frame is in the database file and the log is empty.
    Complete,
    /// Another connection (another process sharing the directory) was reading or writing,
    /// so the log still holds commits; its last closer folds them in.
    Busy,
}

impl ChainDb {
    /// Copy every committed frame of the log into the database file and truncate the log
    /// (`PRAGMA wal_checkpoint(TRUNCATE)`). Call after a flush, when this process is done.
    pub fn checkpoint(&self) -> Result<Checkpoint, ChainError> {
        let path = self.path();
        let conn = Connection::open(path).map_err(db_err(path))?;
        conn.busy_timeout(CHECKPOINT_WAIT).map_err(db_err(path))?;
        let busy: i64 = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))
            .map_err(db_err(path))?;
        Ok(if busy == 0 {
            Checkpoint::Complete
        } else {
            Checkpoint::Busy
        })
    }
}

//! The database side of resuming a server's actors. An actor is flagged `resume` when the
//! `theater server` running it stopped (the actors running at its shutdown) or died (set
//! by the next writer's recovery, see `process`). The next server lists the flagged
//! actors, claims each one it brings back — it becomes the owner, the flag is cleared —
//! and continues its chain where it ended.

use rusqlite::{params, Connection, OptionalExtension};

use super::fault::StoredEnd;
use super::rows::db_err;
use super::store::ChainDb;
use super::writer::stored_end;
use super::{ChainError, Hash};

/// An actor a previous server left running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DormantActor {
    pub actor_id: String,
    pub parent_id: Option<String>,
    /// Its status when that server ended (`stopped`, `interrupted`, …).
    pub status: String,
}

/// A chain claimed for appending: its database key and where it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimedChain {
    pub key: i64,
    pub next_seq: u64,
    pub head: Option<Hash>,
}

impl ChainDb {
    /// A connection for the rare writes that do not go through the writer thread.
    fn side_connection(&self) -> Result<Connection, ChainError> {
        let conn = Connection::open(self.path()).map_err(db_err(self.path()))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db_err(self.path()))?;
        Ok(conn)
    }

    /// Every actor flagged for resuming that no process runs, oldest first (so parents come
    /// before their children, and children in start order).
    pub fn dormant(&self) -> Result<Vec<DormantActor>, ChainError> {
        let conn = self.side_connection()?;
        let mut stmt = conn
            .prepare("SELECT actor_id, parent_id, status FROM actors WHERE resume = 1 AND status != 'running' ORDER BY key")
            .map_err(db_err(self.path()))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(DormantActor {
                    actor_id: r.get(0)?,
                    parent_id: r.get(1)?,
                    status: r.get(2)?,
                })
            })
            .map_err(db_err(self.path()))?;
        rows.collect::<Result<_, _>>().map_err(db_err(self.path()))
    }

    /// Flag actors (the ones running when this server began its shutdown) for resuming by
    /// the next server. Only a server's database does so.
    pub fn mark_resumable(&self, actor_ids: &[String]) -> Result<(), ChainError> {
        if !self.resumable() || actor_ids.is_empty() {
            return Ok(());
        }
        let mut conn = self.side_connection()?;
        let tx = conn.transaction().map_err(db_err(self.path()))?;
        for id in actor_ids {
            tx.execute(
                "UPDATE actors SET resume = 1 WHERE actor_id = ?1 AND owner = ?2",
                params![id, self.owner()],
            )
            .map_err(db_err(self.path()))?;
        }
        tx.commit().map_err(db_err(self.path()))
    }

    /// Clear an actor's resume flag (it is not coming back).
    pub fn forget_resume(&self, actor_id: &str) -> Result<(), ChainError> {
        let conn = self.side_connection()?;
        conn.execute(
            "UPDATE actors SET resume = 0 WHERE actor_id = ?1",
            [actor_id],
        )
        .map_err(db_err(self.path()))?;
        Ok(())
    }

    /// Take over a dormant actor's chain: this process becomes its owner and its flag is
    /// cleared, atomically, so two servers can never both resume it. `None` if it is not
    /// dormant (any more).
    pub fn claim(&self, actor_id: &str) -> Result<Option<ClaimedChain>, ChainError> {
        let mut conn = self.side_connection()?;
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db_err(self.path()))?;
        let key: Option<i64> = tx
            .query_row(
                "UPDATE actors SET owner = ?1, resume = 0 WHERE actor_id = ?2 AND resume = 1 AND status != 'running' RETURNING key",
                params![self.owner(), actor_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err(self.path()))?;
        let Some(key) = key else { return Ok(None) };
        let StoredEnd { next_seq, head } = stored_end(&tx, key).map_err(db_err(self.path()))?;
        tx.commit().map_err(db_err(self.path()))?;
        Ok(Some(ClaimedChain {
            key,
            next_seq,
            head,
        }))
    }
}

//! Reading a chain database, while any number of processes write it. Chains are read
//! row by row ([`ChainReader::scan`]), so verifying or exporting one takes constant memory
//! whatever its length.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::process::{is_dead, INTERRUPTED_STATUS};
use super::rows::{db_err, ActorRecord, EventFilter};
use super::signing::{latest_head, SignedHead};
use super::{schema, ChainError, Event, Hash};

/// Shortest prefix of an actor id accepted in place of the whole id: eight hex digits of a
/// UUID leave about four billion possibilities, too many to guess.
pub const MIN_ID_PREFIX: usize = 8;

/// A read-only view of a chain database, usable while a server writes to it.
pub struct ChainReader {
    conn: Connection,
    path: PathBuf,
}

impl ChainReader {
    /// Open an existing database for reading.
    pub fn open(path: &Path) -> Result<ChainReader, ChainError> {
        if !path.is_file() {
            return Err(ChainError::NoDatabase(path.display().to_string()));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(db_err(path))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db_err(path))?;
        Ok(ChainReader {
            conn,
            path: path.to_path_buf(),
        })
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> ChainError + '_ {
        db_err(&self.path)
    }

    /// The query of actor rows; databases older than process tracking have no owners.
    fn actor_query(&self, tail: &str) -> Result<String, ChainError> {
        let owner = if schema::version(&self.conn).map_err(self.err())? >= 2 {
            "a.owner"
        } else {
            "NULL"
        };
        Ok(format!(
            "SELECT a.actor_id, a.name, a.parent_id, a.manifest, a.created_ms, a.status,
                    (SELECT COUNT(*) FROM events e WHERE e.actor = a.key), {owner}
             FROM actors a {tail}"
        ))
    }

    /// Every recorded actor, oldest first.
    pub fn actors(&self) -> Result<Vec<ActorRecord>, ChainError> {
        let sql = self.actor_query("ORDER BY a.key")?;
        let mut stmt = self.conn.prepare(&sql).map_err(self.err())?;
        let rows = stmt.query_map([], row_to_actor).map_err(self.err())?;
        let rows = rows.collect::<Result<Vec<_>, _>>().map_err(self.err())?;
        Ok(rows
            .into_iter()
            .map(|row| self.with_live_status(row))
            .collect())
    }

    /// One actor, found by its id or by a unique prefix of it.
    pub fn actor(&self, id: &str) -> Result<ActorRecord, ChainError> {
        let key = self.key_of(id)?;
        let sql = self.actor_query("WHERE a.key = ?1")?;
        let row = self
            .conn
            .query_row(&sql, [key], row_to_actor)
            .map_err(self.err())?;
        Ok(self.with_live_status(row))
    }

    /// An actor recorded `running` whose process is gone is shown as interrupted, even
    /// before the next writer records it so (readers never write). Actors recorded before
    /// process tracking have no owner and are marked by the next writer instead.
    fn with_live_status(&self, (mut record, owner): (ActorRecord, Option<i64>)) -> ActorRecord {
        if record.status == "running" && self.owner_is_dead(owner) {
            record.status = INTERRUPTED_STATUS.to_string();
        }
        record
    }

    fn owner_is_dead(&self, owner: Option<i64>) -> bool {
        let locks = self.path.parent().unwrap_or(Path::new(".")).join("locks");
        owner.is_some_and(|id| is_dead(&locks, id))
    }

    fn key_of(&self, id: &str) -> Result<i64, ChainError> {
        let exact: Option<i64> = self
            .conn
            .query_row("SELECT key FROM actors WHERE actor_id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(self.err())?;
        if let Some(k) = exact {
            return Ok(k);
        }
        if id.len() < MIN_ID_PREFIX {
            return Err(ChainError::UnknownActor(id.to_string()));
        }
        // A literal, case-sensitive prefix match: LIKE would treat `%` and `_` as wildcards
        // and ignore case.
        let mut stmt = self
            .conn
            .prepare("SELECT key FROM actors WHERE substr(actor_id, 1, length(?1)) = ?1 LIMIT 2")
            .map_err(self.err())?;
        let keys = stmt
            .query_map([id], |r| r.get::<_, i64>(0))
            .map_err(self.err())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.err())?;
        match keys.as_slice() {
            [k] => Ok(*k),
            _ => Err(ChainError::UnknownActor(id.to_string())),
        }
    }

    /// How many events an actor's chain holds (its next sequence number).
    pub fn len(&self, id: &str) -> Result<u64, ChainError> {
        let key = self.key_of(id)?;
        let next: i64 = self
            .conn
            .query_row(
                "SELECT COALESCE(MAX(seq) + 1, 0) FROM events WHERE actor = ?1",
                [key],
                |r| r.get(0),
            )
            .map_err(self.err())?;
        Ok(u64::try_from(next).unwrap_or(0))
    }

    /// An actor's events in order, with parents filled in from the previous row.
    pub fn events(&self, id: &str, filter: &EventFilter) -> Result<Vec<Event>, ChainError> {
        let mut out = Vec::new();
        self.scan(id, filter.from_seq, |event| {
            if filter
                .type_prefix
                .as_deref()
                .is_none_or(|p| event.event_type.starts_with(p))
            {
                out.push(event);
            }
            Ok(filter.limit.is_none_or(|l| (out.len() as u64) < l))
        })?;
        Ok(out)
    }

    /// Visit an actor's events from `from_seq` in order, one row at a time, until `visit`
    /// returns false. Parents are filled in from the previous row.
    pub fn scan<E>(
        &self,
        id: &str,
        from_seq: u64,
        mut visit: impl FnMut(Event) -> Result<bool, E>,
    ) -> Result<(), E>
    where
        E: From<ChainError>,
    {
        let key = self.key_of(id)?;
        // Sequence numbers are SQLite integers: a larger `from_seq` is past every event.
        let from = i64::try_from(from_seq).unwrap_or(i64::MAX);
        // The parent of the first event read is the hash of the one before it.
        let mut parent: Option<Hash> = match from.checked_sub(1).filter(|_| from > 0) {
            None => None,
            Some(before) => self
                .conn
                .query_row(
                    "SELECT hash FROM events WHERE actor = ?1 AND seq = ?2",
                    params![key, before],
                    |r| r.get::<_, Vec<u8>>(0),
                )
                .optional()
                .map_err(self.err())?
                .and_then(|h| h.try_into().ok()),
        };
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, event_type, timestamp_ms, payload, hash FROM events WHERE actor = ?1 AND seq >= ?2 ORDER BY seq")
            .map_err(self.err())?;
        let mut rows = stmt.query(params![key, from]).map_err(self.err())?;
        while let Some(row) = rows.next().map_err(self.err())? {
            let hash_bytes: Vec<u8> = row.get(4).map_err(self.err())?;
            // A stored hash of the wrong length is corruption; keep it visible to verify
            // by padding rather than failing the read.
            let mut hash = [0u8; 32];
            let n = hash_bytes.len().min(32);
            hash[..n].copy_from_slice(&hash_bytes[..n]);
            let event = Event {
                seq: row.get::<_, i64>(0).map_err(self.err())? as u64,
                parent,
                event_type: row.get(1).map_err(self.err())?,
                timestamp_ms: row.get::<_, i64>(2).map_err(self.err())? as u64,
                payload: row.get(3).map_err(self.err())?,
                hash,
            };
            parent = Some(hash);
            if !visit(event)? {
                break;
            }
        }
        Ok(())
    }

    /// The latest signed head of an actor (none for chains written before heads were signed).
    pub fn signed_head(&self, id: &str) -> Result<Option<SignedHead>, ChainError> {
        let key = self.key_of(id)?;
        if schema::version(&self.conn).map_err(self.err())? < 2 {
            return Ok(None);
        }
        latest_head(&self.conn, key).map_err(self.err())
    }

    /// A stored blob (a state value) by its SHA-256.
    pub fn blob(&self, hash: &Hash) -> Result<Option<Vec<u8>>, ChainError> {
        self.conn
            .query_row("SELECT data FROM blobs WHERE hash = ?1", [&hash[..]], |r| {
                r.get(0)
            })
            .optional()
            .map_err(self.err())
    }
}

fn row_to_actor(r: &rusqlite::Row<'_>) -> rusqlite::Result<(ActorRecord, Option<i64>)> {
    let record = ActorRecord {
        actor_id: r.get(0)?,
        name: r.get(1)?,
        parent_id: r.get(2)?,
        manifest: r.get(3)?,
        created_ms: r.get::<_, i64>(4)? as u64,
        status: r.get(5)?,
        events: r.get::<_, i64>(6)? as u64,
    };
    Ok((record, r.get(7)?))
}

#[cfg(test)]
mod prefix_tests {
    use super::*;
    use crate::ChainDb;
    use std::sync::Arc;

    #[test]
    fn id_prefixes_match_literally_from_eight_characters() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chains.db");
        let db = ChainDb::open(&path).unwrap();
        let record = |id: &str| ActorRecord {
            actor_id: id.into(),
            name: "a".into(),
            parent_id: None,
            manifest: "m.toml".into(),
            created_ms: 0,
            status: "running".into(),
            events: 0,
        };
        let keys: Vec<i64> = ["abcdefgh-one", "abcdefgX-two", "ABCDEFGH-three"]
            .iter()
            .map(|id| db.sink().register_actor_blocking(record(id)).unwrap())
            .collect();
        let event = Event::new(0, None, "t".into(), 0, vec![]);
        db.sink().append(keys[0], &Arc::from("abcdefgh-one"), event);
        db.sink().flush().unwrap();
        let reader = ChainReader::open(&path).unwrap();
        assert_eq!(
            reader.actor("abcdefgh").unwrap().actor_id,
            "abcdefgh-one",
            "case-sensitive and unique"
        );
        assert_eq!(reader.actor("abcdefgX").unwrap().actor_id, "abcdefgX-two");
        for id in [
            "abcd", "abcdefg", "abcdefg_", "abcdefg%", "abcdef%%", "%%%%%%%%", "________",
        ] {
            assert!(
                matches!(reader.actor(id), Err(ChainError::UnknownActor(_))),
                "{id} must not match"
            );
        }
        let all = EventFilter {
            from_seq: 0,
            limit: None,
            type_prefix: None,
        };
        assert_eq!(reader.events("abcdefgh-one", &all).unwrap().len(), 1);
        for from_seq in [u64::MAX, 1 << 63] {
            let filter = EventFilter {
                from_seq,
                limit: None,
                type_prefix: None,
            };
            assert!(
                reader.events("abcdefgh-one", &filter).unwrap().is_empty(),
                "{from_seq} is past every event, not a wrap to 0"
            );
        }
    }
}

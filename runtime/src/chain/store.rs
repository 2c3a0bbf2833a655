//! SQLite persistence for chains. One writer thread owns the write connection and commits
//! whatever has queued up in one transaction, so actors never wait for the disk; readers
//! use their own connections (WAL mode lets them read while the writer writes).
//!
//! The parent hash is not stored: it is the previous row's hash, and verification
//! recomputes every link, so storing it would only add bytes per event.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::{ChainError, Event, Hash};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS actors (
    key         INTEGER PRIMARY KEY,
    actor_id    TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    parent_id   TEXT,
    manifest    TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    status      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    actor        INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    event_type   TEXT NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    payload      BLOB NOT NULL,
    hash         BLOB NOT NULL,
    PRIMARY KEY (actor, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs (
    hash BLOB PRIMARY KEY,
    data BLOB NOT NULL
) WITHOUT ROWID;
";

/// Largest number of queued writes committed in one transaction.
const MAX_BATCH: usize = 8192;

/// Shortest prefix of an actor id accepted in place of the whole id: eight hex digits of a
/// UUID leave about four billion possibilities, too many to guess.
pub const MIN_ID_PREFIX: usize = 8;

/// An actor as recorded in the database.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ActorRecord {
    pub actor_id: String,
    pub name: String,
    pub parent_id: Option<String>,
    /// The manifest's origin (its path, or `<inline>`).
    pub manifest: String,
    pub created_ms: u64,
    /// Last status written: running, stopped, failed.
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

enum WriteOp {
    Actor { key: i64, record: ActorRecord },
    Status { key: i64, status: String },
    Event { actor: i64, event: Event },
    Blob { hash: Hash, data: Vec<u8> },
    Flush(FlushReply),
}

/// Who is waiting for a flush: a plain thread, or an async task.
enum FlushReply {
    Blocking(mpsc::SyncSender<Result<(), String>>),
    Async(tokio::sync::oneshot::Sender<Result<(), String>>),
}

impl FlushReply {
    fn send(self, result: Result<(), String>) {
        let _ = match self {
            FlushReply::Blocking(tx) => tx.send(result).map_err(|_| ()),
            FlushReply::Async(tx) => tx.send(result).map_err(|_| ()),
        };
    }
}

/// An event as it is appended, for live subscribers (`theater subscribe`, the server's SSE).
#[derive(Debug, Clone)]
pub struct ChainUpdate {
    pub actor_id: Arc<str>,
    pub event: Event,
}

/// How many appended events a slow subscriber may fall behind before it misses some.
const SUBSCRIBER_BUFFER: usize = 4096;

/// The cloneable sending side of the writer: cheap to hold per actor.
#[derive(Clone)]
pub struct ChainSink {
    tx: mpsc::Sender<WriteOp>,
    next_key: Arc<AtomicI64>,
    updates: tokio::sync::broadcast::Sender<ChainUpdate>,
}

impl ChainSink {
    /// Register a new actor; returns the database key its events are filed under.
    pub fn register_actor(&self, record: ActorRecord) -> i64 {
        let key = self.next_key.fetch_add(1, Ordering::Relaxed);
        let _ = self.tx.send(WriteOp::Actor { key, record });
        key
    }

    pub fn set_status(&self, key: i64, status: &str) {
        let _ = self.tx.send(WriteOp::Status { key, status: status.to_string() });
    }

    pub fn append(&self, actor: i64, actor_id: &Arc<str>, event: Event) {
        // Publishing costs a clone, so only when someone is listening.
        if self.updates.receiver_count() > 0 {
            let _ = self.updates.send(ChainUpdate { actor_id: actor_id.clone(), event: event.clone() });
        }
        let _ = self.tx.send(WriteOp::Event { actor, event });
    }

    /// Every event appended from now on, by any actor of this database's runtime.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<ChainUpdate> {
        self.updates.subscribe()
    }

    pub fn put_blob(&self, hash: Hash, data: Vec<u8>) {
        let _ = self.tx.send(WriteOp::Blob { hash, data });
    }

    /// Block until everything sent before this call is committed. Not for async tasks.
    pub fn flush(&self) -> Result<(), ChainError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.tx.send(WriteOp::Flush(FlushReply::Blocking(tx))).map_err(|_| writer_gone())?;
        rx.recv().map_err(|_| writer_gone())?.map_err(ChainError::WriterGone)
    }

    /// Wait until everything sent before this call is committed.
    pub async fn flush_async(&self) -> Result<(), ChainError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.tx.send(WriteOp::Flush(FlushReply::Async(tx))).map_err(|_| writer_gone())?;
        rx.await.map_err(|_| writer_gone())?.map_err(ChainError::WriterGone)
    }
}

/// The chain database: owns the writer thread and opens read connections.
pub struct ChainDb {
    path: PathBuf,
    sink: ChainSink,
    writer: Mutex<Option<JoinHandle<()>>>,
}

fn writer_gone() -> ChainError {
    ChainError::WriterGone("writer thread exited".into())
}

fn db_err(path: &Path) -> impl Fn(rusqlite::Error) -> ChainError + '_ {
    move |source| ChainError::Db { path: path.display().to_string(), source }
}

impl ChainDb {
    /// Open (creating if needed) the database at `path` and start its writer.
    pub fn open(path: &Path) -> Result<ChainDb, ChainError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| ChainError::File { path: dir.display().to_string(), reason: e.to_string() })?;
        }
        let conn = Connection::open(path).map_err(db_err(path))?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(db_err(path))?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(db_err(path))?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(db_err(path))?;
        conn.execute_batch(SCHEMA).map_err(db_err(path))?;
        let max_key: i64 = conn.query_row("SELECT COALESCE(MAX(key), 0) FROM actors", [], |r| r.get(0)).map_err(db_err(path))?;
        let (tx, rx) = mpsc::channel();
        let thread_path = path.to_path_buf();
        let writer = std::thread::Builder::new()
            .name("theater-chain-writer".into())
            .spawn(move || writer_loop(conn, rx, &thread_path))
            .map_err(|e| ChainError::WriterGone(e.to_string()))?;
        Ok(ChainDb {
            path: path.to_path_buf(),
            sink: ChainSink { tx, next_key: Arc::new(AtomicI64::new(max_key + 1)), updates: tokio::sync::broadcast::channel(SUBSCRIBER_BUFFER).0 },
            writer: Mutex::new(Some(writer)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn sink(&self) -> ChainSink {
        self.sink.clone()
    }

    /// A read connection to this database.
    pub fn reader(&self) -> Result<ChainReader, ChainError> {
        ChainReader::open(&self.path)
    }

    /// Commit everything queued and stop the writer. Later writes are dropped.
    pub fn close(&self) -> Result<(), ChainError> {
        let result = self.sink.flush();
        let handle = self.writer.lock().ok().and_then(|mut w| w.take());
        // Dropping our sender is not enough (actors hold clones); the writer exits when
        // every sender is gone. We only wait for the flush above.
        drop(handle);
        result
    }
}

fn writer_loop(mut conn: Connection, rx: mpsc::Receiver<WriteOp>, path: &Path) {
    let mut failure: Option<String> = None;
    while let Ok(first) = rx.recv() {
        let mut flushes = Vec::new();
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let result = write_batch(&mut conn, batch, &mut flushes);
        if let Err(e) = result {
            let message = format!("writing {}: {e}", path.display());
            tracing::error!("{message}");
            failure = Some(message);
        }
        for f in flushes {
            f.send(failure.clone().map_or(Ok(()), Err));
        }
    }
}

fn write_batch(conn: &mut Connection, batch: Vec<WriteOp>, flushes: &mut Vec<FlushReply>) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    {
        let mut insert_event = tx.prepare_cached(
            "INSERT OR IGNORE INTO events (actor, seq, event_type, timestamp_ms, payload, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut insert_blob = tx.prepare_cached("INSERT OR IGNORE INTO blobs (hash, data) VALUES (?1, ?2)")?;
        for op in batch {
            match op {
                WriteOp::Event { actor, event } => {
                    insert_event.execute(params![
                        actor,
                        event.seq as i64,
                        event.event_type,
                        event.timestamp_ms as i64,
                        event.payload,
                        &event.hash[..]
                    ])?;
                }
                WriteOp::Blob { hash, data } => {
                    insert_blob.execute(params![&hash[..], data])?;
                }
                WriteOp::Actor { key, record } => {
                    tx.execute(
                        "INSERT OR REPLACE INTO actors (key, actor_id, name, parent_id, manifest, created_ms, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![key, record.actor_id, record.name, record.parent_id, record.manifest, record.created_ms as i64, record.status],
                    )?;
                }
                WriteOp::Status { key, status } => {
                    tx.execute("UPDATE actors SET status = ?1 WHERE key = ?2", params![status, key])?;
                }
                WriteOp::Flush(reply) => flushes.push(reply),
            }
        }
    }
    tx.commit()
}

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
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(db_err(path))?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(db_err(path))?;
        Ok(ChainReader { conn, path: path.to_path_buf() })
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> ChainError + '_ {
        db_err(&self.path)
    }

    /// Every recorded actor, oldest first.
    pub fn actors(&self) -> Result<Vec<ActorRecord>, ChainError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT a.actor_id, a.name, a.parent_id, a.manifest, a.created_ms, a.status,
                        (SELECT COUNT(*) FROM events e WHERE e.actor = a.key)
                 FROM actors a ORDER BY a.key",
            )
            .map_err(self.err())?;
        let rows = stmt.query_map([], row_to_actor).map_err(self.err())?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.err())
    }

    /// One actor, found by its id or by a unique prefix of it.
    pub fn actor(&self, id: &str) -> Result<ActorRecord, ChainError> {
        let key = self.key_of(id)?;
        self.conn
            .query_row(
                "SELECT a.actor_id, a.name, a.parent_id, a.manifest, a.created_ms, a.status,
                        (SELECT COUNT(*) FROM events e WHERE e.actor = a.key)
                 FROM actors a WHERE a.key = ?1",
                [key],
                row_to_actor,
            )
            .map_err(self.err())
    }

    fn key_of(&self, id: &str) -> Result<i64, ChainError> {
        let exact: Option<i64> =
            self.conn.query_row("SELECT key FROM actors WHERE actor_id = ?1", [id], |r| r.get(0)).optional().map_err(self.err())?;
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
        let keys = stmt.query_map([id], |r| r.get::<_, i64>(0)).map_err(self.err())?.collect::<Result<Vec<_>, _>>().map_err(self.err())?;
        match keys.as_slice() {
            [k] => Ok(*k),
            _ => Err(ChainError::UnknownActor(id.to_string())),
        }
    }

    /// An actor's events in order, with parents filled in from the previous row.
    pub fn events(&self, id: &str, filter: &EventFilter) -> Result<Vec<Event>, ChainError> {
        let key = self.key_of(id)?;
        // The parent of the first event read is the hash of the one before it.
        // Sequence numbers are SQLite integers: a larger `from_seq` is past every event.
        let from = i64::try_from(filter.from_seq).unwrap_or(i64::MAX);
        let mut parent: Option<Hash> = if from == 0 {
            None
        } else {
            self.conn
                .query_row("SELECT hash FROM events WHERE actor = ?1 AND seq = ?2", params![key, from - 1], |r| {
                    r.get::<_, Vec<u8>>(0)
                })
                .optional()
                .map_err(self.err())?
                .and_then(|h| h.try_into().ok())
        };
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, event_type, timestamp_ms, payload, hash FROM events WHERE actor = ?1 AND seq >= ?2 ORDER BY seq",
            )
            .map_err(self.err())?;
        let mut rows = stmt.query(params![key, from]).map_err(self.err())?;
        let mut out = Vec::new();
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
            if filter.type_prefix.as_deref().is_some_and(|p| !event.event_type.starts_with(p)) {
                continue;
            }
            out.push(event);
            if filter.limit.is_some_and(|l| out.len() as u64 >= l) {
                break;
            }
        }
        Ok(out)
    }

    /// A stored blob (a state value) by its SHA-256.
    pub fn blob(&self, hash: &Hash) -> Result<Option<Vec<u8>>, ChainError> {
        self.conn.query_row("SELECT data FROM blobs WHERE hash = ?1", [&hash[..]], |r| r.get(0)).optional().map_err(self.err())
    }
}

fn row_to_actor(r: &rusqlite::Row<'_>) -> rusqlite::Result<ActorRecord> {
    Ok(ActorRecord {
        actor_id: r.get(0)?,
        name: r.get(1)?,
        parent_id: r.get(2)?,
        manifest: r.get(3)?,
        created_ms: r.get::<_, i64>(4)? as u64,
        status: r.get(5)?,
        events: r.get::<_, i64>(6)? as u64,
    })
}

#[cfg(test)]
mod prefix_tests {
    use super::*;

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
        let keys: Vec<i64> = ["abcdefgh-one", "abcdefgX-two", "ABCDEFGH-three"].iter().map(|id| db.sink().register_actor(record(id))).collect();
        let event = Event { seq: 0, parent: None, event_type: "t".into(), timestamp_ms: 0, payload: vec![], hash: [0; 32] };
        db.sink().append(keys[0], &Arc::from("abcdefgh-one"), event);
        db.sink().flush().unwrap();
        let reader = ChainReader::open(&path).unwrap();
        assert_eq!(reader.actor("abcdefgh").unwrap().actor_id, "abcdefgh-one", "case-sensitive and unique");
        assert_eq!(reader.actor("abcdefgX").unwrap().actor_id, "abcdefgX-two");
        for id in ["abcd", "abcdefg", "abcdefg_", "abcdefg%", "abcdef%%", "%%%%%%%%", "________"] {
            assert!(matches!(reader.actor(id), Err(ChainError::UnknownActor(_))), "{id} must not match");
        }
        let all = EventFilter { from_seq: 0, limit: None, type_prefix: None };
        assert_eq!(reader.events("abcdefgh-one", &all).unwrap().len(), 1);
        for from_seq in [u64::MAX, 1 << 63] {
            let filter = EventFilter { from_seq, limit: None, type_prefix: None };
            assert!(reader.events("abcdefgh-one", &filter).unwrap().is_empty(), "{from_seq} is past every event, not a wrap to 0");
        }
    }
}

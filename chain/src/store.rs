//! The chain database of one data directory, as this process writes it: opening (schema
//! migration, registering this process, marking the actors of dead processes interrupted),
//! and [`ChainSink`], the cheap handle actors append through. One writer thread per process
//! owns the write connection (see `writer`); readers use their own connections (WAL mode
//! lets them read while writers write). Any number of processes may open one database.
//!
//! The parent hash is not stored: it is the previous row's hash, and verification
//! recomputes every link, so storing it would only add bytes per event.

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use super::backpressure::{Budget, QUEUE_BYTES, QUEUE_EVENTS};
use super::fault::FaultSlot;
use super::process::{self, ProcessLock};
use super::reader::ChainReader;
use super::rows::{db_err, ActorRecord};
use super::signing::{SignedHead, Signer};
use super::writer::{Reply, WriteOp, Writer};
use super::{schema, ChainError, Event, Hash};

/// How long a writer waits for another process's transaction before a write fails (and is
/// retried).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// What survives which crash once the writer has committed it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Durability {
    /// `synchronous = NORMAL`: committed events survive the process being killed; a power
    /// loss or OS crash may lose the last commits (never corrupt the chain).
    #[default]
    ProcessCrash,
    /// `synchronous = FULL`: every commit is on disk before it is acknowledged.
    PowerLoss,
}

impl std::str::FromStr for Durability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "process-crash" => Ok(Durability::ProcessCrash),
            "power-loss" => Ok(Durability::PowerLoss),
            other => Err(format!(
                "unknown durability {other:?}: use \"process-crash\" or \"power-loss\""
            )),
        }
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
    budget: Arc<Budget>,
    signer: Arc<Signer>,
    updates: tokio::sync::broadcast::Sender<ChainUpdate>,
    clock: ChainClock,
}

impl ChainSink {
    fn send(&self, op: WriteOp) -> Result<(), ChainError> {
        if let Some(bytes) = op.queued_bytes() {
            self.budget.charge(bytes);
        }
        self.tx.send(op).map_err(|_| writer_gone())
    }

    /// Register a new actor; returns the key the database allocated for its events.
    pub async fn register_actor(&self, record: ActorRecord) -> Result<i64, ChainError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(WriteOp::Register {
            record,
            reply: Reply::Async(tx),
        })?;
        rx.await
            .map_err(|_| writer_gone())?
            .map_err(ChainError::Write)
    }

    /// [`register_actor`](Self::register_actor) for plain threads. Not for async tasks.
    pub fn register_actor_blocking(&self, record: ActorRecord) -> Result<i64, ChainError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.send(WriteOp::Register {
            record,
            reply: Reply::Blocking(tx),
        })?;
        rx.recv()
            .map_err(|_| writer_gone())?
            .map_err(ChainError::Write)
    }

    /// Where the writer reports failures to store actor `key`'s writes.
    pub(crate) fn watch(&self, key: i64) -> Arc<FaultSlot> {
        let slot = Arc::new(FaultSlot::default());
        let _ = self.send(WriteOp::Watch {
            actor: key,
            slot: Arc::downgrade(&slot),
        });
        slot
    }

    pub fn set_status(&self, key: i64, status: &str) {
        let _ = self.send(WriteOp::Status {
            actor: key,
            status: status.to_string(),
        });
    }

    pub fn append(&self, actor: i64, actor_id: &Arc<str>, event: Event) {
        // Publishing costs a clone, so only when someone is listening.
        if self.updates.receiver_count() > 0 {
            let _ = self.updates.send(ChainUpdate {
                actor_id: actor_id.clone(),
                event: event.clone(),
            });
        }
        let _ = self.send(WriteOp::Event { actor, event });
    }

    /// The timestamp of event `seq` recorded now.
    pub fn timestamp(&self, seq: u64) -> u64 {
        match self.clock {
            ChainClock::Wall => super::now_ms(),
            ChainClock::Logical => seq,
        }
    }

    /// Every event appended from now on, by any actor of this database's runtime.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<ChainUpdate> {
        self.updates.subscribe()
    }

    /// Store a state value of actor `actor` by its hash.
    pub fn put_blob(&self, actor: i64, hash: Hash, data: Vec<u8>) {
        let _ = self.send(WriteOp::Blob { actor, hash, data });
    }

    /// Sign actor `actor`'s head (`seq`, `hash`) with this data directory's key and store it.
    pub fn sign_head(&self, actor: i64, actor_id: &str, seq: u64, hash: &Hash) -> SignedHead {
        let head = self.signer.sign(actor_id, seq, hash);
        let _ = self.send(WriteOp::Head {
            actor,
            head: head.clone(),
        });
        head
    }

    /// Wait while the writer's queue is over its bounds (back-pressure for recording actors).
    pub async fn wait_for_room(&self) {
        self.budget.wait_for_room().await
    }

    /// Events and bytes waiting for the writer right now.
    pub fn queued(&self) -> (usize, usize) {
        self.budget.queued()
    }

    /// Block until everything sent before this call is committed. Not for async tasks.
    pub fn flush(&self) -> Result<(), ChainError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.send(WriteOp::Flush(Reply::Blocking(tx)))?;
        rx.recv()
            .map_err(|_| writer_gone())?
            .map_err(ChainError::Write)
    }

    /// Wait until everything sent before this call is committed.
    pub async fn flush_async(&self) -> Result<(), ChainError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(WriteOp::Flush(Reply::Async(tx)))?;
        rx.await
            .map_err(|_| writer_gone())?
            .map_err(ChainError::Write)
    }

    /// End running actor `actor_id`'s chain with `lifecycle/interrupted` (signed), after
    /// everything it queued so far, and write nothing more for it. For a process that must
    /// exit while the actor still runs (a server past its shutdown deadline). Returns false
    /// when the actor was not running (nothing to mark).
    pub async fn mark_interrupted(&self, actor_id: &str, reason: &str) -> Result<bool, ChainError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(WriteOp::Interrupt {
            actor_id: actor_id.to_string(),
            reason: reason.to_string(),
            reply: Reply::Async(tx),
        })?;
        rx.await
            .map_err(|_| writer_gone())?
            .map_err(ChainError::Write)
    }
}

/// What stamps the time of a recorded event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ChainClock {
    /// Milliseconds since the Unix epoch.
    #[default]
    Wall,
    /// The event's own sequence number: recordings that must come out byte for byte the
    /// same on every run (`theater test`'s golden chains) carry no wall time.
    Logical,
}

/// How to open a chain database for writing.
#[derive(Debug, Clone, Copy)]
pub struct ChainOptions {
    pub durability: Durability,
    /// Bounds of the writer's queue: events, and bytes.
    pub queue_events: usize,
    pub queue_bytes: usize,
    /// This process is a `theater server`: the actors it leaves running when it stops or
    /// dies are resumed by the next server on this data directory.
    pub resumable: bool,
    pub clock: ChainClock,
}

impl Default for ChainOptions {
    fn default() -> Self {
        ChainOptions {
            durability: Durability::default(),
            queue_events: QUEUE_EVENTS,
            queue_bytes: QUEUE_BYTES,
            resumable: false,
            clock: ChainClock::Wall,
        }
    }
}

/// The chain database: owns the writer thread and this process's registration.
pub struct ChainDb {
    path: PathBuf,
    sink: ChainSink,
    writer: Mutex<Option<JoinHandle<()>>>,
    /// Held for the life of the database: proof to other processes that we are alive.
    lock: ProcessLock,
    resumable: bool,
}

fn writer_gone() -> ChainError {
    ChainError::WriterGone("writer thread exited".into())
}

impl ChainDb {
    /// Open (creating if needed) the database at `path` with default options.
    pub fn open(path: &Path) -> Result<ChainDb, ChainError> {
        ChainDb::open_with(path, ChainOptions::default())
    }

    /// Open (creating if needed) the database at `path`, mark the actors of dead processes
    /// interrupted, and start this process's writer.
    pub fn open_with(path: &Path, options: ChainOptions) -> Result<ChainDb, ChainError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| ChainError::File {
            path: dir.display().to_string(),
            reason: e.to_string(),
        })?;
        let mut conn = Connection::open(path).map_err(db_err(path))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(db_err(path))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db_err(path))?;
        let synchronous = match options.durability {
            Durability::ProcessCrash => "NORMAL",
            Durability::PowerLoss => "FULL",
        };
        conn.pragma_update(None, "synchronous", synchronous)
            .map_err(db_err(path))?;
        schema::migrate(&mut conn).map_err(|e| match e {
            schema::SchemaError::Sql(source) => ChainError::Db {
                path: path.display().to_string(),
                source,
            },
            newer => ChainError::File {
                path: path.display().to_string(),
                reason: newer.to_string(),
            },
        })?;
        let signer =
            Arc::new(Signer::load_or_create(dir).map_err(|e| ChainError::Key(e.to_string()))?);
        let role = options.resumable.then_some(process::SERVER_ROLE);
        let lock = register_and_recover(&mut conn, path, &signer, role)?;
        let budget = Arc::new(Budget::new(options.queue_events, options.queue_bytes));
        let (tx, rx) = mpsc::channel();
        let writer = Writer::new(
            conn,
            path.to_path_buf(),
            lock.id,
            signer.clone(),
            budget.clone(),
        );
        let handle = std::thread::Builder::new()
            .name("theater-chain-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| ChainError::WriterGone(e.to_string()))?;
        Ok(ChainDb {
            path: path.to_path_buf(),
            sink: ChainSink {
                tx,
                budget,
                signer,
                updates: tokio::sync::broadcast::channel(SUBSCRIBER_BUFFER).0,
                clock: options.clock,
            },
            writer: Mutex::new(Some(handle)),
            lock,
            resumable: options.resumable,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn sink(&self) -> ChainSink {
        self.sink.clone()
    }

    /// This process's row in `processes` (the owner of the actors it writes).
    pub(crate) fn owner(&self) -> i64 {
        self.lock.id
    }

    /// Whether this process is a server whose actors are resumed by the next one.
    pub fn resumable(&self) -> bool {
        self.resumable
    }

    /// A read connection to this database.
    pub fn reader(&self) -> Result<ChainReader, ChainError> {
        ChainReader::open(&self.path)
    }

    /// End running actor `actor_id`'s chain as interrupted; see [`ChainSink::mark_interrupted`].
    pub async fn mark_interrupted(&self, actor_id: &str, reason: &str) -> Result<bool, ChainError> {
        self.sink.mark_interrupted(actor_id, reason).await
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

/// In one transaction (so openers take turns): mark the actors of dead processes
/// interrupted, then register this process.
fn register_and_recover(
    conn: &mut Connection,
    path: &Path,
    signer: &Signer,
    role: Option<&str>,
) -> Result<ProcessLock, ChainError> {
    let locks = path.parent().unwrap_or(Path::new(".")).join("locks");
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err(path))?;
    let marked = process::recover(&tx, &locks, signer).map_err(db_err(path))?;
    let lock = process::register(&tx, &locks, role).map_err(|reason| ChainError::File {
        path: locks.display().to_string(),
        reason,
    })?;
    tx.commit().map_err(db_err(path))?;
    if !marked.is_empty() {
        tracing::warn!(
            "{} actor(s) left running by a process that ended were marked interrupted: {}",
            marked.len(),
            marked.join(", ")
        );
    }
    Ok(lock)
}

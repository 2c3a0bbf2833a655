//! The writer thread: the one connection through which this process writes the chain
//! database. It commits whatever has queued up in one `BEGIN IMMEDIATE` transaction
//! (SQLite's lock serialises the writers of several processes; `busy_timeout` makes each
//! wait its turn instead of failing).
//!
//! Nothing is lost silently. A failed batch is retried; if it still fails, its operations
//! are written one at a time, so an event that can never be stored (too big, a collision)
//! fails only its own actor. An actor whose events could not be stored is told through its
//! [`FaultSlot`] and fails; its later events are discarded until it continues the chain
//! from the last stored event (which is how it records its failure). The writer itself
//! never stays failed: the next batch starts afresh.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Weak};
use std::time::Duration;

use rusqlite::{
    params, Connection, ErrorCode, OptionalExtension, Transaction, TransactionBehavior,
};

use super::backpressure::Budget;
use super::fault::{Fault, FaultSlot, StoredEnd};
use super::rows::ActorRecord;
use super::signing::{store_head, SignedHead, Signer};
use super::{process, Event, Hash};

/// Largest number of queued operations committed in one transaction.
const MAX_BATCH: usize = 8192;
/// Attempts at a batch before it is split up, and the pause before each retry.
const RETRY_PAUSES: [Duration; 2] = [Duration::from_millis(100), Duration::from_millis(500)];

/// Who waits for an answer from the writer: a plain thread, or an async task.
pub enum Reply<T> {
    Blocking(mpsc::SyncSender<Result<T, String>>),
    Async(tokio::sync::oneshot::Sender<Result<T, String>>),
}

impl<T> Reply<T> {
    fn send(self, result: Result<T, String>) {
        let _ = match self {
            Reply::Blocking(tx) => tx.send(result).map_err(|_| ()),
            Reply::Async(tx) => tx.send(result).map_err(|_| ()),
        };
    }
}

/// One queued write.
pub enum WriteOp {
    /// A new actor; the reply carries the key the database allocated.
    Register {
        record: ActorRecord,
        reply: Reply<i64>,
    },
    /// Where to report write failures of actor `key`.
    Watch {
        actor: i64,
        slot: Weak<FaultSlot>,
    },
    Status {
        actor: i64,
        status: String,
    },
    Event {
        actor: i64,
        event: Event,
    },
    Blob {
        actor: i64,
        hash: Hash,
        data: Vec<u8>,
    },
    Head {
        actor: i64,
        head: SignedHead,
    },
    /// End a running actor's chain with `lifecycle/interrupted` and ignore its later writes.
    Interrupt {
        actor_id: String,
        reason: String,
        reply: Reply<bool>,
    },
    /// Answered once everything queued before it is committed (or has failed).
    Flush(Reply<()>),
}

impl WriteOp {
    /// The bytes this operation holds while queued (what the queue bound counts).
    pub fn queued_bytes(&self) -> Option<usize> {
        match self {
            WriteOp::Event { event, .. } => Some(event.payload.len() + event.event_type.len() + 64),
            WriteOp::Blob { data, .. } => Some(data.len() + 32),
            _ => None,
        }
    }

    fn actor(&self) -> Option<i64> {
        match self {
            WriteOp::Status { actor, .. }
            | WriteOp::Event { actor, .. }
            | WriteOp::Blob { actor, .. }
            | WriteOp::Head { actor, .. } => Some(*actor),
            _ => None,
        }
    }
}

/// What committing one operation produced, for its reply.
enum Done {
    Key(i64),
    Interrupted { key: Option<i64> },
    Nothing,
}

pub struct Writer {
    pub conn: Connection,
    pub path: PathBuf,
    /// This process's row in `processes`: the owner of the actors it registers.
    pub owner: i64,
    pub signer: Arc<Signer>,
    pub budget: Arc<Budget>,
    slots: HashMap<i64, Weak<FaultSlot>>,
    /// Actors whose writes failed, with where their stored chain ends (if known).
    poisoned: HashMap<i64, Option<StoredEnd>>,
    /// Actors marked interrupted: nothing more is written for them.
    sealed: HashSet<i64>,
    prune_at: usize,
}

impl Writer {
    pub fn new(
        conn: Connection,
        path: PathBuf,
        owner: i64,
        signer: Arc<Signer>,
        budget: Arc<Budget>,
    ) -> Writer {
        Writer {
            conn,
            path,
            owner,
            signer,
            budget,
            slots: HashMap::new(),
            poisoned: HashMap::new(),
            sealed: HashSet::new(),
            prune_at: 1024,
        }
    }

    /// Serve the queue until every sender is gone.
    pub fn run(mut self, rx: mpsc::Receiver<WriteOp>) {
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(op) => batch.push(op),
                    Err(_) => break,
                }
            }
            let sizes: Vec<usize> = batch.iter().filter_map(WriteOp::queued_bytes).collect();
            self.process(batch);
            self.budget.release(sizes.len(), sizes.iter().sum());
        }
    }

    fn process(&mut self, batch: Vec<WriteOp>) {
        let (batch, flushes): (Vec<WriteOp>, Vec<WriteOp>) = batch
            .into_iter()
            .partition(|op| !matches!(op, WriteOp::Flush(_)));
        let before = self.poisoned.clone();
        let admitted: Vec<WriteOp> = batch.into_iter().filter_map(|op| self.admit(op)).collect();
        let failure = match self.commit_with_retry(&admitted) {
            Ok(done) => {
                self.deliver(admitted, done);
                None
            }
            Err(e) => {
                self.poisoned = before;
                Some(self.one_by_one(admitted, &e))
            }
        };
        for op in flushes {
            if let WriteOp::Flush(reply) = op {
                reply.send(failure.clone().map_or(Ok(()), Err));
            }
        }
    }

    /// Keep an operation, or drop it because its actor is sealed or poisoned. An event that
    /// continues a poisoned actor's stored chain lifts the poison: the actor has rewound.
    fn admit(&mut self, op: WriteOp) -> Option<WriteOp> {
        if let WriteOp::Watch { actor, slot } = op {
            self.watch(actor, slot);
            return None;
        }
        let Some(actor) = op.actor() else {
            return Some(op);
        };
        if self.sealed.contains(&actor) {
            return None;
        }
        if !self.poisoned.contains_key(&actor) {
            return Some(op);
        }
        match &op {
            WriteOp::Status { .. } | WriteOp::Blob { .. } => Some(op),
            WriteOp::Event { event, .. } => match self.poisoned.get(&actor).copied().flatten() {
                Some(end) if end.next_seq == event.seq && end.head == event.parent => {
                    self.poisoned.remove(&actor);
                    Some(op)
                }
                Some(_) => None,
                None => {
                    // Where the stored chain ends was unknown; tell the actor once it is.
                    if let Ok(end) = stored_end(&self.conn, actor) {
                        self.poisoned.insert(actor, Some(end));
                        self.raise(
                            actor,
                            "the chain database could not store this actor's events".into(),
                            Some(end),
                        );
                    }
                    None
                }
            },
            _ => None,
        }
    }

    fn watch(&mut self, actor: i64, slot: Weak<FaultSlot>) {
        self.slots.insert(actor, slot);
        if self.slots.len() >= self.prune_at {
            self.slots.retain(|_, s| s.strong_count() > 0);
            self.prune_at = (self.slots.len() * 2).max(1024);
        }
    }

    fn commit_with_retry(&mut self, ops: &[WriteOp]) -> rusqlite::Result<Vec<Done>> {
        let mut attempt = 0;
        loop {
            match self.commit(ops) {
                Ok(done) => return Ok(done),
                Err(e) if op_specific(&e) || attempt >= RETRY_PAUSES.len() => return Err(e),
                Err(e) => {
                    tracing::warn!("writing {}: {e}; retrying", self.path.display());
                    std::thread::sleep(RETRY_PAUSES[attempt]);
                    attempt += 1;
                }
            }
        }
    }

    fn commit(&mut self, ops: &[WriteOp]) -> rusqlite::Result<Vec<Done>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let done = ops
            .iter()
            .map(|op| write(&tx, op, self.owner, &self.signer))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        tx.commit()?;
        Ok(done)
    }

    /// After a batch failed: write each operation on its own, so only the actors whose
    /// operations fail are failed. Returns the batch's failure, for its flushes.
    fn one_by_one(&mut self, ops: Vec<WriteOp>, batch_error: &rusqlite::Error) -> String {
        let mut summary = format!("writing {}: {batch_error}", self.path.display());
        let mut database_down: Option<String> = None;
        for op in ops {
            let Some(op) = self.admit(op) else { continue };
            let result = match &database_down {
                Some(reason) => Err(reason.clone()),
                None => self
                    .commit_with_retry(std::slice::from_ref(&op))
                    .map_err(|e| {
                        if !op_specific(&e) {
                            database_down = Some(e.to_string());
                        }
                        e.to_string()
                    }),
            };
            match result {
                Ok(done) => self.deliver(vec![op], done),
                Err(reason) => {
                    summary = format!("writing {}: {reason}", self.path.display());
                    self.fail(op, &reason);
                }
            }
        }
        tracing::error!("{summary}");
        summary
    }

    /// Answer the operations of a committed transaction.
    fn deliver(&mut self, ops: Vec<WriteOp>, done: Vec<Done>) {
        for (op, done) in ops.into_iter().zip(done) {
            match (op, done) {
                (WriteOp::Register { reply, .. }, Done::Key(key)) => reply.send(Ok(key)),
                (WriteOp::Interrupt { reply, .. }, Done::Interrupted { key }) => {
                    if let Some(key) = key {
                        self.sealed.insert(key);
                    }
                    reply.send(Ok(key.is_some()));
                }
                _ => {}
            }
        }
    }

    /// An operation could not be stored: fail its actor (or whoever waits for it).
    fn fail(&mut self, op: WriteOp, reason: &str) {
        match op {
            WriteOp::Register { record, reply } => reply.send(Err(format!(
                "cannot record actor {}: {reason}",
                record.actor_id
            ))),
            WriteOp::Interrupt { reply, .. } => reply.send(Err(reason.to_string())),
            WriteOp::Event { actor, event } => {
                let why = format!(
                    "event {} ({}, {} bytes) could not be stored: {reason}",
                    event.seq,
                    event.event_type,
                    event.payload.len()
                );
                self.poison(actor, why);
            }
            WriteOp::Blob { actor, data, .. } => self.poison(
                actor,
                format!(
                    "a state value of {} bytes could not be stored: {reason}",
                    data.len()
                ),
            ),
            WriteOp::Head { actor, head } => self.poison(
                actor,
                format!(
                    "the signed head at seq {} could not be stored: {reason}",
                    head.seq
                ),
            ),
            WriteOp::Status { actor, .. } => self.poison(
                actor,
                format!("the actor's status could not be stored: {reason}"),
            ),
            WriteOp::Watch { .. } | WriteOp::Flush(_) => {}
        }
    }

    fn poison(&mut self, actor: i64, reason: String) {
        let end = stored_end(&self.conn, actor)
            .ok()
            .or_else(|| self.poisoned.get(&actor).copied().flatten());
        self.poisoned.insert(actor, end);
        self.raise(actor, reason, end);
    }

    fn raise(&self, actor: i64, reason: String, resume: Option<StoredEnd>) {
        if let Some(slot) = self.slots.get(&actor).and_then(Weak::upgrade) {
            slot.raise(Fault { reason, resume });
        }
    }
}

/// Whether an error belongs to one operation (so the others may still be written) rather
/// than to the database (busy, read-only, full, I/O).
fn op_specific(e: &rusqlite::Error) -> bool {
    match e.sqlite_error_code() {
        Some(code) => matches!(
            code,
            ErrorCode::TooBig | ErrorCode::ConstraintViolation | ErrorCode::TypeMismatch
        ),
        None => true,
    }
}

/// Where actor `key`'s stored chain ends.
pub(super) fn stored_end(conn: &Connection, key: i64) -> rusqlite::Result<StoredEnd> {
    let last: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT seq, hash FROM events WHERE actor = ?1 ORDER BY seq DESC LIMIT 1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(match last {
        Some((seq, hash)) => StoredEnd {
            next_seq: (seq as u64).saturating_add(1),
            head: Hash::try_from(hash).ok(),
        },
        None => StoredEnd {
            next_seq: 0,
            head: None,
        },
    })
}

fn write(
    tx: &Transaction<'_>,
    op: &WriteOp,
    owner: i64,
    signer: &Signer,
) -> rusqlite::Result<Done> {
    match op {
        WriteOp::Event { actor, event } => {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO events (actor, seq, event_type, timestamp_ms, payload, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            stmt.execute(params![
                actor,
                event.seq as i64,
                event.event_type,
                event.timestamp_ms as i64,
                event.payload,
                &event.hash[..]
            ])?;
        }
        WriteOp::Blob { hash, data, .. } => {
            // Content-addressed: the same hash is the same bytes, so a second copy is a no-op.
            tx.prepare_cached("INSERT OR IGNORE INTO blobs (hash, data) VALUES (?1, ?2)")?
                .execute(params![&hash[..], data])?;
        }
        WriteOp::Head { actor, head } => store_head(tx, *actor, head)?,
        WriteOp::Status { actor, status } => {
            tx.prepare_cached("UPDATE actors SET status = ?1 WHERE key = ?2")?
                .execute(params![status, actor])?;
        }
        WriteOp::Register { record, .. } => {
            let key = tx.query_row(
                "INSERT INTO actors (actor_id, name, parent_id, manifest, created_ms, status, owner)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING key",
                params![record.actor_id, record.name, record.parent_id, record.manifest, record.created_ms as i64, record.status, owner],
                |r| r.get(0),
            )?;
            return Ok(Done::Key(key));
        }
        WriteOp::Interrupt {
            actor_id, reason, ..
        } => {
            let key: Option<i64> = tx
                .query_row(
                    "SELECT key FROM actors WHERE actor_id = ?1 AND status = 'running'",
                    [actor_id],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(key) = key {
                process::interrupt(tx, key, actor_id, reason, signer)?;
            }
            return Ok(Done::Interrupted { key });
        }
        WriteOp::Watch { .. } | WriteOp::Flush(_) => {}
    }
    Ok(Done::Nothing)
}

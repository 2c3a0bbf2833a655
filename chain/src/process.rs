//! Which process writes which chains. Every process that opens the database for writing
//! registers a `processes` row and holds an exclusive OS lock (`flock`) on
//! `locks/<id>.lock` next to the database for as long as it lives; each actor row names its
//! owner. The OS releases the lock when the process ends, however it ends (SIGKILL
//! included), so a free lock is proof that its owner is gone. The next writer to open the
//! database appends a terminal `lifecycle/interrupted` event to every actor its dead owner
//! left `running`, so no chain claims to be running forever. If the dead owner was a
//! `theater server`, those actors are also flagged for resuming: the next server brings
//! them back (see `resume`).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use ciborium::value::Value;
use rusqlite::{params, OptionalExtension, Transaction};

use super::payload::{encode, map};
use super::signing::Signer;
use super::{now_ms, Event, Hash};

/// The event type that ends the chain of an actor whose process ended under it.
pub const INTERRUPTED: &str = "lifecycle/interrupted";
/// The status an interrupted actor is left with.
pub const INTERRUPTED_STATUS: &str = "interrupted";

/// This process's registration: its row id and the lock that proves it is alive.
pub struct ProcessLock {
    pub id: i64,
    /// Held, never read: dropping it (or dying) releases the lock.
    _file: File,
}

/// The lock file of process row `id`.
fn lock_path(locks: &Path, id: i64) -> PathBuf {
    locks.join(format!("{id}.lock"))
}

/// The `processes.role` of a `theater server`: its actors are resumed by the next server.
pub const SERVER_ROLE: &str = "server";

/// Register this process (inside the caller's transaction, so no other opener can see the
/// row before its lock is held). `role` is [`SERVER_ROLE`] for a server, else `None`.
pub fn register(
    tx: &Transaction<'_>,
    locks: &Path,
    role: Option<&str>,
) -> Result<ProcessLock, String> {
    std::fs::create_dir_all(locks).map_err(|e| format!("{}: {e}", locks.display()))?;
    let id: i64 = tx
        .query_row(
            "INSERT INTO processes (pid, started_ms, role) VALUES (?1, ?2, ?3) RETURNING id",
            params![std::process::id(), now_ms() as i64, role],
            |r| r.get(0),
        )
        .map_err(|e| e.to_string())?;
    let path = lock_path(locks, id);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    file.try_lock()
        .map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
    Ok(ProcessLock { id, _file: file })
}

/// Whether the process that registered row `id` is gone (its lock is free or was removed).
pub fn is_dead(locks: &Path, id: i64) -> bool {
    let path = lock_path(locks, id);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return true,
        Err(e) => {
            tracing::warn!("cannot check whether process {id} is alive ({}: {e}); leaving its actors as they are", path.display());
            return false;
        }
    };
    match file.try_lock() {
        Ok(()) => true,
        Err(TryLockError::WouldBlock) => false,
        Err(TryLockError::Error(e)) => {
            tracing::warn!("cannot check whether process {id} is alive ({}: {e}); leaving its actors as they are", path.display());
            false
        }
    }
}

/// A registered writing process.
struct Owner {
    id: i64,
    pid: i64,
    role: Option<String>,
}

/// Mark every actor left `running` by a dead process (or by a writer older than process
/// tracking) as interrupted — and, for a dead server's, to be resumed — and forget the dead
/// processes. Returns the actor ids marked.
pub fn recover(
    tx: &Transaction<'_>,
    locks: &Path,
    signer: &Signer,
) -> rusqlite::Result<Vec<String>> {
    let owners: Vec<Owner> = {
        let mut stmt = tx.prepare("SELECT id, pid, role FROM processes")?;
        let rows = stmt.query_map([], |r| {
            Ok(Owner {
                id: r.get(0)?,
                pid: r.get(1)?,
                role: r.get(2)?,
            })
        })?;
        rows.collect::<Result<_, _>>()?
    };
    let mut marked = Vec::new();
    for Owner { id, pid, role } in owners.into_iter().filter(|o| is_dead(locks, o.id)) {
        let reason = format!("the process that ran it (pid {pid}) ended without stopping it");
        let actors = interrupt_owned(tx, Some(id), &reason, signer)?;
        if role.as_deref() == Some(SERVER_ROLE) {
            for actor_id in &actors {
                tx.execute(
                    "UPDATE actors SET resume = 1 WHERE actor_id = ?1",
                    [actor_id],
                )?;
            }
        }
        marked.extend(actors);
        tx.execute("DELETE FROM processes WHERE id = ?1", [id])?;
        let _ = std::fs::remove_file(lock_path(locks, id));
    }
    let reason =
        "the process that ran it ended without stopping it (written before process tracking)";
    marked.extend(interrupt_owned(tx, None, reason, signer)?);
    Ok(marked)
}

fn interrupt_owned(
    tx: &Transaction<'_>,
    owner: Option<i64>,
    reason: &str,
    signer: &Signer,
) -> rusqlite::Result<Vec<String>> {
    let actors: Vec<(i64, String)> = {
        let mut stmt = tx
            .prepare("SELECT key, actor_id FROM actors WHERE status = 'running' AND owner IS ?1")?;
        let rows = stmt.query_map([owner], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (key, actor_id) in &actors {
        interrupt(tx, *key, actor_id, reason, signer)?;
    }
    Ok(actors.into_iter().map(|(_, id)| id).collect())
}

/// Append `lifecycle/interrupted` after the last stored event of actor `key`, sign the new
/// head and set its status. Used for dead owners and for actors a shutting-down server
/// abandons at its deadline.
pub fn interrupt(
    tx: &Transaction<'_>,
    key: i64,
    actor_id: &str,
    reason: &str,
    signer: &Signer,
) -> rusqlite::Result<()> {
    let last: Option<(i64, Vec<u8>)> = tx
        .query_row(
            "SELECT seq, hash FROM events WHERE actor = ?1 ORDER BY seq DESC LIMIT 1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (seq, parent) = match last {
        Some((seq, hash)) => (seq.saturating_add(1) as u64, Hash::try_from(hash).ok()),
        None => (0, None),
    };
    let payload = encode(&map(vec![("reason", Value::Text(reason.to_string()))]));
    let event = Event::new(seq, parent, INTERRUPTED.to_string(), now_ms(), payload);
    tx.execute(
        "INSERT INTO events (actor, seq, event_type, timestamp_ms, payload, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![key, event.seq as i64, event.event_type, event.timestamp_ms as i64, event.payload, &event.hash[..]],
    )?;
    super::signing::store_head(tx, key, &signer.sign(actor_id, event.seq, &event.hash))?;
    tx.execute(
        "UPDATE actors SET status = ?1 WHERE key = ?2",
        params![INTERRUPTED_STATUS, key],
    )?;
    Ok(())
}

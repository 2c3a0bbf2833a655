//! The event chain on its own: events per second written durably through `ActorChain` (hash,
//! queue) and `ChainDb` (the writer thread's batched SQLite commits), against raw SQLite
//! inserts of the same rows; bytes per event on disk; and verification speed, in process and
//! as `theater verify` run from the database.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use rusqlite::{params, Connection};
use theater_e2e::Scratch;
use theater_runtime::chain::verify::verify_links;
use theater_runtime::chain::{
    now_ms, sha256, ActorChain, ActorRecord, ChainDb, ChainReader, EventFilter,
};
use theater_runtime::paths;

use crate::report::{self, Table, Target};
use crate::setup::CHILD_ENV;

/// The value of [`CHILD_ENV`] that makes the harness the `theater` command.
pub const CLI_ROLE: &str = "cli";

const EVENTS: u64 = 300_000;
/// About the size of a `wasm/call` payload for a short message.
const PAYLOAD: usize = 64;
const ACTOR: &str = "bench-chain";
/// Write rates are measured this many times, alternating Theater and raw; medians are shown.
const REPS: usize = 3;
/// The chain writer's largest transaction (`MAX_BATCH` in runtime/src/chain/store.rs).
const BATCH: usize = 8192;

/// A chain database's size on disk after a checkpoint, and what it holds.
pub struct DiskUsage {
    pub file_bytes: u64,
    pub events: u64,
    pub payload_bytes: u64,
    /// Bytes of pages of the `events` and `blobs` tables, and the bytes unused inside
    /// those pages, from SQLite's `dbstat` table.
    pub events_table: (u64, u64),
    pub blobs_table: (u64, u64),
}

/// A bytes-per-event row for the database `usage` measured, described by `what`.
pub fn disk_row(table: &mut Table, what: &str, usage: &DiskUsage) {
    let per_event = usage.file_bytes as f64 / usage.events as f64;
    let payload = usage.payload_bytes as f64 / usage.events as f64;
    let overhead = per_event - payload;
    table.row(
        "chain",
        format!(
            "bytes per event on disk, {what}: {} events, checkpointed; per event, events table {} ({} of it unused page space), blobs table {} ({} unused)",
            usage.events,
            report::bytes(usage.events_table.0 as f64 / usage.events as f64),
            report::bytes(usage.events_table.1 as f64 / usage.events as f64),
            report::bytes(usage.blobs_table.0 as f64 / usage.events as f64),
            report::bytes(usage.blobs_table.1 as f64 / usage.events as f64),
        ),
        format!("{} (payload {} + {})", report::bytes(per_event), report::bytes(payload), report::bytes(overhead)),
        None,
        None,
        Some(Target::new("≤ payload + 100 B", overhead <= 100.0)),
    );
}

/// Checkpoint the WAL into the database file (truncating the WAL), then measure the database
/// file plus the WAL. The `-shm` index is not data and is not counted.
pub fn disk_usage(db: &Path) -> DiskUsage {
    let conn = Connection::open(db).expect("open the chain database");
    let (events, payload_bytes): (i64, i64) = conn
        .query_row(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(payload)), 0) FROM events",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("count the events");
    let busy: i64 = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
        .expect("checkpoint the WAL");
    assert_eq!(busy, 0, "the checkpoint completed (no writer was busy)");
    let table = |name: &str| -> (u64, u64) {
        conn.query_row(
            "SELECT COALESCE(SUM(pgsize), 0), COALESCE(SUM(unused), 0) FROM dbstat WHERE name = ?1",
            [name],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
        )
        .expect("read page statistics from dbstat")
    };
    let (events_table, blobs_table) = (table("events"), table("blobs"));
    drop(conn);
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let wal = db.with_extension("db-wal");
    DiskUsage {
        file_bytes: size(db) + size(&wal),
        events: events as u64,
        payload_bytes: payload_bytes as u64,
        events_table,
        blobs_table,
    }
}

pub fn run(table: &mut Table) {
    let scratch = Scratch::new();
    let home = scratch.path().join("direct");
    let db_path = paths::chain_db(&home);
    let mut raw = Vec::new();
    let plain = write_runs(&db_path, false, || {
        let file = scratch.path().join(format!("raw-{}.db", raw.len()));
        raw.push(report::per_second(EVENTS, raw_sqlite(&file)));
    });
    let (theater_rate, raw_rate) = (
        report::median(plain.iter().map(|r| r.durable).collect()),
        report::median(raw),
    );
    table.row(
        "chain",
        format!("events/s written durably: ActorChain → ChainDb, {PAYLOAD} B payloads, flush at the end (median of {REPS} runs of {EVENTS} events); baseline: raw SQLite inserts, same table and batches, no hashing"),
        report::rate(theater_rate, "events"),
        Some(report::rate(raw_rate, "events")),
        Some(report::slower_rate(theater_rate, raw_rate)),
        Some(Target::new("≥ 200 k events/s", theater_rate >= 200_000.0)),
    );
    table.row(
        "chain",
        "of which appending (hash + queue to the writer), before the flush",
        report::rate(
            report::median(plain.iter().map(|r| r.appended).collect()),
            "events",
        ),
        None,
        None,
        None,
    );

    let blobs_path = paths::chain_db(&scratch.path().join("blobs"));
    let with_blobs = write_runs(&blobs_path, true, || {});
    let (first, last) = (with_blobs[0].durable, with_blobs[REPS - 1].durable);
    table.row(
        "chain",
        format!(
            "events/s written durably with one state blob per 2 events (what a counter's sends write: a new state each, stored once by SHA-256): run 1 on an empty database → run {REPS} with {} k events already in",
            (REPS as u64 - 1) * EVENTS / 1000
        ),
        format!("{} → {}", report::rate(first, "events"), report::rate(last, "events")),
        None,
        None,
        Some(Target::new("≥ 200 k events/s", first.min(last) >= 200_000.0)),
    );

    disk_row(
        table,
        &format!("direct, {PAYLOAD} B payloads"),
        &disk_usage(&db_path),
    );
    disk_row(
        table,
        &format!("direct, {PAYLOAD} B payloads and a state blob per 2 events"),
        &disk_usage(&blobs_path),
    );
    verify_speed(table, &home, &db_path, &format!("{ACTOR}-0"));
}

/// Rates of one run of [`write_runs`].
struct WriteRun {
    appended: f64,
    durable: f64,
}

/// `REPS` runs of `EVENTS` events, each run a new actor in the database at `path`, with a
/// distinct state blob stored every second event if `blobs`. `between` runs after each run
/// (the raw baseline, so both alternate).
fn write_runs(path: &Path, blobs: bool, mut between: impl FnMut()) -> Vec<WriteRun> {
    let db = ChainDb::open(path).expect("open a chain database");
    let sink = db.sink();
    let mut runs = Vec::new();
    for rep in 0..REPS {
        let actor = format!("{ACTOR}-{rep}");
        let key = sink
            .register_actor_blocking(ActorRecord {
                actor_id: actor.clone(),
                name: ACTOR.into(),
                parent_id: None,
                manifest: "<bench>".into(),
                created_ms: now_ms(),
                status: "running".into(),
                events: 0,
            })
            .expect("register the actor");
        let payloads: Vec<Vec<u8>> = (0..EVENTS).map(payload).collect();
        let states: Vec<Vec<u8>> = if blobs {
            (0..EVENTS / 2)
                .map(|i| format!("{rep}:{i}").into_bytes())
                .collect()
        } else {
            Vec::new()
        };
        let mut chain = ActorChain::new(sink.clone(), key, &actor);
        let start = Instant::now();
        for (i, p) in payloads.into_iter().enumerate() {
            chain.record("bench/event", p);
            if let Some(state) = states.get(i / 2).filter(|_| i % 2 == 0) {
                chain.store_blob(sha256(state), state);
            }
        }
        let appended = report::per_second(EVENTS, start.elapsed());
        sink.flush().expect("commit the chain");
        runs.push(WriteRun {
            appended,
            durable: report::per_second(EVENTS, start.elapsed()),
        });
        between();
    }
    db.close().expect("close the chain database");
    runs
}

fn payload(i: u64) -> Vec<u8> {
    i.to_le_bytes()
        .iter()
        .cycle()
        .take(PAYLOAD)
        .copied()
        .collect()
}

/// The same rows inserted straight into SQLite with the writer's settings (WAL,
/// `synchronous = NORMAL`, the `events` table of runtime/src/chain/store.rs) in transactions
/// of the writer's largest batch: the floor the chain writer builds on.
fn raw_sqlite(path: &Path) -> Duration {
    let mut conn = Connection::open(path).expect("open the raw SQLite database");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("WAL");
    conn.pragma_update(None, "synchronous", "NORMAL")
        .expect("synchronous = NORMAL");
    conn.execute_batch(
        "CREATE TABLE events (
            actor INTEGER NOT NULL, seq INTEGER NOT NULL, event_type TEXT NOT NULL,
            timestamp_ms INTEGER NOT NULL, payload BLOB NOT NULL, hash BLOB NOT NULL,
            PRIMARY KEY (actor, seq)
        ) WITHOUT ROWID;",
    )
    .expect("create the events table");
    let rows: Vec<Vec<u8>> = (0..EVENTS).map(payload).collect();
    let timestamp = now_ms() as i64;
    let start = Instant::now();
    for (n, chunk) in rows.chunks(BATCH).enumerate() {
        let tx = conn.transaction().expect("begin");
        {
            let mut insert = tx
                .prepare_cached("INSERT OR IGNORE INTO events (actor, seq, event_type, timestamp_ms, payload, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .expect("prepare the insert");
            for (i, p) in chunk.iter().enumerate() {
                let seq = (n * BATCH + i) as i64;
                // 32 bytes of the payload stand in for the hash, which the baseline does not compute.
                insert
                    .execute(params![1i64, seq, "bench/event", timestamp, p, &p[..32]])
                    .expect("insert a row");
            }
        }
        tx.commit().expect("commit");
    }
    start.elapsed()
}

/// Read the chain back, verify it in process, then run `theater verify` on it as a user would.
fn verify_speed(table: &mut Table, home: &Path, db_path: &Path, actor: &str) {
    let reader = ChainReader::open(db_path).expect("open the chain for reading");
    let start = Instant::now();
    let events = reader
        .events(actor, &EventFilter::default())
        .expect("read the chain");
    let read = start.elapsed();
    let start = Instant::now();
    let n = verify_links(&events).expect("the chain verifies");
    let verified = start.elapsed();
    assert_eq!(n, EVENTS, "every event was written");

    let exe = std::env::current_exe().expect("the harness's own path");
    let start = Instant::now();
    let out = Command::new(exe)
        .env(CHILD_ENV, CLI_ROLE)
        .arg("--data-dir")
        .arg(home)
        .args(["verify", actor])
        .output()
        .expect("run theater verify");
    let cli = start.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.starts_with(&format!("ok: {n} events, head ")),
        "theater verify: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );

    table.row(
        "chain",
        format!("verify: chain::verify::verify_links, in memory ({n} events)"),
        report::rate(report::per_second(n, verified), "events"),
        None,
        None,
        None,
    );
    table.row(
        "chain",
        "verify: reading the chain from SQLite (ChainReader::events)",
        report::rate(report::per_second(n, read), "events"),
        None,
        None,
        None,
    );
    table.row(
        "chain",
        format!(
            "verify: `theater verify` from the database, whole command ({})",
            report::time(cli)
        ),
        report::rate(report::per_second(n, cli), "events"),
        None,
        None,
        None,
    );
}

/// Run the `theater` command line in this process, as cli/src/main.rs does. The harness
/// re-executes itself this way because Cargo cannot give a bench another package's binary.
pub fn cli_main() -> ExitCode {
    theater_cli::run()
}

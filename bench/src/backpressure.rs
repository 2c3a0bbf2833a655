//! The chain writer under pressure. (1) Peak resident memory of a runtime whose actors
//! outpace the chain writer for 10 s — log lines as fast as the guests can write them — with
//! the writer's queue bounded (the default, back-pressure) and, as the "before" baseline in
//! the same run, unbounded. (2) Durable events/s with `durability = "process-crash"` against
//! `"power-loss"` (SQLite synchronous NORMAL vs FULL).
//!
//! Each memory case runs in a fresh child process (see `memory`), so peaks do not mix; the
//! unbounded case stops producing at [`RSS_CAP`] to keep the machine usable.

use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use theater_e2e::Scratch;
use theater_runtime::chain::{now_ms, ActorChain, ActorRecord, ChainDb, ChainOptions, Durability};
use theater_runtime::{Theater, TheaterConfig};

use crate::report::{self, Table, Target};
use crate::setup::{self, CHILD_ENV};

/// The value of [`CHILD_ENV`] that makes the harness a back-pressure child.
pub const CHILD_ROLE: &str = "backpressure";
const ACTORS: usize = 4;
const RUN_FOR: Duration = Duration::from_secs(10);
/// Log lines per request, and their size.
const LINES: u32 = 2000;
const LINE_BYTES: u32 = 512;
/// The unbounded baseline stops producing past this resident size.
const RSS_CAP: u64 = 2 << 30;
/// Events per durability run, flushed every [`FLUSH_EVERY`] (a message-paced load).
const DURABLE_EVENTS: u64 = 20_000;
const FLUSH_EVERY: u64 = 100;

pub fn run(table: &mut Table) {
    let bounded = measure_in_child("bounded");
    let unbounded = measure_in_child("unbounded");
    let figure = format!(
        "peak RSS of a runtime whose {ACTORS} actors outpace the chain writer for {} s (log lines of {LINE_BYTES} B); baseline: the same with the writer's queue unbounded (before back-pressure{}); lines logged: {} vs {}",
        RUN_FOR.as_secs(),
        if unbounded.capped { ", stopped at the cap of 2 GiB" } else { "" },
        bounded.lines,
        unbounded.lines,
    );
    let flat = bounded.peak < 512 << 20;
    table.row(
        "chain",
        figure,
        report::bytes(bounded.peak as f64),
        Some(report::bytes(unbounded.peak as f64)),
        Some(report::times(
            bounded.peak as f64 / unbounded.peak.max(1) as f64,
        )),
        Some(Target::new("flat (< 512 MiB)", flat)),
    );
    let normal = durable_rate(Durability::ProcessCrash);
    let full = durable_rate(Durability::PowerLoss);
    table.row(
        "chain",
        format!("events/s durable, a commit every {FLUSH_EVERY} events ({DURABLE_EVENTS} events): durability = \"power-loss\" (synchronous FULL); baseline: \"process-crash\" (NORMAL, the default)"),
        report::rate(full, "events"),
        Some(report::rate(normal, "events")),
        Some(report::slower_rate(full, normal)),
        None,
    );
}

/// One memory case's outcome.
struct Peak {
    peak: u64,
    lines: u64,
    capped: bool,
}

fn measure_in_child(kind: &str) -> Peak {
    let exe = std::env::current_exe().expect("the harness's own path");
    let out = Command::new(exe)
        .env(CHILD_ENV, CHILD_ROLE)
        .arg(kind)
        .output()
        .expect("run the back-pressure case in a child process");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<u64> = stdout
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    match fields.as_slice() {
        [peak, lines, capped] if out.status.success() => Peak {
            peak: *peak,
            lines: *lines,
            capped: *capped == 1,
        },
        _ => panic!(
            "back-pressure child ({kind}) failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// The child's side: `<bounded|unbounded>` runs one case and prints `peak lines capped`.
pub fn child_main() -> ExitCode {
    let kind = std::env::args().nth(1).unwrap_or_default();
    let mut options = ChainOptions::default();
    match kind.as_str() {
        "bounded" => {}
        "unbounded" => {
            options.queue_events = usize::MAX;
            options.queue_bytes = usize::MAX;
        }
        other => {
            eprintln!("unknown back-pressure case {other:?}: bounded or unbounded");
            return ExitCode::FAILURE;
        }
    }
    let (lines, capped) = outpace(options);
    println!("{} {lines} {}", peak_rss(), u8::from(capped));
    ExitCode::SUCCESS
}

/// Run the actors for [`RUN_FOR`]; returns the lines logged and whether the cap stopped them.
fn outpace(options: ChainOptions) -> (u64, bool) {
    let scratch = Scratch::new();
    let manifest = setup::manifest(
        &scratch,
        "raw-misbehave",
        // The rate limits at their largest: the writer's queue, not the per-actor caps on log
        // lines and events (which stop a release-built guest within a second), is measured.
        "[[handler]]\ntype = \"runtime\"\n[limits]\ncall_timeout_ms = 600000\n\
         max_logs_per_sec = 1000000\nmax_events_per_sec = 10000000\n",
    );
    setup::block_on(async move {
        let mut config = TheaterConfig::new(Some(scratch.home()));
        config.logs = std::sync::Arc::new(|_| {});
        config.chain = options;
        let theater = Theater::new(config).expect("start a Theater");
        let deadline = Instant::now() + RUN_FOR;
        let mut tasks = Vec::new();
        for _ in 0..ACTORS {
            let id = theater
                .spawn(manifest.clone(), None, None)
                .await
                .expect("spawn raw-misbehave");
            let theater = theater.clone();
            tasks.push(tokio::spawn(async move {
                let (mut lines, mut capped) = (0u64, false);
                while Instant::now() < deadline && !capped {
                    theater
                        .request(&id, format!("spam {LINES} {LINE_BYTES}").into_bytes())
                        .await
                        .expect("spam");
                    lines += u64::from(LINES);
                    capped = setup::memory().resident > RSS_CAP;
                }
                (lines, capped)
            }));
        }
        let mut total = (0, false);
        for task in tasks {
            let (lines, capped) = task.await.expect("a spamming task");
            total = (total.0 + lines, total.1 || capped);
        }
        theater.shutdown().await.expect("flush the chains");
        total
    })
}

/// Peak resident set size of this process (`VmHWM`), in bytes.
fn peak_rss() -> u64 {
    let status =
        std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status (Linux only)");
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok());
    kib.expect("VmHWM in /proc/self/status") * 1024
}

/// Events/s written through one actor's chain, committed every [`FLUSH_EVERY`] events.
fn durable_rate(durability: Durability) -> f64 {
    let scratch = Scratch::new();
    let db = ChainDb::open_with(
        &scratch.home().join("chains.db"),
        ChainOptions {
            durability,
            ..ChainOptions::default()
        },
    )
    .expect("open a chain database");
    let sink = db.sink();
    let record = ActorRecord {
        actor_id: "bench".into(),
        name: "bench".into(),
        parent_id: None,
        manifest: "<bench>".into(),
        created_ms: now_ms(),
        status: "running".into(),
        events: 0,
    };
    let key = sink
        .register_actor_blocking(record)
        .expect("register the actor");
    let mut chain = ActorChain::new(sink.clone(), key, "bench");
    let start = Instant::now();
    for i in 0..DURABLE_EVENTS {
        chain.record("bench/event", i.to_be_bytes().to_vec());
        if (i + 1) % FLUSH_EVERY == 0 {
            sink.flush().expect("commit");
        }
    }
    sink.flush().expect("commit");
    report::per_second(DURABLE_EVENTS, start.elapsed())
}

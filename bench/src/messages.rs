//! Messaging with the chain on: sends handled by one actor, request round trips between two
//! actors, and sends to many actors at once, each against raw calls of the same export.
//! Sends are pipelined (see [`setup::sends`]); the clock is read when the last one has been
//! handled, and again when every event they produced is committed to the database.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use theater_e2e::Scratch;
use theater_runtime::Theater;
use wasmtime::component::Component;

use crate::chain::{self, DiskUsage};
use crate::raw::{self, Raw};
use crate::report::{self, Latency, Table, Target};
use crate::setup;

const SENDS: u64 = 100_000;
const WARM_SENDS: u64 = 2_000;
/// Round trips are timed in batches (one `pingpong` request each); see [`round_trips`].
const BATCHES: usize = 200;
const PER_BATCH: u64 = 50;
const PARALLEL_ACTORS: usize = 64;
const SENDS_PER_ACTOR: u64 = 2_000;
/// Throughputs are measured this many times, alternating Theater and raw; medians are shown.
const REPS: usize = 3;

pub fn run(table: &mut Table) {
    let scratch = Scratch::new();
    let engine = raw::engine(PARALLEL_ACTORS as u32 + 2);
    let counter = Raw::new(
        &engine,
        &Component::new(&engine, setup::component_bytes("raw-counter"))
            .expect("compile raw-counter"),
    );
    let peer = Raw::new(
        &engine,
        &Component::new(&engine, setup::component_bytes("raw-peer")).expect("compile raw-peer"),
    );

    let one = one_actor(&scratch, &counter);
    let goal = |rate: f64| Some(Target::new("≥ 100 k msgs/s", rate >= 100_000.0));
    table.row(
        "messages",
        format!("send + handle, one actor, chain on: handled, events hashed and queued (median of {REPS} runs of {SENDS} sends, each on an empty database)"),
        report::rate(one.handled, "msgs"),
        Some(report::rate(one.raw, "calls")),
        Some(report::slower_rate(one.handled, one.raw)),
        goal(one.handled),
    );
    table.row(
        "messages",
        format!(
            "send + handle, one actor, chain on: durable, clock stopped after the flush (same runs; when the last message was handled, {:.0} k events were still queued for the chain writer and RSS had grown by {})",
            one.backlog / 1000.0,
            report::bytes(one.grown)
        ),
        report::rate(one.durable, "msgs"),
        Some(report::rate(one.raw, "calls")),
        Some(report::slower_rate(one.durable, one.raw)),
        goal(one.durable),
    );
    table.row(
        "chain",
        "events/s written durably via one actor (same runs; plus one state blob per message)",
        report::rate(one.events_per_s, "events"),
        None,
        None,
        Some(Target::new(
            "≥ 200 k events/s",
            one.events_per_s >= 200_000.0,
        )),
    );

    let rtt = round_trips(&scratch, &peer);
    table.row(
        "messages",
        format!("request round trip actor → actor, p50 (mean of each batch of {PER_BATCH}, {BATCHES} batches); raw: one handle-request call"),
        report::time(rtt.theater.p50),
        Some(report::time(rtt.raw.p50)),
        Some(report::slower(rtt.theater.p50, rtt.raw.p50)),
        Some(Target::new("≤ 20 µs", rtt.theater.p50 <= Duration::from_micros(20))),
    );
    table.row(
        "messages",
        "request round trip actor → actor, p99 (of batch means)",
        report::time(rtt.theater.p99),
        Some(report::time(rtt.raw.p99)),
        Some(report::slower(rtt.theater.p99, rtt.raw.p99)),
        None,
    );

    let (many, disk) = many_actors(&scratch, &counter);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    table.row(
        "messages",
        format!("{PARALLEL_ACTORS} actors in parallel, {SENDS_PER_ACTOR} sends each: handled (median of {REPS} runs); raw: {threads} threads"),
        report::rate(many.handled, "msgs"),
        Some(report::rate(many.raw, "calls")),
        Some(report::slower_rate(many.handled, many.raw)),
        None,
    );
    table.row(
        "messages",
        format!(
            "{PARALLEL_ACTORS} actors in parallel: durable, clock stopped after the flush (same runs; {:.0} k events queued for the writer when the last was handled, RSS +{})",
            many.backlog / 1000.0,
            report::bytes(many.grown)
        ),
        report::rate(many.durable, "msgs"),
        Some(report::rate(many.raw, "calls")),
        Some(report::slower_rate(many.durable, many.raw)),
        None,
    );
    table.row(
        "chain",
        format!("events/s written durably via {PARALLEL_ACTORS} actors (same runs; plus one state blob per message)"),
        report::rate(many.events_per_s, "events"),
        None,
        None,
        Some(Target::new("≥ 200 k events/s", many.events_per_s >= 200_000.0)),
    );
    chain::disk_row(
        table,
        &format!("via {PARALLEL_ACTORS} actors (the last parallel run, state blobs included)"),
        &disk,
    );
}

/// Throughputs of one measurement: Theater's when every message is handled (its events
/// hashed and queued to the chain writer) and when they are also committed, raw wasmtime's,
/// and the chain events Theater committed per second.
struct Throughput {
    handled: f64,
    durable: f64,
    raw: f64,
    events_per_s: f64,
    /// Events not yet committed when the last message was handled (the writer's backlog),
    /// and how much the process's RSS had grown by then.
    backlog: f64,
    grown: f64,
}

impl Throughput {
    fn median(runs: Vec<Throughput>) -> Throughput {
        let of = |f: fn(&Throughput) -> f64| report::median(runs.iter().map(f).collect());
        Throughput {
            handled: of(|t| t.handled),
            durable: of(|t| t.durable),
            raw: of(|t| t.raw),
            events_per_s: of(|t| t.events_per_s),
            backlog: of(|t| t.backlog),
            grown: of(|t| t.grown),
        }
    }
}

/// Events committed for actor `id` so far.
fn events_of(theater: &Theater, id: &str) -> u64 {
    theater
        .db()
        .reader()
        .and_then(|r| r.actor(id))
        .expect("read the actor's record")
        .events
}

/// Each run starts a fresh Theater with an empty database: the chain writer slows down as
/// the database grows (see the chain rows), so runs on one database would not be alike.
fn one_actor(scratch: &Scratch, counter: &Raw) -> Throughput {
    let manifest = setup::manifest(scratch, "raw-counter", "");
    let mut raw_actor = counter.spawn("raw");
    for _ in 0..WARM_SENDS {
        raw_actor.send(b"inc");
    }
    let mut runs = Vec::new();
    for rep in 0..REPS {
        let (handled, durable, events, backlog, grown) = setup::block_on(async {
            let theater = setup::theater(&scratch.path().join(format!("one-{rep}")), 4);
            let id = theater
                .spawn(manifest.clone(), None, None)
                .await
                .expect("spawn raw-counter");
            let handle = theater.actor(&id).expect("the actor just spawned").handle;
            setup::sends(&handle, WARM_SENDS).await;
            theater
                .db()
                .sink()
                .flush_async()
                .await
                .expect("flush the chain");
            let before = events_of(&theater, &id);
            let rss = setup::memory().resident;
            let start = Instant::now();
            setup::sends(&handle, SENDS).await;
            let handled = start.elapsed();
            let grown = setup::memory().resident.saturating_sub(rss);
            let committed = events_of(&theater, &id);
            theater
                .db()
                .sink()
                .flush_async()
                .await
                .expect("flush the chain");
            let durable = start.elapsed();
            let count = theater
                .request(&id, b"get".to_vec())
                .await
                .expect("ask the count");
            assert_eq!(
                count,
                (WARM_SENDS + SENDS).to_string().into_bytes(),
                "every send was handled once"
            );
            let after = events_of(&theater, &id);
            (handled, durable, after - before, after - committed, grown)
        });
        let start = Instant::now();
        for _ in 0..SENDS {
            raw_actor.send(b"inc");
        }
        runs.push(Throughput {
            handled: report::per_second(SENDS, handled),
            durable: report::per_second(SENDS, durable),
            raw: report::per_second(SENDS, start.elapsed()),
            events_per_s: report::per_second(events, durable),
            backlog: backlog as f64,
            grown: grown as f64,
        });
    }
    assert_eq!(
        raw_actor.request(b"get"),
        (WARM_SENDS + REPS as u64 * SENDS).to_string().into_bytes(),
        "every raw call was handled once"
    );
    Throughput::median(runs)
}

struct RoundTrips {
    theater: Latency,
    raw: Latency,
}

/// Actor A asks actor B `ping i` and checks the `pong i`, `PER_BATCH` times per `pingpong`
/// request; the host times each `pingpong` and divides by `PER_BATCH`. A round trip's own
/// time is only observable inside the guest, which has no clock, hence batch means (which
/// also carry 1/`PER_BATCH` of the host → A request that starts each batch).
fn round_trips(scratch: &Scratch, peer: &Raw) -> RoundTrips {
    let manifest = setup::manifest(scratch, "raw-peer", setup::PEER_GRANTS);
    let samples = setup::block_on(async {
        let theater = setup::theater(&scratch.path().join("rtt"), 4);
        let a = theater
            .spawn(manifest.clone(), None, None)
            .await
            .expect("spawn peer A");
        let b = theater
            .spawn(manifest, None, None)
            .await
            .expect("spawn peer B");
        let ask = |n: u64| {
            let theater = theater.clone();
            let (a, b) = (a.clone(), b.clone());
            async move {
                let reply = theater
                    .request(&a, format!("pingpong {b} {n}").into_bytes())
                    .await
                    .expect("pingpong");
                assert_eq!(
                    reply,
                    format!("ok {n}").into_bytes(),
                    "every ping was answered"
                );
            }
        };
        ask(1_000).await;
        let mut samples = Vec::with_capacity(BATCHES);
        for _ in 0..BATCHES {
            let start = Instant::now();
            ask(PER_BATCH).await;
            samples.push(start.elapsed() / PER_BATCH as u32);
        }
        samples
    });

    let mut b = peer.spawn("raw-b");
    let messages: Vec<Vec<u8>> = (0..BATCHES as u64 * PER_BATCH)
        .map(|i| format!("ping {i}").into_bytes())
        .collect();
    let mut raw = Vec::with_capacity(messages.len());
    for m in &messages {
        let start = Instant::now();
        let reply = b.request(m);
        raw.push(start.elapsed());
        assert!(reply.starts_with(b"pong "), "raw-peer answers ping");
    }
    RoundTrips {
        theater: Latency::of(samples),
        raw: Latency::of(raw),
    }
}

/// `PARALLEL_ACTORS` counters each sent `SENDS_PER_ACTOR` messages at once, against the
/// same number of raw instances driven by one thread per core. Returns the chain's disk
/// usage afterwards too: actors writing interleaved is the realistic case for the database.
fn many_actors(scratch: &Scratch, counter: &Raw) -> (Throughput, DiskUsage) {
    let manifest = setup::manifest(scratch, "raw-counter", "");
    let total = PARALLEL_ACTORS as u64 * SENDS_PER_ACTOR;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut raw_actors: Vec<_> = (0..PARALLEL_ACTORS)
        .map(|i| counter.spawn(&format!("raw-{i}")))
        .collect();
    let per_thread = raw_actors.len().div_ceil(threads);
    let mut runs = Vec::new();
    let mut home = PathBuf::new();
    for rep in 0..REPS {
        home = scratch.path().join(format!("many-{rep}"));
        let (handled, durable, events, backlog, grown) = setup::block_on(async {
            let theater = setup::theater(&home, PARALLEL_ACTORS as u32);
            let mut handles = Vec::new();
            for i in 0..PARALLEL_ACTORS as u64 {
                // Counters starting far apart never share a state, so each state is a new
                // blob, as with actors whose states differ (the store keeps a value once).
                let start = Some((i * 1_000_000_000).to_string().into_bytes());
                let id = theater
                    .spawn(manifest.clone(), start, None)
                    .await
                    .expect("spawn raw-counter");
                handles.push((
                    id.clone(),
                    theater.actor(&id).expect("the actor just spawned").handle,
                ));
            }
            theater
                .db()
                .sink()
                .flush_async()
                .await
                .expect("flush the chain");
            let committed = || {
                handles
                    .iter()
                    .map(|(id, _)| events_of(&theater, id))
                    .sum::<u64>()
            };
            let before = committed();
            let rss = setup::memory().resident;
            let start = Instant::now();
            let mut tasks = tokio::task::JoinSet::new();
            for (_, handle) in handles.clone() {
                tasks.spawn(async move { setup::sends(&handle, SENDS_PER_ACTOR).await });
            }
            while let Some(done) = tasks.join_next().await {
                done.expect("a sender task completes");
            }
            let handled = start.elapsed();
            let grown = setup::memory().resident.saturating_sub(rss);
            let at_handled = committed();
            theater
                .db()
                .sink()
                .flush_async()
                .await
                .expect("flush the chain");
            let durable = start.elapsed();
            let after = committed();
            (handled, durable, after - before, after - at_handled, grown)
        });

        let start = Instant::now();
        std::thread::scope(|s| {
            for group in raw_actors.chunks_mut(per_thread) {
                s.spawn(move || {
                    for _ in 0..SENDS_PER_ACTOR {
                        for actor in group.iter_mut() {
                            actor.send(b"inc");
                        }
                    }
                });
            }
        });
        runs.push(Throughput {
            handled: report::per_second(total, handled),
            durable: report::per_second(total, durable),
            raw: report::per_second(total, start.elapsed()),
            events_per_s: report::per_second(events, durable),
            backlog: backlog as f64,
            grown: grown as f64,
        });
    }
    let disk = chain::disk_usage(&theater_runtime::paths::chain_db(&home));
    (Throughput::median(runs), disk)
}

//! Spawn: a cached component to an initialised actor (Theater's `spawn` against raw
//! `InstancePre` instantiate + `init`), and the first spawn of a component that was never
//! compiled against one loaded from the on-disk cache.

use std::time::{Duration, Instant};

use theater_e2e::Scratch;
use wasmtime::component::Component;

use crate::raw::{self, Raw};
use crate::report::{self, Latency, Table, Target};
use crate::setup;

/// Spawns per side, in rounds that alternate Theater and raw so that a burst of load from
/// elsewhere on the machine lands on both.
const ROUNDS: usize = 5;
const PER_ROUND: usize = 100;
/// Cold-start repetitions (each compiles the component); the median is reported.
const COLD: usize = 3;

pub fn run(table: &mut Table) {
    let scratch = Scratch::new();
    let bytes = setup::component_bytes("raw-counter");
    let manifest = setup::manifest(&scratch, "raw-counter", "");
    let slots = (ROUNDS * PER_ROUND + 1) as u32;

    let engine = raw::engine(slots);
    let component = Component::new(&engine, &bytes).expect("compile raw-counter on raw wasmtime");
    let raw = Raw::new(&engine, &component);
    let (theater_samples, raw_samples) = setup::block_on(async {
        let theater = setup::theater(&scratch.home(), slots);
        // The first spawn compiles and caches; the measured ones start from the cache.
        theater
            .spawn(manifest.clone(), None, None)
            .await
            .expect("spawn raw-counter");
        let mut raw_actors = Vec::new();
        let (mut t, mut r) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            for _ in 0..PER_ROUND {
                let start = Instant::now();
                theater
                    .spawn(manifest.clone(), None, None)
                    .await
                    .expect("spawn raw-counter");
                t.push(start.elapsed());
            }
            for i in 0..PER_ROUND {
                let start = Instant::now();
                let actor = raw.spawn(&format!("raw-{i}"));
                r.push(start.elapsed());
                // Kept alive, like Theater's actors, so both sides take fresh pool slots.
                raw_actors.push(actor);
            }
        }
        (t, r)
    });
    let theater = Latency::of(theater_samples);
    let raw = Latency::of(raw_samples);
    let n = ROUNDS * PER_ROUND;
    table.row(
        "spawn",
        format!("cached component → initialised actor, p50 ({n} spawns)"),
        report::time(theater.p50),
        Some(report::time(raw.p50)),
        Some(report::slower(theater.p50, raw.p50)),
        Some(Target::new(
            "≤ 1.5×",
            theater.p50.as_secs_f64() <= 1.5 * raw.p50.as_secs_f64(),
        )),
    );
    table.row(
        "spawn",
        "cached component → initialised actor, p99",
        report::time(theater.p99),
        Some(report::time(raw.p99)),
        Some(report::slower(theater.p99, raw.p99)),
        None,
    );

    let cold = cold_starts(&scratch, &manifest, &bytes);
    table.row(
        "spawn",
        format!("first spawn, uncached: compile + instantiate + init (median of {COLD})"),
        report::time(cold.theater_compiled),
        Some(report::time(cold.raw_compiled)),
        Some(report::slower(cold.theater_compiled, cold.raw_compiled)),
        None,
    );
    table.row(
        "spawn",
        "first spawn, cached on disk: load + instantiate + init",
        report::time(cold.theater_cached),
        Some(report::time(cold.raw_cached)),
        Some(report::slower(cold.theater_cached, cold.raw_cached)),
        None,
    );
    table.row(
        "spawn",
        "uncached ÷ cached first spawn (what the disk cache saves)",
        report::times(cold.theater_compiled.as_secs_f64() / cold.theater_cached.as_secs_f64()),
        Some(report::times(
            cold.raw_compiled.as_secs_f64() / cold.raw_cached.as_secs_f64(),
        )),
        None,
        None,
    );
}

/// Medians of first spawns in a fresh process state: with nothing cached, and with the
/// compiled component only on disk (a new Theater, so its in-memory cache is empty).
struct Cold {
    theater_compiled: Duration,
    theater_cached: Duration,
    raw_compiled: Duration,
    raw_cached: Duration,
}

fn cold_starts(scratch: &Scratch, manifest: &theater_runtime::Manifest, bytes: &[u8]) -> Cold {
    let (mut tc, mut tk, mut rc, mut rk) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for rep in 0..COLD {
        let home = scratch.path().join(format!("cold-{rep}"));
        for samples in [&mut tc, &mut tk] {
            setup::block_on(async {
                let theater = setup::theater(&home, 4);
                let start = Instant::now();
                theater
                    .spawn(manifest.clone(), None, None)
                    .await
                    .expect("spawn raw-counter");
                samples.push(start.elapsed());
                theater.shutdown().await.expect("stop the cold-start actor");
            });
        }

        let engine = raw::engine(4);
        let start = Instant::now();
        let component = Component::new(&engine, bytes).expect("compile raw-counter");
        let actor = Raw::new(&engine, &component).spawn("raw");
        rc.push(start.elapsed());
        drop(actor);
        let file = home.join("raw.cwasm");
        std::fs::write(
            &file,
            component
                .serialize()
                .expect("serialize the compiled component"),
        )
        .expect("write the raw cache file");

        let engine = raw::engine(4);
        let start = Instant::now();
        // SAFETY: `file` was written just above by `Component::serialize` on an engine with
        // this exact configuration.
        let component = unsafe { Component::deserialize_file(&engine, &file) }
            .expect("load the raw cache file");
        let actor = Raw::new(&engine, &component).spawn("raw");
        rk.push(start.elapsed());
        drop(actor);
    }
    Cold {
        theater_compiled: median(tc),
        theater_cached: median(tk),
        raw_compiled: median(rc),
        raw_cached: median(rk),
    }
}

fn median(samples: Vec<Duration>) -> Duration {
    Latency::of(samples).p50
}

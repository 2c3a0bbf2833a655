//! Resident memory per idle actor: the growth of a process's RSS over N spawned, idle actors,
//! divided by N, against N raw instances (store + instance + `init`) kept alive.
//!
//! Each case runs in a fresh child process (the harness re-running itself, see [`child_main`]):
//! in the harness's own process the allocator would hand the actors memory that earlier
//! sections freed, and their growth would depend on what ran before.
//! `TheaterConfig.engine.max_actors` sizes the pooling allocator, so each Theater is built
//! for exactly the number of actors it holds.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use theater_e2e::Scratch;
use theater_runtime::Manifest;
use wasmtime::component::Component;

use crate::raw::{self, Raw};
use crate::report::{self, Table, Target};
use crate::setup::{self, CHILD_ENV};

const SIZES: [u32; 2] = [1_000, 10_000];
/// The design goal at the largest size.
const GOAL: f64 = 256.0 * 1024.0;
/// The value of [`CHILD_ENV`] that makes the harness a memory child.
pub const CHILD_ROLE: &str = "memory";

pub fn run(table: &mut Table) {
    let component = theater_e2e::fixtures().component("raw-counter");
    for n in SIZES {
        let theater = measure_in_child("theater", n, &component);
        let raw = measure_in_child("raw", n, &component);
        let mut figure = format!(
            "resident memory per idle actor, {n} actors (pool reserves {} of address space; spawned in {})",
            report::bytes(theater.reserved as f64),
            report::time(theater.took),
        );
        if let Some(reason) = &theater.refused {
            figure.push_str(&format!(
                "; spawn {} refused: {reason}",
                theater.spawned + 1
            ));
        }
        let target = (n == SIZES[SIZES.len() - 1]).then(|| {
            Target::new(
                "≤ 256 KiB",
                theater.refused.is_none() && theater.per_actor <= GOAL,
            )
        });
        table.row(
            "memory",
            figure,
            report::bytes(theater.per_actor),
            Some(report::bytes(raw.per_actor)),
            Some(report::times(theater.per_actor / raw.per_actor)),
            target,
        );
    }
}

/// One case's outcome, as a child reports it on one tab-separated line.
struct Measured {
    per_actor: f64,
    /// Address space the engine reserved when it was built (the pool).
    reserved: u64,
    took: Duration,
    spawned: u32,
    /// Why a spawn failed before `n` actors ran, if one did.
    refused: Option<String>,
}

impl Measured {
    fn line(&self) -> String {
        let refused = self
            .refused
            .as_deref()
            .unwrap_or("")
            .replace(['\t', '\n'], " ");
        format!(
            "{}\t{}\t{}\t{}\t{refused}",
            self.per_actor,
            self.reserved,
            self.took.as_nanos(),
            self.spawned
        )
    }

    fn parse(line: &str) -> Option<Measured> {
        let mut f = line.trim_end_matches('\n').split('\t');
        Some(Measured {
            per_actor: f.next()?.parse().ok()?,
            reserved: f.next()?.parse().ok()?,
            took: Duration::from_nanos(f.next()?.parse().ok()?),
            spawned: f.next()?.parse().ok()?,
            refused: f.next().filter(|r| !r.is_empty()).map(str::to_string),
        })
    }
}

fn measure_in_child(kind: &str, n: u32, component: &Path) -> Measured {
    let exe = std::env::current_exe().expect("the harness's own path");
    let out = Command::new(exe)
        .env(CHILD_ENV, CHILD_ROLE)
        .arg(kind)
        .arg(n.to_string())
        .arg(component)
        .output()
        .expect("run the memory measurement in a child process");
    let stdout = String::from_utf8_lossy(&out.stdout);
    match Measured::parse(&stdout).filter(|_| out.status.success()) {
        Some(m) => m,
        None => panic!(
            "memory child ({kind}, {n}) failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// The child's side: `<theater|raw> <n> <component>` measures one case and prints its line.
pub fn child_main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [kind, n, component] = args.as_slice() else {
        eprintln!(
            "usage: {CHILD_ENV}={CHILD_ROLE} <harness> <theater|raw> <actors> <component.wasm>"
        );
        return ExitCode::FAILURE;
    };
    let Ok(n) = n.parse::<u32>() else {
        eprintln!("not a number of actors: {n}");
        return ExitCode::FAILURE;
    };
    let measured = match kind.as_str() {
        "theater" => theater_case(n, Path::new(component)),
        "raw" => raw_case(n, Path::new(component)),
        other => {
            eprintln!("unknown memory case {other}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", measured.line());
    ExitCode::SUCCESS
}

fn theater_case(n: u32, component: &Path) -> Measured {
    let scratch = Scratch::new();
    let manifest = Manifest::load(&scratch.manifest("raw-counter", component, ""))
        .expect("the bench's manifest is valid");
    setup::block_on(async {
        let before = setup::memory();
        let theater = setup::theater(&scratch.home(), n);
        let reserved = setup::memory()
            .virtual_size
            .saturating_sub(before.virtual_size);
        // The first actor compiles the component and builds the linker; it is counted as
        // one of the n but not in the growth.
        theater
            .spawn(manifest.clone(), None, None)
            .await
            .expect("spawn raw-counter");
        theater
            .db()
            .sink()
            .flush_async()
            .await
            .expect("flush the chain");
        let base = setup::memory().resident;
        let start = Instant::now();
        let mut spawned = 1u32;
        let mut refused = None;
        while spawned < n {
            match theater.spawn(manifest.clone(), None, None).await {
                Ok(_) => spawned += 1,
                Err(e) => {
                    refused = Some(e.to_string());
                    break;
                }
            }
        }
        let took = start.elapsed();
        theater
            .db()
            .sink()
            .flush_async()
            .await
            .expect("flush the chain");
        let grown = setup::memory().resident.saturating_sub(base);
        Measured {
            per_actor: grown as f64 / f64::from(spawned.max(2) - 1),
            reserved,
            took,
            spawned,
            refused,
        }
    })
}

fn raw_case(n: u32, component: &Path) -> Measured {
    let before = setup::memory();
    let engine = raw::engine(n);
    let reserved = setup::memory()
        .virtual_size
        .saturating_sub(before.virtual_size);
    let raw = Raw::new(
        &engine,
        &Component::from_file(&engine, component).expect("compile raw-counter"),
    );
    let first = raw.spawn("raw-0");
    let base = setup::memory().resident;
    let start = Instant::now();
    let actors: Vec<_> = (1..n).map(|i| raw.spawn(&format!("raw-{i}"))).collect();
    let took = start.elapsed();
    let grown = setup::memory().resident.saturating_sub(base);
    drop((actors, first));
    Measured {
        per_actor: grown as f64 / f64::from(n.max(2) - 1),
        reserved,
        took,
        spawned: n,
        refused: None,
    }
}

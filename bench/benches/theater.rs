//! `cargo bench -p theater-bench`: Theater's runtime measured against raw wasmtime in the
//! same run, printed as one Markdown table (progress goes to stderr). See the crate docs.
//! `cargo bench -p theater-bench -- messages chain` runs only those sections (for profiling
//! one of them); the sections are spawn, messages, chain, memory, replay, backpressure and
//! http.

use std::process::ExitCode;
use std::time::Instant;

use theater_bench::report::{self, Table};
use theater_bench::{backpressure, chain, http, memory, messages, replay, setup, spawn};

const SECTIONS: [&str; 7] = [
    "spawn",
    "messages",
    "chain",
    "memory",
    "replay",
    "backpressure",
    "http",
];

fn main() -> ExitCode {
    match std::env::var(setup::CHILD_ENV).as_deref() {
        Ok(chain::CLI_ROLE) => return chain::cli_main(),
        Ok(memory::CHILD_ROLE) => return memory::child_main(),
        Ok(backpressure::CHILD_ROLE) => return backpressure::child_main(),
        _ => {}
    }
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs bench targets without
    // it, and a 45-second benchmark has no place in a test run.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        eprintln!(
            "theater-bench measures only under `cargo bench -p theater-bench`; nothing to test"
        );
        return ExitCode::SUCCESS;
    }
    // Runtime warnings (e.g. a pooling allocator that cannot be reserved) belong in the output.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
        .init();
    let started = Instant::now();
    // Build the fixture actors before any clock starts.
    theater_e2e::fixtures();

    // Any argument besides the flags names a section to run.
    let only: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    if let Some(unknown) = only.iter().find(|o| !SECTIONS.contains(&o.as_str())) {
        eprintln!(
            "no section {unknown}; the sections are {}",
            SECTIONS.join(", ")
        );
        return ExitCode::FAILURE;
    }
    let wanted = |section: &str| {
        let run = only.is_empty() || only.iter().any(|o| *o == section);
        if run {
            eprintln!("[{:>5.1} s] {section}", started.elapsed().as_secs_f64());
        }
        run
    };
    let mut table = Table::default();
    if wanted("spawn") {
        spawn::run(&mut table);
    }
    if wanted("messages") {
        messages::run(&mut table);
    }
    if wanted("chain") {
        chain::run(&mut table);
    }
    if wanted("memory") {
        memory::run(&mut table);
    }
    if wanted("replay") {
        replay::run(&mut table);
    }
    if wanted("backpressure") {
        backpressure::run(&mut table);
    }
    if wanted("http") {
        http::run(&mut table);
    }

    println!("{}", table.markdown());
    let profile = if cfg!(debug_assertions) {
        "dev"
    } else {
        "release"
    };
    println!(
        "Harness time: {} (cargo bench -p theater-bench, {profile} profile).",
        report::time(started.elapsed())
    );
    ExitCode::SUCCESS
}

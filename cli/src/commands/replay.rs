//! `theater replay`: re-run a recorded chain against its component (or another one) and
//! report `identical` or the first divergence, both sides decoded.

use std::path::PathBuf;
use std::process::ExitCode;

use theater_runtime::replay::{Divergence, EventView, ReplayInput};
use theater_runtime::{Theater, TheaterConfig};

use super::chain_source;
use crate::cli::ReplayArgs;
use crate::output::print_json;

pub async fn replay(args: ReplayArgs, data_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let source = chain_source::load(&args.target, data_dir.clone())?;
    let theater = Theater::new(TheaterConfig::new(data_dir))?;
    let started = std::time::Instant::now();
    let report = theater
        .replay(ReplayInput {
            events: source.events,
            component: args.component.clone(),
            blobs: source.blobs,
        })
        .await?;
    let elapsed = started.elapsed();
    if args.json {
        let mut value = serde_json::to_value(&report)?;
        value["elapsed_ms"] = serde_json::json!(elapsed.as_secs_f64() * 1000.0);
        print_json(&value);
    } else {
        match &report.divergence {
            None => println!(
                "identical: {} events, head {}",
                report.recorded,
                report.head.map(hex::encode).unwrap_or_default()
            ),
            Some(d) => print_divergence(d, report.recorded),
        }
    }
    Ok(if report.divergence.is_none() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_divergence(d: &Divergence, recorded: u64) {
    println!(
        "diverged at event {} (of {recorded}; the {} before it replayed identically)",
        d.index, d.index
    );
    let show = |label: &str, v: &Option<EventView>| match v {
        Some(v) => {
            println!("  {label}: {}", v.event_type);
            let pretty = serde_json::to_string_pretty(&v.payload).unwrap_or_default();
            for line in pretty.lines() {
                println!("      {line}");
            }
            if let Some(state) = &v.state {
                println!("    state (decoded):");
                for line in serde_json::to_string_pretty(state)
                    .unwrap_or_default()
                    .lines()
                {
                    println!("      {line}");
                }
            }
        }
        None => println!("  {label}: (nothing: the run ended here)"),
    };
    show("expected (recorded)", &d.expected);
    show("actual   (replayed)", &d.actual);
}

//! `theater export`: an actor's chain as JSON Lines, to stdout or a file.

use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use theater_runtime::chain::export::write_jsonl;
use theater_runtime::chain::{ChainReader, EventFilter};

use super::chain_db;
use crate::cli::ExportArgs;

pub fn export(args: ExportArgs, data_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let reader = ChainReader::open(&chain_db(data_dir))?;
    let events = reader.events(&args.actor_id, &EventFilter::default())?;
    let blob = |h: &_| reader.blob(h).ok().flatten();
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            write_jsonl(&events, blob, BufWriter::new(file)).with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("exported {} events to {}", events.len(), path.display());
        }
        None => write_jsonl(&events, blob, std::io::stdout().lock()).context("cannot write to stdout")?,
    }
    Ok(ExitCode::SUCCESS)
}

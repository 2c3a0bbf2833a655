//! `theater export`: an actor's chain as JSON Lines (its latest signed head, then one event
//! a line), to stdout or a file, streamed row by row.

use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use theater_chain::export::export_actor;
use theater_chain::ChainReader;

use super::chain_db;
use crate::cli::ExportArgs;

pub fn export(args: ExportArgs, data_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let reader = ChainReader::open(&chain_db(data_dir))?;
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let n = export_actor(&reader, &args.actor_id, BufWriter::new(file))
                .with_context(|| format!("cannot export to {}", path.display()))?;
            eprintln!("exported {n} events to {}", path.display());
        }
        None => {
            export_actor(
                &reader,
                &args.actor_id,
                BufWriter::new(std::io::stdout().lock()),
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! `theater verify`: recompute every hash and link of a chain, from the database or from
//! an exported file.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;
use theater_runtime::chain::export::read_jsonl;
use theater_runtime::chain::verify::verify as verify_chain;
use theater_runtime::chain::{ChainReader, EventFilter};

use super::chain_db;
use crate::cli::VerifyArgs;
use crate::output::print_json;

pub fn verify(args: VerifyArgs, data_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let path = Path::new(&args.target);
    let events = if path.is_file() {
        let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        read_jsonl(BufReader::new(file), &args.target)?
    } else {
        ChainReader::open(&chain_db(data_dir))?.events(&args.target, &EventFilter::default())?
    };
    match verify_chain(&events) {
        Ok(n) => {
            let head = events.last().map(|e| hex::encode(e.hash));
            if args.json {
                print_json(&json!({"ok": true, "events": n, "head": head}));
            } else {
                println!("ok: {n} events");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if args.json {
                print_json(&json!({"ok": false, "error": e.to_string()}));
            } else {
                eprintln!("error: {e}");
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

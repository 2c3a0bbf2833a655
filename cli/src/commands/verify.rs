//! `theater verify`: recompute every hash and link of a chain, from the database or from
//! an exported file.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;
use theater_runtime::chain::verify::verify as verify_chain;

use super::chain_source;
use crate::cli::VerifyArgs;
use crate::output::print_json;

pub fn verify(args: VerifyArgs, data_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let events = chain_source::load(&args.target, data_dir)?.events;
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

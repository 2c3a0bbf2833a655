//! `theater key`: this data directory's public key, which signs every chain head the
//! runtime writes here (created on first use).

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;
use theater_chain::signing::Signer;

use crate::cli::KeyArgs;
use crate::output::print_json;

pub fn key(args: KeyArgs, data_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let dir = data_dir.unwrap_or_else(theater_chain::paths::theater_home);
    let key = hex::encode(Signer::load_or_create(&dir)?.public_key());
    if args.json {
        print_json(&json!({ "public_key": key }));
    } else {
        println!("{key}");
    }
    Ok(ExitCode::SUCCESS)
}

//! `theater verify`: recompute every hash and link of a chain, from the database or from an
//! exported file, and check its latest signed head (optionally against a given key). Reads
//! one event at a time, so memory stays flat whatever the chain's size.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;
use theater_chain::export::{for_each_line, Line};
use theater_chain::verify::{Verified, Verifier, VerifyError};
use theater_chain::ChainReader;

use super::chain_db;
use crate::cli::VerifyArgs;
use crate::output::print_json;

pub fn verify(args: VerifyArgs, data_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let key = args.key.as_deref().map(parse_key).transpose()?;
    let path = Path::new(&args.target);
    let result = if path.is_file() {
        from_file(path, key.as_ref())
    } else {
        from_db(&args.target, data_dir, key.as_ref())
    };
    let outcome = match result {
        Ok(verified) => Ok(verified),
        Err(e) => match e.downcast::<VerifyError>() {
            Ok(failure) => Err(failure),
            Err(other) => return Err(other),
        },
    };
    match outcome {
        Ok(v) => {
            if args.json {
                print_json(&json!({
                    "ok": true,
                    "events": v.events,
                    "head": v.head.map(hex::encode),
                    "signed_by": hex::encode(v.signed.public_key),
                    "signed_seq": v.signed.seq,
                    "unsigned_tail": v.unsigned_tail(),
                }));
            } else {
                println!("{}", summary(&v));
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

/// `ok: N events, head H, signed by KEY (at seq S)`, and the unsigned tail if there is one.
fn summary(v: &Verified) -> String {
    let head = v.head.map(hex::encode).unwrap_or_default();
    let mut line = format!(
        "ok: {} events, head {head}, signed by {} (at seq {})",
        v.events,
        hex::encode(v.signed.public_key),
        v.signed.seq
    );
    match v.unsigned_tail() {
        0 => {}
        n => line.push_str(&format!(
            "; unsigned tail: {n} events after seq {} are not covered by a signature yet",
            v.signed.seq
        )),
    }
    line
}

fn parse_key(text: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = hex::decode(text.trim()).ok().filter(|b| b.len() == 32);
    bytes
        .and_then(|b| b.try_into().ok())
        .with_context(|| format!("--key {text:?} is not a public key\n  hint: give the 64 hex digits `theater key` prints"))
}

fn from_db(
    target: &str,
    data_dir: Option<PathBuf>,
    key: Option<&[u8; 32]>,
) -> anyhow::Result<Verified> {
    let reader = ChainReader::open(&chain_db(data_dir))?;
    let actor_id = reader.actor(target)?.actor_id;
    let mut verifier = Verifier::new(reader.signed_head(&actor_id)?);
    reader.scan(&actor_id, 0, |event| -> anyhow::Result<bool> {
        verifier.push(&event)?;
        Ok(true)
    })?;
    Ok(verifier.finish(&actor_id, key)?)
}

fn from_file(path: &Path, key: Option<&[u8; 32]>) -> anyhow::Result<Verified> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut verifier = Verifier::new(None);
    let mut actor_id = String::new();
    for_each_line(
        BufReader::new(file),
        &path.display().to_string(),
        |line| -> anyhow::Result<()> {
            match line {
                Line::Head(head) => {
                    verifier = Verifier::new(Some(head.head));
                    actor_id = head.actor_id;
                }
                Line::Event(event, _) => verifier.push(&event)?,
            }
            Ok(())
        },
    )?;
    Ok(verifier.finish(&actor_id, key)?)
}

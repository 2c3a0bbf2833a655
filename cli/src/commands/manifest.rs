//! `theater manifest convert`: print the native form a manifest runs as — for one written
//! for the original Theater, the converted manifest, with the note on stderr.

use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;
use theater_runtime::Manifest;

use crate::cli::ConvertArgs;
use crate::output::print_json;

pub fn convert(args: ConvertArgs) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let manifest = Manifest::load_unchecked(&args.manifest, &cwd)?;
    let note = manifest.upstream.as_ref();
    if args.json {
        print_json(&json!({
            "format": if note.is_some() { "upstream" } else { "native" },
            "manifest": manifest.source,
            "ignored": note.map(|n| n.ignored.clone()).unwrap_or_default(),
            "widened": note.map(|n| n.widened.clone()).unwrap_or_default(),
        }));
        return Ok(ExitCode::SUCCESS);
    }
    match note {
        Some(note) => eprintln!("note: {note}"),
        None => eprintln!(
            "note: {} is already in the native form",
            args.manifest.display()
        ),
    }
    print!("{}", manifest.source);
    Ok(ExitCode::SUCCESS)
}

//! `theater start`: ask the server to start an actor from a manifest file, print its id,
//! and with --subscribe follow its events until it stops.

use std::process::ExitCode;

use anyhow::Context;
use theater_api::{ActorView, Bytes, StartRequest};

use super::subscribe;
use crate::cli::StartArgs;
use crate::client::Client;
use crate::output::print_json;

pub async fn start(args: StartArgs) -> anyhow::Result<ExitCode> {
    let client = Client::connect(&args.connection)?;
    // The server reads the manifest itself, so it gets a path that does not depend on
    // this process's working directory.
    let manifest = std::path::absolute(&args.manifest)
        .with_context(|| format!("cannot resolve {}", args.manifest.display()))?;
    let init_state = match &args.init_state {
        Some(p) => Some(Bytes::of(&std::fs::read(p).with_context(|| {
            format!("cannot read --init-state file {}", p.display())
        })?)),
        None => None,
    };
    let working_dir = std::env::current_dir().context("cannot read the working directory")?;
    let request = StartRequest {
        manifest: manifest.display().to_string(),
        init_state,
        name: args.name.clone(),
        working_dir: Some(working_dir.display().to_string()),
    };
    let actor: ActorView = client.post("/v1/actors", &request).await?;
    if let (Some(note), false) = (&actor.note, args.json) {
        eprintln!("note: {note}");
    }
    if args.json {
        print_json(&serde_json::to_value(&actor)?);
    } else if args.id_only {
        println!("{}", actor.id);
    } else {
        println!("started {} ({}) as {}", actor.name, actor.version, actor.id);
    }
    if args.subscribe {
        subscribe::follow_one(
            &client,
            &actor.id,
            &subscribe::Selection::default(),
            args.json,
        )
        .await?;
    }
    Ok(ExitCode::SUCCESS)
}

//! `theater inspect`: one actor as the server knows it.

use std::process::ExitCode;

use theater_api::ActorView;

use crate::cli::ActorArgs;
use crate::client::{actor_path, Client};
use crate::output::print_json;

pub async fn inspect(args: ActorArgs) -> anyhow::Result<ExitCode> {
    let actor: ActorView = Client::connect(&args.connection)?.get(&actor_path(&args.actor_id, "")).await?;
    if args.json {
        print_json(&serde_json::to_value(&actor)?);
        return Ok(ExitCode::SUCCESS);
    }
    let dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    let status = match actor.reason {
        Some(reason) => format!("{}: {reason}", actor.status),
        None => actor.status,
    };
    let names = if actor.names.is_empty() { "-".to_string() } else { actor.names.join(", ") };
    let children = if actor.children.is_empty() { "-".to_string() } else { actor.children.join(", ") };
    for (key, value) in [
        ("id", actor.id),
        ("name", format!("{} {}", actor.name, actor.version)),
        ("names", names),
        ("manifest", actor.manifest),
        ("status", status),
        ("parent", dash(actor.parent)),
        ("children", children),
        ("restarts", actor.restarts.to_string()),
        ("events", actor.events.to_string()),
        ("head", dash(actor.head)),
    ] {
        println!("{:<10}{value}", format!("{key}:"));
    }
    Ok(ExitCode::SUCCESS)
}

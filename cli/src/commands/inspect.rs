//! `theater inspect`: one actor as the server knows it, with its committed state decoded
//! (its JSON when it is JSON, else its text, else hex).

use std::process::ExitCode;

use theater_api::{ActorView, StateView};
use theater_chain::state_view::decoded_state;

use crate::cli::ActorArgs;
use crate::client::{actor_path, Client};
use crate::output::print_json;

pub async fn inspect(args: ActorArgs) -> anyhow::Result<ExitCode> {
    let client = Client::connect(&args.connection)?;
    let actor: ActorView = client.get(&actor_path(&args.actor_id, "")).await?;
    if args.json {
        print_json(&serde_json::to_value(&actor)?);
        return Ok(ExitCode::SUCCESS);
    }
    // The state is a detail: an actor the server cannot read it of is still shown.
    let view: Option<StateView> = client.get(&actor_path(&actor.id, "/state")).await.ok();
    let state = view
        .and_then(|v| v.state)
        .and_then(|b| b.decode().ok())
        .map(|bytes| decoded_state(&bytes).to_string());
    let dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    let status = match actor.reason {
        Some(reason) => format!("{}: {reason}", actor.status),
        None => actor.status,
    };
    let names = if actor.names.is_empty() {
        "-".to_string()
    } else {
        actor.names.join(", ")
    };
    let children = if actor.children.is_empty() {
        "-".to_string()
    } else {
        actor.children.join(", ")
    };
    let listening = if actor.listening.is_empty() {
        "-".to_string()
    } else {
        let servers: Vec<String> = actor
            .listening
            .iter()
            .map(|l| format!("{} (server {})", l.address, l.server_id))
            .collect();
        servers.join(", ")
    };
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
        ("listens", listening),
        ("state", dash(state)),
    ] {
        println!("{:<10}{value}", format!("{key}:"));
    }
    Ok(ExitCode::SUCCESS)
}

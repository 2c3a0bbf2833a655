//! `theater stop`: stop an actor (and its children) after the messages already queued.

use std::process::ExitCode;

use theater_api::ActorView;

use crate::cli::ActorArgs;
use crate::client::{actor_path, Client};
use crate::output::print_json;

pub async fn stop(args: ActorArgs) -> anyhow::Result<ExitCode> {
    let actor: ActorView = Client::connect(&args.connection)?
        .post(&actor_path(&args.actor_id, "/stop"), &())
        .await?;
    if args.json {
        print_json(&serde_json::to_value(&actor)?);
        return Ok(ExitCode::SUCCESS);
    }
    match &actor.reason {
        Some(reason) => println!("{} {}: {}: {reason}", actor.name, actor.id, actor.status),
        None => println!("{} {}: {}", actor.name, actor.id, actor.status),
    }
    Ok(ExitCode::SUCCESS)
}

//! `theater restart`: restart an actor under the same id from its last committed state.

use std::process::ExitCode;

use theater_api::ActorView;

use crate::cli::ActorArgs;
use crate::client::{actor_path, Client};
use crate::output::print_json;

pub async fn restart(args: ActorArgs) -> anyhow::Result<ExitCode> {
    let actor: ActorView = Client::connect(&args.connection)?
        .post(&actor_path(&args.actor_id, "/restart"), &())
        .await?;
    if args.json {
        print_json(&serde_json::to_value(&actor)?);
    } else {
        println!(
            "{} {}: {} (restarts: {})",
            actor.name, actor.id, actor.status, actor.restarts
        );
    }
    Ok(ExitCode::SUCCESS)
}

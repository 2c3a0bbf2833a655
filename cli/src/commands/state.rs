//! `theater state`: an actor's committed state.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use theater_api::StateView;

use crate::cli::ActorArgs;
use crate::client::{actor_path, Client};
use crate::output::{print_json, show_bytes};

pub async fn state(args: ActorArgs) -> anyhow::Result<ExitCode> {
    let view: StateView = Client::connect(&args.connection)?.get(&actor_path(&args.actor_id, "/state")).await?;
    if args.json {
        print_json(&serde_json::to_value(&view)?);
        return Ok(ExitCode::SUCCESS);
    }
    match view.state {
        Some(state) => println!("{}", show_bytes(&state.decode().map_err(anyhow::Error::msg).context("the server sent bad state bytes")?)),
        // Nothing on stdout for programs; a word for people.
        None if std::io::stdout().is_terminal() => println!("(no state)"),
        None => {}
    }
    Ok(ExitCode::SUCCESS)
}

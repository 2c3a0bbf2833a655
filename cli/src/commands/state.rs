//! `theater state`: an actor's committed state — asked of the server, which answers for a
//! running actor and, for one that has ended, with the last state its chain committed; with
//! no server (or `--data-dir`), read from the chain database.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use theater_api::{Bytes, StateView};
use theater_chain::ChainReader;

use super::chain_db;
use crate::cli::ActorArgs;
use crate::client::{actor_path, Client, ClientError};
use crate::output::{print_json, show_bytes};

pub async fn state(args: ActorArgs, data_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let view = match data_dir {
        Some(dir) => from_db(&args.actor_id, Some(dir))?,
        None => match Client::connect(&args.connection)?
            .get(&actor_path(&args.actor_id, "/state"))
            .await
        {
            Err(ClientError::NoServer { .. }) => from_db(&args.actor_id, None)?,
            other => other?,
        },
    };
    if args.json {
        print_json(&serde_json::to_value(&view)?);
        return Ok(ExitCode::SUCCESS);
    }
    match view.state {
        Some(state) => println!(
            "{}",
            show_bytes(
                &state
                    .decode()
                    .map_err(anyhow::Error::msg)
                    .context("the server sent bad state bytes")?
            )
        ),
        // Nothing on stdout for programs; a word for people.
        None if std::io::stdout().is_terminal() => println!("(no state)"),
        None => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// The last state the actor's chain committed.
fn from_db(id: &str, data_dir: Option<PathBuf>) -> anyhow::Result<StateView> {
    let reader = ChainReader::open(&chain_db(data_dir))?;
    let actor_id = reader.actor(id)?.actor_id;
    Ok(StateView {
        state: reader.last_state(&actor_id)?.as_deref().map(Bytes::of),
    })
}

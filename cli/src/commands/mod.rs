//! One module per subcommand; `dispatch` routes a parsed command line to it.

mod chain_source;
mod events;
mod export;
mod replay;
mod run;
mod verify;

use std::process::ExitCode;

use clap::ArgMatches;

use crate::cli::{Cli, Command};

/// Run the parsed command. `matches` gives `run` the command-line order of its messages.
pub fn dispatch(cli: Cli, matches: &ArgMatches) -> anyhow::Result<ExitCode> {
    let data_dir = cli.global.data_dir;
    match cli.command {
        Command::Run(args) => {
            let order = matches.subcommand_matches("run").map(run::message_order).unwrap_or_default();
            runtime()?.block_on(run::run(args, order, data_dir))
        }
        Command::Events(args) => events::events(args, data_dir),
        Command::Export(args) => export::export(args, data_dir),
        Command::Verify(args) => verify::verify(args, data_dir),
        Command::Replay(args) => runtime()?.block_on(replay::replay(args, data_dir)),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// The chain database of a data directory (default `$THEATER_HOME`).
fn chain_db(data_dir: Option<std::path::PathBuf>) -> std::path::PathBuf {
    theater_runtime::paths::chain_db(&data_dir.unwrap_or_else(theater_runtime::paths::theater_home))
}

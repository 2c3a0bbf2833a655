//! One module per subcommand; `dispatch` routes a parsed command line to it.

mod build;
mod chain_source;
mod create;
mod event_printer;
mod events;
mod export;
mod inspect;
mod key;
mod lifecycle_log;
mod list;
mod manifest;
mod replay;
mod request;
mod restart;
mod run;
mod send;
mod server;
mod signals;
mod start;
mod state;
mod stop;
mod subscribe;
mod test;
mod tree;
mod tree_members;
mod verify;

use std::process::ExitCode;

use clap::ArgMatches;

use crate::cli::{Cli, Command};

/// Run the parsed command. `matches` gives `run` the command-line order of its messages.
pub fn dispatch(cli: Cli, matches: &ArgMatches) -> anyhow::Result<ExitCode> {
    let data_dir = cli.global.data_dir;
    match cli.command {
        Command::Create(args) => create::create(args, data_dir),
        Command::Build(args) => build::build(args, data_dir),
        Command::Run(args) => {
            let order = matches
                .subcommand_matches("run")
                .map(run::message_order)
                .unwrap_or_default();
            runtime()?.block_on(run::run(args, order, data_dir))
        }
        Command::Events(args) => events::events(args, data_dir),
        Command::Export(args) => export::export(args, data_dir),
        Command::Verify(args) => verify::verify(args, data_dir),
        Command::Key(args) => key::key(args, data_dir),
        Command::Replay(args) => runtime()?.block_on(replay::replay(args, data_dir)),
        Command::Test(args) => runtime()?.block_on(test::test(args)),
        Command::Server(args) => runtime()?.block_on(server::server(args, data_dir)),
        Command::Start(args) => runtime()?.block_on(start::start(args)),
        Command::List(args) => runtime()?.block_on(list::list(args)),
        Command::Inspect(args) => runtime()?.block_on(inspect::inspect(args)),
        Command::State(args) => runtime()?.block_on(state::state(args, data_dir)),
        Command::Subscribe(args) => runtime()?.block_on(subscribe::subscribe(args)),
        Command::Send(args) => runtime()?.block_on(send::send(args)),
        Command::Request(args) => runtime()?.block_on(request::request(args)),
        Command::Stop(args) => runtime()?.block_on(stop::stop(args)),
        Command::Restart(args) => runtime()?.block_on(restart::restart(args)),
        Command::Tree(args) => runtime()?.block_on(tree::tree(args)),
        Command::Manifest(crate::cli::ManifestCommand::Convert(args)) => manifest::convert(args),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// The chain database of a data directory (default `$THEATER_HOME`).
fn chain_db(data_dir: Option<std::path::PathBuf>) -> std::path::PathBuf {
    theater_chain::paths::chain_db(&data_dir.unwrap_or_else(theater_chain::paths::theater_home))
}

//! The `theater` command-line tool as a library, so end-to-end tests drive exactly the code
//! the binary runs. Each subcommand lives in `commands/`.

pub mod cli;
pub mod client;
pub mod commands;
pub mod componentize;
mod embedded;
mod output;
mod project;
pub mod scenario;
mod sdk_dependency;
mod sdk_home;
mod shared_target;
mod table;
pub mod template;
mod toolchain;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

/// Parse this process's command line, run the command and print any error in words: what
/// the `theater` binary does after its process-wide setup (and what the benchmarks re-run).
pub fn run() -> ExitCode {
    let matches = cli::Cli::command().get_matches();
    let parsed = match cli::Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match commands::dispatch(parsed, &matches) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

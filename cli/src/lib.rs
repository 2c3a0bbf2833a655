//! The `theater` command-line tool as a library, so end-to-end tests drive exactly the code
//! the binary runs. Each subcommand lives in `commands/`.

pub mod cli;
pub mod commands;
pub mod componentize;
mod output;

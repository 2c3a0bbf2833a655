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
mod table;
pub mod template;
mod toolchain;

//! The command line: every subcommand and option, with the help text users see.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Theater: run untrusted WebAssembly actors in a sandbox, with every input and output
/// recorded in a hash-linked, verifiable event chain.
#[derive(Debug, Parser)]
#[command(name = "theater", version, propagate_version = true, arg_required_else_help = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Debug, Args)]
pub struct Global {
    /// Directory holding the chain database and component cache [default: $THEATER_HOME or ~/.theater]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one actor in this process: start it, deliver messages in order, print replies, stop
    ///
    /// Messages are the arguments' UTF-8 bytes as given. Each request's reply is printed on its
    /// own line on stdout; actor logs go to stderr. Exits non-zero if the actor fails.
    Run(RunArgs),
    /// Show an actor's recorded events (from the chain database; no server needed)
    ///
    /// With no ACTOR_ID, lists the actors recorded in the database.
    Events(EventsArgs),
    /// Export an actor's chain as JSON Lines, one event a line (verifiable with `theater verify`)
    Export(ExportArgs),
    /// Verify a chain: recompute every hash and parent link
    ///
    /// Exits 0 with `ok: N events`, or non-zero naming the first bad event's index and why.
    Verify(VerifyArgs),
    /// Replay a recorded chain hash for hash; report `identical` or the first divergence
    ///
    /// Verifies the chain, re-runs its recorded calls against the component (the recorded one,
    /// or --component: will the new code behave the same on yesterday's traffic?), answering
    /// every host call from the chain. Exits 0 when identical, 1 at the first divergence.
    Replay(ReplayArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The actor's manifest (manifest.toml)
    pub manifest: PathBuf,
    /// File whose bytes are the actor's initial state (overrides the manifest's init_state)
    #[arg(long, value_name = "FILE")]
    pub init_state: Option<PathBuf>,
    /// Send a message (fire-and-forget); repeatable, delivered in command-line order
    #[arg(long = "send", value_name = "MSG")]
    pub sends: Vec<String>,
    /// Send a request and print its reply; repeatable, delivered in command-line order
    #[arg(long = "request", value_name = "MSG")]
    pub requests: Vec<String>,
    /// Print one JSON object at the end: actor_id, replies, events, head, error
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// The actor's id (a unique prefix of at least 4 characters is enough)
    pub actor_id: Option<String>,
    /// Only events whose type starts with this, e.g. `wasm/` or `theater:simple/runtime`
    #[arg(long = "type", value_name = "PREFIX")]
    pub type_prefix: Option<String>,
    /// Start at this sequence number
    #[arg(long, default_value_t = 0, value_name = "SEQ")]
    pub from: u64,
    /// Show at most this many events
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The actor's id (or a unique prefix of it)
    pub actor_id: String,
    /// Write to this file instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// An actor id in the chain database, or a chain file written by `theater export`
    pub target: String,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// An actor id in the chain database, or a chain file written by `theater export`
    pub target: String,
    /// Replay against this component instead of the recorded one
    #[arg(long, value_name = "WASM")]
    pub component: Option<PathBuf>,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

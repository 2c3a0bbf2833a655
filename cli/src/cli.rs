//! The command line: every subcommand and option, with the help text users see.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::template::Template;

/// Theater: run untrusted WebAssembly actors in a sandbox, with every input and output
/// recorded in a hash-linked, verifiable event chain.
#[derive(Debug, Parser)]
#[command(
    name = "theater",
    version,
    propagate_version = true,
    arg_required_else_help = true
)]
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
    /// Create a new actor project: a Rust crate, its manifest, tests and a README
    ///
    /// Writes NAME/ (or DIR/NAME with --output-dir): Cargo.toml, src/lib.rs with an #[actor],
    /// src/tests.rs (native unit tests, `cargo test`), manifest.toml, tests/*.toml (scenarios
    /// for `theater test`), README.md and .gitignore. The project depends on the Theater SDK
    /// that this binary carries, written to $THEATER_HOME/sdk/<version>/ (default ~/.theater),
    /// so no checkout of Theater is needed. Then: `cd NAME && theater build`.
    Create(CreateArgs),
    /// Build an actor project into WebAssembly components and check them against their manifests
    ///
    /// Runs `cargo build --target wasm32-unknown-unknown --release` (offline when every
    /// dependency is cached; the wasm target is installed with rustup if missing), turns each
    /// cdylib crate of the project into a component at target/theater/<crate>.wasm, and checks
    /// its imports against every manifest in the project that runs it. Prints each component's
    /// path, size and capabilities. Honours CARGO_TARGET_DIR for cargo's own output.
    Build(BuildArgs),
    /// Run one actor in this process: start it, deliver messages in order, print replies, stop
    ///
    /// Messages are the arguments' UTF-8 bytes as given. Each request's reply is printed on its
    /// own line on stdout; actor logs go to stderr. Exits non-zero if the actor fails.
    Run(RunArgs),
    /// Show an actor's recorded events, from the server if one runs, else from the database
    ///
    /// Asks the theater server (--server) when one answers and --data-dir is not given;
    /// otherwise reads the chain database directly, so no server is needed. With --follow,
    /// keeps printing new events from the server until the actor stops. With no ACTOR_ID,
    /// lists the actors recorded in the database.
    Events(EventsArgs),
    /// Export an actor's chain as JSON Lines: its latest signed head, then one event a line
    Export(ExportArgs),
    /// Verify a chain: recompute every hash and parent link, and check its signed head
    ///
    /// Exits 0 with `ok: N events, head H, signed by KEY (at seq S)` (and the size of any
    /// unsigned tail after S), or non-zero naming the first bad event's index and why. A chain
    /// with no signed head, one that ends before its signed head (truncated), one whose hash
    /// at the signed seq differs (re-hashed), and with --key one signed by another key, fail.
    Verify(VerifyArgs),
    /// Print this data directory's public key, which signs every chain head written here
    ///
    /// Creates the key pair on first use. Give the key to whoever checks your exports with
    /// `theater verify --key KEY FILE`.
    Key(KeyArgs),
    /// Replay a recorded chain hash for hash; report `identical` or the first divergence
    ///
    /// Verifies the chain, re-runs its recorded calls against the component (the recorded one,
    /// or --component: will the new code behave the same on yesterday's traffic?), answering
    /// every host call from the chain. Exits 0 when identical, 1 at the first divergence.
    Replay(ReplayArgs),
    /// Test an actor project: build, native unit tests, scenarios, golden chains
    ///
    /// Builds the project (as `theater build`), runs `cargo test` on the host, then every
    /// scenario `tests/*.toml` against the built component in a fresh in-process runtime, and
    /// replays every golden chain in `tests/golden/`. Prints a line per case, diffs for
    /// failures and `N passed, N failed`; exits non-zero on any failure. See docs/testing.md.
    Test(TestArgs),
    /// Host actors and serve the management API that the client commands below use
    ///
    /// Serves HTTP with JSON bodies, and live event streams as Server-Sent Events, on --addr
    /// (default 127.0.0.1:9000); docs/api.md describes every route and /openapi.json lists
    /// them. Every request but GET /v1/health needs the access token: a random one unless
    /// --token gives it, written with the address to server.json in the data directory
    /// (mode 0600), where the client commands find it. Requests from other web pages are
    /// refused, and connections, call time and event streams are bounded. Chains go to the
    /// data directory (--data-dir, default $THEATER_HOME). Ctrl-C or SIGTERM stops every
    /// actor within --shutdown-timeout (a second one at once), flushes the chains and exits.
    Server(ServerArgs),
    /// Start an actor on the server from a manifest file, and print its id
    ///
    /// The manifest's path is sent made absolute; the server reads it, so it must be on the
    /// server's machine. `theater start m.toml --id-only | theater subscribe -` follows the
    /// new actor's events until it stops.
    Start(StartArgs),
    /// List the server's actors: id, name, status, events, restarts, parent
    List(ListArgs),
    /// Show one actor: status, manifest, parent and children, restarts, event count, chain head
    Inspect(ActorArgs),
    /// Print an actor's committed state (as text when it is UTF-8, else as 0x-hex)
    State(ActorArgs),
    /// Stream actors' events live until they stop (ACTOR_ID, or `-` to read ids from stdin)
    ///
    /// Prints each actor's recorded events from --from on, then new ones as they happen, and
    /// returns when every actor followed has stopped or failed. With `-`, reads actor ids from
    /// stdin, one a line, and follows each as it arrives.
    Subscribe(SubscribeArgs),
    /// Send a message to an actor (fire-and-forget for the actor; returns once handled)
    ///
    /// The message is MSG's UTF-8 bytes.
    Send(MessageArgs),
    /// Send a request to an actor and print its reply (text when UTF-8, else 0x-hex)
    ///
    /// The request is MSG's UTF-8 bytes.
    Request(MessageArgs),
    /// Stop an actor (and its children) after the messages already queued
    Stop(ActorArgs),
    /// Restart an actor under the same id from its last committed state
    Restart(ActorArgs),
    /// Show the supervision tree: top-level actors and their children
    Tree(ListArgs),
    /// Work with manifest files (`theater manifest convert FILE`)
    #[command(subcommand)]
    Manifest(ManifestCommand),
}

#[derive(Debug, Subcommand)]
pub enum ManifestCommand {
    /// Print a manifest in the native form (one written for the original Theater, converted)
    ///
    /// Reads FILE as `theater run` does — the native form, or the original Theater's
    /// (`[[handler]]` with its option names, or `[[handlers]]` with `[handlers.config]`) —
    /// and prints the native manifest it runs as on stdout; the note on what has no effect
    /// and what was kept wider than Theater's defaults goes to stderr. A relative filesystem
    /// `path` of the original format is resolved against the working directory and printed
    /// absolute; `component` and `init_state` stay relative to the manifest's directory, so
    /// write the output beside FILE (`theater manifest convert m.toml > native.toml`). With
    /// --json, prints `{"format": "upstream"|"native", "manifest": TEXT, "ignored": [...],
    /// "widened": [...]}` instead. Exits non-zero, naming the line, on a manifest that does
    /// not load.
    Convert(ConvertArgs),
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The manifest to convert
    pub manifest: PathBuf,
    /// Print JSON: the format read, the native text and the note's lists
    #[arg(long)]
    pub json: bool,
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
    /// After the messages, wait until the actor stops itself (runtime.shutdown) or fails,
    /// instead of stopping it at once — for actors driven by their own timers; Ctrl-C stops it
    #[arg(long)]
    pub wait: bool,
    /// Print one JSON object at the end: actor_id, replies, events, head, error
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub durability: DurabilityArg,
}

/// What a committed event survives (docs/chain-format.md, "Durability").
#[derive(Debug, Args)]
pub struct DurabilityArg {
    /// `process-crash` (SQLite synchronous=NORMAL: survives the process being killed) or
    /// `power-loss` (synchronous=FULL: every commit is on disk before it counts)
    #[arg(
        long,
        env = "THEATER_DURABILITY",
        default_value = "process-crash",
        value_name = "LEVEL"
    )]
    pub durability: theater_runtime::chain::Durability,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// The actor's id (a unique prefix of at least 8 characters is enough)
    pub actor_id: Option<String>,
    /// Also the events of the actor's descendants (its supervision tree), with an ACTOR column
    #[arg(long, requires = "actor_id")]
    pub tree: bool,
    /// Only events whose type starts with this, e.g. `wasm/` or `theater:simple/runtime`
    #[arg(long = "type", value_name = "PREFIX")]
    pub type_prefix: Option<String>,
    /// Start at this sequence number
    #[arg(long, default_value_t = 0, value_name = "SEQ")]
    pub from: u64,
    /// Show at most this many events
    #[arg(long, value_name = "N", conflicts_with = "follow")]
    pub limit: Option<u64>,
    /// Keep streaming new events from the server until the actor stops
    #[arg(short, long, requires = "actor_id")]
    pub follow: bool,
    /// Print JSON instead of a table (with --follow: one JSON object a line)
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: Connection,
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
    /// Require the head to be signed by this public key (64 hex digits, from `theater key`)
    #[arg(long, value_name = "PUBKEY")]
    pub key: Option<String>,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct KeyArgs {
    /// Print the key as JSON (`{"public_key": …}`)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The project's name: a crate name such as my-actor (also the directory created)
    pub name: String,
    /// What the new actor starts as
    #[arg(short, long, value_enum, default_value_t = Template::Basic)]
    pub template: Template,
    /// Create the project in DIR/NAME instead of ./NAME
    #[arg(short, long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Write into the project directory even if it is not empty (same-named files are replaced)
    #[arg(long)]
    pub force: bool,
    /// Depend on the theater-sdk crate in DIR (e.g. a Theater checkout's sdk/) instead of the SDK this binary carries
    #[arg(long, value_name = "DIR")]
    pub sdk_path: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The project directory, or any directory inside it [default: the current directory]
    pub dir: Option<PathBuf>,
    /// Build with cargo's dev profile: quicker to compile, larger and slower to run
    #[arg(long)]
    pub debug: bool,
    /// Print one JSON object: ok, profile, duration_ms, and per component its package, path,
    /// size, imports, capabilities and manifests (or ok: false and the error)
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

/// How client commands reach the server.
#[derive(Debug, Args)]
pub struct Connection {
    /// The theater server's URL [default: the address in $THEATER_HOME/server.json, else http://127.0.0.1:9000]
    #[arg(long, env = "THEATER_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// Access token (sent as `Authorization: Bearer`) [default: the token in $THEATER_HOME/server.json,
    /// when that file names the server called]
    #[arg(
        long,
        env = "THEATER_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Address to listen on
    #[arg(
        long,
        env = "THEATER_ADDR",
        default_value = "127.0.0.1:9000",
        value_name = "IP:PORT"
    )]
    pub addr: std::net::SocketAddr,
    /// The access token every request must send as `Authorization: Bearer TOKEN` [default: a random one]
    #[arg(
        long,
        env = "THEATER_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// Serve without a token (loopback addresses only; any local user or program can then drive the server)
    #[arg(long, conflicts_with = "token")]
    pub no_auth: bool,
    /// Also accept requests whose Host is NAME (a DNS name this server is reached by); repeatable
    #[arg(long = "allow-host", value_name = "NAME")]
    pub allow_hosts: Vec<String>,
    /// Start actors only from manifests (and components) inside DIR; repeatable [default: anywhere]
    #[arg(long = "allow-dir", value_name = "DIR")]
    pub allow_dirs: Vec<PathBuf>,
    /// Actors running at once (children included); more starts get 503
    #[arg(long, default_value_t = theater_runtime::EngineConfig::default().max_actors, value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    pub max_actors: u32,
    /// Connections served at once; more get 503
    #[arg(long, default_value_t = theater_server::DEFAULT_MAX_CONNECTIONS, value_name = "N")]
    pub max_connections: usize,
    /// Time an API call may take (event streams excepted), e.g. 60s; longer calls get 503
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub request_timeout: std::time::Duration,
    /// Event streams open at once on the server; more get 429
    #[arg(long, default_value_t = theater_server::DEFAULT_MAX_STREAMS, value_name = "N")]
    pub max_streams: usize,
    /// Event streams open at once from one client address; more get 429
    #[arg(long, default_value_t = theater_server::DEFAULT_MAX_STREAMS_PER_CLIENT, value_name = "N")]
    pub max_streams_per_client: usize,
    /// At Ctrl-C or SIGTERM, how long actors get to finish their queued messages before they
    /// are interrupted (a second signal interrupts them at once), e.g. 10s
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub shutdown_timeout: std::time::Duration,
    /// Print actors' log lines on stdout (default: stderr), as `[name id] line`
    #[arg(long)]
    pub log_stdout: bool,
    /// Do not resume the actors the previous server on this data directory left running
    /// (by default, top-level actors with `restart = "permanent"`, or `"transient"` after the
    /// previous server died, come back with their subtrees, same ids, from their last
    /// committed states); they stay flagged for a later server
    #[arg(long)]
    pub no_resume: bool,
    #[command(flatten)]
    pub durability: DurabilityArg,
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// The actor's manifest (manifest.toml)
    pub manifest: PathBuf,
    /// File whose bytes are the actor's initial state (overrides the manifest's init_state)
    #[arg(long, value_name = "FILE")]
    pub init_state: Option<PathBuf>,
    /// Name the actor (unique on the server); other commands accept the name for the id
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Print only the new actor's id (for pipes: `... --id-only | theater subscribe -`)
    #[arg(long, conflicts_with = "json")]
    pub id_only: bool,
    /// Then stream the actor's events until it stops
    #[arg(long)]
    pub subscribe: bool,
    /// Print the started actor as JSON
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: Connection,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: Connection,
}

#[derive(Debug, Args)]
pub struct ActorArgs {
    /// The actor's id (a unique prefix of at least 4 characters is enough)
    pub actor_id: String,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: Connection,
}

#[derive(Debug, Args)]
pub struct MessageArgs {
    /// The actor's id (a unique prefix of at least 8 characters is enough), or its name
    pub actor_id: String,
    /// The message, sent as its UTF-8 bytes
    pub message: String,
    /// Print the server's JSON answer
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: Connection,
}

#[derive(Debug, Args)]
pub struct SubscribeArgs {
    /// The actor's id, or `-` to read actor ids from stdin, one a line
    pub actor_id: String,
    /// Follow the actor's whole supervision tree: its descendants too, including the ones it
    /// spawns while followed
    #[arg(long)]
    pub tree: bool,
    /// First sequence number to print (0: the whole chain so far, then live events)
    #[arg(long, default_value_t = 0, value_name = "SEQ")]
    pub from: u64,
    /// Only events whose type starts with this, e.g. `wasm/`
    #[arg(long = "type", value_name = "PREFIX")]
    pub type_prefix: Option<String>,
    /// Print one JSON object a line instead of text
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: Connection,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// The project directory, or any directory inside it [default: the current directory]
    pub dir: Option<PathBuf>,
    /// Test the last build instead of building first
    #[arg(long)]
    pub no_build: bool,
    /// Run only the scenarios whose name or file contains PATTERN
    #[arg(long, value_name = "PATTERN")]
    pub filter: Option<String>,
    /// Save the chains of passing scenarios as golden chains under tests/golden/
    #[arg(long)]
    pub record: bool,
    /// Print a JSON report instead of lines
    #[arg(long, conflicts_with = "junit")]
    pub json: bool,
    /// Also write a JUnit XML report to FILE
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

//! `theater server`: host actors in one runtime and serve the management API until Ctrl-C
//! or SIGTERM, then stop every actor within the shutdown timeout (a second signal cuts it
//! short) and flush the chains before exiting. While it serves, `server.json` in the data
//! directory tells the client commands its address and token.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use theater_runtime::{ResumeReport, Theater, TheaterConfig};
use theater_server::{new_token, Server, ServerConfig, ServerFile, ServerLimits};
use tokio::sync::mpsc;

use super::signals::Signals;
use crate::cli::ServerArgs;

pub async fn server(args: ServerArgs, data_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    // An empty THEATER_TOKEN counts as unset.
    let token = match args.token.filter(|t| !t.is_empty()) {
        Some(token) => Some(token),
        None if args.no_auth => None,
        None => Some(
            new_token()
                .context("cannot make an access token from the operating system's randomness")?,
        ),
    };
    let mut config = ServerConfig::new(args.addr, token.clone());
    config.allow_hosts = args.allow_hosts;
    config.allow_dirs = args.allow_dirs;
    config.limits = ServerLimits {
        max_connections: args.max_connections,
        request_timeout: args.request_timeout,
        max_streams: args.max_streams,
        max_streams_per_client: args.max_streams_per_client,
    };
    config.shutdown_timeout = args.shutdown_timeout;
    // Bind (and refuse an unsafe configuration) before opening the data directory.
    let server = Server::bind(config).await?;
    let addr = server.local_addr()?;
    if token.is_none() {
        eprintln!(
            "warning: serving without an access token (--no-auth): any program or user on this machine can start \
             actors and read their chains"
        );
    }
    let mut config = TheaterConfig::new(data_dir);
    config.chain.durability = args.durability.durability;
    // The actors this server leaves running when it stops or dies are resumed by the next.
    config.chain.resumable = true;
    // Top-level actors are children of the root supervisor (DESIGN §6): their manifest's
    // `restart` applies.
    config.supervise_top_level = true;
    config.engine.max_actors = args.max_actors;
    if args.log_stdout {
        config.logs = Arc::new(|line| println!("{line}"));
    }
    let data = config.data_dir.clone();
    let theater = Theater::new(config)?;
    // Before resuming: the resumed actors' lines are part of the account.
    super::lifecycle_log::spawn(&theater);
    if args.no_resume {
        let waiting = theater
            .db()
            .dormant()?
            .iter()
            .filter(|a| a.parent_id.is_none())
            .count();
        if waiting > 0 {
            eprintln!("theater server: --no-resume: {waiting} top-level actor(s) left by the previous server stay down");
        }
    } else {
        print_resumed(&theater.resume_dormant().await?);
    }
    let file = ServerFile {
        address: format!("http://{}", client_addr(addr)),
        token,
        pid: std::process::id(),
    };
    file.write(&data)?;
    eprintln!(
        "theater server listening on http://{addr} (data: {}; address and token in {})",
        data.display(),
        ServerFile::path(&data).display()
    );
    let (signal, signals) = mpsc::channel(2);
    tokio::spawn(forward_signals(signal, args.shutdown_timeout));
    let served = server.run(theater, signals).await;
    ServerFile::remove_if_ours(&data);
    let report = served?;
    let interrupted = match report.interrupted {
        0 => String::new(),
        n => format!(", {n} interrupted at the deadline"),
    };
    eprintln!(
        "theater server stopped: {} actors were running{interrupted}; chains flushed",
        report.running
    );
    if report.unfinished > 0 {
        eprintln!(
            "warning: {} actors had not ended; their chains end without a final event",
            report.unfinished
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Say what came back from the previous server, and what did not.
fn print_resumed(report: &ResumeReport) {
    for tree in &report.resumed {
        let names = match tree.names.as_slice() {
            [] => String::new(),
            names => format!(" as {}", names.join(", ")),
        };
        eprintln!(
            "theater server: resumed {} ({}){names} with {} actor(s) of its subtree",
            tree.name, tree.id, tree.descendants
        );
    }
    for down in &report.not_resumed {
        eprintln!("theater server: not resuming {}: {}", down.id, down.reason);
    }
}

/// The address a client on this machine connects to: a server on every interface is
/// reached through loopback.
fn client_addr(bound: SocketAddr) -> SocketAddr {
    match bound.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), bound.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), bound.port())
        }
        _ => bound,
    }
}

/// Pass each Ctrl-C or SIGTERM on to the server: the first starts the shutdown, the
/// second hurries it.
async fn forward_signals(signal: mpsc::Sender<()>, timeout: Duration) {
    let mut signals = Signals::new();
    let mut count = 0u32;
    while signals.next().await {
        count = count.saturating_add(1);
        if count == 1 {
            eprintln!(
                "theater server: stopping actors (up to {}; Ctrl-C again to interrupt them now) and flushing chains",
                humantime::format_duration(timeout)
            );
        } else {
            eprintln!("theater server: interrupting the actors still running and flushing chains");
        }
        if signal.send(()).await.is_err() {
            return;
        }
    }
}

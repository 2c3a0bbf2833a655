//! `theater server`: host actors in one runtime and serve the management API until Ctrl-C
//! or SIGTERM, then stop every actor and flush the chains before exiting. While it serves,
//! `server.json` in the data directory tells the client commands its address and token.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use theater_runtime::server::{new_token, Server, ServerConfig, ServerFile};
use theater_runtime::{Theater, TheaterConfig};

use crate::cli::ServerArgs;

pub async fn server(args: ServerArgs, data_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    // An empty THEATER_TOKEN counts as unset.
    let token = match args.token.filter(|t| !t.is_empty()) {
        Some(token) => Some(token),
        None if args.no_auth => None,
        None => Some(new_token().context("cannot make an access token from the operating system's randomness")?),
    };
    let mut config = ServerConfig::new(args.addr, token.clone());
    config.allow_hosts = args.allow_hosts;
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
    // Top-level actors are children of the root supervisor (DESIGN §6): their manifest's
    // `restart` applies.
    config.supervise_top_level = true;
    if args.log_stdout {
        config.logs = Arc::new(|line| println!("[{} {}] {}", line.actor_name, line.actor_id, line.message));
    }
    let data = config.data_dir.clone();
    let theater = Theater::new(config)?;
    let file = ServerFile { address: format!("http://{}", client_addr(addr)), token, pid: std::process::id() };
    file.write(&data)?;
    eprintln!(
        "theater server listening on http://{addr} (data: {}; address and token in {})",
        data.display(),
        ServerFile::path(&data).display()
    );
    let served = server.run(theater, shutdown_signal()).await;
    ServerFile::remove_if_ours(&data);
    served?;
    eprintln!("theater server stopped; chains flushed");
    Ok(ExitCode::SUCCESS)
}

/// The address a client on this machine connects to: a server on every interface is
/// reached through loopback.
fn client_addr(bound: SocketAddr) -> SocketAddr {
    match bound.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::new(Ipv4Addr::LOCALHOST.into(), bound.port()),
        IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::new(Ipv6Addr::LOCALHOST.into(), bound.port()),
        _ => bound,
    }
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    eprintln!("theater server: stopping actors and flushing chains");
}

//! `theater server`: host actors in one runtime and serve the management API until Ctrl-C
//! or SIGTERM, then stop every actor and flush the chains before exiting.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use theater_runtime::server::{Server, ServerConfig};
use theater_runtime::{Theater, TheaterConfig};

use crate::cli::ServerArgs;

pub async fn server(args: ServerArgs, data_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    // Bind (and refuse an unsafe address) before opening the data directory.
    // An empty THEATER_TOKEN counts as unset.
    let token = args.token.filter(|t| !t.is_empty());
    let server = Server::bind(ServerConfig { addr: args.addr, token }).await?;
    let addr = server.local_addr()?;
    let mut config = TheaterConfig::new(data_dir);
    config.chain.durability = args.durability.durability;
    // Top-level actors are children of the root supervisor (DESIGN §6): their manifest's
    // `restart` applies.
    config.supervise_top_level = true;
    if args.log_stdout {
        config.logs = Arc::new(|line| println!("[{} {}] {}", line.actor_name, line.actor_id, line.message));
    }
    let data = config.data_dir.clone();
    let theater = Theater::new(config)?;
    eprintln!("theater server listening on http://{addr} (data: {})", data.display());
    server.run(theater, shutdown_signal()).await?;
    eprintln!("theater server stopped; chains flushed");
    Ok(ExitCode::SUCCESS)
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

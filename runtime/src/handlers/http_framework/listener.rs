//! A running server: a listening socket, an accept loop that admits at most
//! `max_connections` connections at once (the rest get `503` and are closed:
//! [`LimitedListener`]), and hyper serving each connection with the grant's header timeout
//! and header count. Dropping the [`Running`] server stops it: the accept loop closes the
//! socket (the port is free again; then the server leaves the runtime's list of listening
//! servers) and every connection, WebSocket ones included, ends (a response already on its
//! way first goes out).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::Listener;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpSocket;
use tokio::sync::watch;

use super::serve;
use super::shared::{stopped, ServerShared};
use crate::limited_listener::{Counted, LimitedListener, Refusal};
use crate::listeners::Listening;

/// Connections the kernel may queue before the accept loop takes them.
const BACKLOG: u32 = 1024;
/// How long a connection may take to finish its response once its server stops.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// A server that listens. Dropping it stops it.
pub struct Running {
    pub address: SocketAddr,
    /// Dropped with the server: every task of the server sees it close and ends.
    _stop: watch::Sender<()>,
}

/// Listen on `address` and serve; `list` puts the server on the runtime's list of
/// listening servers once its address (and port) is known.
pub fn start(
    address: SocketAddr,
    shared: Arc<ServerShared>,
    list: impl FnOnce(SocketAddr) -> Listening,
) -> io::Result<Running> {
    let socket = if address.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    let listener = socket.listen(BACKLOG)?;
    let address = listener.local_addr()?;
    let max = shared.limits.max_connections;
    let refusal = Refusal {
        content_type: "text/plain",
        body: format!(
            "too many connections to this server (max_connections = {max}); retry shortly\n"
        ),
    };
    let listener = LimitedListener::new(listener, max, refusal);
    let (stop, stop_rx) = watch::channel(());
    tokio::spawn(accept_loop(listener, list(address), shared, stop_rx));
    Ok(Running {
        address,
        _stop: stop,
    })
}

/// Accept connections until the server stops; then close the socket and, only then, leave
/// the list of listening servers, so whoever waits for that (a restart re-binding the same
/// port) finds the port free.
async fn accept_loop(
    mut listener: LimitedListener,
    listed: Listening,
    shared: Arc<ServerShared>,
    stop: watch::Receiver<()>,
) {
    let app = serve::router(shared.clone(), stop.clone());
    loop {
        let (io, _) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stopped(stop.clone()) => break,
        };
        tokio::spawn(connection(io, app.clone(), shared.clone(), stop.clone()));
    }
    drop(listener);
    drop(listed);
}

/// Serve one connection until it closes or the server stops.
async fn connection(
    io: Counted,
    app: axum::Router,
    shared: Arc<ServerShared>,
    stop: watch::Receiver<()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(shared.limits.timeout)
        .max_headers(shared.limits.max_headers);
    let served = http
        .serve_connection(TokioIo::new(io), TowerToHyperService::new(app))
        .with_upgrades();
    tokio::pin!(served);
    tokio::select! {
        _ = served.as_mut() => return,
        () = stopped(stop) => {}
    }
    // A response already on its way (the 500 of the call that failed the actor) still goes
    // out; then the connection closes.
    served.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(CLOSE_GRACE, served).await;
}

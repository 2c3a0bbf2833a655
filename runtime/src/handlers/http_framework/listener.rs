//! A running server: a listening socket, an accept loop that admits at most
//! `max_connections` connections at once (the rest get `503` and are closed), and hyper
//! serving each connection with the grant's header timeout and header count. Dropping the
//! [`Running`] server stops it: the socket closes (the port is free again) and every
//! connection, WebSocket ones included, ends.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

use super::serve;
use super::shared::{stopped, ServerShared};
use crate::listeners::Listening;

/// How long a refused connection may take to send its request before the 503 goes out.
const REFUSE_WAIT: Duration = Duration::from_millis(500);
/// Connections the kernel may queue before the accept loop takes them.
const BACKLOG: u32 = 1024;

/// A server that listens. Dropping it stops it.
pub struct Running {
    pub address: SocketAddr,
    /// Dropped with the server: every task of the server sees it close and ends.
    _stop: watch::Sender<()>,
    _listed: Listening,
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
    let (stop, stop_rx) = watch::channel(());
    tokio::spawn(accept_loop(listener, shared, stop_rx));
    Ok(Running {
        address,
        _stop: stop,
        _listed: list(address),
    })
}

async fn accept_loop(listener: TcpListener, shared: Arc<ServerShared>, stop: watch::Receiver<()>) {
    let permits = Arc::new(Semaphore::new(shared.limits.max_connections));
    let app = serve::router(shared.clone(), stop.clone());
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stopped(stop.clone()) => return,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors, say: wait a moment instead of spinning.
                tracing::warn!(
                    "actor {}: accepting a connection failed: {e}",
                    shared.actor_id
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        match permits.clone().try_acquire_owned() {
            Ok(permit) => {
                let counted = Counted {
                    stream,
                    _permit: permit,
                };
                tokio::spawn(connection(
                    counted,
                    app.clone(),
                    shared.clone(),
                    stop.clone(),
                ));
            }
            Err(_) => {
                tokio::spawn(refuse(stream, shared.limits.max_connections));
            }
        }
    }
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
    tokio::select! {
        _ = served => {}
        () = stopped(stop) => {}
    }
}

/// Answer 503 and close. The request is read first (briefly), so that closing does not
/// reset the connection before the client has read the answer.
async fn refuse(mut stream: TcpStream, limit: usize) {
    let mut request = [0u8; 4096];
    let _ = tokio::time::timeout(REFUSE_WAIT, stream.read(&mut request)).await;
    let body =
        format!("too many connections to this server (max_connections = {limit}); retry shortly\n");
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// A connection holding one of the server's connection permits for as long as it is open
/// (after a WebSocket upgrade too).
struct Counted {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

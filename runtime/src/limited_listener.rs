//! A listener that serves at most `max` connections at once: each accepted connection holds
//! one semaphore permit for as long as it is open (after a WebSocket upgrade too). A
//! connection past the limit is answered `503` with `Retry-After` and closed, instead of
//! being served or left waiting in the kernel's backlog, so a flood of clients cannot take a
//! server's memory or file descriptors. The management API (`theater-server`) and the
//! servers actors run (`http-framework`) both listen through it.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::serve::Listener;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a refused connection may take to send its request before the 503 goes out.
const REFUSE_WAIT: Duration = Duration::from_millis(500);

/// The body of the 503 a connection past the limit gets.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub content_type: &'static str,
    pub body: String,
}

/// A listener that serves at most `max` connections at once.
pub struct LimitedListener {
    inner: TcpListener,
    permits: Arc<Semaphore>,
    refusal: Arc<Refusal>,
}

impl LimitedListener {
    pub fn new(inner: TcpListener, max: usize, refusal: Refusal) -> LimitedListener {
        LimitedListener {
            inner,
            permits: Arc::new(Semaphore::new(max)),
            refusal: Arc::new(refusal),
        }
    }
}

impl Listener for LimitedListener {
    type Io = Counted;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Counted, SocketAddr) {
        loop {
            // TcpListener's own accept logs and retries on errors (e.g. out of descriptors).
            let (stream, addr) = Listener::accept(&mut self.inner).await;
            match self.permits.clone().try_acquire_owned() {
                Ok(permit) => {
                    return (
                        Counted {
                            stream,
                            _permit: permit,
                        },
                        addr,
                    )
                }
                Err(_) => {
                    tracing::warn!(
                        "refusing a connection from {addr}: the connection limit is reached"
                    );
                    tokio::spawn(refuse(stream, self.refusal.clone()));
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// Answer 503 and close. The request is read first (briefly), so that closing does not
/// reset the connection before the client has read the answer.
async fn refuse(mut stream: TcpStream, refusal: Arc<Refusal>) {
    let mut request = [0u8; 4096];
    let _ = tokio::time::timeout(REFUSE_WAIT, stream.read(&mut request)).await;
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: {}\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{}",
        refusal.content_type,
        refusal.body.len(),
        refusal.body
    );
    let _ = tokio::time::timeout(REFUSE_WAIT, async {
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// An accepted connection; its permit is released when it is dropped.
pub struct Counted {
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

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

//! The bound on concurrent connections: the runtime's [`LimitedListener`] (one permit per
//! open connection; a connection past the limit is answered `503` with `Retry-After` and
//! closed), with the API's JSON refusal, and the client's address as handlers see it.

use std::net::SocketAddr;

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use theater_runtime::limited_listener::{LimitedListener, Refusal};
use tokio::net::TcpListener;

/// The answer to a connection past the limit.
const REFUSAL: &str = "{\"error\":\"too many connections to this server; retry shortly (theater server --max-connections)\"}";

/// A listener that serves at most `max` connections at once.
pub fn limited(inner: TcpListener, max: usize) -> LimitedListener {
    LimitedListener::new(
        inner,
        max,
        Refusal {
            content_type: "application/json",
            body: REFUSAL.to_string(),
        },
    )
}

/// The client's address, as handlers see it (`ConnectInfo<PeerAddr>`).
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

impl Connected<IncomingStream<'_, LimitedListener>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, LimitedListener>) -> PeerAddr {
        PeerAddr(*stream.remote_addr())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::serve::Listener;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;

    #[tokio::test]
    async fn connections_past_the_limit_get_503_and_a_freed_slot_is_reused() {
        let inner = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = inner.local_addr().unwrap();
        let mut listener = limited(inner, 1);
        let first = TcpStream::connect(addr).await.unwrap();
        let (held, _) = listener.accept().await;

        let mut second = TcpStream::connect(addr).await.unwrap();
        second
            .write_all(b"GET /v1/health HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        let accept = tokio::time::timeout(Duration::from_millis(300), listener.accept());
        assert!(
            accept.await.is_err(),
            "a connection past the limit was accepted"
        );
        let mut answer = String::new();
        second.read_to_string(&mut answer).await.unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 503 ")
                && answer.contains("retry-after: 1")
                && answer.ends_with(REFUSAL),
            "{answer}"
        );

        drop(held);
        drop(first);
        let _third = TcpStream::connect(addr).await.unwrap();
        let accepted = tokio::time::timeout(Duration::from_secs(5), listener.accept()).await;
        assert!(accepted.is_ok(), "the freed slot was not reused");
    }
}

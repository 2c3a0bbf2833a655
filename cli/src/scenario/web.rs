//! The scenario runner's HTTP and WebSocket client: `http`, `ws_connect`, `ws_send` and
//! `ws_close` steps reach the actor's `http-framework` server over real sockets, at the
//! address the runtime lists for it (actors usually ask for port 0). Every wait is bounded,
//! so an actor that never answers fails its step instead of hanging the run.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use theater_runtime::Theater;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::format::HttpCall;

/// How long a step waits for a response, a connection or a WebSocket reply.
const WAIT: Duration = Duration::from_secs(30);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// An HTTP response as a step checks it.
#[derive(Debug, Clone)]
pub struct HttpReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The clients of one scenario run: one HTTP client, and each actor's open WebSocket.
pub struct Web {
    client: reqwest::Client,
    sockets: HashMap<String, Socket>,
}

impl Web {
    pub fn new() -> Result<Web, String> {
        let client = reqwest::Client::builder()
            .timeout(WAIT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
        Ok(Web {
            client,
            sockets: HashMap::new(),
        })
    }

    /// Sends `call` to actor `id`'s `server`-th server and reads the whole response.
    pub async fn http(
        &self,
        theater: &Theater,
        (id, server): (&str, usize),
        call: &HttpCall,
    ) -> Result<HttpReply, String> {
        let url = format!("http://{}{}", address(theater, id, server)?, call.path);
        let method = reqwest::Method::from_bytes(call.method.as_bytes())
            .map_err(|_| format!("{:?} is not an HTTP method", call.method))?;
        let mut request = self.client.request(method, &url);
        for (name, value) in &call.headers {
            request = request.header(name, value);
        }
        if let Some(body) = &call.body {
            request = request.body(body.clone());
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("{} {url}: {e}", call.method))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("{} {url}: reading the body: {e}", call.method))?
            .to_vec();
        Ok(HttpReply {
            status,
            headers,
            body,
        })
    }

    /// Opens a WebSocket to `path` on actor `id`'s `server`-th server, replacing one already
    /// open.
    pub async fn ws_connect(
        &mut self,
        theater: &Theater,
        (id, server): (&str, usize),
        path: &str,
    ) -> Result<(), String> {
        let url = format!("ws://{}{path}", address(theater, id, server)?);
        let connect = tokio_tungstenite::connect_async(url.as_str());
        let (socket, _) = tokio::time::timeout(WAIT, connect)
            .await
            .map_err(|_| format!("{url}: no WebSocket handshake within {}s", WAIT.as_secs()))?
            .map_err(|e| format!("{url}: {e}"))?;
        if let Some(mut old) = self.sockets.insert(id.to_string(), socket) {
            let _ = old.close(None).await;
        }
        Ok(())
    }

    /// Sends a text message on actor `id`'s open WebSocket; with `reply`, waits for the
    /// next text or binary message back and returns its bytes.
    pub async fn ws_send(
        &mut self,
        id: &str,
        text: Vec<u8>,
        reply: bool,
    ) -> Result<Option<Vec<u8>>, String> {
        let socket = self.socket(id)?;
        let text = String::from_utf8(text)
            .map_err(|_| "a WebSocket text message must be UTF-8".to_string())?;
        socket
            .send(Message::text(text))
            .await
            .map_err(|e| format!("cannot send on the WebSocket: {e}"))?;
        if !reply {
            return Ok(None);
        }
        let next = async {
            while let Some(message) = socket.next().await {
                match message.map_err(|e| format!("the WebSocket failed: {e}"))? {
                    Message::Text(text) => return Ok(text.as_bytes().to_vec()),
                    Message::Binary(bytes) => return Ok(bytes.to_vec()),
                    Message::Close(_) => break,
                    _ => continue,
                }
            }
            Err("the server closed the WebSocket instead of answering".to_string())
        };
        tokio::time::timeout(WAIT, next)
            .await
            .map_err(|_| format!("no WebSocket message back within {}s", WAIT.as_secs()))?
            .map(Some)
    }

    /// Closes actor `id`'s open WebSocket.
    pub async fn ws_close(&mut self, id: &str) -> Result<(), String> {
        self.socket(id)?;
        if let Some(mut socket) = self.sockets.remove(id) {
            tokio::time::timeout(WAIT, socket.close(None))
                .await
                .map_err(|_| "the WebSocket did not close in time".to_string())?
                .map_err(|e| format!("cannot close the WebSocket: {e}"))?;
        }
        Ok(())
    }

    fn socket(&mut self, id: &str) -> Result<&mut Socket, String> {
        self.sockets
            .get_mut(id)
            .ok_or_else(|| "no WebSocket is open: add a `ws_connect` step first".to_string())
    }
}

/// Where actor `id`'s `server`-th listening server (0 first, in the order of their ids)
/// listens, reachable from here (an unspecified address such as `0.0.0.0` is reached on
/// loopback).
fn address(theater: &Theater, id: &str, server: usize) -> Result<SocketAddr, String> {
    let listening = theater.listening_servers(id);
    let mut address = match listening.get(server) {
        Some(found) => found.address,
        None if listening.is_empty() => {
            return Err("the actor listens on no HTTP server: its code must create and start one (http-framework)".into())
        }
        None => {
            return Err(format!(
                "`server = {server}` names no server: the actor listens with {} (0 is the first)",
                listening.len()
            ))
        }
    };
    if address.ip().is_unspecified() {
        address.set_ip(match address.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    Ok(address)
}

#[cfg(test)]
mod tests {
    use super::*;
    use theater_runtime::TheaterConfig;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn steps_without_a_server_or_a_connection_fail_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let theater = Theater::new(TheaterConfig::new(Some(dir.path().to_path_buf()))).unwrap();
        let mut web = Web::new().unwrap();
        let call = HttpCall {
            method: "GET".into(),
            path: "/hello".into(),
            headers: Vec::new(),
            body: None,
        };
        let e = web
            .http(&theater, ("no-such-actor", 0), &call)
            .await
            .unwrap_err();
        assert!(e.contains("listens on no HTTP server"), "{e}");
        let e = web
            .ws_connect(&theater, ("no-such-actor", 0), "/ws")
            .await
            .unwrap_err();
        assert!(e.contains("listens on no HTTP server"), "{e}");
        let e = web
            .ws_send("no-such-actor", b"hi".to_vec(), true)
            .await
            .unwrap_err();
        assert!(e.contains("add a `ws_connect` step first"), "{e}");
        let e = web.ws_close("no-such-actor").await.unwrap_err();
        assert!(e.contains("no WebSocket is open"), "{e}");
    }
}

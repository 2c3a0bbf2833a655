//! The HTTP client of the management API, for the commands that talk to `theater server`:
//! JSON calls, and event streams read as Server-Sent Events. Errors are typed so a missing
//! server reads as one line that says how to start one.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use theater_api::{ErrorBody, StreamEnd};
use theater_server::ServerFile;

/// Where the server is when neither --server, THEATER_SERVER nor server.json says.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:9000";

/// Why a call to the server failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("no theater server at {url} — start one with `theater server`{}", stale.as_ref().map(|s| format!("\n  note: {s}")).unwrap_or_default())]
    NoServer { url: String, stale: Option<String> },
    #[error("{0}")]
    ServerFile(#[from] theater_server::ServerFileError),
    /// The server answered with an error; `message` is its `error` text.
    #[error("{message}{}", hint(*status, message))]
    Api { status: u16, message: String },
    #[error("talking to the theater server at {url}: {reason}")]
    Http { url: String, reason: String },
    #[error("the theater server at {url} sent something unexpected: {reason}")]
    Protocol { url: String, reason: String },
    #[error("--server {0:?} is not an http:// URL")]
    BadUrl(String),
}

/// What to do about an error the server answered, where the CLI knows more than it says.
fn hint(status: u16, message: &str) -> &'static str {
    if status == 404 && message.starts_with("no actor with id") {
        "\n  hint: `theater list` shows this server's actors (`theater events`, the recorded ones); \
         an id may be shortened to a unique prefix of at least 8 characters"
    } else {
        ""
    }
}

/// One chain event of a stream: the event's JSON (with its `actor`).
pub type StreamEvent = serde_json::Value;

/// A connection to one server, cheap to clone.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    /// Said when no server answers: the server.json found names a process that is gone.
    stale: Option<String>,
}

impl Client {
    pub fn new(server: &str, token: Option<String>) -> Result<Client, ClientError> {
        let base = server.trim_end_matches('/').to_string();
        if !base.starts_with("http://") && !base.starts_with("https://") {
            return Err(ClientError::BadUrl(server.to_string()));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| ClientError::Http {
                url: base.clone(),
                reason: e.to_string(),
            })?;
        Ok(Client {
            http,
            base,
            token: token.filter(|t| !t.is_empty()),
            stale: None,
        })
    }

    /// The client the command line asks for: the server of --server (an empty THEATER_SERVER
    /// counts as unset), else the one `$THEATER_HOME/server.json` names, else the default
    /// address; the token of --token, else server.json's when it names that same server
    /// (the token is never sent to another one).
    pub fn connect(connection: &crate::cli::Connection) -> Result<Client, ClientError> {
        let given = connection
            .server
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        // A broken file matters only when it is the one telling where the server is.
        let file = match ServerFile::read(&theater_runtime::paths::theater_home()) {
            Ok(file) => file,
            Err(e) if given.is_none() => return Err(e.into()),
            Err(_) => None,
        };
        let live = file.as_ref().filter(|f| f.server_alive());
        let server = given
            .or(live.map(|f| f.address.as_str()))
            .unwrap_or(DEFAULT_SERVER);
        let token = connection.token.clone().or_else(|| {
            live.filter(|f| same_server(&f.address, server))
                .and_then(|f| f.token.clone())
        });
        let mut client = Client::new(server, token)?;
        client.stale = file.filter(|f| given.is_none() && !f.server_alive()).map(|f| {
            format!(
                "{} was left by a server (pid {}) that is no longer running; a new `theater server` replaces it",
                ServerFile::path(&theater_runtime::paths::theater_home()).display(),
                f.pid
            )
        });
        Ok(client)
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.call(self.http.get(self.endpoint(path))).await
    }

    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ClientError> {
        let body = serde_json::to_vec(body).map_err(|e| self.protocol(e))?;
        self.call(
            self.http
                .post(self.endpoint(path))
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body),
        )
        .await
    }

    /// Read an event stream, calling `on_event` for each chain event, until the server
    /// sends `end` (returned) or closes the stream.
    pub async fn stream(
        &self,
        path: &str,
        mut on_event: impl FnMut(StreamEvent),
    ) -> Result<StreamEnd, ClientError> {
        let mut response = self
            .send(
                self.http
                    .get(self.endpoint(path))
                    .header(reqwest::header::ACCEPT, "text/event-stream"),
            )
            .await?;
        let mut parser = SseParser::default();
        loop {
            let chunk = response.chunk().await.map_err(|e| self.http_error(e))?;
            let Some(chunk) = chunk else {
                return Err(self
                    .protocol("the stream closed before the actor ended (did the server stop?)"));
            };
            for message in parser.push(&chunk) {
                let data: serde_json::Value =
                    serde_json::from_str(&message.data).map_err(|e| self.protocol(e))?;
                match message.event.as_deref() {
                    None | Some("message") => on_event(data),
                    Some("end") => {
                        return serde_json::from_value(data).map_err(|e| self.protocol(e))
                    }
                    Some("error") => {
                        return Err(ClientError::Api {
                            status: 500,
                            message: message.data,
                        })
                    }
                    Some(_) => {}
                }
            }
        }
    }

    fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn call<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let response = self.send(request).await?;
        let bytes = response.bytes().await.map_err(|e| self.http_error(e))?;
        serde_json::from_slice(&bytes).map_err(|e| self.protocol(e))
    }

    /// Send with the token; a non-2xx answer becomes `ClientError::Api` with its message.
    async fn send(
        &self,
        mut request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ClientError> {
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| self.http_error(e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let bytes = response.bytes().await.unwrap_or_default();
        let message = match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => body.error,
            Err(_) => format!(
                "the server answered {status}: {}",
                String::from_utf8_lossy(&bytes).trim()
            ),
        };
        Err(ClientError::Api {
            status: status.as_u16(),
            message,
        })
    }

    fn http_error(&self, e: reqwest::Error) -> ClientError {
        if e.is_connect() {
            ClientError::NoServer {
                url: self.base.clone(),
                stale: self.stale.clone(),
            }
        } else {
            ClientError::Http {
                url: self.base.clone(),
                reason: e.to_string(),
            }
        }
    }

    fn protocol(&self, reason: impl std::fmt::Display) -> ClientError {
        ClientError::Protocol {
            url: self.base.clone(),
            reason: reason.to_string(),
        }
    }
}

/// Whether two server URLs name the same scheme, host and port.
fn same_server(a: &str, b: &str) -> bool {
    match (reqwest::Url::parse(a), reqwest::Url::parse(b)) {
        (Ok(a), Ok(b)) => {
            a.scheme() == b.scheme()
                && a.host_str() == b.host_str()
                && a.port_or_known_default() == b.port_or_known_default()
        }
        _ => false,
    }
}

/// The path of an actor route, with the id made safe for a URL path segment.
pub fn actor_path(id: &str, rest: &str) -> String {
    format!("/v1/actors/{}{rest}", escape(id))
}

/// `text` percent-encoded for a URL path segment or query value.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            escaped.push(b as char);
        } else {
            escaped.push_str(&format!("%{b:02X}"));
        }
    }
    escaped
}

/// One message of an event stream.
#[derive(Debug, Default, PartialEq)]
struct SseMessage {
    event: Option<String>,
    data: String,
}

/// Splits a byte stream into Server-Sent Events (the subset the server sends: `event`,
/// `data`, `id` and comment lines).
#[derive(Default)]
struct SseParser {
    buffer: Vec<u8>,
    current: SseMessage,
    has_data: bool,
}

impl SseParser {
    fn push(&mut self, bytes: &[u8]) -> Vec<SseMessage> {
        self.buffer.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buffer.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if self.has_data {
                    out.push(std::mem::take(&mut self.current));
                }
                self.current = SseMessage::default();
                self.has_data = false;
                continue;
            }
            let (field, value) = line
                .split_once(':')
                .map_or((line, ""), |(f, v)| (f, v.strip_prefix(' ').unwrap_or(v)));
            match field {
                "event" => self.current.event = Some(value.to_string()),
                "data" => {
                    if self.has_data {
                        self.current.data.push('\n');
                    }
                    self.current.data.push_str(value);
                    self.has_data = true;
                }
                _ => {}
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_messages_split_across_chunks_are_reassembled() {
        let mut p = SseParser::default();
        assert!(p.push(b": keep-alive\n\nid: 3\nda").is_empty());
        let got = p.push(b"ta: {\"seq\":3}\n\nevent: end\ndata: {}\r\n\r\n");
        assert_eq!(
            got,
            vec![
                SseMessage {
                    event: None,
                    data: "{\"seq\":3}".into()
                },
                SseMessage {
                    event: Some("end".into()),
                    data: "{}".into()
                }
            ]
        );
    }

    #[test]
    fn multi_line_data_is_joined() {
        let mut p = SseParser::default();
        assert_eq!(p.push(b"data: a\ndata: b\n\n")[0].data, "a\nb");
    }

    #[test]
    fn actor_ids_are_escaped_in_paths() {
        assert_eq!(actor_path("ab-12", "/send"), "/v1/actors/ab-12/send");
        assert_eq!(actor_path("a/b c", ""), "/v1/actors/a%2Fb%20c");
    }

    #[test]
    fn the_file_token_goes_only_to_the_server_it_names() {
        assert!(same_server(
            "http://127.0.0.1:9000",
            "http://127.0.0.1:9000/"
        ));
        assert!(same_server("http://127.0.0.1:80", "http://127.0.0.1"));
        assert!(!same_server(
            "http://127.0.0.1:9000",
            "http://127.0.0.1:9001"
        ));
        assert!(!same_server(
            "http://127.0.0.1:9000",
            "http://localhost:9000"
        ));
        assert!(!same_server(
            "http://127.0.0.1:9000",
            "https://127.0.0.1:9000"
        ));
        assert!(!same_server("http://127.0.0.1:9000", "not a url"));
    }

    #[test]
    fn only_http_urls_are_servers() {
        assert!(Client::new("http://127.0.0.1:9000/", None).is_ok());
        assert!(matches!(
            Client::new("127.0.0.1:9000", None),
            Err(ClientError::BadUrl(_))
        ));
    }
}

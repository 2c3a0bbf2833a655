//! `theater:simple/http-client`: outgoing HTTP(S) requests, only to hosts on the manifest's
//! allow-list (`[[handler]] type = "http-client"`, `allow_hosts = [...]`).
//!
//! Redirects are not followed: a 3xx comes back as it is, and following it is a new
//! request, checked against the allow-list like any other. A refused request, an
//! unreachable host, a timeout or a body over `max_response_bytes` is an `Err` saying
//! which; any status the server answers with (404, 500, ...) is an `Ok` response.
//!
//! ```
//! use theater_sdk::http::{self, HttpRequest, HttpResponse};
//! # let host = theater_sdk::TestHost::new();
//! # host.on_http("https://api.example.com/", |_| Ok(HttpResponse::new(200, "[]")));
//! # host.enter(|| -> Result<(), String> {
//! let todos = http::get("https://api.example.com/todos")?;
//! assert_eq!((todos.status, todos.text()?), (200, "[]"));
//!
//! let created = http::send(
//!     HttpRequest::new("POST", "https://api.example.com/todos")
//!         .with_header("content-type", "application/json")
//!         .with_body(r#"{"title":"milk"}"#),
//! )?;
//! # let _ = created;
//! # Ok(()) })?;
//! # Ok::<(), String>(())
//! ```

use crate::sys::http_client as sys;

/// A request to send: build it with [`HttpRequest::new`] (or [`HttpRequest::get`]) and the
/// `with_*` methods, or as a struct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// An absolute `http://` or `https://` URI.
    pub uri: String,
    /// In order; a name may repeat. The host refuses `Host` (the URI names the host).
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl HttpRequest {
    /// A request with no headers and no body.
    pub fn new(method: impl Into<String>, uri: impl Into<String>) -> HttpRequest {
        HttpRequest {
            method: method.into(),
            uri: uri.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// A `GET` of `uri`.
    pub fn get(uri: impl Into<String>) -> HttpRequest {
        HttpRequest::new("GET", uri)
    }

    /// Adds a header (after any already there).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }
}

/// A response, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    /// As the server sent them (the runtime lower-cases names).
    pub headers: Vec<(String, String)>,
    /// The body, empty if there was none.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A response with no headers, e.g. to script one in a test
    /// (`TestHost::on_http`).
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> HttpResponse {
        HttpResponse {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a header (after any already there).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The first value of header `name`, compared case-insensitively as HTTP does.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> Result<&str, String> {
        std::str::from_utf8(&self.body).map_err(|e| format!("response body is not UTF-8: {e}"))
    }
}

/// Sends a request and waits for the whole response.
pub fn send(request: HttpRequest) -> Result<HttpResponse, String> {
    sys::send_http(request)
}

/// Sends a `GET` of `uri` with no headers.
pub fn get(uri: &str) -> Result<HttpResponse, String> {
    send(HttpRequest::get(uri))
}

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

pub use super::http_types::{HttpRequest, HttpResponse};

/// Sends a request and waits for the whole response.
pub fn send(request: HttpRequest) -> Result<HttpResponse, String> {
    sys::send_http(request)
}

/// Sends a `GET` of `uri` with no headers.
pub fn get(uri: &str) -> Result<HttpResponse, String> {
    send(HttpRequest::get(uri))
}

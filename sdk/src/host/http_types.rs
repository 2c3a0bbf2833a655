//! `theater:simple/http-types`: the request and response an actor sends through
//! [`crate::http`] and serves through [`crate::http_server`], with the helpers both sides
//! need (headers, text and JSON bodies, paths and queries).

use crate::codec::{Decode, Encode};

/// An HTTP request: one an actor sends ([`crate::http::send`]), or one it serves
/// (`handle_http`). Build one with [`HttpRequest::new`] (or [`HttpRequest::get`]) and the
/// `with_*` methods, or as a struct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Sending: an absolute `http://` or `https://` URI. Serving: the path and query
    /// (`/counter?step=2`).
    pub uri: String,
    /// In order; a name may repeat. The host refuses `Host` in a request an actor sends
    /// (the URI names the host).
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

    /// A `POST` of `body` to `uri`.
    pub fn post(uri: impl Into<String>, body: impl Into<Vec<u8>>) -> HttpRequest {
        HttpRequest::new("POST", uri).with_body(body)
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

    /// The URI up to the query: `/counter` of `/counter?step=2`.
    pub fn path(&self) -> &str {
        self.uri.split_once('?').map_or(&self.uri, |(path, _)| path)
    }

    /// The query after `?`, if any: `step=2` of `/counter?step=2`.
    pub fn query(&self) -> Option<&str> {
        self.uri.split_once('?').map(|(_, query)| query)
    }

    /// The first value of header `name`, compared case-insensitively as HTTP does.
    pub fn header(&self, name: &str) -> Option<&str> {
        first_header(&self.headers, name)
    }

    /// The value of the route pattern's parameter `name` in a request the actor serves:
    /// `"7"` for `{id}` in `/users/{id}` and `/users/7`. The runtime passes it as the header
    /// `x-route-param-NAME`, as the original Theater does (a client's own such headers are
    /// dropped).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.header(&format!("{PARAM_HEADER}{name}"))
    }

    /// The body as UTF-8 text (`""` when there is none).
    pub fn text(&self) -> Result<&str, String> {
        body_text(self.body.as_deref().unwrap_or_default(), "request")
    }

    /// The body read as `T` (JSON for serde types, the bytes for [`crate::Raw`]); the error
    /// says what did not match, ready to be a 400 response's text.
    pub fn decode<T: Decode>(&self) -> Result<T, String> {
        T::decode(self.body.clone().unwrap_or_default()).map_err(|e| format!("request body: {e}"))
    }
}

/// An HTTP response: one an actor receives from [`crate::http::send`], or one its
/// `handle_http` answers with ([`HttpResponse::json`], [`HttpResponse::plain`],
/// [`HttpResponse::status`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    /// In order. In a response from [`crate::http::send`], as the server sent them (the
    /// runtime lower-cases names).
    pub headers: Vec<(String, String)>,
    /// The body, empty if there is none.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A response with no headers, e.g. to script one in a test (`TestHost::on_http`).
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> HttpResponse {
        HttpResponse {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// An empty response with this status: `HttpResponse::status(204)`.
    pub fn status(status: u16) -> HttpResponse {
        HttpResponse::new(status, Vec::new())
    }

    /// `200 OK` with a `text/plain` body.
    pub fn plain(text: impl Into<String>) -> HttpResponse {
        HttpResponse::new(200, text.into()).with_header("content-type", TEXT)
    }

    /// `200 OK` with `value` as an `application/json` body. A value serde cannot encode
    /// (a map with non-string keys, say) is a `500` saying why, so a handler never fails
    /// on its own reply.
    pub fn json(value: &impl Encode) -> HttpResponse {
        match value.encode() {
            Ok(body) => HttpResponse::new(200, body).with_header("content-type", JSON),
            Err(e) => HttpResponse::new(500, format!("cannot encode the response: {e}"))
                .with_header("content-type", TEXT),
        }
    }

    /// The same response with another status: `HttpResponse::json(&err).with_status(400)`.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Adds a header (after any already there).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Replaces the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The first value of header `name`, compared case-insensitively as HTTP does.
    pub fn header(&self, name: &str) -> Option<&str> {
        first_header(&self.headers, name)
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> Result<&str, String> {
        body_text(&self.body, "response")
    }

    /// The body read as `T` (JSON for serde types, the bytes for [`crate::Raw`]).
    pub fn decode<T: Decode>(&self) -> Result<T, String> {
        T::decode(self.body.clone()).map_err(|e| format!("response body: {e}"))
    }
}

/// The prefix of the headers carrying route parameters.
pub(crate) const PARAM_HEADER: &str = "x-route-param-";

const TEXT: &str = "text/plain; charset=utf-8";
const JSON: &str = "application/json";

fn first_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn body_text<'a>(body: &'a [u8], what: &str) -> Result<&'a str, String> {
    std::str::from_utf8(body).map_err(|e| format!("{what} body is not UTF-8: {e}"))
}

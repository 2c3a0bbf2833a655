//! Closing the API to web pages that are not ours. A page in the user's browser can send
//! requests to a loopback server: "simple" cross-site POSTs (`text/plain`, forms) need no
//! preflight, and DNS rebinding lets a foreign page read the answers. So, before the token
//! check and any route:
//!
//! - the `Host` must be the server's own address or a loopback name with the server's port
//!   (a rebinding page's requests carry its own domain name);
//! - a present `Origin` must be the server's own origin (a cross-site request carries the
//!   page's);
//! - a request that may change something (POST, PUT, PATCH, DELETE) must say
//!   `Content-Type: application/json`, which no page can send cross-site without a CORS
//!   preflight — and the server answers no preflight (no CORS headers at all).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::uri::Authority;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// Names every server answers to, besides its own address.
const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// Which `Host` and `Origin` values are this server's.
#[derive(Debug, Clone)]
pub struct BrowserPolicy {
    port: u16,
    /// Lower-case host names and IP literals (IPv6 in brackets) accepted with `port`.
    names: Vec<String>,
    /// Bound to every interface: any IP literal is one of the machine's own addresses
    /// (rebinding needs a DNS name), so it is accepted too.
    any_ip: bool,
}

impl BrowserPolicy {
    /// The policy of a server bound to `addr`, also answering to `extra_hosts` (DNS names
    /// under which operators reach a server on a public address).
    pub fn new(addr: SocketAddr, extra_hosts: &[String]) -> BrowserPolicy {
        let mut names: Vec<String> = LOOPBACK_NAMES.iter().map(|n| n.to_string()).collect();
        names.push(ip_name(addr.ip()));
        names.extend(extra_hosts.iter().map(|h| h.trim().to_ascii_lowercase()));
        BrowserPolicy {
            port: addr.port(),
            names,
            any_ip: addr.ip().is_unspecified(),
        }
    }

    /// Whether `authority` (`host[:port]`) names this server.
    fn is_ours(&self, authority: &str) -> bool {
        let Ok(authority) = authority.parse::<Authority>() else {
            return false;
        };
        if authority.port_u16().unwrap_or(80) != self.port {
            return false;
        }
        let host = authority.host().to_ascii_lowercase();
        self.names.contains(&host)
            || (self.any_ip
                && host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                    .is_ok())
    }

    fn check(&self, method: &Method, headers: &HeaderMap) -> Result<(), ApiError> {
        let host = headers.get(header::HOST).map(|v| v.to_str().unwrap_or(""));
        match host {
            None => return Err(ApiError::bad_request("the request has no Host header")),
            Some(host) if !self.is_ours(host) => {
                return Err(ApiError::bad_request(format!(
                    "Host {host:?} is not this server's address: use 127.0.0.1:{}, localhost:{} or the address it listens on",
                    self.port, self.port
                )))
            }
            Some(_) => {}
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("");
            let ours = origin
                .parse::<Uri>()
                .ok()
                .filter(|uri| {
                    uri.scheme_str() == Some("http")
                        && uri.path_and_query().is_none_or(|p| p.as_str() == "/")
                })
                .and_then(|uri| uri.authority().map(|a| self.is_ours(a.as_str())))
                .unwrap_or(false);
            if !ours {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    format!("requests from the web origin {origin:?} are refused: this API serves only its own origin"),
                ));
            }
        }
        if changes_something(method) && !is_json(headers) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("{method} requests must send `Content-Type: application/json` (with a JSON body, or none)"),
            ));
        }
        Ok(())
    }
}

/// The host part of an address as it appears in a `Host` header.
fn ip_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

fn changes_something(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// `Content-Type: application/json`, parameters (`; charset=utf-8`) allowed.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// Middleware: refuse requests that are not for this server or that a foreign page sent.
pub async fn guard(
    State(policy): State<Arc<BrowserPolicy>>,
    request: Request,
    next: Next,
) -> Response {
    match policy.check(request.method(), request.headers()) {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        h
    }

    fn status(
        policy: &BrowserPolicy,
        method: Method,
        pairs: &[(header::HeaderName, &str)],
    ) -> Option<StatusCode> {
        policy
            .check(&method, &headers(pairs))
            .err()
            .map(|e| e.status)
    }

    fn loopback() -> BrowserPolicy {
        BrowserPolicy::new("127.0.0.1:9000".parse().unwrap(), &[])
    }

    #[test]
    fn loopback_names_with_the_right_port_are_ours() {
        let p = loopback();
        for host in [
            "127.0.0.1:9000",
            "localhost:9000",
            "LOCALHOST:9000",
            "[::1]:9000",
        ] {
            assert_eq!(
                status(&p, Method::GET, &[(header::HOST, host)]),
                None,
                "{host}"
            );
        }
        for host in [
            "evil.example:9000",
            "127.0.0.1:9001",
            "localhost",
            "127.0.0.1",
            "10.0.0.1:9000",
            "",
            "localhost.evil.example:9000",
            "a b",
        ] {
            assert_eq!(
                status(&p, Method::GET, &[(header::HOST, host)]),
                Some(StatusCode::BAD_REQUEST),
                "{host}"
            );
        }
        assert_eq!(
            status(&p, Method::GET, &[]),
            Some(StatusCode::BAD_REQUEST),
            "no Host at all"
        );
    }

    #[test]
    fn a_public_server_accepts_its_own_ips_and_named_hosts_only() {
        let p = BrowserPolicy::new("0.0.0.0:80".parse().unwrap(), &["Theater.Example".into()]);
        for host in [
            "10.1.2.3",
            "10.1.2.3:80",
            "[fe80::1]:80",
            "theater.example",
            "localhost",
        ] {
            assert_eq!(
                status(&p, Method::GET, &[(header::HOST, host)]),
                None,
                "{host}"
            );
        }
        assert_eq!(
            status(&p, Method::GET, &[(header::HOST, "rebind.evil.example")]),
            Some(StatusCode::BAD_REQUEST)
        );
        let p = BrowserPolicy::new("192.168.1.5:9000".parse().unwrap(), &[]);
        assert_eq!(
            status(&p, Method::GET, &[(header::HOST, "192.168.1.5:9000")]),
            None
        );
        assert_eq!(
            status(&p, Method::GET, &[(header::HOST, "10.1.2.3:9000")]),
            Some(StatusCode::BAD_REQUEST)
        );
    }

    #[test]
    fn only_our_own_origin_passes() {
        let p = loopback();
        let host = (header::HOST, "127.0.0.1:9000");
        for origin in ["http://127.0.0.1:9000", "http://localhost:9000"] {
            assert_eq!(
                status(&p, Method::GET, &[host.clone(), (header::ORIGIN, origin)]),
                None,
                "{origin}"
            );
        }
        for origin in [
            "http://evil.example",
            "http://evil.example:9000",
            "null",
            "https://127.0.0.1:9000",
            "http://127.0.0.1:9001",
            "file://",
            "",
        ] {
            assert_eq!(
                status(&p, Method::GET, &[host.clone(), (header::ORIGIN, origin)]),
                Some(StatusCode::FORBIDDEN),
                "{origin}"
            );
        }
    }

    #[test]
    fn changes_need_a_json_content_type() {
        let p = loopback();
        let host = (header::HOST, "127.0.0.1:9000");
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            assert_eq!(
                status(&p, method.clone(), std::slice::from_ref(&host)),
                Some(StatusCode::UNSUPPORTED_MEDIA_TYPE)
            );
            for ct in [
                "text/plain",
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x",
                "application/jsonp",
            ] {
                let got = status(
                    &p,
                    method.clone(),
                    &[host.clone(), (header::CONTENT_TYPE, ct)],
                );
                assert_eq!(
                    got,
                    Some(StatusCode::UNSUPPORTED_MEDIA_TYPE),
                    "{method} {ct}"
                );
            }
            for ct in ["application/json", "Application/JSON; charset=utf-8"] {
                assert_eq!(
                    status(
                        &p,
                        method.clone(),
                        &[host.clone(), (header::CONTENT_TYPE, ct)]
                    ),
                    None,
                    "{method} {ct}"
                );
            }
        }
        assert_eq!(
            status(
                &p,
                Method::GET,
                &[host.clone(), (header::CONTENT_TYPE, "text/plain")]
            ),
            None
        );
    }
}

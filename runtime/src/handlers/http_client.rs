//! `theater:simple/http-client`: outgoing HTTP(S) requests to hosts on the manifest's
//! `allow_hosts` list.
//!
//! The allow-list is checked against the request URI's host and port before anything is
//! sent. Redirects are not followed (a redirect to another host would step around the
//! list); the guest gets the 3xx and may request the new location, which is checked like
//! any request. Proxy settings in the host's environment are ignored, and the guest may not
//! set `Host` (which would address another site behind the allowed one). The response body
//! is read up to `max_response_bytes`, and the whole exchange is bounded by `timeout_ms`;
//! the wait does not count against the actor's call timeout. One HTTP client (connection
//! pool, TLS roots) is shared by every actor of a runtime and built on first use.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, HOST};
use reqwest::{Method, Url};
use wasmtime::component::Linker;

use super::{define_async, Handler};
use crate::actor::ActorCtx;
use crate::bindings::{HttpRequest, HttpResponse};
use crate::manifest::{
    AllowedHost, HandlerConfig, Manifest, DEFAULT_HTTP_TIMEOUT_MS, DEFAULT_MAX_RESPONSE_BYTES,
};

const INTERFACE: &str = "theater:simple/http-client";

/// The shared client, or why it could not be built.
type SharedClient = Arc<OnceLock<Result<reqwest::Client, String>>>;

/// Serves `theater:simple/http-client`.
#[derive(Default)]
pub struct HttpClientHandler {
    client: SharedClient,
}

impl Handler for HttpClientHandler {
    fn interface(&self) -> &'static str {
        INTERFACE
    }

    fn link(&self, linker: &mut Linker<ActorCtx>) -> wasmtime::Result<()> {
        let mut inst = linker.instance(INTERFACE)?;
        let client = self.client.clone();
        define_async(
            &mut inst,
            INTERFACE,
            "send-http",
            move |ctx, (req,): (HttpRequest,)| {
                let policy = Policy::of(ctx.manifest());
                let client = client.clone();
                Box::pin(async move { Ok((send(&client, &policy, req).await,)) })
            },
        )?;
        Ok(())
    }
}

/// One actor's options, from its manifest.
struct Policy {
    allow_hosts: Vec<AllowedHost>,
    max_response_bytes: u64,
    timeout: Duration,
}

impl Policy {
    fn of(manifest: &Manifest) -> Policy {
        match manifest.handler("http-client") {
            Some(HandlerConfig::HttpClient {
                allow_hosts,
                max_response_bytes,
                timeout_ms,
            }) => Policy {
                allow_hosts: allow_hosts.clone(),
                max_response_bytes: *max_response_bytes,
                timeout: Duration::from_millis(*timeout_ms),
            },
            // Not granted: nothing is allowed.
            _ => Policy {
                allow_hosts: Vec::new(),
                max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
                timeout: Duration::from_millis(DEFAULT_HTTP_TIMEOUT_MS),
            },
        }
    }

    /// The URI if it is http(s) to an allowed host, else the refusal the guest sees.
    fn check_uri(&self, uri: &str) -> Result<Url, String> {
        let url = Url::parse(uri)
            .map_err(|e| format!("uri {uri:?} is not an absolute http(s) URI: {e}"))?;
        let default_port = match url.scheme() {
            "http" => 80,
            "https" => 443,
            other => {
                return Err(format!(
                    "uri {uri:?} refused: scheme {other:?} is not supported (use http or https)"
                ))
            }
        };
        let host = url.host_str().unwrap_or_default();
        let port = url.port().unwrap_or(default_port);
        if self
            .allow_hosts
            .iter()
            .any(|a| a.allows(host, port, default_port))
        {
            Ok(url)
        } else {
            let list = self
                .allow_hosts
                .iter()
                .map(|a| format!("{:?}", a.to_string()))
                .collect::<Vec<_>>()
                .join(", ");
            Err(format!(
                "request to {host}:{port} refused: not on this actor's allow-list \
                 ([[handler]] type = \"http-client\" allow_hosts = [{list}])"
            ))
        }
    }
}

/// Turn the guest's headers into a header map, refusing malformed ones and `Host`.
fn headers(pairs: &[(String, String)]) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("header name {name:?} is not valid"))?;
        if header == HOST {
            return Err(
                "header \"host\" refused: the host comes from the uri, which the allow-list checks"
                    .into(),
            );
        }
        let value = HeaderValue::from_str(value)
            .map_err(|_| format!("value of header {name:?} is not valid"))?;
        map.append(header, value);
    }
    Ok(map)
}

/// An error with its chain of causes, e.g. "error sending request ...: connection refused".
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

async fn send(
    client: &SharedClient,
    policy: &Policy,
    req: HttpRequest,
) -> Result<HttpResponse, String> {
    let url = policy.check_uri(&req.uri)?;
    let method = Method::from_bytes(req.method.as_bytes())
        .map_err(|_| format!("method {:?} is not a valid HTTP method", req.method))?;
    let headers = headers(&req.headers)?;
    let client = client
        .get_or_init(|| {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .build()
                .map_err(|e| format!("the HTTP client could not be set up: {}", describe(&e)))
        })
        .as_ref()
        .map_err(Clone::clone)?;
    let mut request = client
        .request(method, url)
        .headers(headers)
        .timeout(policy.timeout);
    if let Some(body) = req.body {
        request = request.body(body);
    }
    let failed = |e: reqwest::Error| {
        if e.is_timeout() {
            format!("request to {} timed out after {} ms (timeout_ms in [[handler]] type = \"http-client\")", req.uri, policy.timeout.as_millis())
        } else {
            describe(&e)
        }
    };
    let mut response = request.send().await.map_err(failed)?;
    let limit = policy.max_response_bytes;
    // `length` when the response announced it; else the body was cut off at the limit.
    let too_large = |length: Option<u64>| {
        let size = length.map_or("exceeds".to_string(), |n| format!("is {n} bytes, over"));
        format!("response from {} refused: its body {size} this actor's max_response_bytes of {limit} ([[handler]] type = \"http-client\")", req.uri)
    };
    if let Some(length) = response.content_length().filter(|l| *l > limit) {
        return Err(too_large(Some(length)));
    }
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(failed)? {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(too_large(None));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(HttpResponse {
        status,
        headers,
        body: Some(body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(hosts: &[&str]) -> Policy {
        Policy {
            allow_hosts: hosts
                .iter()
                .map(|h| AllowedHost::try_from(h.to_string()).unwrap())
                .collect(),
            max_response_bytes: 100,
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn only_listed_hosts_and_ports_pass() {
        let p = policy(&["127.0.0.1:8080", "API.example.com", "[::1]:9000"]);
        assert!(p.check_uri("http://127.0.0.1:8080/x?y=1").is_ok());
        assert!(
            p.check_uri("https://api.example.com/v1").is_ok(),
            "default port of the scheme"
        );
        assert!(p.check_uri("http://api.example.com/v1").is_ok());
        assert!(p.check_uri("http://[::1]:9000/").is_ok());
        for uri in [
            "http://127.0.0.1:8081/",
            "http://127.0.0.1/",
            "https://api.example.com:8443/",
            "http://evil.example/",
            "http://[::1]/",
        ] {
            let e = p.check_uri(uri).unwrap_err();
            assert!(
                e.contains("refused")
                    && e.contains(
                        "allow_hosts = [\"127.0.0.1:8080\", \"api.example.com\", \"[::1]:9000\"]"
                    ),
                "{uri}: {e}"
            );
        }
        assert!(p
            .check_uri("file:///etc/passwd")
            .unwrap_err()
            .contains("scheme \"file\""));
        assert!(p.check_uri("/relative").is_err());
        assert!(
            policy(&[]).check_uri("http://127.0.0.1:8080/").is_err(),
            "nothing is allowed by default"
        );
    }

    #[test]
    fn host_header_and_malformed_headers_are_refused() {
        assert!(headers(&[("Host".into(), "other.example".into())])
            .unwrap_err()
            .contains("host"));
        assert!(headers(&[("bad name".into(), "v".into())]).is_err());
        assert!(headers(&[("x-a".into(), "bad\nvalue".into())]).is_err());
        assert_eq!(
            headers(&[("X-A".into(), "1".into()), ("x-a".into(), "2".into())])
                .unwrap()
                .get_all("x-a")
                .iter()
                .count(),
            2
        );
    }
}

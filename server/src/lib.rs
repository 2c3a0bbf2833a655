//! The management API: one [`Theater`] served over HTTP/1.1 with JSON bodies and
//! Server-Sent Events, so the `theater` CLI, curl, scripts and a browser can start, inspect,
//! message and stop actors and follow their chains. docs/api.md describes every route;
//! `/openapi.json` is the machine-readable description.
//!
//! ```no_run
//! # async fn demo(theater: theater_runtime::Theater) -> Result<(), theater_server::ServerError> {
//! use theater_server::{Server, ServerConfig};
//! let token = theater_server::new_token().expect("randomness");
//! let server = Server::bind(ServerConfig::new(([127, 0, 0, 1], 9000).into(), Some(token))).await?;
//! let (signal, signals) = tokio::sync::mpsc::channel(2);
//! tokio::spawn(async move { while tokio::signal::ctrl_c().await.is_ok() { let _ = signal.send(()).await; } });
//! server.run(theater, signals).await.map(|_report| ())
//! # }
//! ```

mod allow_dirs;
mod auth;
mod browser;
mod connections;
mod db;
mod error;
mod extract;
mod hub;
mod limits;
/// The JSON shapes of the API (the `theater-api` crate, shared with the CLI client).
pub use theater_api as model;
mod openapi;
mod routes;
mod server_file;
mod sse;
mod stream_slots;
mod timeout;
mod views;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::{Extension, Router};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

pub use allow_dirs::AllowDirs;
pub use auth::new_token;
pub use error::ApiError;
pub use limits::{
    ServerLimits, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_STREAMS, DEFAULT_MAX_STREAMS_PER_CLIENT,
    DEFAULT_REQUEST_TIMEOUT,
};
pub use server_file::{ServerFile, ServerFileError};

use theater_runtime::{RuntimeError, ShutdownReport, Theater};

/// How long the actors get to stop at shutdown before they are interrupted
/// (`--shutdown-timeout`).
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// How long connections still open after the actors have ended (a client reading a stream
/// of an actor that has already ended, say) may take to close before the server stops
/// regardless.
const CLOSE_GRACE: Duration = Duration::from_millis(500);

/// Where to listen, who may call, and the server's bounds.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub addr: SocketAddr,
    /// When set, every request but `GET /v1/health` must carry `Authorization: Bearer TOKEN`;
    /// `None` (`--no-auth`) is allowed on loopback addresses only.
    pub token: Option<String>,
    /// Host names, besides loopback names and the bound address, that requests may carry
    /// in `Host` (a server on a public address reached by a DNS name).
    pub allow_hosts: Vec<String>,
    /// Directories the manifests (and their files) of `POST /v1/actors` must be inside;
    /// empty: anywhere.
    pub allow_dirs: Vec<PathBuf>,
    pub limits: ServerLimits,
    /// How long the actors get to stop at shutdown before they are interrupted.
    pub shutdown_timeout: Duration,
}

impl ServerConfig {
    /// A configuration with the defaults for everything but the address and the token.
    pub fn new(addr: SocketAddr, token: Option<String>) -> ServerConfig {
        ServerConfig {
            addr,
            token,
            allow_hosts: Vec::new(),
            allow_dirs: Vec::new(),
            limits: ServerLimits::default(),
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        }
    }

    /// Refuse a configuration that would expose actors to the network without a token, or
    /// bounds that could serve nothing. Called by [`Server::bind`] before it binds anything.
    pub fn check(&self) -> Result<(), ServerError> {
        if self.token.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(ServerError::EmptyToken);
        }
        if self.token.is_none() && !self.addr.ip().is_loopback() {
            return Err(ServerError::PublicWithoutToken { addr: self.addr });
        }
        let l = &self.limits;
        for (value, option) in [
            (l.max_connections, "--max-connections"),
            (l.max_streams, "--max-streams"),
            (l.max_streams_per_client, "--max-streams-per-client"),
        ] {
            if value == 0 {
                return Err(ServerError::ZeroLimit { option });
            }
        }
        if l.request_timeout.is_zero() {
            return Err(ServerError::ZeroLimit {
                option: "--request-timeout",
            });
        }
        Ok(())
    }
}

/// Why the server could not start or stopped serving.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("refusing to serve on {addr} without an access token: anyone who can reach that address could run code here\n  hint: drop --no-auth (a random token is made and written to server.json), or listen on a loopback address such as 127.0.0.1:{}", addr.port())]
    PublicWithoutToken { addr: SocketAddr },
    #[error("the access token is empty")]
    EmptyToken,
    #[error("{option} must be at least 1")]
    ZeroLimit { option: &'static str },
    #[error(transparent)]
    AllowDir(#[from] allow_dirs::AllowDirError),
    #[error("cannot listen on {addr}: {error}\n  hint: is another theater server running? pass --addr with another port")]
    Bind {
        addr: SocketAddr,
        error: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
    #[error("shutting down: {0}")]
    Shutdown(#[from] RuntimeError),
}

/// A bound, not yet serving, API server.
pub struct Server {
    listener: TcpListener,
    config: ServerConfig,
    shared: Shared,
}

/// What every request passes through, besides the runtime.
#[derive(Clone)]
struct Shared {
    token: auth::Token,
    browser: Arc<browser::BrowserPolicy>,
    allow_dirs: Arc<AllowDirs>,
    slots: Arc<stream_slots::StreamSlots>,
}

impl Server {
    /// Check the configuration, then bind its address.
    pub async fn bind(config: ServerConfig) -> Result<Server, ServerError> {
        config.check()?;
        let allow_dirs = AllowDirs::new(&config.allow_dirs)?;
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|error| ServerError::Bind {
                addr: config.addr,
                error,
            })?;
        let bound = listener.local_addr().map_err(ServerError::Serve)?;
        let shared = Shared {
            token: config.token.as_deref().map(|t| Arc::from(t.trim())),
            browser: Arc::new(browser::BrowserPolicy::new(bound, &config.allow_hosts)),
            allow_dirs: Arc::new(allow_dirs),
            slots: stream_slots::StreamSlots::new(
                config.limits.max_streams,
                config.limits.max_streams_per_client,
            ),
        };
        Ok(Server {
            listener,
            config,
            shared,
        })
    }

    /// The address actually bound (its port, when the configuration asked for port 0).
    pub fn local_addr(&self) -> Result<SocketAddr, ServerError> {
        self.listener.local_addr().map_err(ServerError::Serve)
    }

    /// Serve `theater` until the first signal arrives on `signals`; then stop every actor
    /// within the shutdown timeout (a second signal cuts it short: the actors still running
    /// are interrupted at once), flush the chains, and stop serving once open connections
    /// close (or after a short grace period). Fails if the chains could not be flushed.
    pub async fn run(
        self,
        theater: Theater,
        mut signals: mpsc::Receiver<()>,
    ) -> Result<ShutdownReport, ServerError> {
        let app = router(
            theater.clone(),
            self.shared,
            self.config.limits.request_timeout,
        );
        let (done, stopped) = tokio::sync::oneshot::channel();
        let timeout = self.config.shutdown_timeout;
        let graceful = async move {
            if signals.recv().await.is_none() {
                // Nobody can ask any more: serve until the process ends.
                std::future::pending::<()>().await;
            }
            let hurry = async move {
                if signals.recv().await.is_none() {
                    std::future::pending::<()>().await;
                }
            };
            // Ending the actors also ends their event streams, so their connections close.
            let _ = done.send(theater.shutdown_within(timeout, hurry).await);
        };
        let listener = connections::limited(self.listener, self.config.limits.max_connections);
        let service = app.into_make_service_with_connect_info::<connections::PeerAddr>();
        let serving = std::future::IntoFuture::into_future(
            axum::serve(listener, service).with_graceful_shutdown(graceful),
        );
        tokio::pin!(serving, stopped);
        let (report, served) = tokio::select! {
            // Every connection closed once the actors had ended: the report is there.
            served = &mut serving => ((&mut stopped).await, Some(served)),
            report = &mut stopped => (report, None),
        };
        if served.is_none() {
            // Connections still open (a stream client reading its `end`) get a moment.
            let _ = tokio::time::timeout(CLOSE_GRACE, &mut serving).await;
        }
        if let Some(Err(e)) = served {
            return Err(ServerError::Serve(e));
        }
        let report = report.map_err(|_| {
            ServerError::Serve(std::io::Error::other("the shutdown ended without a report"))
        })?;
        report.map_err(ServerError::from)
    }
}

/// The whole API: every route behind the browser guard and the token check, every call
/// but the event stream under the request timeout, JSON errors for unknown routes and
/// methods too.
fn router(theater: Theater, shared: Shared, request_timeout: Duration) -> Router {
    let time_limit = axum::middleware::from_fn_with_state(request_timeout, timeout::limit);
    let hub = hub::EventHub::new(theater.clone());
    routes::table()
        .into_iter()
        .fold(Router::new(), |router, route| {
            tracing::debug!("route {} {}", route.verb.as_str(), route.path);
            let handler = if route.stream {
                route.handler
            } else {
                route.handler.layer(time_limit.clone())
            };
            router.route(route.path, handler)
        })
        .fallback(|| async { ApiError::not_found("no such route; GET /openapi.json lists them") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "this route does not take that method; GET /openapi.json lists them",
            )
        })
        .layer(Extension(hub))
        .layer(Extension(shared.slots))
        .layer(Extension(shared.allow_dirs))
        .layer(DefaultBodyLimit::max(extract::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            shared.token,
            auth::require_token,
        ))
        .layer(axum::middleware::from_fn_with_state(
            shared.browser,
            browser::guard,
        ))
        .with_state(theater)
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Method, Request};
    use tower::ServiceExt;

    use super::*;
    use theater_runtime::TheaterConfig;

    #[test]
    fn public_addresses_need_a_token_loopback_does_not() {
        let config = |addr: &str, token: Option<&str>| {
            ServerConfig::new(addr.parse().unwrap(), token.map(String::from))
        };
        assert!(config("127.0.0.1:9000", None).check().is_ok());
        assert!(config("[::1]:9000", None).check().is_ok());
        let e = config("0.0.0.0:9000", None)
            .check()
            .unwrap_err()
            .to_string();
        assert!(e.contains("--no-auth"), "{e}");
        assert!(config("0.0.0.0:9000", Some("t")).check().is_ok());
        assert!(matches!(
            config("127.0.0.1:9000", Some("  ")).check(),
            Err(ServerError::EmptyToken)
        ));
    }

    async fn call(
        app: &Router,
        method: Method,
        uri: &str,
        body: &str,
        token: Option<&str>,
    ) -> (StatusCode, serde_json::Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "127.0.0.1:9000")
            .header("content-type", "application/json");
        if let Some(t) = token {
            request = request.header("authorization", format!("Bearer {t}"));
        }
        let response = app
            .clone()
            .oneshot(request.body(Body::from(body.to_string())).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    fn app(dir: &std::path::Path, token: Option<&str>) -> Router {
        let theater = Theater::new(TheaterConfig::new(Some(dir.to_path_buf()))).unwrap();
        let shared = Shared {
            token: token.map(Arc::from),
            browser: Arc::new(browser::BrowserPolicy::new(
                "127.0.0.1:9000".parse().unwrap(),
                &[],
            )),
            allow_dirs: Arc::new(AllowDirs::new(&[]).unwrap()),
            slots: stream_slots::StreamSlots::new(1, 1),
        };
        router(theater, shared, DEFAULT_REQUEST_TIMEOUT)
    }

    #[tokio::test]
    async fn bad_requests_get_json_errors() {
        let dir = tempfile::tempdir().unwrap();
        let app = app(dir.path(), None);
        let (status, body) = call(&app, Method::GET, "/v1/actors/nobody-here", "", None).await;
        assert_eq!(
            (status, body["error"].as_str().unwrap()),
            (StatusCode::NOT_FOUND, "no actor with id nobody-here")
        );
        let (status, body) = call(&app, Method::POST, "/v1/actors", "{not json", None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body["error"].as_str().unwrap().contains("malformed JSON"),
            "{body}"
        );
        let (status, body) = call(
            &app,
            Method::POST,
            "/v1/actors",
            r#"{"manifest": "/no/such/manifest.toml"}"#,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("/no/such/manifest.toml"),
            "{body}"
        );
        let (status, _) = call(
            &app,
            Method::POST,
            "/v1/actors",
            r#"{"manifest": "m.toml"}"#,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, body) = call(&app, Method::GET, "/v1/nothing-here", "", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body["error"].is_string());
        let (status, body) = call(&app, Method::DELETE, "/v1/actors", "", None).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(body["error"].is_string());
        let (status, body) = call(
            &app,
            Method::GET,
            "/v1/actors/abcdefgh/events?from=x",
            "",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["error"].as_str().unwrap().contains("query"), "{body}");
        let (status, body) = call(&app, Method::GET, "/v1/actors", "", None).await;
        assert_eq!(
            (status, body),
            (StatusCode::OK, serde_json::json!({"actors": []}))
        );
    }

    #[tokio::test]
    async fn the_token_guards_every_route_but_health() {
        let dir = tempfile::tempdir().unwrap();
        let app = app(dir.path(), Some("s3cret"));
        for uri in [
            "/v1/actors",
            "/openapi.json",
            "/v1/nothing-here",
            "/v1/health/",
            "/v1/tree",
        ] {
            let (status, body) = call(&app, Method::GET, uri, "", None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
            assert!(body["error"].is_string());
        }
        let (status, _) = call(&app, Method::POST, "/v1/health", "", None).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "only GET of health is open"
        );
        let (status, _) = call(&app, Method::GET, "/v1/actors", "", Some("wrong")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, body) = call(&app, Method::GET, "/v1/actors", "", Some("s3cret")).await;
        assert_eq!(
            (status, body),
            (StatusCode::OK, serde_json::json!({"actors": []}))
        );
        let (status, body) = call(&app, Method::GET, "/v1/health", "", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], "ok");
    }
}

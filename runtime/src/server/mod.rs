//! The management API: one [`Theater`] served over HTTP/1.1 with JSON bodies and
//! Server-Sent Events, so the `theater` CLI, curl, scripts and a browser can start, inspect,
//! message and stop actors and follow their chains. docs/api.md describes every route;
//! `/openapi.json` is the machine-readable description.
//!
//! ```no_run
//! # async fn demo(theater: theater_runtime::Theater) -> Result<(), theater_runtime::server::ServerError> {
//! use theater_runtime::server::{Server, ServerConfig};
//! let token = theater_runtime::server::new_token().expect("randomness");
//! let server = Server::bind(ServerConfig::new(([127, 0, 0, 1], 9000).into(), Some(token))).await?;
//! server.run(theater, async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```

mod auth;
mod browser;
mod db;
mod error;
mod extract;
pub mod model;
mod openapi;
mod routes;
mod server_file;
mod sse;
mod views;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::Router;
use tokio::net::TcpListener;

pub use auth::new_token;
pub use error::ApiError;
pub use server_file::{ServerFile, ServerFileError};

use crate::Theater;

/// How long connections still open after shutdown (a client reading a stream of an actor
/// that has already ended, say) may take to close before the server stops regardless.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Where to listen and who may call.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub addr: SocketAddr,
    /// When set, every request but `GET /v1/health` must carry `Authorization: Bearer TOKEN`;
    /// `None` (`--no-auth`) is allowed on loopback addresses only.
    pub token: Option<String>,
    /// Host names, besides loopback names and the bound address, that requests may carry
    /// in `Host` (a server on a public address reached by a DNS name).
    pub allow_hosts: Vec<String>,
}

impl ServerConfig {
    /// A configuration with the defaults for everything but the address and the token.
    pub fn new(addr: SocketAddr, token: Option<String>) -> ServerConfig {
        ServerConfig { addr, token, allow_hosts: Vec::new() }
    }

    /// Refuse a configuration that would expose actors to the network without a token.
    /// Called by [`Server::bind`] before it binds anything.
    pub fn check(&self) -> Result<(), ServerError> {
        if self.token.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(ServerError::EmptyToken);
        }
        if self.token.is_none() && !self.addr.ip().is_loopback() {
            return Err(ServerError::PublicWithoutToken { addr: self.addr });
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
    #[error("cannot listen on {addr}: {error}\n  hint: is another theater server running? pass --addr with another port")]
    Bind { addr: SocketAddr, error: std::io::Error },
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
}

/// A bound, not yet serving, API server.
pub struct Server {
    listener: TcpListener,
    token: auth::Token,
    browser: Arc<browser::BrowserPolicy>,
}

impl Server {
    /// Check the configuration, then bind its address.
    pub async fn bind(config: ServerConfig) -> Result<Server, ServerError> {
        config.check()?;
        let listener = TcpListener::bind(config.addr).await.map_err(|error| ServerError::Bind { addr: config.addr, error })?;
        let bound = listener.local_addr().map_err(ServerError::Serve)?;
        Ok(Server {
            listener,
            token: config.token.map(|t| Arc::from(t.trim())),
            browser: Arc::new(browser::BrowserPolicy::new(bound, &config.allow_hosts)),
        })
    }

    /// The address actually bound (its port, when the configuration asked for port 0).
    pub fn local_addr(&self) -> Result<SocketAddr, ServerError> {
        self.listener.local_addr().map_err(ServerError::Serve)
    }

    /// Serve `theater` until `shutdown` completes; then stop every actor, flush the chains
    /// and stop serving once open connections close (or after a short grace period).
    pub async fn run(self, theater: Theater, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), ServerError> {
        let app = router(theater.clone(), self.token, self.browser);
        let (closing, closed) = tokio::sync::oneshot::channel::<()>();
        let graceful = async move {
            shutdown.await;
            // Ending the actors also ends their event streams, so their connections close.
            if let Err(e) = theater.shutdown().await {
                tracing::error!("shutting down the actors: {e}");
            }
            let _ = closing.send(());
        };
        let serving = axum::serve(self.listener, app).with_graceful_shutdown(graceful);
        tokio::select! {
            result = serving => result.map_err(ServerError::Serve),
            () = async { if closed.await.is_ok() { tokio::time::sleep(CLOSE_GRACE).await } else { std::future::pending().await } } => Ok(()),
        }
    }
}

/// The whole API: every route behind the browser guard and the token check, JSON errors
/// for unknown routes and methods too.
fn router(theater: Theater, token: auth::Token, browser: Arc<browser::BrowserPolicy>) -> Router {
    routes::table()
        .into_iter()
        .fold(Router::new(), |router, route| {
            tracing::debug!("route {} {}", route.verb.as_str(), route.path);
            router.route(route.path, route.handler)
        })
        .fallback(|| async { ApiError::not_found("no such route; GET /openapi.json lists them") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "this route does not take that method; GET /openapi.json lists them")
        })
        .layer(DefaultBodyLimit::max(extract::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(token, auth::require_token))
        .layer(axum::middleware::from_fn_with_state(browser, browser::guard))
        .with_state(theater)
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Method, Request};
    use tower::ServiceExt;

    use super::*;
    use crate::TheaterConfig;

    #[test]
    fn public_addresses_need_a_token_loopback_does_not() {
        let config = |addr: &str, token: Option<&str>| ServerConfig::new(addr.parse().unwrap(), token.map(String::from));
        assert!(config("127.0.0.1:9000", None).check().is_ok());
        assert!(config("[::1]:9000", None).check().is_ok());
        let e = config("0.0.0.0:9000", None).check().unwrap_err().to_string();
        assert!(e.contains("--no-auth"), "{e}");
        assert!(config("0.0.0.0:9000", Some("t")).check().is_ok());
        assert!(matches!(config("127.0.0.1:9000", Some("  ")).check(), Err(ServerError::EmptyToken)));
    }

    async fn call(app: &Router, method: Method, uri: &str, body: &str, token: Option<&str>) -> (StatusCode, serde_json::Value) {
        let mut request = Request::builder().method(method).uri(uri).header("host", "127.0.0.1:9000").header("content-type", "application/json");
        if let Some(t) = token {
            request = request.header("authorization", format!("Bearer {t}"));
        }
        let response = app.clone().oneshot(request.body(Body::from(body.to_string())).unwrap()).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
    }

    fn app(dir: &std::path::Path, token: Option<&str>) -> Router {
        let theater = Theater::new(TheaterConfig::new(Some(dir.to_path_buf()))).unwrap();
        let browser = browser::BrowserPolicy::new("127.0.0.1:9000".parse().unwrap(), &[]);
        router(theater, token.map(Arc::from), Arc::new(browser))
    }

    #[tokio::test]
    async fn bad_requests_get_json_errors() {
        let dir = tempfile::tempdir().unwrap();
        let app = app(dir.path(), None);
        let (status, body) = call(&app, Method::GET, "/v1/actors/nobody-here", "", None).await;
        assert_eq!((status, body["error"].as_str().unwrap()), (StatusCode::NOT_FOUND, "no actor with id nobody-here"));
        let (status, body) = call(&app, Method::POST, "/v1/actors", "{not json", None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["error"].as_str().unwrap().contains("malformed JSON"), "{body}");
        let (status, body) = call(&app, Method::POST, "/v1/actors", r#"{"manifest": "/no/such/manifest.toml"}"#, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body["error"].as_str().unwrap().contains("/no/such/manifest.toml"), "{body}");
        let (status, _) = call(&app, Method::POST, "/v1/actors", r#"{"manifest": "m.toml"}"#, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, body) = call(&app, Method::GET, "/v1/nothing-here", "", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body["error"].is_string());
        let (status, body) = call(&app, Method::DELETE, "/v1/actors", "", None).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(body["error"].is_string());
        let (status, body) = call(&app, Method::GET, "/v1/actors/abcdefgh/events?from=x", "", None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["error"].as_str().unwrap().contains("query"), "{body}");
        let (status, body) = call(&app, Method::GET, "/v1/actors", "", None).await;
        assert_eq!((status, body), (StatusCode::OK, serde_json::json!({"actors": []})));
    }

    #[tokio::test]
    async fn the_token_guards_every_route_but_health() {
        let dir = tempfile::tempdir().unwrap();
        let app = app(dir.path(), Some("s3cret"));
        for uri in ["/v1/actors", "/openapi.json", "/v1/nothing-here", "/v1/health/", "/v1/tree"] {
            let (status, body) = call(&app, Method::GET, uri, "", None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
            assert!(body["error"].is_string());
        }
        let (status, _) = call(&app, Method::POST, "/v1/health", "", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "only GET of health is open");
        let (status, _) = call(&app, Method::GET, "/v1/actors", "", Some("wrong")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, body) = call(&app, Method::GET, "/v1/actors", "", Some("s3cret")).await;
        assert_eq!((status, body), (StatusCode::OK, serde_json::json!({"actors": []})));
        let (status, body) = call(&app, Method::GET, "/v1/health", "", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], "ok");
    }
}

//! `theater:simple/http-framework`: HTTP and WebSocket servers the runtime runs for the
//! actor (`[[handler]] type = "http-framework"`, which says where it may listen).
//!
//! The actor creates a server, adds routes and WebSocket paths, and starts it; each request
//! then arrives at its `handle_http`, each WebSocket message at its `handle_ws`, one at a
//! time through its mailbox like every other message, and every one is recorded in its
//! chain. An [`HttpServer`] is a plain id, so it can be kept in the actor's state.
//!
//! ```
//! use theater_sdk::http_server::{HttpServer, ServerConfig};
//! # let host = theater_sdk::TestHost::new();
//! # host.enter(|| -> Result<(), String> {
//! let server = HttpServer::create(&ServerConfig::new().port(8080))?;
//! server.route("GET", "/hello")?;
//! server.route("POST", "/counter")?;
//! server.websocket("/echo")?;
//! let port = server.start()?;
//! # assert_eq!(port, 8080);
//! # Ok(()) })?;
//! # Ok::<(), String>(())
//! ```

use serde::{Deserialize, Serialize};

pub use super::http_types::{HttpRequest, HttpResponse};
pub use super::websocket::{ConnectionId, WsMessage};
use crate::sys::http_framework as sys;

/// Names one of the actor's handlers; `handle_http` may take it to tell routes apart.
pub type HandlerId = u64;
/// Names a route, to remove it.
pub type RouteId = u64;
/// Names a middleware, to remove it.
pub type MiddlewareId = u64;

/// Where a server listens. The manifest's `http-framework` grant decides which addresses
/// and ports are allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerConfig {
    /// `None` or `Some(0)`: the system picks a free port ([`HttpServer::start`] returns it).
    pub port: Option<u16>,
    /// An IP address (or `localhost`); `None`: `127.0.0.1`.
    pub host: Option<String>,
    /// HTTPS: certificate and key files. Theater's runtime refuses it (`create` fails saying
    /// so): serve plain HTTP on loopback behind a TLS-terminating proxy.
    pub tls: Option<TlsConfig>,
}

/// Certificate and key files for HTTPS (which the runtime refuses, see [`ServerConfig::tls`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsConfig {
    pub cert_path: String,
    pub key_path: String,
}

impl ServerConfig {
    /// Loopback, on a port the system picks.
    pub fn new() -> ServerConfig {
        ServerConfig::default()
    }

    /// Listen on `port` (0: the system picks one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Listen on `host`: an IP address such as `127.0.0.1` (or `localhost`); the manifest's
    /// `bind` list says which are allowed.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Serve HTTPS with these certificate and key files: refused by the runtime (see
    /// [`ServerConfig::tls`]); the contract has it for actors of other hosts.
    pub fn tls(mut self, cert_path: impl Into<String>, key_path: impl Into<String>) -> Self {
        self.tls = Some(TlsConfig {
            cert_path: cert_path.into(),
            key_path: key_path.into(),
        });
        self
    }
}

/// What [`HttpServer::info`] reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    pub id: u64,
    pub port: u16,
    pub host: String,
    pub running: bool,
    pub routes_count: u32,
    pub middleware_count: u32,
    pub websocket_enabled: bool,
}

/// A middleware's verdict on a request (`handle_http_middleware`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Middleware {
    /// Go on to the route's handler with this request (the one received, or a changed one).
    Proceed(HttpRequest),
    /// Refuse the request; the route's handler is not called.
    Stop,
}

/// One of the actor's servers. Created stopped; [`start`](Self::start) opens it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HttpServer {
    id: u64,
}

impl HttpServer {
    /// Creates a server (not listening yet).
    pub fn create(config: &ServerConfig) -> Result<HttpServer, String> {
        sys::create_server(config).map(|id| HttpServer { id })
    }

    /// The server with this id (from [`id`](Self::id)).
    pub fn from_id(id: u64) -> HttpServer {
        HttpServer { id }
    }

    /// The host's id of this server.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Routes `method` requests (`GET`, `POST`, ...) for `path` to `handle_http`, under a
    /// new handler named `"METHOD path"`. `path` may hold parameters (`/users/{id}`).
    pub fn route(&self, method: &str, path: &str) -> Result<RouteId, String> {
        let handler = register_handler(&format!("{method} {path}"))?;
        self.route_to(method, path, handler)
    }

    /// Routes `method` requests for `path` to `handle_http` under `handler`, so several
    /// routes can share one.
    pub fn route_to(
        &self,
        method: &str,
        path: &str,
        handler: HandlerId,
    ) -> Result<RouteId, String> {
        sys::add_route(self.id, path, method, handler)
    }

    /// Runs `handle_http_middleware` on requests under `path` before their route's handler.
    pub fn middleware(&self, path: &str) -> Result<MiddlewareId, String> {
        let handler = register_handler(&format!("middleware {path}"))?;
        sys::add_middleware(self.id, path, handler)
    }

    /// Accepts WebSocket connections on `path`: `handle_ws_connect`, `handle_ws` and
    /// `handle_ws_disconnect` receive them.
    pub fn websocket(&self, path: &str) -> Result<(), String> {
        let connect = register_handler(&format!("ws connect {path}"))?;
        let message = register_handler(&format!("ws {path}"))?;
        let disconnect = register_handler(&format!("ws disconnect {path}"))?;
        sys::enable_websocket(self.id, path, Some(connect), message, Some(disconnect))
    }

    /// Starts listening; returns the port (the one the system picked, for port 0).
    pub fn start(&self) -> Result<u16, String> {
        sys::start_server(self.id)
    }

    /// Stops listening; routes stay, so [`start`](Self::start) serves again.
    pub fn stop(&self) -> Result<(), String> {
        sys::stop_server(self.id)
    }

    /// Stops the server and forgets it.
    pub fn destroy(self) -> Result<(), String> {
        sys::destroy_server(self.id)
    }

    /// Where it listens and what it serves.
    pub fn info(&self) -> Result<ServerInfo, String> {
        sys::get_server_info(self.id)
    }

    /// Sends a message on an open WebSocket connection (outside a `handle_ws` reply).
    pub fn send(&self, connection: ConnectionId, message: &WsMessage) -> Result<(), String> {
        sys::send_websocket_message(self.id, connection, message)
    }

    /// Closes a WebSocket connection.
    pub fn close(&self, connection: ConnectionId) -> Result<(), String> {
        sys::close_websocket(self.id, connection)
    }
}

/// A new handler id named `name`, for [`HttpServer::route_to`].
pub fn register_handler(name: &str) -> Result<HandlerId, String> {
    sys::register_handler(name)
}

/// Removes a route.
pub fn remove_route(route: RouteId) -> Result<(), String> {
    sys::remove_route(route)
}

/// Removes a middleware.
pub fn remove_middleware(middleware: MiddlewareId) -> Result<(), String> {
    sys::remove_middleware(middleware)
}

//! The test host's `http-framework`: the servers, routes, middleware and WebSocket paths an
//! actor set up, open WebSocket connections, and how a test's request finds its handler
//! (by method and path pattern, on a started server, as the runtime routes it: matchit's
//! patterns, middleware by path prefix, `/*` for all).

use std::collections::BTreeMap;

use crate::host::http_server::{HandlerId, MiddlewareId, RouteId, ServerConfig, ServerInfo};
use crate::host::websocket::ConnectionId;

/// A server an actor created, as [`crate::TestHost::http_servers`] shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestServer {
    pub id: u64,
    pub config: ServerConfig,
    /// The port it listens on while started; `None` while stopped.
    pub port: Option<u16>,
    pub routes: Vec<TestRoute>,
    pub middleware: Vec<TestMiddleware>,
    pub websockets: Vec<TestWebSocket>,
}

/// A route: requests with this method and path go to this handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRoute {
    pub id: RouteId,
    pub method: String,
    pub path: String,
    pub handler: HandlerId,
}

/// A middleware: runs before the route's handler for paths under `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestMiddleware {
    pub id: MiddlewareId,
    pub path: String,
    pub handler: HandlerId,
}

/// A path accepting WebSocket connections, with its handlers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestWebSocket {
    pub path: String,
    pub connect: Option<HandlerId>,
    pub message: HandlerId,
    pub disconnect: Option<HandlerId>,
}

/// Where a request goes.
pub(crate) enum Routing {
    To(Routed),
    /// The path has routes, none for this method (the runtime answers `405`).
    MethodNotAllowed,
    /// No route for the path (the runtime answers `404`).
    NotFound,
}

/// A request's route handler, after these middleware handlers (in the order added).
pub(crate) struct Routed {
    pub(crate) middleware: Vec<HandlerId>,
    pub(crate) handler: HandlerId,
    /// The route pattern's parameters, by name.
    pub(crate) params: Vec<(String, String)>,
}

/// An open WebSocket connection and the handlers of its path.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    pub(crate) server: u64,
    pub(crate) socket: TestWebSocket,
}

/// The first port the test host hands out for port 0.
const FIRST_PICKED_PORT: u16 = 40_000;

#[derive(Default)]
pub(crate) struct Servers {
    servers: Vec<TestServer>,
    /// Handler names by id.
    handlers: BTreeMap<HandlerId, String>,
    pub(crate) connections: BTreeMap<ConnectionId, Connection>,
    /// One counter for every kind of id, as ids only need to be unique.
    last_id: u64,
}

impl Servers {
    fn next_id(&mut self) -> u64 {
        self.last_id = self.last_id.saturating_add(1);
        self.last_id
    }

    pub(crate) fn all(&self) -> Vec<TestServer> {
        self.servers.clone()
    }

    fn server(&mut self, id: u64) -> Result<&mut TestServer, String> {
        self.servers
            .iter_mut()
            .find(|s| s.id == id)
            .ok_or_else(|| format!("no server {id}"))
    }

    fn check_handler(&self, handler: HandlerId) -> Result<(), String> {
        match self.handlers.contains_key(&handler) {
            true => Ok(()),
            false => Err(format!("no handler {handler} (register it first)")),
        }
    }

    /// Refuses what the runtime refuses whatever the grant: TLS, and a host that is not an
    /// IP address.
    pub(crate) fn create(&mut self, config: &ServerConfig) -> Result<u64, String> {
        if let Some(tls) = &config.tls {
            return Err(format!(
                "TLS is not served by Theater's http-framework (cert {:?}): serve plain HTTP on a loopback address and put a TLS-terminating proxy in front",
                tls.cert_path
            ));
        }
        if let Some(host) = config.host.as_deref() {
            if host != "localhost" && host.parse::<std::net::IpAddr>().is_err() {
                return Err(format!(
                    "host {host:?} is not an IP address (e.g. \"127.0.0.1\")"
                ));
            }
        }
        let id = self.next_id();
        self.servers.push(TestServer {
            id,
            config: config.clone(),
            port: None,
            routes: Vec::new(),
            middleware: Vec::new(),
            websockets: Vec::new(),
        });
        Ok(id)
    }

    pub(crate) fn info(&mut self, id: u64) -> Result<ServerInfo, String> {
        let server = self.server(id)?;
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Ok(ServerInfo {
            id,
            port: server.port.or(server.config.port).unwrap_or(0),
            host: server
                .config
                .host
                .clone()
                .unwrap_or_else(|| "127.0.0.1".into()),
            running: server.port.is_some(),
            routes_count: count(server.routes.len()),
            middleware_count: count(server.middleware.len()),
            websocket_enabled: !server.websockets.is_empty(),
        })
    }

    /// The configured port, or one picked from [`FIRST_PICKED_PORT`] on for port 0.
    pub(crate) fn start(&mut self, id: u64) -> Result<u16, String> {
        let picked = FIRST_PICKED_PORT.saturating_add(u16::try_from(id).unwrap_or(u16::MAX));
        let server = self.server(id)?;
        let port = match server.config.port {
            Some(port) if port != 0 => port,
            _ => picked,
        };
        server.port = Some(port);
        Ok(port)
    }

    pub(crate) fn stop(&mut self, id: u64) -> Result<(), String> {
        self.server(id)?.port = None;
        Ok(())
    }

    /// Stops every server and drops every connection, as the runtime does when the
    /// actor's instance ends (a restart starts from none).
    pub(crate) fn stop_all(&mut self) {
        for server in &mut self.servers {
            server.port = None;
        }
        self.connections.clear();
    }

    pub(crate) fn destroy(&mut self, id: u64) -> Result<(), String> {
        self.server(id)?;
        self.servers.retain(|s| s.id != id);
        self.connections.retain(|_, c| c.server != id);
        Ok(())
    }

    pub(crate) fn register_handler(&mut self, name: &str) -> HandlerId {
        let id = self.next_id();
        self.handlers.insert(id, name.to_string());
        id
    }

    pub(crate) fn add_route(
        &mut self,
        server: u64,
        path: &str,
        method: &str,
        handler: HandlerId,
    ) -> Result<RouteId, String> {
        self.check_handler(handler)?;
        check_path(path)?;
        if method.is_empty() {
            return Err("a route needs a method (GET, POST, ...)".into());
        }
        let id = self.next_id();
        self.server(server)?.routes.push(TestRoute {
            id,
            method: method.to_string(),
            path: path.to_string(),
            handler,
        });
        Ok(id)
    }

    pub(crate) fn remove_route(&mut self, route: RouteId) -> Result<(), String> {
        let server = self
            .servers
            .iter_mut()
            .find(|s| s.routes.iter().any(|r| r.id == route))
            .ok_or_else(|| format!("no route {route}"))?;
        server.routes.retain(|r| r.id != route);
        Ok(())
    }

    pub(crate) fn add_middleware(
        &mut self,
        server: u64,
        path: &str,
        handler: HandlerId,
    ) -> Result<MiddlewareId, String> {
        self.check_handler(handler)?;
        check_path(path)?;
        let id = self.next_id();
        self.server(server)?.middleware.push(TestMiddleware {
            id,
            path: path.to_string(),
            handler,
        });
        Ok(id)
    }

    pub(crate) fn remove_middleware(&mut self, middleware: MiddlewareId) -> Result<(), String> {
        let server = self
            .servers
            .iter_mut()
            .find(|s| s.middleware.iter().any(|m| m.id == middleware))
            .ok_or_else(|| format!("no middleware {middleware}"))?;
        server.middleware.retain(|m| m.id != middleware);
        Ok(())
    }

    pub(crate) fn enable_websocket(
        &mut self,
        server: u64,
        socket: TestWebSocket,
    ) -> Result<(), String> {
        for handler in [socket.connect, Some(socket.message), socket.disconnect]
            .into_iter()
            .flatten()
        {
            self.check_handler(handler)?;
        }
        check_path(&socket.path)?;
        let server = self.server(server)?;
        server.websockets.retain(|w| w.path != socket.path);
        server.websockets.push(socket);
        Ok(())
    }

    /// The connection, if it is open on `server`.
    pub(crate) fn connection(&self, server: u64, id: ConnectionId) -> Result<&Connection, String> {
        self.connections
            .get(&id)
            .filter(|c| c.server == server)
            .ok_or_else(|| format!("no open WebSocket connection {id} on server {server}"))
    }

    /// Where a request for `method` and `path` goes, on the first started server with a
    /// route for the path; an exact path wins over a pattern, as in the runtime's router.
    pub(crate) fn route(&self, method: &str, path: &str) -> Routing {
        let mut routing = Routing::NotFound;
        for server in self.servers.iter().filter(|s| s.port.is_some()) {
            let exact = server.routes.iter().filter(|r| r.path == path);
            let pattern = server
                .routes
                .iter()
                .filter(|r| path_params(&r.path, path).is_some());
            let Some(pattern_path) = exact.chain(pattern).next().map(|r| r.path.as_str()) else {
                continue;
            };
            let params = path_params(pattern_path, path).unwrap_or_default();
            let same_path = || server.routes.iter().filter(|r| r.path == pattern_path);
            let route = same_path()
                .find(|r| r.method.eq_ignore_ascii_case(method))
                .or_else(|| same_path().find(|r| r.method == "*"));
            let Some(route) = route else {
                routing = Routing::MethodNotAllowed;
                continue;
            };
            let middleware = server
                .middleware
                .iter()
                .filter(|m| m.path == "/*" || path.starts_with(m.path.as_str()))
                .map(|m| m.handler)
                .collect();
            return Routing::To(Routed {
                middleware,
                handler: route.handler,
                params,
            });
        }
        routing
    }

    /// Opens a connection to the WebSocket path `path` of a started server.
    pub(crate) fn connect(&mut self, path: &str) -> Option<(ConnectionId, TestWebSocket)> {
        let (server, socket) = self
            .servers
            .iter()
            .filter(|s| s.port.is_some())
            .find_map(|s| Some((s.id, s.websockets.iter().find(|w| w.path == path)?.clone())))?;
        let id = self.next_id();
        self.connections.insert(
            id,
            Connection {
                server,
                socket: socket.clone(),
            },
        );
        Some((id, socket))
    }
}

fn check_path(path: &str) -> Result<(), String> {
    match path.starts_with('/') {
        true => Ok(()),
        false => Err(format!("path {path:?} must start with /")),
    }
}

/// The values of a route pattern's parameters if it matches a path: segments equal,
/// `{name}` matching any one segment and `{*name}` the rest.
fn path_params(pattern: &str, path: &str) -> Option<Vec<(String, String)>> {
    let mut params = Vec::new();
    let mut segments = path.split('/');
    for want in pattern.split('/') {
        if let Some(name) = want.strip_prefix("{*").and_then(|w| w.strip_suffix('}')) {
            let rest: Vec<&str> = segments.collect();
            params.push((name.to_string(), rest.join("/")));
            return Some(params);
        }
        let got = segments.next()?;
        match want.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
            Some(_) if got.is_empty() => return None,
            Some(name) => params.push((name.to_string(), got.to_string())),
            None if got == want => {}
            None => return None,
        }
    }
    segments.next().is_none().then_some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_segments_parameters_and_the_rest() {
        let param = |name: &str, value: &str| (name.to_string(), value.to_string());
        assert_eq!(path_params("/hello", "/hello"), Some(vec![]));
        assert_eq!(path_params("/hello", "/hello/x"), None);
        assert_eq!(
            path_params("/users/{id}", "/users/7"),
            Some(vec![param("id", "7")])
        );
        assert_eq!(path_params("/users/{id}", "/users/"), None);
        assert_eq!(
            path_params("/files/{*rest}", "/files/a/b"),
            Some(vec![param("rest", "a/b")])
        );
    }
}

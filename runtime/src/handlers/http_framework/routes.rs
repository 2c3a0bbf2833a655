//! A server's routes, middleware and WebSocket paths, and how a request finds its handler.
//! Path patterns are matchit's (axum's router): exact paths, `{name}` for one segment and
//! `{*name}` for the rest, as in the original Theater. Middleware applies to every path it
//! is a prefix of (`/*` to all), in the order it was added. Routes may change while the
//! server runs: each request is matched against the table as it is then.

use std::collections::BTreeMap;

/// A route: requests for `path` with `method` (`*`: any) go to handler `handler`.
#[derive(Debug, Clone)]
struct Route {
    path: String,
    method: String,
    handler: u64,
}

/// WebSocket on a path: the handlers of its connect, messages and disconnect.
#[derive(Debug, Clone, Copy)]
pub struct WebSocketRoute {
    pub connect: Option<u64>,
    pub message: u64,
    pub disconnect: Option<u64>,
}

/// Where a request goes.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolution {
    /// To `handler`, with the values of the pattern's parameters.
    Handler {
        handler: u64,
        params: Vec<(String, String)>,
    },
    /// The path has routes, none for this method.
    MethodNotAllowed,
    NotFound,
}

/// One server's routing table.
#[derive(Default)]
pub struct RouteTable {
    routes: BTreeMap<u64, Route>,
    middleware: BTreeMap<u64, (String, u64)>,
    websockets: BTreeMap<String, WebSocketRoute>,
    /// Each distinct path pattern with the ids of its routes.
    router: matchit::Router<Vec<u64>>,
}

impl RouteTable {
    /// Add route `id`; refused if the pattern is malformed or conflicts with another.
    pub fn add_route(
        &mut self,
        id: u64,
        path: &str,
        method: &str,
        handler: u64,
    ) -> Result<(), String> {
        check_path(path)?;
        let method = method.to_ascii_uppercase();
        if method != "*" && axum::http::Method::from_bytes(method.as_bytes()).is_err() {
            return Err(format!(
                "method {method:?} is not an HTTP method (or `*` for any)"
            ));
        }
        let mut routes = self.routes.clone();
        routes.insert(
            id,
            Route {
                path: path.to_string(),
                method,
                handler,
            },
        );
        self.router = build(&routes)?;
        self.routes = routes;
        Ok(())
    }

    /// Remove route `id`; false if there is none.
    pub fn remove_route(&mut self, id: u64) -> bool {
        if self.routes.remove(&id).is_none() {
            return false;
        }
        // The remaining patterns were accepted together before, so they still are.
        self.router = build(&self.routes).unwrap_or_default();
        true
    }

    pub fn add_middleware(&mut self, id: u64, path: &str, handler: u64) -> Result<(), String> {
        check_path(path)?;
        self.middleware.insert(id, (path.to_string(), handler));
        Ok(())
    }

    pub fn remove_middleware(&mut self, id: u64) -> bool {
        self.middleware.remove(&id).is_some()
    }

    pub fn enable_websocket(&mut self, path: &str, route: WebSocketRoute) -> Result<(), String> {
        check_path(path)?;
        self.websockets.insert(path.to_string(), route);
        Ok(())
    }

    pub fn routes_count(&self) -> usize {
        self.routes.len()
    }

    pub fn middleware_count(&self) -> usize {
        self.middleware.len()
    }

    pub fn websocket_enabled(&self) -> bool {
        !self.websockets.is_empty()
    }

    /// The WebSocket handlers of exactly `path`, if enabled there.
    pub fn websocket(&self, path: &str) -> Option<WebSocketRoute> {
        self.websockets.get(path).copied()
    }

    /// The handlers of the middleware applying to `path`, in the order they were added.
    pub fn middleware_for(&self, path: &str) -> Vec<u64> {
        self.middleware
            .values()
            .filter(|(prefix, _)| prefix == "/*" || path.starts_with(prefix.as_str()))
            .map(|(_, handler)| *handler)
            .collect()
    }

    /// Where a `method` request for `path` goes.
    pub fn resolve(&self, method: &str, path: &str) -> Resolution {
        let Ok(found) = self.router.at(path) else {
            return Resolution::NotFound;
        };
        let route = found
            .value
            .iter()
            .filter_map(|id| self.routes.get(id))
            .find(|r| r.method == method)
            .or_else(|| {
                found
                    .value
                    .iter()
                    .filter_map(|id| self.routes.get(id))
                    .find(|r| r.method == "*")
            });
        match route {
            Some(route) => Resolution::Handler {
                handler: route.handler,
                params: found
                    .params
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            },
            None => Resolution::MethodNotAllowed,
        }
    }
}

fn check_path(path: &str) -> Result<(), String> {
    if path.starts_with('/') {
        Ok(())
    } else {
        Err(format!("path {path:?} must start with `/`"))
    }
}

/// The router of `routes`: one entry per distinct pattern.
fn build(routes: &BTreeMap<u64, Route>) -> Result<matchit::Router<Vec<u64>>, String> {
    let mut by_path: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for (id, route) in routes {
        by_path.entry(route.path.as_str()).or_default().push(*id);
    }
    let mut router = matchit::Router::new();
    for (path, ids) in by_path {
        router.insert(path, ids).map_err(|e| {
            format!("path {path:?} refused: {e} (patterns: exact paths, `{{name}}` for a segment, `{{*name}}` for the rest)")
        })?;
    }
    Ok(router)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_param_and_rest_patterns_resolve_by_method() {
        let mut t = RouteTable::default();
        t.add_route(1, "/hello", "get", 10).unwrap();
        t.add_route(2, "/users/{id}", "GET", 11).unwrap();
        t.add_route(3, "/files/{*rest}", "*", 12).unwrap();
        t.add_route(4, "/hello", "POST", 13).unwrap();
        let handler = |h| Resolution::Handler {
            handler: h,
            params: vec![],
        };
        assert_eq!(t.resolve("GET", "/hello"), handler(10));
        assert_eq!(t.resolve("POST", "/hello"), handler(13));
        assert_eq!(t.resolve("PUT", "/hello"), Resolution::MethodNotAllowed);
        assert_eq!(t.resolve("GET", "/nope"), Resolution::NotFound);
        assert_eq!(
            t.resolve("GET", "/users/7"),
            Resolution::Handler {
                handler: 11,
                params: vec![("id".into(), "7".into())]
            }
        );
        assert_eq!(
            t.resolve("DELETE", "/files/a/b"),
            Resolution::Handler {
                handler: 12,
                params: vec![("rest".into(), "a/b".into())]
            }
        );
        assert!(t.remove_route(1));
        assert!(!t.remove_route(1));
        assert_eq!(t.resolve("GET", "/hello"), Resolution::MethodNotAllowed);
        assert_eq!(t.routes_count(), 3);
    }

    #[test]
    fn malformed_and_conflicting_patterns_are_refused_and_change_nothing() {
        let mut t = RouteTable::default();
        t.add_route(1, "/a/{x}", "GET", 1).unwrap();
        assert!(t
            .add_route(2, "/a/{y}", "GET", 1)
            .unwrap_err()
            .contains("refused"));
        assert!(t.add_route(3, "relative", "GET", 1).is_err());
        assert!(t.add_route(4, "/b", "NOT A METHOD", 1).is_err());
        assert!(t.add_route(5, "/c/{", "GET", 1).is_err());
        assert_eq!(t.routes_count(), 1);
    }

    #[test]
    fn middleware_applies_by_prefix_in_order() {
        let mut t = RouteTable::default();
        t.add_middleware(1, "/api", 7).unwrap();
        t.add_middleware(2, "/*", 8).unwrap();
        t.add_middleware(3, "/other", 9).unwrap();
        assert_eq!(t.middleware_for("/api/x"), [7, 8]);
        assert_eq!(t.middleware_for("/"), [8]);
    }
}

//! HTTP and WebSocket handlers under the native test host: `#[actor]`'s `handle_http`,
//! `handle_http_middleware` and `handle_ws*`, the `http_server` host API, and how
//! `TestActor` routes requests and WebSocket messages to them.

use serde::{Deserialize, Serialize};
use theater_sdk::http_server::{
    ConnectionId, HandlerId, HttpRequest, HttpResponse, HttpServer, Middleware, ServerConfig,
    WsMessage,
};
use theater_sdk::{actor, Outgoing, TestActor};

/// A JSON counter over HTTP, an echo over WebSocket, and a guard on `/admin`.
#[derive(Serialize, Deserialize)]
pub struct Api {
    server: HttpServer,
    count: u64,
    connected: Vec<ConnectionId>,
}

#[derive(Serialize, Deserialize)]
pub struct Add {
    by: u64,
}

#[actor]
impl Api {
    fn init(_id: String) -> Result<Self, String> {
        let server = HttpServer::create(&ServerConfig::new())?;
        server.route("GET", "/hello")?;
        server.route("GET", "/count")?;
        server.route("POST", "/count")?;
        server.route("GET", "/users/{id}")?;
        server.route("GET", "/admin/secret")?;
        server.middleware("/admin")?;
        server.websocket("/echo")?;
        server.start()?;
        Ok(Api {
            server,
            count: 0,
            connected: Vec::new(),
        })
    }

    fn handle_http(&mut self, req: HttpRequest) -> HttpResponse {
        match (req.method.as_str(), req.path()) {
            ("GET", "/hello") => HttpResponse::json(&serde_json::json!({"hello": "world"})),
            ("GET", "/count") => HttpResponse::json(&self.count),
            ("POST", "/count") => match req.decode::<Add>() {
                Ok(add) => {
                    self.count += add.by;
                    HttpResponse::json(&self.count)
                }
                Err(e) => HttpResponse::plain(e).with_status(400),
            },
            (_, path) => HttpResponse::plain(format!(
                "you asked for {path} (id {})",
                req.param("id").unwrap_or("none")
            )),
        }
    }

    fn handle_http_middleware(&self, req: HttpRequest) -> Middleware {
        match req.header("x-key") {
            Some("open sesame") => Middleware::Proceed(req.with_header("x-checked", "yes")),
            _ => Middleware::Stop,
        }
    }

    fn handle_ws_connect(&mut self, conn: ConnectionId, path: String, query: Option<String>) {
        theater_sdk::log(format!("{conn} connected to {path} ({query:?})"));
        self.connected.push(conn);
    }

    fn handle_ws(&mut self, conn: ConnectionId, msg: WsMessage) -> Result<Vec<WsMessage>, String> {
        match msg.as_text() {
            Some("broadcast") => {
                for other in self.connected.iter().filter(|c| **c != conn) {
                    self.server.send(*other, &WsMessage::text("hello all"))?;
                }
                Ok(Vec::new())
            }
            Some("bye") => {
                self.server.close(conn)?;
                Ok(Vec::new())
            }
            _ => Ok(vec![msg.clone(), msg]),
        }
    }

    fn handle_ws_disconnect(&mut self, conn: ConnectionId) {
        self.connected.retain(|c| *c != conn);
    }
}

#[test]
fn the_actor_sets_up_its_server_in_init() -> Result<(), String> {
    let api = TestActor::<Api>::init("api")?;
    let servers = api.host().http_servers();
    assert_eq!(servers.len(), 1);
    let server = &servers[0];
    assert_eq!(
        server.port.map(u64::from),
        Some(40_000 + server.id),
        "port 0: the test host picks one"
    );
    let routes: Vec<(&str, &str)> = server
        .routes
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(
        routes,
        [
            ("GET", "/hello"),
            ("GET", "/count"),
            ("POST", "/count"),
            ("GET", "/users/{id}"),
            ("GET", "/admin/secret")
        ]
    );
    assert_eq!(server.websockets[0].path, "/echo");
    assert_eq!(api.state().server.id(), server.id);
    Ok(())
}

#[test]
fn requests_reach_handle_http_and_change_the_state() -> Result<(), String> {
    let mut api = TestActor::<Api>::init("api")?;
    let hello = api.http(HttpRequest::get("/hello"))?;
    assert_eq!(hello.status, 200);
    assert_eq!(hello.header("Content-Type"), Some("application/json"));
    assert_eq!(hello.text()?, r#"{"hello":"world"}"#);

    let added = api.http(HttpRequest::post("/count?ignored=1", r#"{"by":5}"#))?;
    assert_eq!(added.decode::<u64>()?, 5);
    assert_eq!(api.http(HttpRequest::get("/count"))?.text()?, "5");
    assert_eq!(api.state().count, 5);

    let bad = api.http(HttpRequest::post("/count", "five"))?;
    assert_eq!(bad.status, 400);
    assert!(bad.text()?.contains("request body"), "{}", bad.text()?);
    assert_eq!(api.state().count, 5, "a refused request changes nothing");

    let user = api.http(HttpRequest::get("/users/7"))?;
    assert_eq!(user.text()?, "you asked for /users/7 (id 7)");
    // A client cannot pose as a route parameter: its own such header is dropped.
    let posing = HttpRequest::get("/users/8").with_header("X-Route-Param-Id", "666");
    assert_eq!(api.http(posing)?.text()?, "you asked for /users/8 (id 8)");
    Ok(())
}

#[test]
fn unrouted_requests_are_404_or_405_without_calling_the_actor() -> Result<(), String> {
    let mut api = TestActor::<Api>::init("api")?;
    assert_eq!(api.http(HttpRequest::get("/nowhere"))?.status, 404);
    assert_eq!(api.http(HttpRequest::new("DELETE", "/hello"))?.status, 405);
    assert_eq!(api.http(HttpRequest::get("/users/7/x"))?.status, 404);
    Ok(())
}

#[test]
fn middleware_guards_its_path_and_may_change_the_request() -> Result<(), String> {
    let mut api = TestActor::<Api>::init("api")?;
    assert_eq!(api.http(HttpRequest::get("/admin/secret"))?.status, 403);
    let let_in = api.http(HttpRequest::get("/admin/secret").with_header("x-key", "open sesame"))?;
    assert_eq!(let_in.status, 200);
    assert_eq!(
        api.http(HttpRequest::get("/hello"))?.status,
        200,
        "not under /admin"
    );
    Ok(())
}

#[test]
fn websocket_messages_get_replies_and_connections_are_tracked() -> Result<(), String> {
    let mut api = TestActor::<Api>::init("api")?;
    let a = api.ws_connect("/echo?room=1")?;
    let b = api.ws_connect("/echo")?;
    assert_eq!(api.state().connected, [a, b]);
    assert_eq!(
        api.logs()[0],
        format!("{a} connected to /echo (Some(\"room=1\"))")
    );

    let echoed = api.ws_message(a, WsMessage::text("hi"))?;
    assert_eq!(echoed, [WsMessage::text("hi"), WsMessage::text("hi")]);
    assert_eq!(
        api.ws_message(a, WsMessage::binary(vec![1, 2]))?,
        [WsMessage::Binary(vec![1, 2]), WsMessage::Binary(vec![1, 2])]
    );

    assert!(api.ws_message(a, WsMessage::text("broadcast"))?.is_empty());
    let server = api.state().server.id();
    assert_eq!(
        api.host().outgoing(),
        [Outgoing::WsSend {
            server,
            connection: b,
            message: WsMessage::text("hello all")
        }]
    );

    api.ws_disconnect(b)?;
    assert_eq!(api.state().connected, [a]);
    assert!(api.ws_message(b, WsMessage::text("late")).is_err());

    api.ws_message(a, WsMessage::text("bye"))?;
    assert_eq!(
        api.host().outgoing().last(),
        Some(&Outgoing::WsClose {
            server,
            connection: a
        })
    );
    let closed = api.ws_message(a, WsMessage::text("after close"));
    assert_eq!(closed, Err(format!("WebSocket connection {a} is not open")));
    assert!(api.ws_connect("/nope").is_err(), "no WebSocket on /nope");
    Ok(())
}

#[test]
fn a_stopped_server_serves_nothing_until_started_again() -> Result<(), String> {
    let mut api = TestActor::<Api>::init("api")?;
    let server = api.state().server;
    api.host().enter(|| server.stop())?;
    assert_eq!(api.http(HttpRequest::get("/hello"))?.status, 404);
    assert!(api.ws_connect("/echo").is_err());
    let info = api.host().enter(|| server.info())?;
    assert!(!info.running && info.websocket_enabled && info.routes_count == 5);
    api.host().enter(|| server.start())?;
    assert_eq!(api.http(HttpRequest::get("/hello"))?.status, 200);
    Ok(())
}

/// An actor serving only HTTP, taking the handler id to tell its routes apart.
#[derive(Serialize, Deserialize)]
pub struct ByHandler {
    hello: HandlerId,
}

#[actor]
impl ByHandler {
    fn init(_id: String) -> Result<Self, String> {
        let server = HttpServer::create(&ServerConfig::new().port(8080))?;
        let hello = theater_sdk::http_server::register_handler("hello")?;
        server.route_to("GET", "/hello", hello)?;
        server.route_to("GET", "/hi", hello)?;
        server.route("GET", "/other")?;
        assert_eq!(server.start()?, 8080);
        Ok(ByHandler { hello })
    }

    fn handle_http(&self, handler: HandlerId, _req: HttpRequest) -> HttpResponse {
        match handler == self.hello {
            true => HttpResponse::plain("hello"),
            false => HttpResponse::status(204),
        }
    }
}

#[test]
fn routes_can_share_a_handler_and_the_handler_id_tells_them_apart() -> Result<(), String> {
    let mut actor = TestActor::<ByHandler>::init("by-handler")?;
    assert_eq!(actor.http(HttpRequest::get("/hi"))?.text()?, "hello");
    assert_eq!(actor.http(HttpRequest::get("/hello"))?.text()?, "hello");
    assert_eq!(actor.http(HttpRequest::get("/other"))?.status, 204);
    // It defines no WebSocket handlers: the defaults answer with an error naming the handler.
    let server = HttpServer::from_id(actor.host().http_servers()[0].id);
    actor.host().enter(|| server.websocket("/ws"))?;
    let conn = actor.ws_connect("/ws")?;
    let error = actor.ws_message(conn, WsMessage::text("x")).unwrap_err();
    assert!(
        error.contains("does not handle WebSocket messages"),
        "{error}"
    );
    Ok(())
}

#[test]
fn a_restart_stops_the_servers_and_closes_the_connections() -> Result<(), String> {
    let mut api = TestActor::<Api>::init("api")?;
    let conn = api.ws_connect("/echo")?;
    api.restart()?;
    // `Api` has no `resume` that serves again, so nothing serves after the restart.
    assert_eq!(api.http(HttpRequest::get("/hello"))?.status, 404);
    assert!(api.ws_message(conn, WsMessage::text("x")).is_err());
    assert_eq!(api.host().http_servers()[0].port, None);
    Ok(())
}

#[test]
fn the_test_host_refuses_what_the_runtime_refuses() {
    let host = theater_sdk::TestHost::new();
    let tls = host.enter(|| HttpServer::create(&ServerConfig::new().tls("cert.pem", "key.pem")));
    assert!(tls.unwrap_err().contains("TLS is not served"));
    let named = host.enter(|| HttpServer::create(&ServerConfig::new().host("example.com")));
    assert!(named.unwrap_err().contains("is not an IP address"));
    let server = host.enter(|| HttpServer::create(&ServerConfig::new().host("localhost")));
    let server = server.unwrap();
    let bad_path = host.enter(|| server.route("GET", "hello"));
    assert!(bad_path.unwrap_err().contains("must start with /"));
    let unregistered = host.enter(|| server.route_to("GET", "/x", 999));
    assert!(unregistered.unwrap_err().contains("no handler 999"));
    assert!(host.enter(|| HttpServer::from_id(77).start()).is_err());
    assert!(host
        .enter(|| server.send(5, &WsMessage::text("nobody")))
        .is_err());
    assert_eq!(
        host.http_servers().len(),
        1,
        "only the valid server was created"
    );
}

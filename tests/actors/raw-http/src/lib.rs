//! Serves HTTP and a WebSocket echo through `http-framework`, written directly against the
//! original Theater's signatures with wit-bindgen (no SDK), as an actor written for it is.
//!
//! `init` creates one server (on `127.0.0.1`, port 0 unless the initial state says
//! `port=N`; `host=H` picks another address, `tls=FILE` asks for HTTPS) and starts it:
//! - `GET /hello` answers `hello, world`; `POST /echo` answers the request body;
//! - `GET /users/{id}` answers `user ID` (the original's `X-Route-Param-id` header);
//! - `GET /private/...` passes a middleware that lets only requests with `x-key: open` on;
//! - `GET /spin` never answers (the call timeout ends it), `GET /panic` panics,
//!   `GET /bad-status` answers status 1000, `GET /bad-length` a `content-length` its body
//!   does not have;
//! - `POST /stop-server` stops the server (this response still goes out);
//! - WebSocket on `/ws`: each message comes back as it was; the text `push` also sends
//!   `pushed` with `send-websocket-message`, `bye` closes with `close-websocket`.
//!
//! The state is `served=N`: the HTTP requests and WebSocket messages handled so far.

wit_bindgen::generate!({
    path: "../../../wit",
    inline: "
        package fixture:http;
        world http {
            import theater:simple/runtime;
            import theater:simple/http-framework;
            export theater:simple/actor;
            export theater:simple/http-handlers;
        }
    ",
    world: "fixture:http/http",
    generate_all,
});

use exports::theater::simple::actor::Guest as Actor;
use exports::theater::simple::http_handlers::Guest as Handlers;
use theater::simple::http_framework as fw;
use theater::simple::http_types::{
    HttpRequest, HttpResponse, MiddlewareResult, ServerConfig, TlsConfig,
};
use theater::simple::runtime::log;
use theater::simple::websocket_types::{MessageType, WebsocketMessage};

struct Http;

type State = Option<Vec<u8>>;

/// The value of `key=` in the state's lines, if any.
fn setting(state: &State, key: &str) -> Option<String> {
    let text = String::from_utf8_lossy(state.as_deref()?).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('=').map(str::to_string))
}

fn served(state: &State) -> u64 {
    setting(state, "served").and_then(|n| n.parse().ok()).unwrap_or(0)
}

fn count(state: &State) -> State {
    Some(format!("served={}", served(state) + 1).into_bytes())
}

fn text(status: u16, body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("content-type".into(), "text/plain".into())],
        body: Some(body.as_bytes().to_vec()),
    }
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The server with its routes, started; its port.
fn serve(state: &State) -> Result<u16, String> {
    let port = setting(state, "port").map(|p| p.parse::<u16>().map_err(|e| e.to_string())).transpose()?;
    let host = setting(state, "host").or(Some("127.0.0.1".into()));
    let tls_config = setting(state, "tls").map(|cert| TlsConfig {
        key_path: cert.clone(),
        cert_path: cert,
    });
    let server = fw::create_server(&ServerConfig { port, host, tls_config })?;
    let pages = fw::register_handler("pages")?;
    for (path, method) in [
        ("/hello", "GET"),
        ("/echo", "POST"),
        ("/users/{id}", "GET"),
        ("/private/{*rest}", "GET"),
        ("/spin", "GET"),
        ("/panic", "GET"),
        ("/bad-status", "GET"),
        ("/bad-length", "GET"),
        ("/stop-server", "POST"),
    ] {
        fw::add_route(server, path, method, pages)?;
    }
    let guard = fw::register_handler("guard")?;
    fw::add_middleware(server, "/private", guard)?;
    let connect = fw::register_handler("ws-connect")?;
    let message = fw::register_handler("ws-message")?;
    let disconnect = fw::register_handler("ws-disconnect")?;
    fw::enable_websocket(server, "/ws", Some(connect), message, Some(disconnect))?;
    let port = fw::start_server(server)?;
    let info = fw::get_server_info(server)?;
    log(&format!(
        "serving on {}:{port} ({} routes, {} middleware, websocket {})",
        info.host, info.routes_count, info.middleware_count, info.websocket_enabled
    ));
    Ok(port)
}

impl Actor for Http {
    fn init(state: State, _: (String,)) -> Result<(State,), String> {
        serve(&state)?;
        Ok((Some(format!("served={}", served(&state)).into_bytes()),))
    }
}

impl Handlers for Http {
    fn handle_request(state: State, (_, req): (u64, HttpRequest)) -> Result<(State, (HttpResponse,)), String> {
        let path = req.uri.split('?').next().unwrap_or_default().to_string();
        let response = match path.as_str() {
            "/hello" => text(200, "hello, world"),
            "/echo" => HttpResponse { status: 200, headers: vec![], body: req.body.clone() },
            "/spin" => loop {
                std::hint::black_box(());
            },
            "/panic" => panic!("the fixture panics on /panic"),
            "/bad-status" => text(1000, "no such status"),
            "/bad-length" => HttpResponse {
                status: 200,
                headers: vec![("content-length".into(), "999".into())],
                body: Some(b"short".to_vec()),
            },
            "/stop-server" => {
                // The one server is the first id this actor was given.
                fw::stop_server(1)?;
                let info = fw::get_server_info(1)?;
                text(200, &format!("running: {}", info.running))
            }
            p if p.starts_with("/users/") => {
                text(200, &format!("user {}", header(&req, "x-route-param-id").unwrap_or("?")))
            }
            p if p.starts_with("/private/") => text(200, "private page"),
            _ => text(404, "not here"),
        };
        Ok((count(&state), (response,)))
    }

    fn handle_middleware(state: State, (_, req): (u64, HttpRequest)) -> Result<(State, (MiddlewareResult,)), String> {
        let proceed = header(&req, "x-key") == Some("open");
        Ok((state, (MiddlewareResult { proceed, request: req },)))
    }

    fn handle_websocket_connect(state: State, (_, connection, path, _): (u64, u64, String, Option<String>)) -> Result<(State,), String> {
        log(&format!("websocket {connection} connected on {path}"));
        Ok((state,))
    }

    fn handle_websocket_message(state: State, (_, connection, msg): (u64, u64, WebsocketMessage)) -> Result<(State, (Vec<WebsocketMessage>,)), String> {
        // The one server is the first id this actor was given.
        let server = 1;
        match (&msg.ty, msg.text.as_deref()) {
            (MessageType::Text, Some("push")) => {
                let pushed = WebsocketMessage { ty: MessageType::Text, data: None, text: Some("pushed".into()) };
                fw::send_websocket_message(server, connection, &pushed)?;
            }
            (MessageType::Text, Some("bye")) => {
                fw::close_websocket(server, connection)?;
                return Ok((count(&state), (vec![],)));
            }
            _ => {}
        }
        Ok((count(&state), (vec![msg],)))
    }

    fn handle_websocket_disconnect(state: State, (_, connection): (u64, u64)) -> Result<(State,), String> {
        log(&format!("websocket {connection} disconnected"));
        Ok((state,))
    }
}

export!(Http);

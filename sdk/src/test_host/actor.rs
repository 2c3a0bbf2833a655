//! [`TestActor`]: drives an actor natively the way the runtime does, call by call, with
//! the state round-tripping through its bytes in between.

use std::marker::PhantomData;

use super::host::{with_state, TestHost};
use super::servers::{Routing, TestWebSocket};
use crate::actor::Actor;
use crate::codec::{Decode, Encode};
use crate::dispatch;
use crate::host::http_server::{HttpRequest, HttpResponse, Middleware};
use crate::host::http_types::PARAM_HEADER;
use crate::host::websocket::{ConnectionId, WsMessage};
use crate::types::{ChannelAccept, ChildError};

/// An actor under test, on its own [`TestHost`].
///
/// Each call runs like an export call in the runtime: the state is read from the bytes the
/// previous call left, the handler runs with this actor's host current, and the new state
/// is written back. A call that fails leaves the state as it was.
///
/// ```
/// # use serde::{Deserialize, Serialize};
/// # use theater_sdk::{actor, TestActor, TestHost};
/// # #[derive(Serialize, Deserialize)] struct Echo;
/// # #[actor] impl Echo {
/// #     fn init(_id: String) -> Result<Self, String> { Ok(Echo) }
/// #     fn handle_request(&mut self, text: String) -> String { text }
/// # }
/// let mut echo = TestActor::<Echo>::init("echo-1")?;
/// assert_eq!(echo.request::<String>(&"hi")?, "hi");
/// # Ok::<(), String>(())
/// ```
pub struct TestActor<A: Actor> {
    id: String,
    host: TestHost,
    state: Vec<u8>,
    actor: PhantomData<A>,
}

impl<A: Actor> TestActor<A> {
    /// Starts the actor on a fresh host, with no initial state (so `init` runs).
    pub fn init(id: &str) -> Result<Self, String> {
        Self::start(&TestHost::new(), id, None)
    }

    /// Starts the actor on a host the test has already scripted.
    pub fn init_on(host: &TestHost, id: &str) -> Result<Self, String> {
        Self::start(host, id, None)
    }

    /// Starts the actor with initial state bytes, as when a manifest, a parent's spawn or a
    /// restart passes them (see `init` in the `#[actor]` docs for what the actor sees).
    pub fn init_with(host: &TestHost, id: &str, initial: &impl Encode) -> Result<Self, String> {
        Self::start(host, id, Some(initial.encode()?))
    }

    fn start(host: &TestHost, id: &str, initial: Option<Vec<u8>>) -> Result<Self, String> {
        let state = host.enter(|| dispatch::init::<A>(id.to_string(), initial))?;
        Ok(TestActor {
            id: id.to_string(),
            host: host.clone(),
            state,
            actor: PhantomData,
        })
    }

    /// Restarts the actor as the runtime does after a failure, `theater restart` or a server
    /// resuming it: from its last committed state, through `resume` (not `init`). Its HTTP
    /// servers stop and its WebSocket connections close first, as the runtime's do.
    pub fn restart(&mut self) -> Result<(), String> {
        self.host.enter(|| with_state(|s| s.servers.stop_all()));
        let state = Some(self.state.clone());
        let id = self.id.clone();
        self.state = self.host.enter(|| dispatch::resume::<A>(id, state))?;
        Ok(())
    }

    /// Runs one handler call; commits the new state only if it succeeded.
    fn call<R>(&mut self, handler: impl FnOnce(&mut A) -> Result<R, String>) -> Result<R, String> {
        let state = Some(self.state.clone());
        let (state, result) = self.host.enter(|| dispatch::call(state, handler))?;
        self.state = state;
        Ok(result)
    }

    /// Delivers a fire-and-forget message.
    pub fn send(&mut self, msg: &impl Encode) -> Result<(), String> {
        let msg = msg.encode()?;
        self.call(|a| a.on_send(msg))
    }

    /// Makes a request and decodes the reply; a deferred reply is an error here (use
    /// [`request_raw`](Self::request_raw) to test deferral).
    pub fn request<R: Decode>(&mut self, req: &impl Encode) -> Result<R, String> {
        match self.request_raw(req)? {
            Some(reply) => {
                R::decode(reply).map_err(|e| format!("reply from actor {}: {e}", A::NAME))
            }
            None => Err(format!(
                "actor {} deferred its reply; the request stays in TestHost::outstanding_requests",
                A::NAME
            )),
        }
    }

    /// Makes a request; returns the reply bytes, or `None` if the actor deferred the reply
    /// (the request id then shows in [`TestHost::outstanding_requests`] until the actor
    /// answers with `respond_to_request`).
    pub fn request_raw(&mut self, req: &impl Encode) -> Result<Option<Vec<u8>>, String> {
        let msg = req.encode()?;
        let request_id = self.host.next_request_id();
        let reply = self.call(|a| a.on_request(request_id.clone(), msg))?;
        if reply.is_none() {
            self.host.defer(request_id);
        }
        Ok(reply)
    }

    /// Asks the actor to accept a channel.
    pub fn channel_open(
        &mut self,
        channel_id: &str,
        msg: &impl Encode,
    ) -> Result<ChannelAccept, String> {
        let msg = msg.encode()?;
        self.call(|a| a.on_channel_open(channel_id.to_string(), msg))
    }

    /// Delivers a message on a channel.
    pub fn channel_message(&mut self, channel_id: &str, msg: &impl Encode) -> Result<(), String> {
        let msg = msg.encode()?;
        self.call(|a| a.on_channel_message(channel_id.to_string(), msg))
    }

    /// Tells the actor a channel closed.
    pub fn channel_close(&mut self, channel_id: &str) -> Result<(), String> {
        self.call(|a| a.on_channel_close(channel_id.to_string()))
    }

    /// Tells the actor a child failed.
    pub fn child_error(&mut self, child_id: &str, error: ChildError) -> Result<(), String> {
        self.call(|a| a.on_child_error(child_id.to_string(), error))
    }

    /// Tells the actor a child exited, with the bytes it passed to shutdown, if any.
    pub fn child_exit(&mut self, child_id: &str, result: Option<Vec<u8>>) -> Result<(), String> {
        self.call(|a| a.on_child_exit(child_id.to_string(), result))
    }

    /// Serves an HTTP request as the runtime would: to the handler of the route on a
    /// started server whose path pattern and method match (its parameters in
    /// `x-route-param-NAME` headers, see [`HttpRequest::param`]), after the middleware whose
    /// path prefixes the request's. No route for the path: a `404`; routes for the path but not
    /// the method: a `405`; a middleware that stops the request: a `403` (the actor's
    /// handler is not called). An `Err` is the handler's (the runtime answers `500`).
    pub fn http(&mut self, request: HttpRequest) -> Result<HttpResponse, String> {
        let routing = self
            .host
            .enter(|| with_state(|s| s.servers.route(&request.method, request.path())));
        let routed = match routing {
            Routing::To(routed) => routed,
            Routing::MethodNotAllowed => return Ok(HttpResponse::status(405)),
            Routing::NotFound => return Ok(HttpResponse::status(404)),
        };
        let mut request = request;
        request
            .headers
            .retain(|(name, _)| !name.to_ascii_lowercase().starts_with(PARAM_HEADER));
        for (name, value) in routed.params {
            request
                .headers
                .push((format!("{PARAM_HEADER}{name}"), value));
        }
        for handler in routed.middleware {
            match self.call(|a| a.on_http_middleware(handler, request.clone()))? {
                Middleware::Proceed(changed) => request = changed,
                Middleware::Stop => return Ok(HttpResponse::status(403)),
            }
        }
        self.call(|a| a.on_http_request(routed.handler, request))
    }

    /// Opens a WebSocket connection to `uri` (a path, with a query if any) on a started
    /// server, as a client would; `handle_ws_connect` runs. Returns the connection's id.
    pub fn ws_connect(&mut self, uri: &str) -> Result<ConnectionId, String> {
        let (path, query) = match uri.split_once('?') {
            Some((path, query)) => (path, Some(query.to_string())),
            None => (uri, None),
        };
        let opened = self.host.enter(|| with_state(|s| s.servers.connect(path)));
        let (connection, socket) = opened.ok_or_else(|| {
            format!(
                "no started server of actor {} accepts WebSocket connections on {path}",
                A::NAME
            )
        })?;
        if let Some(handler) = socket.connect {
            self.call(|a| a.on_ws_connect(handler, connection, path.to_string(), query))?;
        }
        Ok(connection)
    }

    /// Sends a message on an open connection; returns the actor's replies (`handle_ws`).
    pub fn ws_message(
        &mut self,
        connection: ConnectionId,
        message: WsMessage,
    ) -> Result<Vec<WsMessage>, String> {
        let handler = self.open_socket(connection)?.message;
        self.call(|a| a.on_ws_message(handler, connection, message))
    }

    /// Closes a connection from the client's side; `handle_ws_disconnect` runs.
    pub fn ws_disconnect(&mut self, connection: ConnectionId) -> Result<(), String> {
        let socket = self.open_socket(connection)?;
        self.host
            .enter(|| with_state(|s| s.servers.connections.remove(&connection)));
        match socket.disconnect {
            Some(handler) => self.call(|a| a.on_ws_disconnect(handler, connection)),
            None => Ok(()),
        }
    }

    fn open_socket(&self, connection: ConnectionId) -> Result<TestWebSocket, String> {
        self.host
            .enter(|| with_state(|s| s.servers.connections.get(&connection).cloned()))
            .map(|c| c.socket)
            .ok_or_else(|| format!("WebSocket connection {connection} is not open"))
    }

    /// The actor's current state, read back from its bytes.
    ///
    /// # Panics
    /// If the state's serde implementations do not round-trip (the bytes were written by
    /// `Serialize` of the same type), which is a bug in the actor the test should show.
    pub fn state(&self) -> A {
        match dispatch::load(&self.state) {
            Ok(actor) => actor,
            Err(e) => panic!("{e}"),
        }
    }

    /// The state bytes the runtime would store (`serde_json` of the actor).
    pub fn state_bytes(&self) -> &[u8] {
        &self.state
    }

    /// The actor's log lines so far.
    pub fn logs(&self) -> Vec<String> {
        self.host.logs()
    }

    /// The actor's host, to script replies or inspect what the actor sent.
    pub fn host(&self) -> &TestHost {
        &self.host
    }

    /// The id the actor was started with.
    pub fn id(&self) -> &str {
        &self.id
    }
}

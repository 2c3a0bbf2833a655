//! [`TestHost`]: the state the native host API works on, how tests script and inspect it,
//! and which host is current on this thread.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::files::Files;
use super::rng::Rng;
use super::servers::{Servers, TestServer};
use super::store::Stores;
use crate::codec::{Decode, Encode};
use crate::host::http::{HttpRequest, HttpResponse};
use crate::host::websocket::{ConnectionId, WsMessage};

/// The test host's clock at start: 2023-11-14T22:13:20Z, in ms since the Unix epoch.
pub const START_TIME_MS: u64 = 1_700_000_000_000;

/// Everything an actor did that leaves the actor, in order. Message bytes are as sent
/// (JSON for serde types).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    Send {
        to: String,
        msg: Vec<u8>,
    },
    Request {
        to: String,
        msg: Vec<u8>,
    },
    OpenChannel {
        to: String,
        channel_id: String,
        msg: Vec<u8>,
    },
    ChannelMessage {
        channel_id: String,
        msg: Vec<u8>,
    },
    CloseChannel {
        channel_id: String,
    },
    RespondToRequest {
        request_id: String,
        reply: Vec<u8>,
    },
    CancelRequest {
        request_id: String,
    },
    RegisterName {
        name: String,
    },
    Spawn {
        manifest: String,
        init: Option<Vec<u8>>,
        child_id: String,
    },
    Resume {
        manifest: String,
        state: Option<Vec<u8>>,
        child_id: String,
    },
    StopChild {
        child_id: String,
    },
    RestartChild {
        child_id: String,
    },
    Shutdown {
        result: Option<Vec<u8>>,
    },
    /// An HTTP request, as sent (whether or not a response was scripted).
    Http {
        request: HttpRequest,
    },
    /// A WebSocket message sent with `HttpServer::send` (not a `handle_ws` reply).
    WsSend {
        server: u64,
        connection: ConnectionId,
        message: WsMessage,
    },
    /// A WebSocket connection the actor closed.
    WsClose {
        server: u64,
        connection: ConnectionId,
    },
}

/// Answers requests to one actor: request bytes in, reply bytes out.
type Responder = Box<dyn FnMut(Vec<u8>) -> Result<Vec<u8>, String>>;

/// Answers HTTP requests whose URI starts with one prefix.
type HttpResponder = Box<dyn FnMut(&HttpRequest) -> Result<HttpResponse, String>>;

/// The world a native actor talks to. Cheap to clone: clones share the same state.
///
/// Scripting methods return `&Self`, so they chain:
/// `host.set_env("MODE", "test").reply("db", &42)`.
#[derive(Clone, Default)]
pub struct TestHost {
    state: Rc<RefCell<HostState>>,
}

pub(crate) struct HostState {
    pub(crate) logs: Vec<String>,
    pub(crate) outgoing: Vec<Outgoing>,
    responders: BTreeMap<String, Responder>,
    http: BTreeMap<String, HttpResponder>,
    pub(crate) env: BTreeMap<String, String>,
    pub(crate) now_ms: u64,
    pub(crate) rng: Rng,
    pub(crate) stores: Stores,
    pub(crate) files: Files,
    pub(crate) servers: Servers,
    pub(crate) timers: super::timers::Timers,
    pub(crate) children: Vec<String>,
    pub(crate) outstanding: Vec<String>,
    /// Names other actors hold (scripted with [`TestHost::name`]), for `lookup_name`.
    pub(crate) names: BTreeMap<String, String>,
    /// What `messages::sender()` answers (set with [`TestHost::set_sender`]).
    pub(crate) sender: Option<String>,
    ids: u64,
}

impl Default for HostState {
    fn default() -> Self {
        HostState {
            logs: Vec::new(),
            outgoing: Vec::new(),
            responders: BTreeMap::new(),
            http: BTreeMap::new(),
            env: BTreeMap::new(),
            now_ms: START_TIME_MS,
            rng: Rng::new(0x7e57),
            stores: Stores::default(),
            files: Files::default(),
            servers: Servers::default(),
            timers: Default::default(),
            children: Vec::new(),
            outstanding: Vec::new(),
            names: BTreeMap::new(),
            sender: None,
            ids: 0,
        }
    }
}

impl HostState {
    /// A fresh id like `test-child-3`; one counter for all kinds keeps ids unique.
    pub(crate) fn next_id(&mut self, kind: &str) -> String {
        self.ids += 1;
        format!("test-{kind}-{}", self.ids)
    }
}

thread_local! {
    static CURRENT: RefCell<TestHost> = RefCell::new(TestHost::new());
}

/// Runs `f` on the current host's state.
pub(crate) fn with_state<R>(f: impl FnOnce(&mut HostState) -> R) -> R {
    let host = TestHost::current();
    let mut state = host.state.borrow_mut();
    f(&mut state)
}

/// Runs the scripted responder in `table` under the key `pick` chooses, if any. It runs
/// with no borrow held, so it may itself use the host API; afterwards it is kept, unless it
/// scripted a replacement for itself meanwhile.
fn run_scripted<F: ?Sized, R>(
    table: fn(&mut HostState) -> &mut BTreeMap<String, Box<F>>,
    pick: impl FnOnce(&BTreeMap<String, Box<F>>) -> Option<String>,
    run: impl FnOnce(&mut F) -> R,
) -> Option<R> {
    let (key, mut responder) = with_state(|s| {
        let table = table(s);
        let key = pick(table)?;
        table.remove(&key).map(|responder| (key, responder))
    })?;
    let result = run(&mut responder);
    with_state(|s| {
        table(s).entry(key).or_insert(responder);
    });
    Some(result)
}

/// Answers a request from the scripted replies.
pub(crate) fn answer_request(to: &str, msg: &[u8]) -> Result<Vec<u8>, String> {
    with_state(|s| {
        s.outgoing.push(Outgoing::Request {
            to: to.to_string(),
            msg: msg.to_vec(),
        })
    });
    run_scripted(
        |s| &mut s.responders,
        |_| Some(to.to_string()),
        |respond| respond(msg.to_vec()),
    )
    .unwrap_or_else(|| {
        Err(format!(
            "test host: no reply scripted for requests to {to} (use TestHost::reply or TestHost::on_request)"
        ))
    })
}

/// Answers an HTTP request from the scripted responses: the longest matching prefix wins.
pub(crate) fn answer_http(request: HttpRequest) -> Result<HttpResponse, String> {
    with_state(|s| {
        s.outgoing.push(Outgoing::Http {
            request: request.clone(),
        })
    });
    run_scripted(
        |s| &mut s.http,
        |table| {
            table
                .keys()
                .filter(|prefix| request.uri.starts_with(prefix.as_str()))
                .max_by_key(|prefix| prefix.len())
                .cloned()
        },
        |respond| respond(&request),
    )
    .unwrap_or_else(|| {
        Err(format!(
            "test host: no HTTP response scripted for {} (use TestHost::on_http)",
            request.uri
        ))
    })
}

impl TestHost {
    /// A fresh host: no logs, no scripted replies, clock at [`START_TIME_MS`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The host that host API calls on this thread use right now.
    pub fn current() -> TestHost {
        CURRENT.with(|current| current.borrow().clone())
    }

    /// Runs `f` with this host current, e.g. to test a helper that calls the host API.
    pub fn enter<R>(&self, f: impl FnOnce() -> R) -> R {
        /// Puts the previous host back, also when `f` panics.
        struct Restore(Option<TestHost>);
        impl Drop for Restore {
            fn drop(&mut self) {
                if let Some(previous) = self.0.take() {
                    CURRENT.with(|current| *current.borrow_mut() = previous);
                }
            }
        }
        let previous = CURRENT.with(|current| current.replace(self.clone()));
        let _restore = Restore(Some(previous));
        f()
    }

    /// Sets an environment variable the actor can read.
    pub fn set_env(&self, name: &str, value: &str) -> &Self {
        self.state
            .borrow_mut()
            .env
            .insert(name.to_string(), value.to_string());
        self
    }

    /// Sets the clock (ms since the Unix epoch).
    pub fn set_time(&self, now_ms: u64) -> &Self {
        self.state.borrow_mut().now_ms = now_ms;
        self
    }

    /// Reseeds the random generator.
    pub fn set_seed(&self, seed: u64) -> &Self {
        self.state.borrow_mut().rng = Rng::new(seed);
        self
    }

    /// Makes `lookup_name(name)` answer `actor_id` (a name another actor registered).
    pub fn name(&self, name: &str, actor_id: &str) -> &Self {
        self.state
            .borrow_mut()
            .names
            .insert(name.to_string(), actor_id.to_string());
        self
    }

    /// Makes `messages::sender()` answer `actor_id` in the calls that follow, as if the next
    /// messages came from that actor (`None`: from outside, as `theater send` sends).
    pub fn set_sender(&self, actor_id: Option<&str>) -> &Self {
        self.state.borrow_mut().sender = actor_id.map(str::to_string);
        self
    }

    /// Answers every request to `actor_id` with `reply`.
    pub fn reply(&self, actor_id: &str, reply: &impl Encode) -> &Self {
        let reply = reply.encode();
        self.respond_with(actor_id, Box::new(move |_| reply.clone()))
    }

    /// Answers requests to `actor_id` with `respond`, which sees each request decoded;
    /// its error is the requester's error.
    ///
    /// ```
    /// # use theater_sdk::TestHost;
    /// let host = TestHost::new();
    /// host.on_request("doubler", |n: u64| Ok(n * 2));
    /// ```
    pub fn on_request<Q: Decode, R: Encode>(
        &self,
        actor_id: &str,
        mut respond: impl FnMut(Q) -> Result<R, String> + 'static,
    ) -> &Self {
        self.respond_with(
            actor_id,
            Box::new(move |bytes| respond(Q::decode(bytes)?)?.encode()),
        )
    }

    fn respond_with(&self, actor_id: &str, responder: Responder) -> &Self {
        self.state
            .borrow_mut()
            .responders
            .insert(actor_id.to_string(), responder);
        self
    }

    /// Answers HTTP requests whose URI starts with `uri_prefix` with `respond`; its error
    /// is the sender's error (as for a refused or unreachable host). Where prefixes
    /// overlap, the longest wins.
    ///
    /// ```
    /// # use theater_sdk::{http::HttpResponse, TestHost};
    /// let host = TestHost::new();
    /// host.on_http("https://api.example.com/", |req| {
    ///     Ok(HttpResponse::new(200, format!("{} {}", req.method, req.uri)))
    /// })
    /// .on_http("https://api.example.com/down", |_| Err("connection refused".into()));
    /// ```
    pub fn on_http(
        &self,
        uri_prefix: &str,
        respond: impl FnMut(&HttpRequest) -> Result<HttpResponse, String> + 'static,
    ) -> &Self {
        self.state
            .borrow_mut()
            .http
            .insert(uri_prefix.to_string(), Box::new(respond));
        self
    }

    /// Puts a file in the in-memory filesystem, creating its directories.
    ///
    /// Panics if the path is one the runtime would refuse (absolute, or with `..`).
    pub fn set_file(&self, path: &str, content: impl AsRef<[u8]>) -> &Self {
        if let Err(e) = self.state.borrow_mut().files.seed(path, content.as_ref()) {
            panic!("TestHost::set_file: {e}");
        }
        self
    }

    /// Every file in the in-memory filesystem, by path (normalized: `a/b.txt`).
    pub fn files(&self) -> BTreeMap<String, Vec<u8>> {
        self.state.borrow().files.files()
    }

    /// The HTTP servers the actor created, with their routes, middleware and WebSocket
    /// paths.
    pub fn http_servers(&self) -> Vec<TestServer> {
        self.state.borrow().servers.all()
    }

    /// The log lines so far, oldest first.
    pub fn logs(&self) -> Vec<String> {
        self.state.borrow().logs.clone()
    }

    /// Everything that left the actor so far, oldest first.
    pub fn outgoing(&self) -> Vec<Outgoing> {
        self.state.borrow().outgoing.clone()
    }

    /// The messages sent (fire-and-forget) to `actor_id`, decoded as `T`.
    pub fn sent<T: Decode>(&self, actor_id: &str) -> Result<Vec<T>, String> {
        self.outgoing()
            .into_iter()
            .filter_map(|out| match out {
                Outgoing::Send { to, msg } if to == actor_id => Some(T::decode(msg)),
                _ => None,
            })
            .collect()
    }

    /// The children spawned or resumed and not stopped.
    pub fn children(&self) -> Vec<String> {
        self.state.borrow().children.clone()
    }

    /// Requests the actor deferred and has not answered or cancelled.
    pub fn outstanding_requests(&self) -> Vec<String> {
        self.state.borrow().outstanding.clone()
    }

    /// The clock (ms since the Unix epoch).
    pub fn now(&self) -> u64 {
        self.state.borrow().now_ms
    }

    /// Marks a request the actor deferred as outstanding; returns nothing to the actor.
    pub(crate) fn defer(&self, request_id: String) {
        self.state.borrow_mut().outstanding.push(request_id);
    }

    /// A fresh request id for a request a test makes.
    pub(crate) fn next_request_id(&self) -> String {
        self.state.borrow_mut().next_id("request")
    }
}

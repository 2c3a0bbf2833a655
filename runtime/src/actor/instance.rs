//! A live actor instance: its store, its typed exports and its committed state. Every
//! export call is recorded as a `wasm/call` event before it runs and a `wasm/result` event
//! after, carrying the SHA-256 of the state (the state itself is stored once, by hash).

use std::time::{Duration, Instant};

use ciborium::value::Value;
use wasmtime::component::{ComponentNamedList, InstancePre, Lift, Lower};
use wasmtime::{Store, StoreContextMut, UpdateDeadline};

use super::cause::Cause;
use super::exports::{self, Export, Exports, State};
use super::{ActorCtx, CallError};
use crate::bindings::{
    ChannelAccept, HttpRequest, HttpResponse, MiddlewareResult, WebsocketMessage, WitActorError,
};
use crate::chain::payload::{encode, map, Wire};
use crate::chain::sha256;
use crate::limits::{CallTimeout, Interrupted, MemoryLimitExceeded};

/// What an export returns besides the new state.
trait ExportReturn: ComponentNamedList + Lift + Send + Sync + 'static {
    type Extra: Wire;
    fn split(self) -> (State, Self::Extra);
}

impl ExportReturn for (State,) {
    type Extra = ();
    fn split(self) -> (State, ()) {
        (self.0, ())
    }
}

impl<T: Wire + Lift + Send + Sync + 'static> ExportReturn for (State, (T,)) {
    type Extra = T;
    fn split(self) -> (State, T) {
        (self.0, self.1 .0)
    }
}

/// A running actor's instance. Dropped after a trap: wasmtime refuses further calls into
/// a store whose instance trapped, so a restart builds a new one.
pub(crate) struct ActorInstance {
    store: Store<ActorCtx>,
    exports: Exports,
    state: State,
    call_timeout: Duration,
}

/// Why an instance could not be created.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Export(#[from] super::exports::ExportError),
    #[error("instantiation failed: {0}")]
    Instantiate(String),
}

impl ActorInstance {
    /// Instantiate the component in a fresh store carrying `ctx`.
    pub(crate) async fn new(
        pre: &InstancePre<ActorCtx>,
        ctx: ActorCtx,
        call_timeout: Duration,
    ) -> Result<ActorInstance, (StartError, ActorCtx)> {
        let mut store = Store::new(pre.engine(), ctx);
        store.limiter(|c| &mut c.boundary.limiter);
        store.epoch_deadline_callback(on_epoch);
        store.set_epoch_deadline(1);
        store.data_mut().call.deadline = Instant::now() + call_timeout;
        let instance = match pre.instantiate_async(&mut store).await {
            Ok(i) => i,
            Err(e) => {
                let reason = describe_trap(&e, None);
                return Err((StartError::Instantiate(reason), store.into_data()));
            }
        };
        match Exports::lookup(&mut store, &instance) {
            Ok(exports) => Ok(ActorInstance {
                store,
                exports,
                state: None,
                call_timeout,
            }),
            Err(e) => Err((StartError::Export(e), store.into_data())),
        }
    }

    pub(crate) fn ctx(&self) -> &ActorCtx {
        self.store.data()
    }

    pub(crate) fn ctx_mut(&mut self) -> &mut ActorCtx {
        self.store.data_mut()
    }

    /// Give back the context after the instance is done (or has trapped).
    pub(crate) fn into_ctx(self) -> ActorCtx {
        self.store.into_data()
    }

    /// Set the state without a call (restoring a committed state).
    pub(crate) fn set_state(&mut self, state: State) {
        self.state = state;
    }

    /// The committed state.
    pub(crate) fn state(&self) -> &State {
        &self.state
    }

    pub(crate) async fn init(&mut self, id: String) -> Result<(), CallError> {
        let f = Some(self.exports.init);
        self.call("init", f, (id,), None).await
    }

    /// Start a restarted or resumed instance from its committed state: `resume` when the
    /// component exports it, else `init` (what the contract always did).
    pub(crate) async fn resume(&mut self, id: String) -> Result<(), CallError> {
        match self.exports.resume {
            Some(f) => self.call("resume", Some(f), (id,), None).await,
            None => self.init(id).await,
        }
    }

    pub(crate) async fn handle_send(
        &mut self,
        msg: Vec<u8>,
        cause: Option<Cause>,
    ) -> Result<(), CallError> {
        let f = self.exports.handle_send;
        self.call("handle-send", f, (msg,), cause).await
    }

    /// `Ok(None)` means the actor deferred its reply (it will call `respond-to-request`).
    pub(crate) async fn handle_request(
        &mut self,
        request_id: String,
        msg: Vec<u8>,
        cause: Option<Cause>,
    ) -> Result<Option<Vec<u8>>, CallError> {
        let f = self.exports.handle_request;
        self.call("handle-request", f, (request_id, msg), cause)
            .await
    }

    pub(crate) async fn handle_channel_open(
        &mut self,
        from: String,
        msg: Vec<u8>,
        cause: Option<Cause>,
    ) -> Result<ChannelAccept, CallError> {
        let f = self.exports.handle_channel_open;
        self.call("handle-channel-open", f, (from, msg), cause)
            .await
    }

    pub(crate) async fn handle_channel_message(
        &mut self,
        channel: String,
        msg: Vec<u8>,
        cause: Option<Cause>,
    ) -> Result<(), CallError> {
        let f = self.exports.handle_channel_message;
        self.call("handle-channel-message", f, (channel, msg), cause)
            .await
    }

    pub(crate) async fn handle_channel_close(
        &mut self,
        channel: String,
        cause: Option<Cause>,
    ) -> Result<(), CallError> {
        let f = self.exports.handle_channel_close;
        self.call("handle-channel-close", f, (channel,), cause)
            .await
    }

    pub(crate) async fn handle_child_error(
        &mut self,
        child: String,
        error: WitActorError,
    ) -> Result<(), CallError> {
        let f = self.exports.handle_child_error;
        self.call("handle-child-error", f, (child, error), None)
            .await
    }

    pub(crate) async fn handle_child_exit(
        &mut self,
        child: String,
        data: Option<Vec<u8>>,
    ) -> Result<(), CallError> {
        let f = self.exports.handle_child_exit;
        self.call("handle-child-exit", f, (child, data), None).await
    }

    pub(crate) async fn handle_child_external_stop(
        &mut self,
        child: String,
    ) -> Result<(), CallError> {
        let f = self.exports.handle_child_external_stop;
        self.call("handle-child-external-stop", f, (child,), None)
            .await
    }

    pub(crate) async fn handle_http_request(
        &mut self,
        handler: u64,
        request: HttpRequest,
    ) -> Result<HttpResponse, CallError> {
        let f = self.exports.http.request;
        self.call(exports::HTTP_REQUEST, f, (handler, request), None)
            .await
    }

    pub(crate) async fn handle_http_middleware(
        &mut self,
        handler: u64,
        request: HttpRequest,
    ) -> Result<MiddlewareResult, CallError> {
        let f = self.exports.http.middleware;
        self.call(exports::HTTP_MIDDLEWARE, f, (handler, request), None)
            .await
    }

    pub(crate) async fn handle_websocket_connect(
        &mut self,
        handler: u64,
        connection: u64,
        path: String,
        query: Option<String>,
    ) -> Result<(), CallError> {
        let f = self.exports.http.websocket_connect;
        let args = (handler, connection, path, query);
        self.call(exports::WEBSOCKET_CONNECT, f, args, None).await
    }

    pub(crate) async fn handle_websocket_message(
        &mut self,
        handler: u64,
        connection: u64,
        message: WebsocketMessage,
    ) -> Result<Vec<WebsocketMessage>, CallError> {
        let f = self.exports.http.websocket_message;
        let args = (handler, connection, message);
        self.call(exports::WEBSOCKET_MESSAGE, f, args, None).await
    }

    pub(crate) async fn handle_websocket_disconnect(
        &mut self,
        handler: u64,
        connection: u64,
    ) -> Result<(), CallError> {
        let f = self.exports.http.websocket_disconnect;
        let args = (handler, connection);
        self.call(exports::WEBSOCKET_DISCONNECT, f, args, None)
            .await
    }

    /// Run one export call, recorded: `wasm/call`, the guest's own events, `wasm/result`.
    /// A successful call commits the returned state; an error leaves the state as it was.
    async fn call<A, Ret>(
        &mut self,
        export: &'static str,
        func: Option<Export<A, Ret>>,
        args: A,
        cause: Option<Cause>,
    ) -> Result<Ret::Extra, CallError>
    where
        A: ComponentNamedList + Lower + Wire + Send + Sync + 'static,
        Ret: ExportReturn,
    {
        let state_ref = self.state_ref();
        let mut call = vec![
            ("export", Value::Text(export.to_string())),
            ("params", args.to_value()),
            ("state", state_ref.clone()),
        ];
        if let Some(cause) = &cause {
            call.push(("cause", cause.to_value()));
        }
        let ctx = self.store.data_mut();
        ctx.chain.record("wasm/call", encode(&map(call)));
        ctx.call.last_log = None;
        ctx.call.sender = cause.as_ref().map(|c| c.actor_id.clone());
        ctx.call.deadline = Instant::now() + self.call_timeout;

        let Some(func) = func else {
            let function = export.rsplit('.').next().unwrap_or(export);
            let name = format!("{}.{function}", interface_of(export));
            self.record_result(
                export,
                map(vec![("err", Value::Text(format!("not exported: {name}")))]),
                state_ref,
            );
            return Err(CallError::NotExported(name));
        };
        let state = self.state.clone();
        match func.call_async(&mut self.store, (state, args)).await {
            Ok((Ok(ret),)) => {
                let (state, extra) = ret.split();
                self.state = state;
                let state_ref = self.state_ref();
                self.record_result(export, map(vec![("ok", extra.to_value())]), state_ref);
                Ok(extra)
            }
            Ok((Err(message),)) => {
                self.record_result(
                    export,
                    map(vec![("err", Value::Text(message.clone()))]),
                    state_ref,
                );
                Err(CallError::Guest(message))
            }
            Err(e) => {
                let reason = describe_trap(&e, self.store.data().call.last_log.as_deref());
                self.record_result(
                    export,
                    map(vec![("trap", Value::Text(reason.clone()))]),
                    state_ref,
                );
                Err(CallError::Trap(reason))
            }
        }
    }

    /// The state's hash as recorded in events, storing the state itself once.
    fn state_ref(&mut self) -> Value {
        match &self.state {
            Some(bytes) => {
                let hash = sha256(bytes);
                self.store.data_mut().chain.store_blob(hash, bytes);
                Value::Bytes(hash.to_vec())
            }
            None => Value::Null,
        }
    }

    fn record_result(&mut self, export: &str, outcome: Value, state: Value) {
        let payload = encode(&map(vec![
            ("export", Value::Text(export.to_string())),
            ("outcome", outcome),
            ("state", state),
        ]));
        self.store.data_mut().chain.record("wasm/result", payload);
    }
}

fn interface_of(export: &str) -> &'static str {
    match export {
        "init" => super::exports::ACTOR,
        "resume" => super::exports::ACTOR_RESUME,
        "handle-child-error" | "handle-child-exit" | "handle-child-external-stop" => {
            super::exports::SUPERVISOR_HANDLERS
        }
        _ if export.starts_with("http-handlers.") => super::exports::HTTP_HANDLERS,
        _ => super::exports::MESSAGE_SERVER,
    }
}

/// A trap in words a user can act on: which limit was hit, or what the guest did, with
/// the last line it logged (where the SDK's panic hook writes the panic message).
pub(crate) fn describe_trap(e: &wasmtime::Error, last_log: Option<&str>) -> String {
    if let Some(m) = e.downcast_ref::<MemoryLimitExceeded>() {
        return m.to_string();
    }
    if let Some(t) = e.downcast_ref::<CallTimeout>() {
        return t.to_string();
    }
    if let Some(i) = e.downcast_ref::<Interrupted>() {
        return i.to_string();
    }
    let what = match e.downcast_ref::<wasmtime::Trap>() {
        Some(trap) => trap.to_string(),
        None => format!("{}", e.root_cause()),
    };
    match last_log {
        Some(line) => format!("{what} (last log line: {line})"),
        None => what,
    }
}

/// Called by wasmtime at each epoch tick while guest code runs: yield to other tasks, or
/// stop the call once its deadline has passed.
fn on_epoch(ctx: StoreContextMut<'_, ActorCtx>) -> wasmtime::Result<UpdateDeadline> {
    let data = ctx.data();
    if data.interrupted() {
        return Err(Interrupted.into());
    }
    if Instant::now() >= data.call.deadline {
        return Err(CallTimeout {
            limit_ms: data.boundary.limiter.call_timeout_ms,
        }
        .into());
    }
    Ok(UpdateDeadline::Yield(1))
}

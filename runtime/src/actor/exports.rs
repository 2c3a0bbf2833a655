//! The functions an actor may export, looked up once per instance with their exact WIT
//! signatures. `init` is required; the message and supervision handlers are optional, and
//! a message for a missing one is answered with an error, not a trap.

use wasmtime::component::{ComponentNamedList, Instance, Lift, Lower, TypedFunc};
use wasmtime::Store;

use super::ActorCtx;
use crate::bindings::{
    ChannelAccept, HttpRequest, HttpResponse, MiddlewareResult, WebsocketMessage, WitActorError,
};

/// The state argument and result of every export.
pub type State = Option<Vec<u8>>;

/// An export with the contract's shape: `(state, params) -> result<ret, string>`.
pub type Export<A, Ret> = TypedFunc<(State, A), (Result<Ret, String>,)>;

pub const ACTOR: &str = "theater:simple/actor";
/// Optional: exported by actors that start differently when restarted or resumed.
pub const ACTOR_RESUME: &str = "theater:simple/actor-resume";
pub const MESSAGE_SERVER: &str = "theater:simple/message-server-client";
pub const SUPERVISOR_HANDLERS: &str = "theater:simple/supervisor-handlers";
/// Exported by actors that serve HTTP or WebSocket through `http-framework`.
pub const HTTP_HANDLERS: &str = "theater:simple/http-handlers";

/// The `http-handlers` exports as `wasm/call` events name them: qualified, since
/// `handle-request` is a `message-server-client` export too.
pub const HTTP_REQUEST: &str = "http-handlers.handle-request";
pub const HTTP_MIDDLEWARE: &str = "http-handlers.handle-middleware";
pub const WEBSOCKET_CONNECT: &str = "http-handlers.handle-websocket-connect";
pub const WEBSOCKET_MESSAGE: &str = "http-handlers.handle-websocket-message";
pub const WEBSOCKET_DISCONNECT: &str = "http-handlers.handle-websocket-disconnect";

/// An export that takes only the actor's id or a child's id.
type IdExport = Export<(String,), (State,)>;
/// An export that takes an id (a request's, a channel's) and a message.
type IdMessageExport<Ret> = Export<(String, Vec<u8>), Ret>;
/// `handle-request`: the new state and, unless the reply is deferred, the reply.
type RequestExport = IdMessageExport<(State, (Option<Vec<u8>>,))>;
/// `handle-child-exit`: a child's id and the data it ended with.
type ChildExitExport = Export<(String, Option<Vec<u8>>), (State,)>;
/// An `http-handlers` export given a handler id and a request.
type HttpExport<Ret> = Export<(u64, HttpRequest), (State, (Ret,))>;
/// `handle-websocket-connect`: handler, connection, path, query.
type WebSocketConnectExport = Export<(u64, u64, String, Option<String>), (State,)>;
/// `handle-websocket-message`: the messages to send back.
type WebSocketMessageExport =
    Export<(u64, u64, WebsocketMessage), (State, (Vec<WebsocketMessage>,))>;

/// The typed exports of one instance.
pub struct Exports {
    pub init: IdExport,
    pub resume: Option<IdExport>,
    pub handle_send: Option<Export<(Vec<u8>,), (State,)>>,
    pub handle_request: Option<RequestExport>,
    pub handle_channel_open: Option<IdMessageExport<(State, (ChannelAccept,))>>,
    pub handle_channel_message: Option<IdMessageExport<(State,)>>,
    pub handle_channel_close: Option<IdExport>,
    pub handle_child_error: Option<Export<(String, WitActorError), (State,)>>,
    pub handle_child_exit: Option<ChildExitExport>,
    pub handle_child_external_stop: Option<IdExport>,
    pub http: HttpExports,
}

/// The `http-handlers` exports of one instance.
pub struct HttpExports {
    pub request: Option<HttpExport<HttpResponse>>,
    pub middleware: Option<HttpExport<MiddlewareResult>>,
    pub websocket_connect: Option<WebSocketConnectExport>,
    pub websocket_message: Option<WebSocketMessageExport>,
    pub websocket_disconnect: Option<Export<(u64, u64), (State,)>>,
}

/// An export is present but its signature differs from the contract's.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("the component does not export {ACTOR}.init, which every actor must\n  hint: implement the `theater:simple/actor` interface (the SDK's #[actor] macro does)")]
    NoInit,
    #[error("the component's export {interface}.{name} does not have the signature of the theater:simple contract: {reason}")]
    Signature {
        interface: &'static str,
        name: &'static str,
        reason: String,
    },
}

impl Exports {
    pub fn lookup(
        store: &mut Store<ActorCtx>,
        instance: &Instance,
    ) -> Result<Exports, ExportError> {
        let init = find(store, instance, ACTOR, "init")?.ok_or(ExportError::NoInit)?;
        Ok(Exports {
            init,
            resume: find(store, instance, ACTOR_RESUME, "resume")?,
            handle_send: find(store, instance, MESSAGE_SERVER, "handle-send")?,
            handle_request: find(store, instance, MESSAGE_SERVER, "handle-request")?,
            handle_channel_open: find(store, instance, MESSAGE_SERVER, "handle-channel-open")?,
            handle_channel_message: find(
                store,
                instance,
                MESSAGE_SERVER,
                "handle-channel-message",
            )?,
            handle_channel_close: find(store, instance, MESSAGE_SERVER, "handle-channel-close")?,
            handle_child_error: find(store, instance, SUPERVISOR_HANDLERS, "handle-child-error")?,
            handle_child_exit: find(store, instance, SUPERVISOR_HANDLERS, "handle-child-exit")?,
            handle_child_external_stop: find(
                store,
                instance,
                SUPERVISOR_HANDLERS,
                "handle-child-external-stop",
            )?,
            http: HttpExports {
                request: find(store, instance, HTTP_HANDLERS, "handle-request")?,
                middleware: find(store, instance, HTTP_HANDLERS, "handle-middleware")?,
                websocket_connect: find(
                    store,
                    instance,
                    HTTP_HANDLERS,
                    "handle-websocket-connect",
                )?,
                websocket_message: find(
                    store,
                    instance,
                    HTTP_HANDLERS,
                    "handle-websocket-message",
                )?,
                websocket_disconnect: find(
                    store,
                    instance,
                    HTTP_HANDLERS,
                    "handle-websocket-disconnect",
                )?,
            },
        })
    }
}

fn find<P, R>(
    store: &mut Store<ActorCtx>,
    instance: &Instance,
    interface: &'static str,
    name: &'static str,
) -> Result<Option<TypedFunc<P, R>>, ExportError>
where
    P: ComponentNamedList + Lower,
    R: ComponentNamedList + Lift,
{
    let Some(iface) = instance.get_export_index(&mut *store, None, interface) else {
        return Ok(None);
    };
    let Some(func) = instance.get_export_index(&mut *store, Some(&iface), name) else {
        return Ok(None);
    };
    instance
        .get_typed_func::<P, R>(&mut *store, &func)
        .map(Some)
        .map_err(|e| ExportError::Signature {
            interface,
            name,
            reason: format!("{e:#}"),
        })
}

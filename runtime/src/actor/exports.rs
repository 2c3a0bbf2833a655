//! The functions an actor may export, looked up once per instance with their exact WIT
//! signatures. `init` is required; the message and supervision handlers are optional, and
//! a message for a missing one is answered with an error, not a trap.

use wasmtime::component::{ComponentNamedList, Instance, Lift, Lower, TypedFunc};
use wasmtime::Store;

use super::ActorCtx;
use crate::bindings::{ChannelAccept, WitActorError};

/// The state argument and result of every export.
pub type State = Option<Vec<u8>>;

/// An export with the contract's shape: `(state, params) -> result<ret, string>`.
pub type Export<A, Ret> = TypedFunc<(State, A), (Result<Ret, String>,)>;

pub const ACTOR: &str = "theater:simple/actor";
/// Optional: exported by actors that start differently when restarted or resumed.
pub const ACTOR_RESUME: &str = "theater:simple/actor-resume";
pub const MESSAGE_SERVER: &str = "theater:simple/message-server-client";
pub const SUPERVISOR_HANDLERS: &str = "theater:simple/supervisor-handlers";

/// An export that takes only the actor's id or a child's id.
type IdExport = Export<(String,), (State,)>;
/// An export that takes an id (a request's, a channel's) and a message.
type IdMessageExport<Ret> = Export<(String, Vec<u8>), Ret>;
/// `handle-request`: the new state and, unless the reply is deferred, the reply.
type RequestExport = IdMessageExport<(State, (Option<Vec<u8>>,))>;
/// `handle-child-exit`: a child's id and the data it ended with.
type ChildExitExport = Export<(String, Option<Vec<u8>>), (State,)>;

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

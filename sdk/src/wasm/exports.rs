//! The component's exports for an actor type `A`: each one installs the panic hook, then
//! runs the call through `crate::dispatch`. `#[actor]` instantiates the generated export
//! macro with [`Exports<A>`] in the actor's crate.

use std::marker::PhantomData;

use super::bindings::exports::theater::simple::{
    actor, actor_resume, message_server_client, supervisor_handlers,
};
use super::bindings::theater::simple::types;
use super::panic;
use crate::actor::Actor;
use crate::dispatch;

/// Implements every exported interface for the actor type `A`.
pub struct Exports<A>(PhantomData<A>);

/// The contract's `result<tuple<option<list<u8>>>, string>`: the new state only.
type StateOnly = Result<(Option<Vec<u8>>,), String>;

fn state_only(call: Result<(Vec<u8>, ()), String>) -> StateOnly {
    call.map(|(state, ())| (Some(state),))
}

impl<A: Actor> actor::Guest for Exports<A> {
    fn init(state: Option<Vec<u8>>, (id,): (String,)) -> StateOnly {
        panic::install();
        dispatch::init::<A>(id, state).map(|state| (Some(state),))
    }
}

impl<A: Actor> actor_resume::Guest for Exports<A> {
    fn resume(state: Option<Vec<u8>>, (id,): (String,)) -> StateOnly {
        panic::install();
        dispatch::resume::<A>(id, state).map(|state| (Some(state),))
    }
}

impl<A: Actor> message_server_client::Guest for Exports<A> {
    fn handle_send(state: Option<Vec<u8>>, (msg,): (Vec<u8>,)) -> StateOnly {
        panic::install();
        state_only(dispatch::call(state, |a: &mut A| a.on_send(msg)))
    }

    fn handle_request(
        state: Option<Vec<u8>>,
        (request_id, msg): (String, Vec<u8>),
    ) -> Result<(Option<Vec<u8>>, (Option<Vec<u8>>,)), String> {
        panic::install();
        dispatch::call(state, |a: &mut A| a.on_request(request_id, msg))
            .map(|(state, reply)| (Some(state), (reply,)))
    }

    fn handle_channel_open(
        state: Option<Vec<u8>>,
        (channel_id, msg): (String, Vec<u8>),
    ) -> Result<(Option<Vec<u8>>, (types::ChannelAccept,)), String> {
        panic::install();
        dispatch::call(state, |a: &mut A| a.on_channel_open(channel_id, msg))
            .map(|(state, accept)| (Some(state), (accept.into(),)))
    }

    fn handle_channel_message(
        state: Option<Vec<u8>>,
        (channel_id, msg): (String, Vec<u8>),
    ) -> StateOnly {
        panic::install();
        state_only(dispatch::call(state, |a: &mut A| {
            a.on_channel_message(channel_id, msg)
        }))
    }

    fn handle_channel_close(state: Option<Vec<u8>>, (channel_id,): (String,)) -> StateOnly {
        panic::install();
        state_only(dispatch::call(state, |a: &mut A| {
            a.on_channel_close(channel_id)
        }))
    }
}

impl<A: Actor> supervisor_handlers::Guest for Exports<A> {
    fn handle_child_error(
        state: Option<Vec<u8>>,
        (child_id, error): (String, types::WitActorError),
    ) -> StateOnly {
        panic::install();
        state_only(dispatch::call(state, |a: &mut A| {
            a.on_child_error(child_id, error.into())
        }))
    }

    fn handle_child_exit(
        state: Option<Vec<u8>>,
        (child_id, result): (String, Option<Vec<u8>>),
    ) -> StateOnly {
        panic::install();
        state_only(dispatch::call(state, |a: &mut A| {
            a.on_child_exit(child_id, result)
        }))
    }

    /// A child stopped from outside is, to SDK actors, a child that exited without a result.
    fn handle_child_external_stop(state: Option<Vec<u8>>, (child_id,): (String,)) -> StateOnly {
        panic::install();
        state_only(dispatch::call(state, |a: &mut A| {
            a.on_child_exit(child_id, None)
        }))
    }
}

/// Exports the component interfaces for an actor type; expanded by `#[actor]` on wasm32.
#[doc(hidden)]
#[macro_export]
macro_rules! __export_actor {
    ($exports:ident) => {
        $crate::__export_theater_actor_impl!($exports with_types_in $crate::wasm::bindings);
    };
}

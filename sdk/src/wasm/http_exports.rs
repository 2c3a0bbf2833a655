//! The component's `http-handlers` exports for an actor type `A`, which `#[actor]`
//! instantiates only for actors that define an HTTP or WebSocket handler. Each call runs
//! through `crate::dispatch` like the other exports.

use std::marker::PhantomData;

use super::bindings::theater::simple::http_types;
use super::convert::middleware_result;
use super::http_bindings::exports::theater::simple::http_handlers;
use super::http_bindings::theater::simple::websocket_types::WebsocketMessage;
use super::panic;
use crate::actor::Actor;
use crate::dispatch;

/// Implements `http-handlers` for the actor type `A`.
pub struct HttpExports<A>(PhantomData<A>);

/// The contract's `result<tuple<option<list<u8>>>, string>`: the new state only.
type StateOnly = Result<(Option<Vec<u8>>,), String>;

/// The contract's result with a value: the new state and the value.
type WithValue<T> = Result<(Option<Vec<u8>>, (T,)), String>;

impl<A: Actor> http_handlers::Guest for HttpExports<A> {
    fn handle_request(
        state: Option<Vec<u8>>,
        (handler, request): (u64, http_types::HttpRequest),
    ) -> WithValue<http_types::HttpResponse> {
        panic::install();
        dispatch::call(state, |a: &mut A| {
            a.on_http_request(handler, request.into())
        })
        .map(|(state, response)| (Some(state), (response.into(),)))
    }

    fn handle_middleware(
        state: Option<Vec<u8>>,
        (handler, request): (u64, http_types::HttpRequest),
    ) -> WithValue<http_types::MiddlewareResult> {
        panic::install();
        let received = request.clone();
        dispatch::call(state, |a: &mut A| {
            a.on_http_middleware(handler, request.into())
        })
        .map(|(state, verdict)| (Some(state), (middleware_result(verdict, received),)))
    }

    fn handle_websocket_connect(
        state: Option<Vec<u8>>,
        (handler, connection, path, query): (u64, u64, String, Option<String>),
    ) -> StateOnly {
        panic::install();
        dispatch::call(state, |a: &mut A| {
            a.on_ws_connect(handler, connection, path, query)
        })
        .map(|(state, ())| (Some(state),))
    }

    fn handle_websocket_message(
        state: Option<Vec<u8>>,
        (handler, connection, message): (u64, u64, WebsocketMessage),
    ) -> WithValue<Vec<WebsocketMessage>> {
        panic::install();
        dispatch::call(state, |a: &mut A| {
            a.on_ws_message(handler, connection, message.into())
        })
        .map(|(state, replies)| (Some(state), (replies.iter().map(Into::into).collect(),)))
    }

    fn handle_websocket_disconnect(
        state: Option<Vec<u8>>,
        (handler, connection): (u64, u64),
    ) -> StateOnly {
        panic::install();
        dispatch::call(state, |a: &mut A| a.on_ws_disconnect(handler, connection))
            .map(|(state, ())| (Some(state),))
    }
}

/// Exports `http-handlers` for an actor type; expanded by `#[actor]` on wasm32 for actors
/// with an HTTP or WebSocket handler.
#[doc(hidden)]
#[macro_export]
macro_rules! __export_http_actor {
    ($exports:ident) => {
        $crate::__export_theater_http_actor_impl!($exports with_types_in $crate::wasm::http_bindings);
    };
}

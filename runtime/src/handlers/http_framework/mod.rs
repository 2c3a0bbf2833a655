//! `theater:simple/http-framework`: HTTP and WebSocket servers run for an actor, which
//! answers their requests through its `http-handlers` exports. The functions and their
//! meaning are the original Theater's; what differs is the sandbox around them:
//!
//! - a server listens only where the manifest's `bind` list allows (default: loopback);
//!   TLS is refused with an error saying how to serve HTTPS (a proxy in front);
//! - requests and WebSocket events reach the actor one at a time through its mailbox, as
//!   recorded export calls (`http-handlers.*` in `wasm/call`), so the chain holds every
//!   request and response and a replay re-feeds them without opening a socket;
//! - bodies, headers, connections, time per request and servers are bounded by the grant
//!   (`manifest_http`), and what is refused never reaches the actor;
//! - the servers stop, and their ports are free, when the actor's task ends.
//!
//! `servers` keeps an actor's servers, `routes` matches paths, `listener` accepts and
//! serves connections, `serve` handles one request, `websocket` one WebSocket connection,
//! `shared` is what a server's tasks share and how they reach the actor, `sockets` the
//! open WebSocket connections.

mod listener;
mod routes;
mod serve;
mod servers;
mod shared;
mod sockets;
mod websocket;

use wasmtime::component::Linker;

use super::{define_sending_sync, define_sync, Handler};
use crate::actor::ActorCtx;
use crate::bindings::{MessageType, ServerConfig, WebsocketMessage};
use routes::{RouteTable, WebSocketRoute};

const INTERFACE: &str = "theater:simple/http-framework";

/// Serves `theater:simple/http-framework`.
pub struct HttpFrameworkHandler;

impl Handler for HttpFrameworkHandler {
    fn interface(&self) -> &'static str {
        INTERFACE
    }

    fn link(&self, linker: &mut Linker<ActorCtx>) -> wasmtime::Result<()> {
        let mut inst = linker.instance(INTERFACE)?;
        let i = &mut inst;
        define_sync(
            i,
            INTERFACE,
            "create-server",
            |ctx, (config,): (ServerConfig,)| Ok((servers::create(ctx, config),)),
        )?;
        define_sync(i, INTERFACE, "get-server-info", |ctx, (id,): (u64,)| {
            Ok((servers::info(ctx, id),))
        })?;
        define_sync(i, INTERFACE, "start-server", |ctx, (id,): (u64,)| {
            Ok((servers::start(ctx, id),))
        })?;
        define_sync(i, INTERFACE, "stop-server", |ctx, (id,): (u64,)| {
            Ok((servers::stop(ctx, id),))
        })?;
        define_sync(i, INTERFACE, "destroy-server", |ctx, (id,): (u64,)| {
            Ok((servers::destroy(ctx, id),))
        })?;
        define_sync(
            i,
            INTERFACE,
            "register-handler",
            |ctx, (name,): (String,)| Ok((servers::register_handler(ctx, name),)),
        )?;
        define_sync(
            i,
            INTERFACE,
            "add-route",
            |ctx, (server, path, method, handler): (u64, String, String, u64)| {
                let add = |t: &mut RouteTable, id| t.add_route(id, &path, &method, handler);
                Ok((servers::add(ctx, server, handler, add),))
            },
        )?;
        define_sync(i, INTERFACE, "remove-route", |ctx, (id,): (u64,)| {
            Ok((servers::remove(ctx, id, "route", RouteTable::remove_route),))
        })?;
        define_sync(
            i,
            INTERFACE,
            "add-middleware",
            |ctx, (server, path, handler): (u64, String, u64)| {
                let add = |t: &mut RouteTable, id| t.add_middleware(id, &path, handler);
                Ok((servers::add(ctx, server, handler, add),))
            },
        )?;
        define_sync(i, INTERFACE, "remove-middleware", |ctx, (id,): (u64,)| {
            Ok((servers::remove(
                ctx,
                id,
                "middleware",
                RouteTable::remove_middleware,
            ),))
        })?;
        define_sync(
            i,
            INTERFACE,
            "enable-websocket",
            |ctx, (server, path, connect, message, disconnect): WebSocketParams| {
                let route = WebSocketRoute {
                    connect,
                    message,
                    disconnect,
                };
                Ok((servers::enable_websocket(ctx, server, &path, route),))
            },
        )?;
        define_sending_sync(
            i,
            INTERFACE,
            "send-websocket-message",
            |ctx, (server, connection, message): (u64, u64, WebsocketMessage)| {
                Ok((servers::send_websocket(ctx, server, connection, message),))
            },
        )?;
        define_sending_sync(
            i,
            INTERFACE,
            "close-websocket",
            |ctx, (server, connection): (u64, u64)| {
                let close = WebsocketMessage {
                    ty: MessageType::Close,
                    data: None,
                    text: None,
                };
                Ok((servers::send_websocket(ctx, server, connection, close),))
            },
        )?;
        Ok(())
    }
}

/// `enable-websocket`'s parameters: server, path, connect, message and disconnect handlers.
type WebSocketParams = (u64, String, Option<u64>, u64, Option<u64>);

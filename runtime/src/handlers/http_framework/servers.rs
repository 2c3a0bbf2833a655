//! One actor's servers, handlers, routes and middleware, as its `http-framework` calls
//! create them. Kept as a resource of the actor (`ActorCtx::resource`), so every server
//! stops when the actor's task ends: stopped, failed or interrupted.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::listener::{self, Running};
use super::routes::{RouteTable, WebSocketRoute};
use super::shared::{ServeLimits, ServerShared};
use super::sockets::Sockets;
use crate::actor::ActorCtx;
use crate::bindings::{ServerConfig, ServerInfo, WebsocketMessage};
use crate::manifest::HandlerConfig;
use crate::manifest_http::HttpFrameworkGrant;

type Outcome<T> = Result<T, String>;

/// An actor's servers and what they route to.
#[derive(Default)]
pub struct Servers {
    next_id: u64,
    handlers: BTreeMap<u64, String>,
    servers: BTreeMap<u64, Server>,
    /// The server each route and middleware belongs to.
    owners: BTreeMap<u64, u64>,
}

struct Server {
    ip: IpAddr,
    port: u16,
    shared: Arc<ServerShared>,
    running: Option<Running>,
}

/// The actor's grant (the defaults if the manifest lists none: an embedder's own linking).
fn grant(ctx: &ActorCtx) -> HttpFrameworkGrant {
    match ctx.manifest().handler("http-framework") {
        Some(HandlerConfig::HttpFramework(grant)) => grant.clone(),
        _ => HttpFrameworkGrant::default(),
    }
}

fn clamp(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

impl Servers {
    fn of(ctx: &mut ActorCtx) -> &mut Servers {
        ctx.resource(Servers::default)
    }

    fn next(&mut self) -> u64 {
        self.next_id = self.next_id.saturating_add(1);
        self.next_id
    }

    fn server(&mut self, id: u64) -> Outcome<&mut Server> {
        self.servers
            .get_mut(&id)
            .ok_or_else(|| format!("no server {id} (create-server gives the ids)"))
    }

    fn check_handler(&self, id: u64) -> Outcome<()> {
        if self.handlers.contains_key(&id) {
            Ok(())
        } else {
            Err(format!("no handler {id} (register-handler gives the ids)"))
        }
    }
}

/// `create-server`: check the address against the grant; nothing listens yet.
pub fn create(ctx: &mut ActorCtx, config: ServerConfig) -> Outcome<u64> {
    if let Some(tls) = &config.tls_config {
        return Err(format!(
            "TLS is not served by Theater's http-framework (cert {:?}): serve plain HTTP on a loopback address and put a TLS-terminating proxy in front",
            tls.cert_path
        ));
    }
    let host = config.host.as_deref().unwrap_or("127.0.0.1");
    let ip: IpAddr = match host {
        "localhost" => IpAddr::from([127, 0, 0, 1]),
        other => other
            .parse()
            .map_err(|_| format!("host {other:?} is not an IP address (e.g. \"127.0.0.1\")"))?,
    };
    let port = config.port.unwrap_or(0);
    let grant = grant(ctx);
    if !grant.allows(ip, port) {
        let list: Vec<String> = grant
            .bind
            .iter()
            .map(|r| format!("{:?}", r.to_string()))
            .collect();
        return Err(format!(
            "listening on {} refused: not on this actor's bind list ([[handler]] type = \"http-framework\" bind = [{}])",
            SocketAddr::new(ip, port),
            list.join(", ")
        ));
    }
    let limits = ServeLimits {
        max_body_bytes: clamp(grant.max_body_bytes),
        max_header_bytes: clamp(grant.max_header_bytes),
        max_headers: clamp(grant.max_headers),
        max_connections: clamp(grant.max_connections),
        timeout: Duration::from_millis(grant.request_timeout_ms),
    };
    let actor_id = ctx.id().to_string();
    let own = ctx.own_handle();
    let servers = Servers::of(ctx);
    if servers.servers.len() as u64 >= grant.max_servers {
        return Err(format!(
            "one more server would pass this actor's max_servers of {} ([[handler]] type = \"http-framework\"); destroy one first",
            grant.max_servers
        ));
    }
    let id = servers.next();
    let shared = Arc::new(ServerShared {
        actor_id,
        own,
        table: RwLock::new(RouteTable::default()),
        sockets: Sockets::default(),
        limits,
    });
    servers.servers.insert(
        id,
        Server {
            ip,
            port,
            shared,
            running: None,
        },
    );
    Ok(id)
}

/// `get-server-info`: the port it listens on once started (the configured one before).
pub fn info(ctx: &mut ActorCtx, id: u64) -> Outcome<ServerInfo> {
    let server = Servers::of(ctx).server(id)?;
    let table = server.shared.table();
    Ok(ServerInfo {
        id,
        port: server
            .running
            .as_ref()
            .map_or(server.port, |r| r.address.port()),
        host: server.ip.to_string(),
        running: server.running.is_some(),
        routes_count: u32::try_from(table.routes_count()).unwrap_or(u32::MAX),
        middleware_count: u32::try_from(table.middleware_count()).unwrap_or(u32::MAX),
        websocket_enabled: table.websocket_enabled(),
    })
}

/// `start-server`: listen, and return the port.
pub fn start(ctx: &mut ActorCtx, id: u64) -> Outcome<u16> {
    let listeners = ctx.system()?.listeners();
    let actor = ctx.id().to_string();
    let server = Servers::of(ctx).server(id)?;
    if let Some(running) = &server.running {
        return Err(format!(
            "server {id} is already listening on {}",
            running.address
        ));
    }
    let address = SocketAddr::new(server.ip, server.port);
    let running = listener::start(address, server.shared.clone(), |bound| {
        listeners.listen(&actor, id, bound)
    })
    .map_err(|e| format!("cannot listen on {address}: {e}"))?;
    let port = running.address.port();
    server.running = Some(running);
    Ok(port)
}

/// `stop-server`: stop listening (its routes stay; `start-server` listens again).
pub fn stop(ctx: &mut ActorCtx, id: u64) -> Outcome<()> {
    Servers::of(ctx).server(id)?.running = None;
    Ok(())
}

/// `destroy-server`: stop it and forget it, its routes and middleware with it.
pub fn destroy(ctx: &mut ActorCtx, id: u64) -> Outcome<()> {
    let servers = Servers::of(ctx);
    servers
        .servers
        .remove(&id)
        .ok_or_else(|| format!("no server {id} (create-server gives the ids)"))?;
    servers.owners.retain(|_, owner| *owner != id);
    Ok(())
}

/// `register-handler`: a new id naming one of the actor's handlers in `http-handlers` calls.
pub fn register_handler(ctx: &mut ActorCtx, name: String) -> Outcome<u64> {
    if name.is_empty() {
        return Err("a handler needs a name".into());
    }
    let servers = Servers::of(ctx);
    let id = servers.next();
    servers.handlers.insert(id, name);
    Ok(id)
}

/// `add-route` and `add-middleware`: a new id for what `add` puts into the server's table
/// for `handler`.
pub fn add(
    ctx: &mut ActorCtx,
    server: u64,
    handler: u64,
    add: impl FnOnce(&mut RouteTable, u64) -> Outcome<()>,
) -> Outcome<u64> {
    let servers = Servers::of(ctx);
    servers.check_handler(handler)?;
    servers.server(server)?;
    let id = servers.next();
    add(&mut servers.server(server)?.shared.table_mut(), id)?;
    servers.owners.insert(id, server);
    Ok(id)
}

/// `remove-route` and `remove-middleware`: what `remove` takes out of the owner's table.
pub fn remove(
    ctx: &mut ActorCtx,
    id: u64,
    what: &str,
    remove: fn(&mut RouteTable, u64) -> bool,
) -> Outcome<()> {
    let servers = Servers::of(ctx);
    let missing = || format!("no {what} {id}");
    let owner = *servers.owners.get(&id).ok_or_else(missing)?;
    let server = servers.server(owner)?;
    if !remove(&mut server.shared.table_mut(), id) {
        return Err(missing());
    }
    servers.owners.remove(&id);
    Ok(())
}

/// `enable-websocket`: WebSocket on `path`, to the given handlers.
pub fn enable_websocket(
    ctx: &mut ActorCtx,
    server: u64,
    path: &str,
    route: WebSocketRoute,
) -> Outcome<()> {
    let servers = Servers::of(ctx);
    for handler in [route.connect, Some(route.message), route.disconnect]
        .into_iter()
        .flatten()
    {
        servers.check_handler(handler)?;
    }
    servers
        .server(server)?
        .shared
        .table_mut()
        .enable_websocket(path, route)
}

/// `send-websocket-message` and `close-websocket`: queue a message on an open connection.
pub fn send_websocket(
    ctx: &mut ActorCtx,
    server: u64,
    connection: u64,
    message: WebsocketMessage,
) -> Outcome<()> {
    Servers::of(ctx)
        .server(server)?
        .shared
        .sockets
        .send(server, connection, message)
}

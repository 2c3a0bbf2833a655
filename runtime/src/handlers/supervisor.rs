//! `theater:simple/supervisor`: spawn children (from a manifest path relative to the
//! parent's manifest, or inline manifest TOML), list, stop and restart them, and read their
//! state and events. What happens when a child exits on its own is `supervision.rs`.

use wasmtime::component::Linker;

use super::{define_async, define_sync, Handler};
use crate::actor::ActorCtx;
use crate::bindings::ChainEvent;
use crate::chain::{ChainReader, EventFilter};
use crate::manifest::Manifest;

const INTERFACE: &str = "theater:simple/supervisor";

/// Serves `theater:simple/supervisor`.
pub struct SupervisorHandler;

type Outcome<T> = Result<T, String>;

impl Handler for SupervisorHandler {
    fn interface(&self) -> &'static str {
        INTERFACE
    }

    fn link(&self, linker: &mut Linker<ActorCtx>) -> wasmtime::Result<()> {
        let mut inst = linker.instance(INTERFACE)?;
        define_async(&mut inst, INTERFACE, "spawn", |ctx, (manifest, init): (String, Option<Vec<u8>>)| {
            Box::pin(async move { Ok((spawn(ctx, &manifest, init).await,)) })
        })?;
        define_async(&mut inst, INTERFACE, "resume", |ctx, (manifest, state): (String, Option<Vec<u8>>)| {
            Box::pin(async move { Ok((spawn(ctx, &manifest, state).await,)) })
        })?;
        define_sync(&mut inst, INTERFACE, "list-children", |ctx, (): ()| Ok((ctx.children.clone(),)))?;
        define_async(&mut inst, INTERFACE, "stop-child", |ctx, (child,): (String,)| {
            Box::pin(async move { Ok((stop_child(ctx, &child).await,)) })
        })?;
        define_async(&mut inst, INTERFACE, "restart-child", |ctx, (child,): (String,)| {
            Box::pin(async move { Ok((restart_child(ctx, &child).await,)) })
        })?;
        define_async(&mut inst, INTERFACE, "get-child-state", |ctx, (child,): (String,)| {
            Box::pin(async move { Ok((child_state(ctx, &child).await,)) })
        })?;
        define_async(&mut inst, INTERFACE, "get-child-events", |ctx, (child,): (String,)| {
            Box::pin(async move { Ok((child_events(ctx, &child).await,)) })
        })?;
        Ok(())
    }
}

/// A child manifest: inline TOML if it spans lines or assigns keys, else a path relative
/// to the parent's manifest directory.
fn child_manifest(ctx: &ActorCtx, spec: &str) -> Outcome<Manifest> {
    let base = &ctx.manifest.base_dir;
    let loaded = if spec.contains('\n') || spec.contains('=') {
        Manifest::parse(spec, base, "<inline manifest>")
    } else {
        let path = std::path::Path::new(spec);
        Manifest::load(&if path.is_absolute() { path.to_path_buf() } else { base.join(path) })
    };
    loaded.map_err(|e| e.to_string())
}

async fn spawn(ctx: &mut ActorCtx, spec: &str, init: Option<Vec<u8>>) -> Outcome<String> {
    let manifest = child_manifest(ctx, spec)?;
    let theater = ctx.theater()?;
    let id = theater.spawn(manifest, init, Some(ctx.id.clone())).await.map_err(|e| e.to_string())?;
    ctx.children.push(id.clone());
    Ok(id)
}

fn own_child(ctx: &ActorCtx, child: &str) -> Outcome<()> {
    if ctx.children.iter().any(|c| c == child) {
        Ok(())
    } else {
        Err(format!("{child} is not a child of this actor (list-children shows them)"))
    }
}

async fn stop_child(ctx: &mut ActorCtx, child: &str) -> Outcome<()> {
    own_child(ctx, child)?;
    ctx.children.retain(|c| c != child);
    ctx.theater()?.stop_quietly(child).await;
    Ok(())
}

async fn restart_child(ctx: &mut ActorCtx, child: &str) -> Outcome<()> {
    own_child(ctx, child)?;
    let theater = ctx.theater()?;
    theater.stop_quietly(child).await;
    theater.restart(child, &format!("restart-child called by {}", ctx.id)).await.map_err(|e| e.to_string())
}

async fn child_state(ctx: &mut ActorCtx, child: &str) -> Outcome<Option<Vec<u8>>> {
    own_child(ctx, child)?;
    let theater = ctx.theater()?;
    let handle = theater.actor(child).map_err(|e| e.to_string())?.handle;
    let _guard = theater.begin_wait(&ctx.id, child)?;
    let limit = std::time::Duration::from_millis(ctx.manifest.limits.request_timeout_ms);
    match tokio::time::timeout(limit, handle.state()).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err(format!("child {child} did not answer within {} ms ([limits] request_timeout_ms)", limit.as_millis())),
    }
}

async fn child_events(ctx: &mut ActorCtx, child: &str) -> Outcome<Vec<ChainEvent>> {
    own_child(ctx, child)?;
    ctx.chain.flush().await.map_err(|e| e.to_string())?;
    let events = ChainReader::open(&ctx.db_path).and_then(|r| r.events(child, &EventFilter::default())).map_err(|e| e.to_string())?;
    Ok(events
        .into_iter()
        .map(|e| ChainEvent {
            hash: e.hash.to_vec(),
            parent_hash: e.parent.map(|p| p.to_vec()),
            event_type: e.event_type,
            data: e.payload,
            timestamp: e.timestamp_ms,
        })
        .collect())
}

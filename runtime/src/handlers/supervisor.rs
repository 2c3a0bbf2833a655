//! `theater:simple/supervisor`: spawn children (from a manifest path relative to the
//! parent's manifest, or inline manifest TOML), list, stop and restart them, and read their
//! state and events. What happens when a child exits on its own is `supervision.rs`.
//!
//! A child never holds more than its parent: its manifest, component and initial state
//! must lie inside the parent's manifest directory (`manifest_files::confine`), its grants
//! within the parent's (`attenuation`), and the parent may have at most
//! `[limits] max_children` children at once.

use ciborium::value::Value;
use wasmtime::component::Linker;

use super::{define_async, define_summarised, define_sync, Handler};
use crate::actor::ActorCtx;
use crate::attenuation;
use crate::bindings::ChainEvent;
use crate::chain::payload::{map, Fields, Wire};
use crate::chain::Event;
use crate::chain_page::{self, PageSummary};
use crate::manifest::Manifest;
use crate::manifest_files::confine;

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
        define_async(
            &mut inst,
            INTERFACE,
            "spawn",
            |ctx, (manifest, init): (String, Option<Vec<u8>>)| {
                Box::pin(async move { Ok((spawn(ctx, &manifest, init).await,)) })
            },
        )?;
        define_async(
            &mut inst,
            INTERFACE,
            "resume",
            |ctx, (manifest, state): (String, Option<Vec<u8>>)| {
                Box::pin(async move { Ok((spawn(ctx, &manifest, state).await,)) })
            },
        )?;
        define_sync(&mut inst, INTERFACE, "list-children", |ctx, (): ()| {
            Ok((ctx.supervising.children.clone(),))
        })?;
        define_async(
            &mut inst,
            INTERFACE,
            "stop-child",
            |ctx, (child,): (String,)| {
                Box::pin(async move { Ok((stop_child(ctx, &child).await,)) })
            },
        )?;
        define_async(
            &mut inst,
            INTERFACE,
            "restart-child",
            |ctx, (child,): (String,)| {
                Box::pin(async move { Ok((restart_child(ctx, &child).await,)) })
            },
        )?;
        define_async(
            &mut inst,
            INTERFACE,
            "get-child-state",
            |ctx, (child,): (String,)| {
                Box::pin(async move { Ok((child_state(ctx, &child).await,)) })
            },
        )?;
        define_summarised(
            &mut inst,
            INTERFACE,
            "get-child-events",
            |ctx, (child,): (String,)| Box::pin(async move { Ok(child_events(ctx, &child).await) }),
            |ctx, (child,): (String,), recorded| Ok((reread_child_events(ctx, &child, recorded)?,)),
        )?;
        Ok(())
    }
}

/// A child manifest: inline TOML if it spans lines or assigns keys, else a path relative
/// to the parent's manifest directory. Every file it names must lie inside that directory,
/// and its grants within the parent's (limits it leaves at their defaults are the parent's).
fn child_manifest(ctx: &ActorCtx, spec: &str) -> Outcome<Manifest> {
    let parent = &ctx.manifest;
    let base = &parent.base_dir;
    let mut manifest = if spec.contains('\n') || spec.contains('=') {
        Manifest::parse(spec, base, "<inline manifest>")
    } else {
        let path = confine(base, std::path::Path::new(spec)).map_err(|e| e.to_string())?;
        Manifest::load_child(&path)
    }
    .map_err(|e| e.to_string())?;
    // Read later from where they resolve now, so they cannot be swapped for a link out.
    manifest.component = confine(base, &manifest.component).map_err(|e| e.to_string())?;
    if let Some(init_state) = &manifest.init_state {
        manifest.init_state = Some(confine(base, init_state).map_err(|e| e.to_string())?);
    }
    attenuation::inherit_limits(&mut manifest.limits, &parent.limits);
    attenuation::check(&manifest, parent).map_err(|e| e.to_string())?;
    Ok(manifest)
}

async fn spawn(ctx: &mut ActorCtx, spec: &str, init: Option<Vec<u8>>) -> Outcome<String> {
    let limit = ctx.manifest.limits.max_children;
    if ctx.supervising.children.len() as u64 >= limit {
        return Err(format!("this actor already supervises {} children, its limit ([limits] max_children = {limit})", ctx.supervising.children.len()));
    }
    let manifest = child_manifest(ctx, spec)?;
    let system = ctx.system()?;
    let id = system
        .spawn(manifest, init, Some(ctx.id.clone()))
        .await
        .map_err(|e| e.to_string())?;
    ctx.supervising.children.push(id.clone());
    Ok(id)
}

fn own_child(ctx: &ActorCtx, child: &str) -> Outcome<()> {
    if ctx.supervising.children.iter().any(|c| c == child) {
        Ok(())
    } else {
        Err(format!(
            "{child} is not a child of this actor (list-children shows them)"
        ))
    }
}

async fn stop_child(ctx: &mut ActorCtx, child: &str) -> Outcome<()> {
    own_child(ctx, child)?;
    ctx.supervising.children.retain(|c| c != child);
    ctx.system()?.stop_quietly(child).await;
    Ok(())
}

async fn restart_child(ctx: &mut ActorCtx, child: &str) -> Outcome<()> {
    own_child(ctx, child)?;
    let system = ctx.system()?;
    let manifest = system.actor(child).map_err(|e| e.to_string())?.manifest;
    attenuation::check(&manifest, &ctx.manifest).map_err(|e| e.to_string())?;
    system.stop_quietly(child).await;
    system
        .restart(child, &format!("restart-child called by {}", ctx.id))
        .await
        .map_err(|e| e.to_string())
}

async fn child_state(ctx: &mut ActorCtx, child: &str) -> Outcome<Option<Vec<u8>>> {
    own_child(ctx, child)?;
    let system = ctx.system()?;
    let handle = system.actor(child).map_err(|e| e.to_string())?.handle;
    let _guard = system.begin_wait(&ctx.id, child)?;
    let limit = std::time::Duration::from_millis(ctx.manifest.limits.request_timeout_ms);
    match tokio::time::timeout(limit, handle.state()).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err(format!(
            "child {child} did not answer within {} ms ([limits] request_timeout_ms)",
            limit.as_millis()
        )),
    }
}

/// The last page of a child's chain, and what to record: `{ok: summary}` or `{err: why}`.
async fn child_events(ctx: &mut ActorCtx, child: &str) -> ((Outcome<Vec<ChainEvent>>,), Value) {
    let page = read_child_page(ctx, child).await;
    let recorded = match &page {
        Ok(events) => map(vec![("ok", PageSummary::of(events).to_value())]),
        Err(e) => map(vec![("err", Value::Text(e.clone()))]),
    };
    ((page.map(|events| to_chain_events(&events)),), recorded)
}

async fn read_child_page(ctx: &mut ActorCtx, child: &str) -> Outcome<Vec<Event>> {
    own_child(ctx, child)?;
    // The child's events reach the database through the same writer as this actor's.
    ctx.chain.flush().await.map_err(|e| e.to_string())?;
    let reader = ctx.system()?.chain_reader().map_err(|e| e.to_string())?;
    let len = reader.len(child).map_err(|e| e.to_string())?;
    chain_page::read_last_page(&reader, child, len).map_err(|e| e.to_string())
}

/// A replay's answer: the page the recorded summary names, read again from the database.
fn reread_child_events(
    ctx: &mut ActorCtx,
    child: &str,
    recorded: Value,
) -> wasmtime::Result<Outcome<Vec<ChainEvent>>> {
    let malformed = || wasmtime::Error::msg("replay: malformed get-child-events record");
    let mut fields = Fields::new(recorded).map_err(|_| malformed())?;
    if let Some(err) = fields.take_opt("err") {
        return Ok(Err(String::from_value(err).map_err(|_| malformed())?));
    }
    let summary = fields
        .take_opt("ok")
        .and_then(PageSummary::from_value)
        .ok_or_else(malformed)?;
    let reader = ctx
        .system()
        .and_then(|s| s.chain_reader().map_err(|e| e.to_string()))
        .map_err(wasmtime::Error::msg)?;
    let events = chain_page::reread(&reader, child, summary).map_err(wasmtime::Error::msg)?;
    Ok(Ok(to_chain_events(&events)))
}

fn to_chain_events(events: &[Event]) -> Vec<ChainEvent> {
    events
        .iter()
        .map(|e| ChainEvent {
            hash: e.hash.to_vec(),
            parent_hash: e.parent.map(|p| p.to_vec()),
            event_type: e.event_type.clone(),
            data: e.payload.clone(),
            timestamp: e.timestamp_ms,
        })
        .collect()
}

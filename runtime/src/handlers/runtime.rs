//! `theater:simple/runtime`: logging, reading one's own chain, and asking to stop.
//! Always granted.

use wasmtime::component::Linker;

use super::{define_async, define_sync, Handler};
use crate::actor::ActorCtx;
use crate::bindings::{Chain, MetaEvent, WitEvent};
use crate::chain::{ChainReader, EventFilter};

const INTERFACE: &str = "theater:simple/runtime";

/// Serves `theater:simple/runtime`.
pub struct RuntimeHandler;

impl Handler for RuntimeHandler {
    fn interface(&self) -> &'static str {
        INTERFACE
    }

    fn link(&self, linker: &mut Linker<ActorCtx>) -> wasmtime::Result<()> {
        let mut inst = linker.instance(INTERFACE)?;
        define_sync(&mut inst, INTERFACE, "log", |ctx, (msg,): (String,)| {
            ctx.emit_log(msg);
            Ok(())
        })?;
        define_async(&mut inst, INTERFACE, "get-chain", |ctx, (): ()| Box::pin(async move { Ok((read_chain(ctx).await,)) }))?;
        define_sync(&mut inst, INTERFACE, "shutdown", |ctx, (data,): (Option<Vec<u8>>,)| {
            ctx.shutdown = Some(data);
            Ok((Ok::<(), String>(()),))
        })?;
        Ok(())
    }
}

/// The actor's chain as the legacy `chain` record: hashes shortened to their first 8 bytes.
async fn read_chain(ctx: &mut ActorCtx) -> Chain {
    let short = |h: &[u8; 32]| u64::from_be_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
    let events = ctx
        .chain
        .flush()
        .await
        .map_err(|e| e.to_string())
        .and_then(|()| ChainReader::open(&ctx.db_path).map_err(|e| e.to_string()))
        .and_then(|r| r.events(&ctx.id, &EventFilter::default()).map_err(|e| e.to_string()));
    match events {
        Ok(events) => Chain {
            events: events
                .iter()
                .map(|e| MetaEvent {
                    hash: short(&e.hash),
                    event: WitEvent { event_type: e.event_type.clone(), parent: e.parent.as_ref().map(short), data: e.payload.clone() },
                })
                .collect(),
        },
        Err(e) => {
            tracing::warn!("get-chain for {}: {e}", ctx.id);
            Chain { events: Vec::new() }
        }
    }
}

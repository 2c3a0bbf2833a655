//! `theater:simple/runtime`: logging, reading one's own chain, and asking to stop.
//! Always granted.
//!
//! Both ends are bounded: a log line longer than `[limits] max_log_line_bytes` is cut and
//! ends with a marker saying so (the chain records the cut line), more than
//! `max_logs_per_sec` lines in a second trap, and `get-chain` answers with a page of the
//! chain while recording only its summary (`chain_page`).

use wasmtime::component::Linker;

use super::{define_summarised, define_sync, define_sync_prepared, Handler};
use crate::actor::{ActorCtx, ShutdownRequest};
use crate::bindings::{Chain, MetaEvent, WitEvent};
use crate::chain::Event;
use crate::chain_page::{self, PageSummary};
use crate::limits::LimitExceeded;

const INTERFACE: &str = "theater:simple/runtime";

/// Serves `theater:simple/runtime`.
pub struct RuntimeHandler;

impl Handler for RuntimeHandler {
    fn interface(&self) -> &'static str {
        INTERFACE
    }

    fn link(&self, linker: &mut Linker<ActorCtx>) -> wasmtime::Result<()> {
        let mut inst = linker.instance(INTERFACE)?;
        define_sync_prepared(
            &mut inst,
            INTERFACE,
            "log",
            |ctx, (msg,): (String,)| (cut_line(msg, ctx.manifest().limits.max_log_line_bytes),),
            |ctx, (msg,): (String,)| {
                let limit = ctx.manifest().limits.max_logs_per_sec;
                if !ctx
                    .boundary
                    .log_rate
                    .admit(limit, std::time::Instant::now())
                {
                    return Err(LimitExceeded {
                        key: "max_logs_per_sec",
                        limit,
                        what: "more log lines in one second".into(),
                    }
                    .into());
                }
                ctx.emit_log(msg);
                Ok(())
            },
        )?;
        define_summarised(
            &mut inst,
            INTERFACE,
            "get-chain",
            |ctx, (): ()| Box::pin(async move { Ok(read_chain(ctx).await) }),
            |ctx, (): (), recorded| {
                let summary = PageSummary::from_value(recorded)
                    .ok_or_else(|| wasmtime::Error::msg("replay: malformed get-chain summary"))?;
                let page = ctx.recorded_page(summary).map_err(wasmtime::Error::msg)?;
                Ok((to_chain(&page),))
            },
        )?;
        define_sync(
            &mut inst,
            INTERFACE,
            "shutdown",
            |ctx, (data,): (Option<Vec<u8>>,)| {
                ctx.shutdown = Some(ShutdownRequest { data });
                Ok((Ok::<(), String>(()),))
            },
        )?;
        Ok(())
    }
}

/// `line` cut to at most `limit` bytes (at a character boundary) followed by a marker
/// naming its full length, if it is longer.
pub(crate) fn cut_line(line: String, limit: u64) -> String {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if line.len() <= limit {
        return line;
    }
    let mut end = limit;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{}", &line[..end], cut_marker(line.len(), limit))
}

/// What ends a cut log line.
pub(crate) fn cut_marker(full_len: usize, limit: usize) -> String {
    format!(" …[log line cut: {full_len} bytes, limit {limit} ([limits] max_log_line_bytes)]")
}

/// The last page of the actor's own chain (everything recorded before this call), with
/// the summary to record. A chain that cannot be read answers empty (and says so in the
/// host's log): the guest asked for its history, not for the right to fail.
async fn read_chain(ctx: &mut ActorCtx) -> ((Chain,), ciborium::value::Value) {
    let len = ctx.chain.len();
    let page = match ctx.chain.flush().await {
        Ok(()) => ctx.system().and_then(|system| {
            system
                .chain_reader()
                .and_then(|r| chain_page::read_last_page(&r, &ctx.id, len))
                .map_err(|e| e.to_string())
        }),
        Err(e) => Err(e.to_string()),
    };
    let page = page.unwrap_or_else(|e| {
        tracing::warn!("get-chain for {}: {e}", ctx.id);
        Vec::new()
    });
    ((to_chain(&page),), PageSummary::of(&page).to_value())
}

/// Events as the legacy `chain` record: hashes shortened to their first 8 bytes.
fn to_chain(events: &[Event]) -> Chain {
    let short = |h: &[u8; 32]| u64::from_be_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
    Chain {
        events: events
            .iter()
            .map(|e| MetaEvent {
                hash: short(&e.hash),
                event: WitEvent {
                    event_type: e.event_type.clone(),
                    parent: e.parent.as_ref().map(short),
                    data: e.payload.clone(),
                },
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_at_a_character_boundary_with_a_marker() {
        assert_eq!(cut_line("short".into(), 64), "short");
        let cut = cut_line("é".repeat(100), 65);
        assert!(cut.starts_with(&"é".repeat(32)), "{cut}");
        assert!(cut.ends_with(&cut_marker(200, 65)), "{cut}");
        assert_eq!(cut.len(), 64 + cut_marker(200, 65).len());
    }
}

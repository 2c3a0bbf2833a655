//! `theater:simple/timing`: the wall clock (milliseconds since the Unix epoch) and sleeping.
//!
//! A sleep suspends only the sleeping actor: the host function awaits a tokio timer, so its
//! task yields and every other actor keeps running. The wait does not count against the
//! actor's `call_timeout_ms` (see `define_async`). The manifest's `max_sleep_ms` bounds one
//! wait; a longer `sleep` or a `deadline` further away is refused with an `err`.

use std::time::Duration;

use wasmtime::component::Linker;

use super::{define_async, define_sync, Handler};
use crate::actor::ActorCtx;
use crate::chain::now_ms;
use crate::manifest::{HandlerConfig, Manifest, DEFAULT_MAX_SLEEP_MS};

const INTERFACE: &str = "theater:simple/timing";

/// Serves `theater:simple/timing`.
pub struct TimingHandler;

impl Handler for TimingHandler {
    fn interface(&self) -> &'static str {
        INTERFACE
    }

    fn link(&self, linker: &mut Linker<ActorCtx>) -> wasmtime::Result<()> {
        let mut inst = linker.instance(INTERFACE)?;
        define_sync(&mut inst, INTERFACE, "now", |_ctx, (): ()| Ok((now_ms(),)))?;
        define_async(&mut inst, INTERFACE, "sleep", |ctx, (duration,): (u64,)| {
            let wait = check_wait(ctx.manifest(), duration, "sleep");
            Box::pin(async move { Ok((sleep(wait).await,)) })
        })?;
        define_async(
            &mut inst,
            INTERFACE,
            "deadline",
            |ctx, (timestamp,): (u64,)| {
                let wait = check_wait(
                    ctx.manifest(),
                    timestamp.saturating_sub(now_ms()),
                    "wait until the deadline",
                );
                Box::pin(async move { Ok((sleep(wait).await,)) })
            },
        )?;
        Ok(())
    }
}

/// The longest wait the actor's manifest allows.
fn max_sleep_ms(manifest: &Manifest) -> u64 {
    match manifest.handler("timing") {
        Some(HandlerConfig::Timing { max_sleep_ms }) => *max_sleep_ms,
        _ => DEFAULT_MAX_SLEEP_MS,
    }
}

/// `wait_ms` if the manifest allows a wait that long, else the refusal the guest sees.
fn check_wait(manifest: &Manifest, wait_ms: u64, what: &str) -> Result<u64, String> {
    let max = max_sleep_ms(manifest);
    if wait_ms > max {
        Err(format!(
            "{what} of {wait_ms} ms refused: longer than this actor's max_sleep_ms of {max} ms \
             (raise it with [[handler]] type = \"timing\" max_sleep_ms = ...)"
        ))
    } else {
        Ok(wait_ms)
    }
}

async fn sleep(wait: Result<u64, String>) -> Result<(), String> {
    tokio::time::sleep(Duration::from_millis(wait?)).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(handlers: &str) -> Manifest {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.wasm"), b"\0asm").unwrap();
        Manifest::parse(
            &format!("name = \"a\"\nversion = \"1\"\ncomponent = \"a.wasm\"\n{handlers}"),
            dir.path(),
            "m.toml",
        )
        .unwrap()
    }

    #[test]
    fn waits_up_to_max_sleep_ms_are_allowed_and_longer_ones_refused() {
        let m = manifest("[[handler]]\ntype = \"timing\"\nmax_sleep_ms = 100\n");
        assert_eq!(check_wait(&m, 100, "sleep"), Ok(100));
        let e = check_wait(&m, 101, "sleep").unwrap_err();
        assert!(
            e.contains("101 ms") && e.contains("max_sleep_ms of 100 ms"),
            "{e}"
        );
    }

    #[test]
    fn default_limit_applies_without_the_option() {
        let m = manifest("[[handler]]\ntype = \"timing\"\n");
        assert_eq!(max_sleep_ms(&m), DEFAULT_MAX_SLEEP_MS);
    }
}

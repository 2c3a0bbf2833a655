//! What every section needs: a fresh async runtime, a Theater whose actor logs are discarded,
//! manifests for the fixture actors, and the process's memory as the kernel counts it.

use std::collections::VecDeque;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use theater_e2e::{fixtures, Scratch};
use theater_runtime::actor::Envelope;
use theater_runtime::manifest::DEFAULT_MAILBOX;
use theater_runtime::{ActorHandle, Manifest, Theater, TheaterConfig};
use tokio::sync::oneshot;

/// Set (to a role) in the environment of the harness re-running itself as a child process:
/// as the `theater` command (`chain::CLI_ROLE`) or to measure memory (`memory::CHILD_ROLE`).
pub const CHILD_ENV: &str = "THEATER_BENCH_CHILD";

/// Grants for `raw-peer`, which imports the message server and the supervisor.
pub const PEER_GRANTS: &str =
    "[[handler]]\ntype = \"message-server\"\n[[handler]]\ntype = \"supervisor\"\n";

/// Run `f` on a multi-threaded runtime with one worker per core (what `theater server` uses),
/// then shut the runtime down, dropping whatever actors still run, and wait for that, so no
/// section's actors linger into the next measurement (or its memory into the next baseline).
pub fn block_on<F: Future>(f: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("build a tokio runtime");
    let out = runtime.block_on(f);
    runtime.shutdown_timeout(Duration::from_secs(30));
    out
}

/// A Theater on `home` whose pool has room for `max_actors`.
pub fn theater(home: &Path, max_actors: u32) -> Theater {
    let mut config = TheaterConfig::new(Some(home.to_path_buf()));
    config.engine.max_actors = max_actors;
    config.logs = Arc::new(|_| {});
    Theater::new(config).expect("start a Theater in the bench's scratch directory")
}

/// A manifest running fixture `name` (built from tests/actors) with `grants` appended.
pub fn manifest(scratch: &Scratch, name: &str, grants: &str) -> Manifest {
    let path = scratch.manifest(name, &fixtures().component(name), grants);
    Manifest::load(&path).expect("the bench's manifest is valid")
}

/// Sends per window of [`sends`]: two windows fill the default mailbox.
const WINDOW: u64 = DEFAULT_MAILBOX as u64 / 2;

/// Deliver `n` sends of `inc` to `handle`'s actor and wait until all are handled. The last
/// send of each window of `WINDOW` carries a completion, and the next window is delivered
/// once the one before the last is complete, so the mailbox never fills: what is measured
/// is the actor handling messages, not a driver parked on a full mailbox and woken for
/// every freed slot (docs/PERFORMANCE.md shows what that costs).
pub async fn sends(handle: &ActorHandle, n: u64) {
    let mut windows = VecDeque::new();
    let mut sent = 0;
    while sent < n {
        if windows.len() == 2 {
            if let Some(oldest) = windows.pop_front() {
                handled(oldest).await;
            }
        }
        let size = WINDOW.min(n - sent);
        for i in 1..=size {
            let done = (i == size).then(|| {
                let (tx, rx) = oneshot::channel();
                windows.push_back(rx);
                tx
            });
            handle
                .try_deliver(Envelope::Send {
                    msg: b"inc".to_vec(),
                    cause: None,
                    done,
                })
                .expect("two windows fit the mailbox");
        }
        sent += size;
    }
    for window in windows {
        handled(window).await;
    }
}

async fn handled(window: oneshot::Receiver<Result<(), theater_runtime::CallError>>) {
    window
        .await
        .expect("the actor is running")
        .expect("the actor handled the send");
}

/// The fixture component's bytes.
pub fn component_bytes(name: &str) -> Vec<u8> {
    let path = fixtures().component(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Resident and virtual size of a process in bytes.
pub struct Memory {
    pub resident: u64,
    pub virtual_size: u64,
}

/// This process's memory now, from `/proc/self/statm` (which counts pages).
pub fn memory() -> Memory {
    let statm =
        std::fs::read_to_string("/proc/self/statm").expect("read /proc/self/statm (Linux only)");
    let mut pages = statm
        .split_whitespace()
        .map(|f| f.parse::<u64>().expect("statm holds page counts"));
    let mut next = || pages.next().expect("statm has size and resident fields");
    let (size, resident) = (next(), next());
    // SAFETY: sysconf only reads a system constant.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
    Memory {
        resident: resident * page,
        virtual_size: size * page,
    }
}

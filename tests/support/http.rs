//! For the `http-framework` tests: manifests of the `raw-http` fixture, a `theater run`
//! process serving it (its address read from what it prints), and the checks every test
//! ends with — the chain verifies and replays hash for hash.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::{fixtures, texts, Scratch};

/// Write `name.toml` running `raw-http`: `extra` TOML (top-level keys first, then tables such
/// as `[limits]`), then the `http-framework` grant with `options` (TOML lines).
pub fn http_manifest(s: &Scratch, name: &str, options: &str, extra: &str) -> PathBuf {
    s.manifest(
        name,
        &fixtures().component("raw-http"),
        &format!("{extra}\n[[handler]]\ntype = \"http-framework\"\n{options}\n"),
    )
}

/// Write `name.toml` running `raw-http` in the original Theater's manifest format, with its
/// `handlers` (e.g. [`UPSTREAM_INLINE`] or [`UPSTREAM_OLDER`]).
pub fn upstream_http_manifest(s: &Scratch, name: &str, handlers: &str) -> PathBuf {
    let component = s.component(&fixtures().component("raw-http"));
    let text = format!(
        "name = \"{name}\"\nversion = \"0.1.0\"\ndescription = \"Serves HTTP and a WebSocket echo\"\ncomponent_path = \"{component}\"\nsave_chain = true\n\n[interface]\nimplements = \"theater:simple/actor\"\nrequires = []\n\n{handlers}"
    );
    s.file(&format!("{name}.toml"), text)
}

/// The original's `[[handler]]` form granting `runtime` and `http-framework`.
pub const UPSTREAM_INLINE: &str =
    "[[handler]]\ntype = \"runtime\"\n\n[[handler]]\ntype = \"http-framework\"\n";

/// The original's older `[[handlers]]` + `config` form granting the same.
pub const UPSTREAM_OLDER: &str = "[[handlers]]\ntype = \"runtime\"\nconfig = {}\n\n[[handlers]]\ntype = \"http-framework\"\n[handlers.config]\n";

/// `theater run` serving an actor; killed when dropped.
pub struct RunProc {
    child: Child,
    stderr: PathBuf,
    /// The actor's id and the address its server listens on.
    pub id: String,
    pub addr: SocketAddr,
}

impl RunProc {
    /// `theater run MANIFEST ARGS`, once it says where the actor listens.
    pub fn start(s: &Scratch, manifest: &Path, args: &[&str]) -> RunProc {
        let stderr = s.path().join(format!(
            "run-{}.err",
            manifest
                .file_stem()
                .and_then(|n| n.to_str())
                .unwrap_or("actor")
        ));
        let log = std::fs::File::create(&stderr).expect("run log");
        let child = s
            .theater()
            .arg("run")
            .arg(manifest)
            .args(args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start theater run");
        let mut run = RunProc {
            child,
            stderr,
            id: String::new(),
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let log = run.log();
            // "actor ID listens on ADDR (server N); Ctrl-C to stop it"
            let listens = log.lines().find_map(|l| {
                let rest = l.strip_prefix("actor ")?;
                let (id, rest) = rest.split_once(" listens on ")?;
                let addr = rest.split_once(' ')?.0.parse().ok()?;
                Some((id.to_string(), addr))
            });
            if let Some((id, addr)) = listens {
                run.id = id;
                run.addr = addr;
                return run;
            }
            if let Ok(Some(status)) = run.child.try_wait() {
                panic!("theater run exited ({status}) before listening:\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "theater run did not listen in time:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// `http://ADDR` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL: the process ends at once, whatever it was writing.
    pub fn kill(&mut self) -> ExitStatus {
        let _ = self.child.kill();
        self.wait()
    }

    /// SIGTERM, then wait (at most 30 s) for it to stop the actor and exit.
    pub fn stop(&mut self) -> ExitStatus {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.wait()
    }

    /// Wait (at most 30 s) for the process to exit.
    pub fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for theater run") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "theater run did not exit:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for RunProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Assert that actor `id`'s chain (in `s`'s data directory) verifies and replays identically;
/// the number of events.
pub fn assert_verifies_and_replays(s: &Scratch, id: &str) -> u64 {
    let out = s.run(&["verify", id]);
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "verify {id}: {stdout}{stderr}");
    let out = s.run(&["replay", id, "--json"]);
    let (stdout, stderr) = texts(&out);
    let report: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("replay {id} --json is not JSON ({e}): {stdout}{stderr}"));
    assert_eq!(
        report["divergence"],
        serde_json::Value::Null,
        "replay {id}: {report}"
    );
    assert_eq!(
        report["identical"], report["recorded"],
        "replay {id}: {report}"
    );
    report["identical"].as_u64().unwrap_or_default()
}

/// The listening port is free again: something else can bind it.
pub fn port_is_free(addr: SocketAddr) -> bool {
    std::net::TcpListener::bind(addr).is_ok()
}

/// Poll `check` until it holds, at most `limit`.
pub fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    check()
}

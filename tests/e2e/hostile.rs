//! The sandbox against a hostile actor: one test per attack of issue 13. Each runs the
//! real `hostile` fixture (tests/actors/hostile) — or `raw-caps` for the capability budgets
//! — in a real runtime, and asserts three things: the attack is refused or contained with
//! an error that names what was refused; the host and an unrelated actor still work; every
//! chain in the database still verifies.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use theater_e2e::{assert_clean_failure, chains, fixtures, Scratch};
use theater_runtime::chain::verify::verify_links;
use theater_runtime::chain::{ChainReader, Event, EventFilter};
use theater_runtime::{ActorStatus, Manifest, RuntimeError, Theater, TheaterConfig};

const SUPERVISOR: &str = "[[handler]]\ntype = \"supervisor\"\n";

/// A runtime of its own, with a bystander actor that must keep working whatever happens.
struct Host {
    s: Scratch,
    theater: Theater,
    bystander: String,
    /// Bytes of log text delivered to the log sink, and the longest line.
    log_bytes: Arc<AtomicUsize>,
    longest_line: Arc<AtomicUsize>,
    /// One host at a time, so each test's RSS figures are its own.
    _serial: std::sync::MutexGuard<'static, ()>,
}

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Host {
    async fn new() -> Host {
        Host::with(|_| {}).await
    }

    // The std lock serialises these tests, each held for a whole test; nothing else takes it.
    #[allow(clippy::await_holding_lock)]
    async fn with(configure: impl FnOnce(&mut TheaterConfig)) -> Host {
        let serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        let s = Scratch::new();
        let mut config = TheaterConfig::new(Some(s.home()));
        let (log_bytes, longest_line) =
            (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (bytes, longest) = (log_bytes.clone(), longest_line.clone());
        config.logs = Arc::new(move |line| {
            bytes.fetch_add(line.message.len(), Ordering::Relaxed);
            longest.fetch_max(line.message.len(), Ordering::Relaxed);
        });
        configure(&mut config);
        let theater = Theater::new(config).unwrap();
        let m = s.manifest("bystander", &fixtures().component("raw-counter"), "");
        let bystander = theater
            .spawn(Manifest::load(&m).unwrap(), None, None)
            .await
            .unwrap();
        std::fs::create_dir_all(s.path().join("data/inner")).unwrap();
        Host {
            s,
            theater,
            bystander,
            log_bytes,
            longest_line,
            _serial: serial,
        }
    }

    /// Start a top-level `hostile` actor with `extra` manifest TOML (the `supervisor` grant,
    /// which the fixture imports, is added).
    async fn hostile(&self, name: &str, extra: &str) -> String {
        let m = self.s.manifest(
            name,
            &fixtures().component("hostile"),
            &format!("{extra}\n{SUPERVISOR}"),
        );
        self.theater
            .spawn(Manifest::load(&m).unwrap(), None, None)
            .await
            .unwrap()
    }

    async fn ask(&self, id: &str, msg: &str) -> String {
        chains::ask(&self.theater, id, msg).await
    }

    /// A child manifest for the hostile component, as inline TOML (with the `supervisor` grant).
    fn child(&self, name: &str, extra: &str) -> String {
        let component = self.s.component(&fixtures().component("hostile"));
        format!("name = \"{name}\"\nversion = \"0.1.0\"\ncomponent = \"{component}\"\n{extra}\n{SUPERVISOR}")
    }

    fn events(&self, id: &str) -> Vec<Event> {
        chains::events(&self.theater, id)
    }

    fn event_types(&self, id: &str) -> Vec<String> {
        self.events(id).into_iter().map(|e| e.event_type).collect()
    }

    /// The host lives on: the bystander answers, a new actor starts and answers, and every
    /// chain in the database verifies.
    async fn assert_alive_and_verified(&self) {
        self.theater
            .send(&self.bystander, b"inc".to_vec())
            .await
            .expect("the bystander still takes messages");
        let m = self
            .s
            .manifest("newcomer", &fixtures().component("raw-counter"), "");
        let newcomer = self
            .theater
            .spawn(Manifest::load(&m).unwrap(), None, None)
            .await
            .expect("a new actor still starts");
        self.theater
            .send(&newcomer, b"inc".to_vec())
            .await
            .expect("the new actor takes messages");
        self.theater.db().sink().flush().unwrap();
        let reader = ChainReader::open(self.theater.db().path()).unwrap();
        for actor in reader.actors().unwrap() {
            let events = reader
                .events(&actor.actor_id, &EventFilter::default())
                .unwrap();
            verify_links(&events).unwrap_or_else(|e| {
                panic!(
                    "the chain of {} ({}) does not verify: {e}",
                    actor.name, actor.actor_id
                )
            });
        }
    }

    /// Replay an actor's chain from the database and require it identical.
    async fn assert_replays(&self, id: &str) {
        chains::assert_replays(&self.theater, id).await
    }

    async fn wait_until(&self, what: &str, done: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// `raw-caps` grants, with `[limits]` lines and `environment` options.
fn caps_manifest(limits: &str, env: &str) -> String {
    format!(
        "[limits]\n{limits}\n{}",
        theater_e2e::caps::caps_grants(&[("environment", env)])
    )
}

/// This process's resident memory in KiB (Linux).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The parent every attenuation test spawns from: it holds a little of everything.
const PARENT_GRANTS: &str = "[limits]\nmemory_mb = 32\n\
    [[handler]]\ntype = \"filesystem\"\nroot = \"data\"\n\
    [[handler]]\ntype = \"environment\"\nallow_prefixes = [\"APP_\"]\n\
    [[handler]]\ntype = \"http-client\"\nallow_hosts = [\"127.0.0.1:8080\"]\n";

/// Spawn a child asking for `grant` both inline and from a manifest file named by its
/// absolute path; both must be refused naming `widened` and the parent's value.
async fn assert_widening_refused(grant: &str, widened: &str, parent_value: &str) {
    let h = Host::new().await;
    let parent = h.hostile("parent", PARENT_GRANTS).await;
    // Within the parent's grants: accepted (so the refusals below are about the grant).
    let fine = h
        .ask(
            &parent,
            &format!(
                "spawn {}",
                h.child(
                    "fine",
                    "[[handler]]\ntype = \"filesystem\"\nroot = \"data/inner\"\n"
                )
            ),
        )
        .await;
    assert!(!fine.starts_with("error"), "{fine}");
    let inline = h
        .ask(&parent, &format!("spawn {}", h.child("greedy", grant)))
        .await;
    let file = h.s.file("greedy.toml", h.child("greedy", grant));
    let by_path = h.ask(&parent, &format!("spawn {}", file.display())).await;
    for refusal in [&inline, &by_path] {
        assert!(
            refusal.starts_with("error: ")
                && refusal.contains("asks for more than its parent holds"),
            "{refusal}"
        );
        assert!(
            refusal.contains(widened) && refusal.contains(parent_value),
            "expected {widened} / {parent_value} in: {refusal}"
        );
    }
    assert_eq!(
        h.ask(&parent, "children").await.split(',').count(),
        1,
        "only the fine child was spawned"
    );
    h.assert_alive_and_verified().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawning_a_child_with_a_wider_filesystem_root_is_refused() {
    assert_widening_refused(
        "[[handler]]\ntype = \"filesystem\"\nroot = \"/\"\n",
        "type = \"filesystem\" root",
        "/data",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawning_a_child_with_a_wider_environment_prefix_is_refused() {
    assert_widening_refused(
        "[[handler]]\ntype = \"environment\"\nallow_prefixes = [\"\"]\n",
        "type = \"environment\" allow_prefixes: the child asks for \"\"",
        "allow_prefixes = [\"APP_\"]",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawning_a_child_with_another_http_host_is_refused() {
    assert_widening_refused(
        "[[handler]]\ntype = \"http-client\"\nallow_hosts = [\"169.254.169.254\"]\n",
        "type = \"http-client\" allow_hosts: the child asks for \"169.254.169.254\"",
        "[\"127.0.0.1:8080\"]",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawning_a_child_with_a_larger_memory_limit_is_refused() {
    assert_widening_refused(
        "[limits]\nmemory_mb = 1024\n",
        "[limits] memory_mb: the child asks for 1024",
        "the parent has 32",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawning_a_child_with_a_handler_type_the_parent_lacks_is_refused() {
    assert_widening_refused(
        "[[handler]]\ntype = \"store\"\n",
        "[[handler]] type = \"store\"",
        "no such handler",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_with_an_upstream_manifest_reaching_any_host_is_refused() {
    // The original format's bare http-client means any host: more than the parent holds.
    assert_widening_refused(
        "description = \"upstream\"\n[[handler]]\ntype = \"http-client\"\n",
        "type = \"http-client\" allow_hosts: the child asks for \"*\"",
        "[\"127.0.0.1:8080\"]",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_with_an_upstream_filesystem_path_escaping_the_parents_root_is_refused() {
    // A child's relative `path` resolves against its manifest's directory, never the
    // process's working directory, and must stay inside the parent's root.
    assert_widening_refused(
        "[[handler]]\ntype = \"filesystem\"\npath = \"data/../..\"\n",
        "type = \"filesystem\" root",
        "/data",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_with_an_upstream_environment_seeing_everything_is_refused() {
    assert_widening_refused(
        "[[handler]]\ntype = \"environment\"\ndenied_vars = [\"HOME\"]\n",
        "type = \"environment\" allow_prefixes: the child asks for \"\"",
        "allow_prefixes = [\"APP_\"]",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_manifests_escaping_the_parents_directory_are_refused() {
    let h = Host::new().await;
    let parent = h.hostile("parent", "").await;
    let outside = tempfile::tempdir().unwrap();
    let escaped = h.child("escaped", "").replace(
        "components/",
        &format!("{}/components/", h.s.path().display()),
    );
    std::fs::write(outside.path().join("child.toml"), &escaped).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("child.toml"),
        h.s.path().join("link.toml"),
    )
    .unwrap();
    std::fs::create_dir_all(h.s.path().join("sub")).unwrap();
    let dotdot = format!(
        "sub/../../{}/child.toml",
        outside.path().file_name().unwrap().to_string_lossy()
    );
    // The scratch and the outside dir are siblings under the temp dir, so `..` reaches it.
    assert_eq!(outside.path().parent(), h.s.path().parent());
    for spec in [
        dotdot,
        "link.toml".to_string(),
        outside.path().join("child.toml").display().to_string(),
    ] {
        let refusal = h.ask(&parent, &format!("spawn {spec}")).await;
        assert!(
            refusal.contains("resolves outside") && refusal.contains("parent's manifest directory"),
            "{spec}: {refusal}"
        );
    }
    // A child manifest inside whose component lies outside is refused the same way.
    let component_out = h.child("c", "").replace(
        "components/hostile.wasm",
        &fixtures().component("hostile").display().to_string(),
    );
    let refusal = h.ask(&parent, &format!("spawn {component_out}")).await;
    assert!(refusal.contains("resolves outside"), "{refusal}");
    assert_eq!(h.ask(&parent, "children").await, "");
    h.assert_alive_and_verified().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inline_child_with_init_state_etc_passwd_is_refused() {
    let h = Host::new().await;
    let parent = h.hostile("parent", "").await;
    for path in [
        "/etc/passwd",
        "../../../../../../etc/passwd",
        "/proc/self/environ",
    ] {
        let refusal = h
            .ask(
                &parent,
                &format!(
                    "spawn {}",
                    h.child("thief", &format!("init_state = \"{path}\"\n"))
                ),
            )
            .await;
        assert!(
            refusal.starts_with("error: ") && refusal.contains("resolves outside"),
            "{path}: {refusal}"
        );
        assert!(
            !refusal.contains("root:x:0"),
            "no file content leaks into the error"
        );
    }
    assert_eq!(h.ask(&parent, "children").await, "");
    h.assert_alive_and_verified().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_path_of_dev_zero_or_a_fifo_is_refused_at_once() {
    let h = Host::new().await;
    let fifo = h.s.path().join("fifo.toml");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let before = rss_kib();
    let started = Instant::now();
    for path in [Path::new("/dev/zero"), fifo.as_path(), h.s.path()] {
        let e = Manifest::load(path).unwrap_err().to_string();
        assert!(
            e.contains("is not a regular file"),
            "{}: {e}",
            path.display()
        );
    }
    // The same through a supervisor (the FIFO lies inside the parent's directory).
    let parent = h.hostile("parent", "").await;
    let refusal = h.ask(&parent, "spawn fifo.toml").await;
    assert!(
        refusal.contains("a FIFO") && refusal.contains("not a regular file"),
        "{refusal}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "refused at once, not read: {:?}",
        started.elapsed()
    );
    let grown = rss_kib().saturating_sub(before);
    assert!(
        grown < 64 << 10,
        "host RSS grew by {grown} KiB reading nothing (bound: 64 MiB)"
    );
    // And through the CLI.
    let out = h.s.run(&["run", "/dev/zero"]);
    assert!(assert_clean_failure(&out).contains("not a regular file"));
    h.assert_alive_and_verified().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_spawning_in_a_loop_stops_at_its_limits_and_other_trees_still_spawn() {
    let h = Host::new().await;
    // Children per actor.
    let looper = h.hostile("looper", "[limits]\nmax_children = 10\n").await;
    let reply = h
        .ask(
            &looper,
            &format!("spawn-loop 50 {}", h.child("spawnling", "")),
        )
        .await;
    assert!(
        reply.starts_with("spawned 10; error: ") && reply.contains("max_children = 10"),
        "{reply}"
    );
    // Actors per tree: a child of a tree limited to 6 actors stops at the tree's limit.
    let root = h.hostile("root", "[limits]\nmax_tree_actors = 6\n").await;
    let middle = h
        .ask(&root, &format!("spawn {}", h.child("middle", "")))
        .await;
    assert!(!middle.starts_with("error"), "{middle}");
    let reply = h
        .ask(&middle, &format!("spawn-loop 50 {}", h.child("leaf", "")))
        .await;
    assert!(
        reply.starts_with("spawned 4; error: ") && reply.contains("max_tree_actors = 6"),
        "{reply}"
    );
    // Another tree still spawns.
    let other = h.hostile("other", "").await;
    let child = h
        .ask(&other, &format!("spawn {}", h.child("fresh", "")))
        .await;
    assert!(!child.starts_with("error"), "{child}");
    h.assert_alive_and_verified().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runtime_actor_cap_refuses_spawns_past_it_with_a_clear_error() {
    let h = Host::with(|c| c.engine.max_actors = 6).await;
    let looper = h.hostile("looper", "").await;
    // The bystander and the looper run: four more fit.
    let reply = h
        .ask(
            &looper,
            &format!("spawn-loop 50 {}", h.child("spawnling", "")),
        )
        .await;
    assert!(
        reply.starts_with("spawned 4; error: ") && reply.contains("max_actors"),
        "{reply}"
    );
    let m =
        h.s.manifest("late", &fixtures().component("raw-counter"), "");
    match h
        .theater
        .spawn(Manifest::load(&m).unwrap(), None, None)
        .await
    {
        Err(e @ RuntimeError::TooManyActors { .. }) => {
            assert!(e.to_string().contains("6 actors are running"), "{e}")
        }
        other => panic!(
            "expected TooManyActors, got {:?}",
            other.map_err(|e| e.to_string())
        ),
    }
    // Room again once the looper's tree stops.
    h.theater.stop(&looper).await.unwrap();
    h.assert_alive_and_verified().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn theater_variables_are_invisible_through_any_prefix() {
    // SAFETY of the test: only this test in this binary reads the environment.
    std::env::set_var("THEATER_TOKEN", "secret-token-of-the-host");
    let h = Host::new().await;
    let caps = |name: &str, env: &str| {
        let m = h.s.manifest(
            name,
            &fixtures().component("raw-caps"),
            &caps_manifest("", env),
        );
        let theater = h.theater.clone();
        async move {
            theater
                .spawn(Manifest::load(&m).unwrap(), None, None)
                .await
                .unwrap()
        }
    };
    let greedy = caps("greedy", "allow_prefixes = [\"\", \"THEATER_\"]\n").await;
    assert_eq!(h.ask(&greedy, "env.get-var THEATER_TOKEN").await, "ok none");
    assert_eq!(h.ask(&greedy, "env.exists THEATER_TOKEN").await, "ok false");
    let listed = h.ask(&greedy, "env.list-vars").await;
    assert!(
        listed.contains("PATH=")
            && !listed.contains("THEATER_")
            && !listed.contains("secret-token"),
        "{listed}"
    );
    // Named in full, it is visible: the refusal above is the prefix rule, not a broken handler.
    let named = caps("named", "allow = [\"THEATER_TOKEN\"]\n").await;
    assert_eq!(
        h.ask(&named, "env.get-var THEATER_TOKEN").await,
        "ok some secret-token-of-the-host"
    );
    h.assert_alive_and_verified().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_huge_log_lines_is_cut_and_host_memory_stays_bounded() {
    let h = Host::new().await;
    let flooder = h.hostile("flooder", "").await;
    let before = rss_kib();
    // 200 lines of 10 MiB each: 2 GiB of log text asked for.
    assert_eq!(
        h.ask(&flooder, &format!("log 200 {}", 10 << 20)).await,
        "logged"
    );
    let grown = rss_kib().saturating_sub(before);
    assert!(
        grown < 256 << 10,
        "host RSS grew by {grown} KiB (bound: 256 MiB for 2 GiB of log text)"
    );
    let longest = h.longest_line.load(Ordering::Relaxed);
    assert!(
        longest < (16 << 10) + 200,
        "a delivered line was {longest} bytes"
    );
    assert!(h.log_bytes.load(Ordering::Relaxed) < 200 * ((16 << 10) + 200));
    // The chain holds the cut lines, each marked as cut: linear in the calls, not the text.
    let logs: Vec<Event> = h
        .events(&flooder)
        .into_iter()
        .filter(|e| e.event_type == "theater:simple/runtime/log")
        .collect();
    assert_eq!(logs.len(), 200);
    assert!(
        logs.iter().all(|e| e.payload.len() < (16 << 10) + 512),
        "an event kept more than the cut line"
    );
    assert!(String::from_utf8_lossy(&logs[0].payload).contains("log line cut: 10485760 bytes"));
    let chain_bytes: usize = h.events(&flooder).iter().map(|e| e.payload.len()).sum();
    assert!(
        chain_bytes < 4 << 20,
        "the chain holds {chain_bytes} bytes for 200 log calls"
    );
    h.assert_replays(&flooder).await;
    h.assert_alive_and_verified().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_get_chain_calls_record_only_summaries() {
    let h = Host::new().await;
    let reader = h
        .hostile("reader", "[limits]\ncall_timeout_ms = 120000\n")
        .await;
    let child = h
        .ask(
            &reader,
            &format!(
                "spawn {}",
                h.child("watched", "[limits]\ncall_timeout_ms = 120000\n")
            ),
        )
        .await;
    let before = rss_kib();
    let answered: usize = h.ask(&reader, "get-chain 10000").await.parse().unwrap();
    assert_eq!(
        answered as u64,
        theater_runtime::chain_page::PAGE_EVENTS,
        "the answer is one page"
    );
    let child_answered: usize = h
        .ask(&reader, &format!("child-events {child} 100"))
        .await
        .parse()
        .unwrap();
    assert!(child_answered > 0);
    let grown = rss_kib().saturating_sub(before);
    assert!(
        grown < 256 << 10,
        "host RSS grew by {grown} KiB (bound: 256 MiB)"
    );
    let events = h.events(&reader);
    let calls = events
        .iter()
        .filter(|e| e.event_type == "theater:simple/runtime/get-chain")
        .count();
    assert_eq!(calls, 10_000);
    // Linear: each get-chain event is a small summary, whatever the chain's length.
    let largest = events
        .iter()
        .filter(|e| {
            e.event_type.ends_with("/get-chain") || e.event_type.ends_with("/get-child-events")
        })
        .map(|e| e.payload.len())
        .max();
    assert!(
        largest.is_some_and(|n| n < 256),
        "largest summary event: {largest:?} bytes"
    );
    let total: usize = events.iter().map(|e| e.payload.len()).sum();
    assert!(
        total < 10_100 * 256,
        "the chain holds {total} bytes for 10,100 reads"
    );
    h.assert_replays(&reader).await;
    h.assert_alive_and_verified().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_and_size_limits_trap_the_call_and_replay_the_same() {
    let h = Host::new().await;
    let chatty = h
        .hostile("chatty", "[limits]\nmax_logs_per_sec = 50\n")
        .await;
    let reply = h.ask(&chatty, "log 100 10").await;
    assert!(
        reply.contains("max_logs_per_sec") && reply.contains("the actor failed"),
        "{reply}"
    );
    let status = h.theater.actor(&chatty).unwrap().handle.wait().await;
    assert!(
        matches!(&status, ActorStatus::Failed(r) if r.contains("max_logs_per_sec")),
        "{status:?}"
    );
    h.assert_replays(&chatty).await;

    let busy = h
        .hostile("busy", "[limits]\nmax_events_per_sec = 20\n")
        .await;
    let reply = h.ask(&busy, "get-chain 100").await;
    assert!(reply.contains("max_events_per_sec"), "{reply}");
    h.assert_replays(&busy).await;

    let caps = h.s.manifest(
        "big",
        &fixtures().component("raw-caps"),
        &caps_manifest("max_event_bytes = 1024", ""),
    );
    let big = h
        .theater
        .spawn(Manifest::load(&caps).unwrap(), None, None)
        .await
        .unwrap();
    let store = h.ask(&big, "store.new").await;
    let store = store
        .strip_prefix("ok ")
        .unwrap_or_else(|| panic!("{store}"));
    let reply = h
        .ask(&big, &format!("store.store {store} {}", "y".repeat(4096)))
        .await;
    assert!(reply.contains("max_event_bytes"), "{reply}");
    let refused = h
        .events(&big)
        .into_iter()
        .rfind(|e| e.event_type == "theater:simple/store/store")
        .unwrap();
    assert!(
        refused.payload.len() < 512,
        "the refusal records a digest, not the {} byte parameters",
        4096
    );
    h.assert_replays(&big).await;
    h.assert_alive_and_verified().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_and_filesystem_byte_budgets_refuse_past_their_limit() {
    let h = Host::new().await;
    let extra = caps_manifest("max_store_bytes = 100\nmax_fs_bytes_written = 100", "");
    let m =
        h.s.manifest("hoarder", &fixtures().component("raw-caps"), &extra);
    let hoarder = h
        .theater
        .spawn(Manifest::load(&m).unwrap(), None, None)
        .await
        .unwrap();
    let store = h
        .ask(&hoarder, "store.new")
        .await
        .strip_prefix("ok ")
        .unwrap()
        .to_string();
    assert!(h
        .ask(&hoarder, &format!("store.store {store} {}", "a".repeat(60)))
        .await
        .starts_with("ok "));
    let refused = h
        .ask(&hoarder, &format!("store.store {store} {}", "b".repeat(60)))
        .await;
    assert!(
        refused.starts_with("err ") && refused.contains("max_store_bytes"),
        "{refused}"
    );
    assert!(h
        .ask(&hoarder, &format!("fs.write-file a.txt {}", "c".repeat(60)))
        .await
        .starts_with("ok"));
    let refused = h
        .ask(&hoarder, &format!("fs.write-file b.txt {}", "d".repeat(60)))
        .await;
    assert!(
        refused.starts_with("err ") && refused.contains("max_fs_bytes_written"),
        "{refused}"
    );
    assert!(!h.s.path().join("data/b.txt").exists());
    assert_eq!(
        h.theater.actor(&hoarder).unwrap().handle.status(),
        ActorStatus::Running,
        "a refusal is the guest's error, not a failure"
    );
    h.assert_alive_and_verified().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_callback_that_stops_siblings_does_not_panic_the_host() {
    let h = Host::new().await;
    let sup = h
        .hostile("sup", "[supervision]\nstrategy = \"rest-for-one\"\n")
        .await;
    let mut children = Vec::new();
    for name in ["c1", "c2", "c3"] {
        let id = h.ask(&sup, &format!("spawn {}", h.child(name, ""))).await;
        assert!(!id.starts_with("error"), "{id}");
        children.push(id);
    }
    // c3 fails; the callback stops c1 and c2, shrinking the list under the runtime's feet.
    assert!(h.ask(&children[2], "fail").await.contains("asked to fail"));
    h.wait_until("the supervisor's decision", || {
        h.event_types(&sup)
            .iter()
            .any(|t| t == "supervision/restarted")
    })
    .await;
    assert_eq!(
        h.theater.actor(&sup).unwrap().handle.status(),
        ActorStatus::Running,
        "the supervisor lives"
    );
    let notes = h.ask(&sup, "notes").await;
    assert!(
        notes.contains(&format!("stopped-sibling {} true", children[0]))
            && notes.contains(&format!("stopped-sibling {} true", children[1])),
        "{notes}"
    );
    assert_eq!(
        h.ask(&sup, "children").await,
        children[2],
        "the stopped siblings stay stopped; the failed child is back"
    );
    assert_eq!(h.theater.actor(&children[2]).unwrap().restarts, 1);
    assert_eq!(
        h.ask(&children[2], "children").await,
        "",
        "the restarted child answers"
    );
    h.assert_alive_and_verified().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extreme_limit_values_are_clear_errors_not_panics() {
    let s = Scratch::new();
    let component = s.component(&fixtures().component("raw-counter"));
    let base = format!("name = \"x\"\nversion = \"1\"\ncomponent = \"{component}\"\n");
    let parse = |extra: &str| Manifest::parse(&format!("{base}{extra}"), s.path(), "x.toml");
    for key in theater_runtime::manifest::LimitKey::ALL {
        let spec = key.spec();
        for ok in [spec.min, spec.max, spec.default] {
            assert!(
                parse(&format!("[limits]\n{} = {ok}\n", spec.name)).is_ok(),
                "{} = {ok} is in range",
                spec.name
            );
        }
        let mut bad = vec![
            i64::MAX.to_string(),
            "-1".into(),
            (spec.max + 1).to_string(),
            "1.5".into(),
            "\"lots\"".into(),
        ];
        if spec.min > 0 {
            bad.push((spec.min - 1).to_string());
        }
        for value in bad {
            let e = parse(&format!("[limits]\n{} = {value}\n", spec.name))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("x.toml"), "{} = {value}: {e}", spec.name);
        }
        let e = parse(&format!("[limits]\n{} = {}\n", spec.name, i64::MAX))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(spec.name) && e.contains(&format!("use {} to {}", spec.min, spec.max)),
            "{e}"
        );
    }
    for key in ["within_secs", "max_restarts"] {
        let e = parse(&format!("[supervision]\n{key} = {}\n", i64::MAX))
            .unwrap_err()
            .to_string();
        // A value past u32 is a type error at its line; one that fits is a range error naming it.
        assert!(e.contains(key) || e.starts_with("x.toml:5:"), "{e}");
    }
    for (handler, key) in [
        ("timing", "max_sleep_ms"),
        ("filesystem", "max_read_bytes"),
        ("filesystem", "max_write_bytes"),
        ("http-client", "max_response_bytes"),
        ("http-client", "timeout_ms"),
    ] {
        let root = if handler == "filesystem" {
            "root = \"d\"\n"
        } else {
            ""
        };
        let e = parse(&format!(
            "[[handler]]\ntype = \"{handler}\"\n{root}{key} = {}\n",
            i64::MAX
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains(key) && e.contains("out of range"), "{e}");
    }
    // The CLI: `mailbox = i64::MAX` used to panic inside tokio.
    let m = s.file(
        "huge.toml",
        format!("{base}[limits]\nmailbox = {}\n", i64::MAX),
    );
    let stderr = assert_clean_failure(&s.run(&["run", m.to_str().unwrap()]));
    assert!(
        stderr.contains("mailbox") && stderr.contains("out of range"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_called_in_init_ends_the_actor_right_after_init() {
    let h = Host::new().await;
    let m =
        h.s.manifest("quitter", &fixtures().component("hostile"), SUPERVISOR);
    let id = h
        .theater
        .spawn(
            Manifest::load(&m).unwrap(),
            Some(b"shutdown-in-init".to_vec()),
            None,
        )
        .await
        .unwrap();
    let ended = tokio::time::timeout(
        Duration::from_secs(10),
        h.theater.actor(&id).unwrap().handle.wait(),
    )
    .await;
    assert_eq!(
        ended.expect("ended without any message"),
        ActorStatus::Stopped
    );
    let types = h.event_types(&id);
    assert_eq!(
        types.last().map(String::as_str),
        Some("lifecycle/stopped"),
        "{types:?}"
    );
    assert_eq!(
        types.iter().filter(|t| *t == "wasm/call").count(),
        1,
        "only init ran: {types:?}"
    );
    h.assert_alive_and_verified().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_stopped_from_outside_is_reported_to_its_parent() {
    let h = Host::new().await;
    let parent = h.hostile("parent", "").await;
    let child = h
        .ask(&parent, &format!("spawn {}", h.child("child", "")))
        .await;
    assert!(!child.starts_with("error"), "{child}");
    h.theater.stop(&child).await.unwrap();
    h.wait_until("the parent's chain to record the stop", || {
        h.event_types(&parent)
            .iter()
            .any(|t| t == "supervision/child-stopped")
    })
    .await;
    assert_eq!(
        h.ask(&parent, "notes").await,
        format!("child-stopped {child}"),
        "handle-child-external-stop ran"
    );
    assert_eq!(
        h.ask(&parent, "children").await,
        "",
        "the parent no longer supervises it"
    );
    let info = h.theater.actor(&child).unwrap();
    assert_eq!(
        (info.handle.status(), info.restarts),
        (ActorStatus::Stopped, 0),
        "a stop asked for is not restarted"
    );
    h.assert_replays(&parent).await;
    h.assert_alive_and_verified().await;
}

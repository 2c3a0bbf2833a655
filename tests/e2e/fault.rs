//! Fault tolerance that holds (issue 16), with real fixture actors: a restarted supervisor
//! gets its subtree back (same ids, last committed states); an SDK actor's restart goes
//! through `resume`, not `init`; restarts run the recorded component, kept by hash, and
//! replay finds it there; names are unique, usable by actors, and freed when the holder
//! dies.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use theater_e2e::peers::{PeerRig, PEER_GRANTS as GRANTS};
use theater_e2e::{chains, fixture_variant, fixtures, texts, Scratch};
use theater_runtime::chain::Event;
use theater_runtime::{ActorStatus, LogLine, Manifest};

struct Rig {
    rig: PeerRig,
    logs: Arc<Mutex<Vec<LogLine>>>,
}

impl std::ops::Deref for Rig {
    type Target = PeerRig;
    fn deref(&self) -> &PeerRig {
        &self.rig
    }
}

impl Rig {
    fn new() -> Rig {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        Rig {
            rig: PeerRig::new(Arc::new(move |line: &LogLine| {
                sink.lock().unwrap().push(line.clone())
            })),
            logs,
        }
    }

    /// Spawn `n` permanent workers under `sup`; worker i gets i+1 `inc`s.
    async fn workers(&self, sup: &str, n: usize) -> Vec<String> {
        self.peer("worker", "restart = \"permanent\"");
        let mut ids = Vec::new();
        for i in 0..n {
            let id = self.ask(sup, "spawn worker.toml").await;
            assert!(!id.starts_with("error"), "{id}");
            for _ in 0..=i {
                self.theater.send(&id, b"inc".to_vec()).await.unwrap();
            }
            ids.push(id);
        }
        ids
    }

    fn events(&self, id: &str) -> Vec<Event> {
        chains::events(&self.theater, id)
    }

    fn count(&self, id: &str, event_type: &str) -> usize {
        self.events(id)
            .iter()
            .filter(|e| e.event_type == event_type)
            .count()
    }

    async fn wait_for(&self, what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn status(&self, id: &str) -> ActorStatus {
        self.theater.actor(id).unwrap().handle.status()
    }

    /// Every worker runs, kept its count (worker i: i+1), and answers through `sup`.
    async fn assert_tree_back(&self, sup: &str, workers: &[String]) {
        assert_eq!(
            self.ask(sup, "children").await,
            workers.join(","),
            "same children, same ids, same order"
        );
        for (i, w) in workers.iter().enumerate() {
            assert_eq!(self.status(w), ActorStatus::Running, "worker {i}");
            let count = (i + 1).to_string();
            assert_eq!(
                self.ask(sup, &format!("ask {w} get")).await,
                count,
                "worker {i} through the supervisor"
            );
        }
    }

    async fn replay(&self, id: &str) -> theater_runtime::replay::ReplayReport {
        chains::replay(&self.theater, id).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_supervisor_gets_its_workers_back_with_their_ids_and_counts() {
    let r = Rig::new();
    r.peer("sup", "[supervision]\nstrategy = \"one-for-one\"");
    let sup = r.start("sup").await;
    let workers = r.workers(&sup, 3).await;

    r.theater.restart_actor(&sup).await.unwrap();
    r.assert_tree_back(&sup, &workers).await;
    for w in &workers {
        assert_eq!(r.theater.actor(w).unwrap().restarts, 1);
        assert_eq!(
            r.count(w, "lifecycle/started"),
            1,
            "one chain per worker, continued"
        );
    }
    assert_eq!(r.count(&sup, "supervision/restored"), 3);
    // The restored workers are supervised as before: a failure is restarted one for one.
    assert!(r.ask(&workers[1], "fail").await.contains("asked to fail"));
    r.wait_for("the failed worker's restart", || {
        r.count(&sup, "supervision/restarted") == 1
    })
    .await;
    r.assert_tree_back(&sup, &workers).await;
    // The whole tree's chains replay identically.
    for id in workers.iter().chain([&sup]) {
        assert_eq!(r.replay(id).await.divergence, None, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_restarted_by_its_parent_after_giving_up_gets_its_workers_back() {
    let r = Rig::new();
    r.peer("grandparent", "");
    let gp = r.start("grandparent").await;
    r.peer("sup", "restart = \"permanent\"\n[supervision]\nstrategy = \"one-for-one\"\nmax_restarts = 1\nwithin_secs = 30");
    let sup = r.ask(&gp, "spawn sup.toml").await;
    let workers = r.workers(&sup, 3).await;

    r.ask(&workers[0], "fail").await;
    r.wait_for("the first restart", || {
        r.count(&sup, "supervision/restarted") == 1
    })
    .await;
    r.ask(&workers[0], "fail").await;
    r.wait_for("the supervisor's restart by its parent", || {
        r.count(&gp, "supervision/restarted") == 1
    })
    .await;
    assert_eq!(r.count(&sup, "supervision/gave-up"), 1);
    r.assert_tree_back(&sup, &workers).await;
    assert_eq!(r.theater.actor(&sup).unwrap().restarts, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_that_do_not_come_back_leave_the_list_and_the_parent_is_told() {
    let r = Rig::new();
    r.peer("sup", "[supervision]\nstrategy = \"one-for-one\"");
    let sup = r.start("sup").await;
    let workers = r.workers(&sup, 1).await;
    r.peer("temp", "restart = \"temporary\"");
    let temp = r.ask(&sup, "spawn temp.toml").await;
    r.peer("done", "restart = \"transient\"");
    let done = r.ask(&sup, "spawn done.toml").await;
    // A transient child that ended normally is dropped by its supervisor at once.
    assert_eq!(r.ask(&done, "exit").await, "exiting");
    r.wait_for("the transient child's exit", || {
        r.count(&sup, "supervision/not-restarted") == 1
    })
    .await;

    r.theater.restart_actor(&sup).await.unwrap();
    assert_eq!(
        r.ask(&sup, "children").await,
        workers[0],
        "the temporary child is gone from the list"
    );
    assert_eq!(r.status(&temp), ActorStatus::Stopped);
    assert_eq!(r.status(&workers[0]), ActorStatus::Running);
    let log = r.ask(&sup, "log").await;
    assert!(
        log.ends_with(&format!("child-exit {temp}")),
        "the parent's code was told: {log}"
    );
    assert_eq!(r.count(&sup, "supervision/not-restored"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sdk_worker_restart_keeps_its_count_and_skips_the_config_path() {
    let r = Rig::new();
    let m =
        r.s.manifest("worker", &fixtures().component("sdk-worker"), "");
    let id = r
        .theater
        .spawn(
            Manifest::load(&m).unwrap(),
            Some(br#"{"step":5}"#.to_vec()),
            None,
        )
        .await
        .unwrap();
    r.theater
        .send(&id, br#"{"work":{}}"#.to_vec())
        .await
        .unwrap();
    r.theater
        .send(&id, br#"{"work":{}}"#.to_vec())
        .await
        .unwrap();

    r.theater.restart_actor(&id).await.unwrap();
    assert_eq!(
        r.theater
            .request(&id, br#"{"get":{}}"#.to_vec())
            .await
            .unwrap(),
        b"10",
        "the count survived"
    );
    r.theater
        .send(&id, br#"{"work":{}}"#.to_vec())
        .await
        .unwrap();
    assert_eq!(
        r.theater
            .request(&id, br#"{"get":{}}"#.to_vec())
            .await
            .unwrap(),
        b"15",
        "and so did the configured step"
    );
    let lines: Vec<String> = r
        .logs
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.actor_id == id)
        .map(|l| l.message.clone())
        .collect();
    assert_eq!(
        lines,
        ["init step 5", "resumed at 10"],
        "init ran once; the restart took resume"
    );
    let calls: Vec<String> = r
        .events(&id)
        .iter()
        .filter(|e| e.event_type == "wasm/call")
        .map(|e| {
            theater_runtime::chain::payload::bytes_to_json(&e.payload)["export"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(calls.first().map(String::as_str), Some("init"));
    assert_eq!(
        calls.iter().filter(|c| *c == "resume").count(),
        1,
        "{calls:?}"
    );
    assert_eq!(r.replay(&id).await.divergence, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_after_a_rebuild_runs_the_recorded_component_and_replays_identically() {
    let r = Rig::new();
    let file = r.s.path().join("counter.wasm");
    let original = std::fs::read(fixtures().component("raw-counter")).unwrap();
    std::fs::write(&file, &original).unwrap();
    let m = r.s.manifest("counter", &file, "");
    let id = r
        .theater
        .spawn(Manifest::load(&m).unwrap(), None, None)
        .await
        .unwrap();
    r.theater.send(&id, b"inc".to_vec()).await.unwrap();

    // Rebuilt on disk: `inc` now adds 2. A restart is not an upgrade: it runs the old code.
    std::fs::copy(fixture_variant("raw-counter", "step-two"), &file).unwrap();
    r.theater.restart_actor(&id).await.unwrap();
    r.theater.send(&id, b"inc".to_vec()).await.unwrap();
    assert_eq!(
        r.theater.request(&id, b"get".to_vec()).await.unwrap(),
        b"2",
        "the old `inc` (adds 1) ran"
    );

    let hash = theater_runtime::chain::sha256(&original);
    let restarted = r
        .events(&id)
        .into_iter()
        .find(|e| e.event_type == "lifecycle/restarted")
        .unwrap();
    let payload = theater_runtime::chain::payload::bytes_to_json(&restarted.payload);
    assert!(
        payload["component"].to_string().contains(&hex(&hash)),
        "lifecycle/restarted records the component: {payload}"
    );
    let stored =
        r.s.home()
            .join("components")
            .join(format!("{}.wasm", hex(&hash)));
    assert_eq!(
        std::fs::read(&stored).unwrap(),
        original,
        "the component store keeps the recorded bytes"
    );

    // Replay finds the recorded component by hash, though the manifest's file changed.
    r.theater.stop(&id).await.unwrap();
    let report = r.replay(&id).await;
    assert_eq!(report.divergence, None);
    assert_eq!(report.identical as usize, r.events(&id).len());
    let out = r.s.run(&["replay", &id]);
    assert!(
        out.status.success() && texts(&out).0.starts_with("identical:"),
        "{:?}",
        texts(&out)
    );

    // A damaged store entry is refused with a clear error, never run.
    std::fs::write(&stored, b"not the recorded component").unwrap();
    let input = chains::replay_input(&r.theater, &id, None);
    let e = r.theater.replay(input).await.unwrap_err().to_string();
    assert!(e.contains("altered or damaged"), "{e}");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_unique_reach_actors_and_are_freed_when_the_holder_dies() {
    let r = Rig::new();
    r.peer("a", "");
    let a = r.start("a").await;
    let b = r.start("a").await;
    assert_eq!(r.ask(&a, "register queue").await, "registered");
    assert_eq!(
        r.ask(&a, "register queue").await,
        "registered",
        "registering one's own name again is fine"
    );
    let taken = r.ask(&b, "register queue").await;
    assert!(
        taken.contains("belongs to actor") && taken.contains(&a),
        "{taken}"
    );
    assert_eq!(r.ask(&b, "lookup queue").await, a);
    assert_eq!(r.ask(&b, "lookup nobody").await, "none");
    for bad in ["", "9lives", "a/b", &"x".repeat(65)] {
        let refused = r.ask(&b, &format!("register {bad}")).await;
        assert!(
            refused.contains("not a valid actor name"),
            "{bad:?}: {refused}"
        );
    }
    // The name survives a restart (same id).
    r.theater.restart_actor(&a).await.unwrap();
    assert_eq!(
        r.theater.lookup_name("queue").map(|i| i.id),
        Some(a.clone())
    );
    // A spawn with a taken name is refused before anything runs.
    let m = Manifest::load(&r.s.path().join("a.toml")).unwrap();
    let e = r
        .theater
        .spawn_named(m, None, None, Some("queue".into()))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("belongs to actor"), "{e}");
    // Dead for good: the name is free.
    r.theater.stop(&a).await.unwrap();
    assert_eq!(r.ask(&b, "lookup queue").await, "none");
    assert_eq!(r.ask(&b, "register queue").await, "registered");
    assert_eq!(r.theater.lookup_name("queue").map(|i| i.id), Some(b));
}

#[test]
fn a_named_actor_is_reached_by_name_through_a_real_server_across_a_restart() {
    let s = Scratch::new();
    let server = theater_e2e::server::ServerProc::start(&s, &[]);
    let m = s.manifest("queue", &fixtures().component("raw-peer"), GRANTS);
    let m = m.to_str().unwrap();
    let cli = |args: &[&str]| {
        s.theater()
            .env("THEATER_SERVER", &server.url)
            .args(args)
            .output()
            .unwrap()
    };
    let out = cli(&["start", m, "--name", "queue", "--id-only"]);
    let (id, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    let id = id.trim().to_string();
    assert_eq!(
        texts(&cli(&["request", "queue", "ping 1"])).0.trim(),
        "pong 1"
    );

    // Unique per server: a second actor cannot take the name while the first runs.
    let stderr = theater_e2e::assert_clean_failure(&cli(&["start", m, "--name", "queue"]));
    assert!(
        stderr.contains("belongs to actor") && stderr.contains(&id),
        "{stderr}"
    );
    let stderr = theater_e2e::assert_clean_failure(&cli(&["start", m, "--name", "no/such name"]));
    assert!(stderr.contains("not a valid actor name"), "{stderr}");

    // The name survives a restart; the actor keeps its id.
    assert!(cli(&["restart", "queue"]).status.success());
    let out = cli(&["request", "queue", "lookup queue"]);
    assert_eq!(texts(&out).0.trim(), id, "the actor finds itself by name");

    // Stopped for good: the name no longer reaches it.
    assert!(cli(&["stop", "queue"]).status.success());
    theater_e2e::assert_clean_failure(&cli(&["request", "queue", "ping 2"]));
}

/// A real server whose supervisor tree must outlive it: `queue` (permanent, named) with
/// three permanent workers holding counts 1, 2, 3, and a top-level actor with no restart
/// type that must stay down.
struct ServerTree {
    s: Scratch,
    queue: String,
    workers: Vec<String>,
    loner: String,
}

impl ServerTree {
    fn cli(&self, server: &theater_e2e::server::ServerProc, args: &[&str]) -> std::process::Output {
        self.s
            .theater()
            .env("THEATER_SERVER", &server.url)
            .args(args)
            .output()
            .unwrap()
    }

    fn ask(&self, server: &theater_e2e::server::ServerProc, actor: &str, msg: &str) -> String {
        let out = self.cli(server, &["request", actor, msg]);
        assert!(
            out.status.success(),
            "request {actor} {msg}: {}",
            texts(&out).1
        );
        texts(&out).0.trim().to_string()
    }

    /// The queue, reached by name, has its three workers with their counts.
    fn assert_counts(&self, server: &theater_e2e::server::ServerProc) {
        assert_eq!(
            self.ask(server, "queue", "children"),
            self.workers.join(","),
            "same children, same ids, same order"
        );
        for (i, w) in self.workers.iter().enumerate() {
            assert_eq!(
                self.ask(server, "queue", &format!("ask {w} get")),
                (i + 1).to_string(),
                "worker {i} kept its count"
            );
        }
    }

    /// The tree runs again (same ids, same counts, the same name); the loner does not.
    fn assert_back(&self, server: &theater_e2e::server::ServerProc) {
        self.assert_counts(server);
        assert_eq!(
            self.ask(server, "queue", "lookup queue"),
            self.queue,
            "the name is the queue's again"
        );
        let out = self.cli(server, &["inspect", &self.loner]);
        theater_e2e::assert_clean_failure(&out);
    }

    fn assert_chains_verify(&self) {
        for id in std::iter::once(&self.queue)
            .chain(&self.workers)
            .chain([&self.loner])
        {
            let out = self.s.run(&["verify", id]);
            assert!(
                out.status.success(),
                "chain of {id} does not verify: {}",
                texts(&out).1
            );
        }
    }

    /// How many `lifecycle/resumed` events each of the tree's chains holds.
    fn resumes(&self) -> Vec<usize> {
        std::iter::once(&self.queue)
            .chain(&self.workers)
            .map(|id| {
                let out = self.s.run(&["events", id, "--json"]);
                let events: Vec<serde_json::Value> = serde_json::from_str(&texts(&out).0).unwrap();
                events
                    .iter()
                    .filter(|e| e["type"] == "lifecycle/resumed")
                    .count()
            })
            .collect()
    }
}

fn start_tree(s: Scratch, server: &theater_e2e::server::ServerProc) -> ServerTree {
    let peer = fixtures().component("raw-peer");
    let queue = s.manifest(
        "queue",
        &peer,
        &format!("restart = \"permanent\"\n{GRANTS}"),
    );
    s.manifest(
        "worker",
        &peer,
        &format!("restart = \"permanent\"\n{GRANTS}"),
    );
    let loner = s.manifest("loner", &peer, GRANTS);
    let cli = |args: &[&str]| {
        s.theater()
            .env("THEATER_SERVER", &server.url)
            .args(args)
            .output()
            .unwrap()
    };
    let started = |out: std::process::Output| {
        assert!(out.status.success(), "{}", texts(&out).1);
        texts(&out).0.trim().to_string()
    };
    let queue = started(cli(&[
        "start",
        queue.to_str().unwrap(),
        "--name",
        "queue",
        "--id-only",
    ]));
    let loner = started(cli(&["start", loner.to_str().unwrap(), "--id-only"]));
    let mut workers = Vec::new();
    for i in 0..3 {
        let id = started(cli(&["request", "queue", "spawn worker.toml"]));
        for _ in 0..=i {
            assert!(cli(&["send", &id, "inc"]).status.success());
        }
        workers.push(id);
    }
    ServerTree {
        s,
        queue,
        workers,
        loner,
    }
}

#[test]
fn a_permanent_tree_outlives_a_killed_server_with_its_ids_states_and_name() {
    use theater_e2e::server::ServerProc;
    let s = Scratch::new();
    let mut server = ServerProc::start(&s, &[]);
    let tree = start_tree(s, &server);
    tree.assert_counts(&server);
    assert_eq!(tree.ask(&server, &tree.loner, "ping 1"), "pong 1");

    // SIGKILL: no shutdown, no final events. The next server finds the chains `running`
    // under a dead server, ends them `interrupted` and resumes the permanent tree.
    server.signal("KILL");
    server.wait_exit(Duration::from_secs(30));
    drop(server);
    let server = ServerProc::start(&tree.s, &[]);
    let log = server.log();
    assert!(
        log.contains(&format!(
            "resumed queue ({}) as queue with 3 actor(s) of its subtree",
            tree.queue
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!("not resuming {}", tree.loner)),
        "the loner has no restart type: {log}"
    );
    tree.assert_back(&server);
    assert_eq!(
        tree.resumes(),
        [1, 1, 1, 1],
        "each chain records its resume once"
    );

    // A clean stop: a permanent tree comes back too; with --no-resume it stays down (and
    // flagged, so the server after that brings it back).
    assert!(server.terminate().success());
    let server = ServerProc::start(&tree.s, &["--no-resume"]);
    assert!(
        server
            .log()
            .contains("--no-resume: 1 top-level actor(s) left by the previous server stay down"),
        "{}",
        server.log()
    );
    theater_e2e::assert_clean_failure(&tree.cli(&server, &["request", "queue", "children"]));
    assert!(server.terminate().success());
    let server = ServerProc::start(&tree.s, &[]);
    tree.assert_back(&server);
    assert_eq!(tree.resumes(), [2, 2, 2, 2]);
    assert!(server.terminate().success());
    tree.assert_chains_verify();
}

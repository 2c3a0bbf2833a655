//! What a user sees of a running tree without asking: a real `theater server` whose actors'
//! log lines name each actor with its short id (three identical workers told apart), whose
//! stderr reports failures, restarts and a supervisor giving up, and whose database file
//! alone holds every chain after a clean stop (the write-ahead log folded in).

use std::process::Output;
use std::time::{Duration, Instant};

use theater_e2e::peers::PEER_GRANTS;
use theater_e2e::server::ServerProc;
use theater_e2e::{fixtures, texts, Scratch};

/// Wait until the server's stderr satisfies `done`; the stderr.
fn wait_log(server: &ServerProc, what: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let log = server.log();
        if done(&log) {
            return log;
        }
        assert!(
            Instant::now() < deadline,
            "the server never logged {what}:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A raw-peer parent `sup` supervising workers from `worker.toml` with `supervision`.
fn tree(s: &Scratch, supervision: &str) -> std::path::PathBuf {
    let peer = fixtures().component("raw-peer");
    s.manifest(
        "worker",
        &peer,
        &format!("restart = \"permanent\"\n{PEER_GRANTS}"),
    );
    s.manifest("sup", &peer, &format!("{supervision}\n{PEER_GRANTS}"))
}

#[test]
fn log_lines_of_three_identical_workers_name_each_one() {
    let s = Scratch::new();
    let sup = tree(&s, "");
    // Three counters under one parent: each logs the very same line.
    s.manifest("counter", &fixtures().component("raw-counter"), "");
    let server = ServerProc::start(&s, &[]);
    let parent = server.client(&s, &["start", sup.to_str().unwrap(), "--id-only"]);
    let counter = s.path().join("counter.toml").display().to_string();
    let workers: Vec<String> = (0..3)
        .map(|_| server.client(&s, &["request", &parent, &format!("spawn {counter}")]))
        .collect();
    for id in &workers {
        assert_eq!(server.client(&s, &["request", id, "get"]), "0");
    }
    let log = wait_log(&server, "three counter lines", |l| {
        l.matches("request get -> 0").count() == 3
    });
    for id in &workers {
        let line = format!("[counter {}] request get -> 0", &id[..8]);
        assert_eq!(
            log.matches(&line).count(),
            1,
            "worker {id}'s line is its own:\n{log}"
        );
    }
}

#[test]
fn the_server_logs_failures_restarts_and_a_supervisor_giving_up() {
    let s = Scratch::new();
    let sup = tree(&s, "[supervision]\nmax_restarts = 1\nwithin_secs = 60\n");
    let server = ServerProc::start(&s, &[]);
    let parent = server.client(&s, &["start", sup.to_str().unwrap(), "--id-only"]);
    let worker = s.path().join("worker.toml").display().to_string();
    let child = server.client(&s, &["request", &parent, &format!("spawn {worker}")]);
    let short = &child[..8];

    // The first failure is restarted; the second exceeds max_restarts and the parent gives up.
    let _ = server.output(&s, &["request", &child, "fail"]);
    let log = wait_log(&server, "the restart", |l| {
        l.contains(&format!("info: [worker {short}] restarted"))
    });
    assert!(
        log.contains(&format!("info: [worker {short}] failed: ")) && log.contains("asked to fail"),
        "{log}"
    );
    let _ = server.output(&s, &["request", &child, "fail"]);
    let log = wait_log(&server, "the supervisor giving up", |l| {
        l.contains("gave up on child")
    });
    let gave_up = log
        .lines()
        .find(|l| l.contains("gave up on child"))
        .unwrap_or_default();
    assert!(
        gave_up.starts_with(&format!(
            "info: [sup {}] gave up on child {child}",
            &parent[..8]
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!("info: [sup {}] failed: ", &parent[..8])),
        "the parent fails in turn:\n{log}"
    );
}

#[test]
fn after_a_clean_stop_the_database_file_alone_holds_every_chain() {
    let s = Scratch::new();
    let sup = tree(&s, "");
    let mut server = ServerProc::start(&s, &[]);
    let parent = server.client(&s, &["start", sup.to_str().unwrap(), "--id-only"]);
    let worker = s.path().join("worker.toml").display().to_string();
    let child = server.client(&s, &["request", &parent, &format!("spawn {worker}")]);
    for n in 0..50 {
        server.client(&s, &["send", &child, &format!("line {n}")]);
    }
    // Another process's connection (a reader, a `theater run`) is open as the server stops,
    // so closing the server's own connection does not fold the log in: the checkpoint must.
    let other = rusqlite::Connection::open(s.home().join("chains.db")).expect("open chains.db");
    let actors: i64 = other
        .query_row("SELECT COUNT(*) FROM actors", [], |r| r.get(0))
        .expect("read chains.db");
    assert_eq!(actors, 2);
    server.signal("TERM");
    let (status, _) = server.wait_exit(Duration::from_secs(30));
    assert!(status.success(), "{}", server.log());

    let wal = s.home().join("chains.db-wal");
    assert!(wal.exists(), "the other connection keeps the log file");
    assert!(
        std::fs::metadata(&wal).map_or(0, |m| m.len()) == 0,
        "the log was folded into chains.db"
    );

    // Only chains.db goes to another directory: it alone holds every chain, event for event.
    let copy = Scratch::new();
    std::fs::create_dir_all(copy.home()).expect("mkdir");
    std::fs::copy(s.home().join("chains.db"), copy.home().join("chains.db"))
        .expect("copy chains.db");
    for id in [&parent, &child] {
        let original = texts(&s.run(&["verify", id])).0;
        let out = copy.run(&["verify", id]);
        let (stdout, stderr) = texts(&out);
        assert!(
            out.status.success() && stdout.starts_with("ok: "),
            "{id} from the copied file:\n{stdout}{stderr}"
        );
        assert_eq!(stdout, original, "the copy holds the whole chain of {id}");
    }
    drop(other);
    let out = copy.run(&["events", &child, "--json"]);
    let events: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", texts(&out).1));
    let types: Vec<&str> = events
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert!(
        types.iter().filter(|t| **t == "wasm/call").count() > 50,
        "{types:?}"
    );
    assert_eq!(types.last(), Some(&"lifecycle/stopped"), "{types:?}");
}

#[test]
fn state_of_a_failed_actor_is_its_last_committed_state() {
    let s = Scratch::new();
    let peer = tree(&s, "");
    let mut server = ServerProc::start(&s, &[]);
    let id = server.client(&s, &["start", peer.to_str().unwrap(), "--id-only"]);
    for _ in 0..3 {
        server.client(&s, &["send", &id, "inc"]);
    }
    let running = server.client(&s, &["state", &id]);
    assert_eq!(running.lines().next(), Some("3"), "{running}");
    let out = server.output(&s, &["request", &id, "fail"]);
    assert!(!out.status.success(), "the request that panics fails");
    let inspect = server.client(&s, &["inspect", &id, "--json"]);
    assert!(inspect.contains("\"failed"), "{inspect}");

    assert_eq!(
        server.client(&s, &["state", &id]),
        running,
        "the failed actor's last committed state"
    );
    let inspect = server.client(&s, &["inspect", &id]);
    let shown = format!(
        "state:    {}",
        theater_runtime::chain::state_view::decoded_state(running.as_bytes())
    );
    assert!(
        inspect.lines().any(|l| l == shown),
        "inspect shows the state decoded:\n{inspect}"
    );
    server.signal("TERM");
    assert!(server.wait_exit(Duration::from_secs(30)).0.success());
    // No server: the same state, from the chain database.
    let out = s.run(&["state", &id[..8]]);
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout.trim(), running);
}

#[test]
fn events_and_subscribe_follow_a_whole_tree() {
    let s = Scratch::new();
    let sup = tree(&s, "");
    let server = ServerProc::start(&s, &[]);
    let parent = server.client(&s, &["start", sup.to_str().unwrap(), "--id-only"]);
    let worker = s.path().join("worker.toml").display().to_string();
    let first = server.client(&s, &["request", &parent, &format!("spawn {worker}")]);

    // Followed before the second worker exists: it is picked up when spawned.
    let subscriber = s
        .theater()
        .env("THEATER_SERVER", &server.url)
        .args(["subscribe", "--tree", &parent[..8], "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start theater subscribe");
    std::thread::sleep(Duration::from_millis(500));
    let second = server.client(&s, &["request", &parent, &format!("spawn {worker}")]);
    server.client(&s, &["send", &second, "late line"]);
    std::thread::sleep(Duration::from_millis(500));
    server.client(&s, &["stop", &parent]);
    let out = subscriber
        .wait_with_output()
        .expect("subscribe ends when the tree has ended");
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    for id in [&parent, &first, &second] {
        let types: Vec<&str> = events
            .iter()
            .filter(|e| e["actor"] == id.as_str())
            .filter_map(|e| e["type"].as_str())
            .collect();
        assert_eq!(types.first(), Some(&"lifecycle/started"), "{id}: {types:?}");
        assert_eq!(types.last(), Some(&"lifecycle/stopped"), "{id}: {types:?}");
        assert!(stderr.contains(&format!("actor {id}: stopped")), "{stderr}");
    }

    // The same tree's history, from the server and (server gone) from the database.
    let history = |out: Output| -> Vec<serde_json::Value> {
        let (stdout, stderr) = texts(&out);
        assert!(out.status.success(), "{stderr}");
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
    };
    let from_server = history(server.output(&s, &["events", "--tree", &parent, "--json"]));
    assert!(server.terminate().success());
    let from_db = history(s.run(&["events", "--tree", &parent, "--json"]));
    for events in [&from_server, &from_db] {
        for id in [&parent, &first, &second] {
            assert!(
                events
                    .iter()
                    .any(|e| e["actor"] == id.as_str() && e["type"] == "lifecycle/stopped"),
                "{id} missing"
            );
        }
        let times: Vec<u64> = events
            .iter()
            .filter_map(|e| e["timestamp_ms"].as_u64())
            .collect();
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "merged in time order"
        );
    }
    assert_eq!(from_server.len(), from_db.len());
}

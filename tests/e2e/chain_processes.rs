//! Many processes on one data directory, as the README suggests using it: a server and
//! several `theater run` at once, processes killed at random moments, and a database that
//! stops taking writes under a running actor. Every chain must verify, hold exactly what its
//! actor did, and never show another actor's events; actors whose process died must be
//! reported interrupted, not `running` forever.

use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use theater_e2e::server::ServerProc;
use theater_e2e::{fixtures, texts, Scratch};

/// Events of the raw counter: start (lifecycle/started, init call, log, init result), each
/// send (call, result), a `get` request (call, log, result), the stop (lifecycle/stopped).
const COUNTER_START: u64 = 4;
const COUNTER_SEND: u64 = 2;
const COUNTER_GET: u64 = 3;
const STOP: u64 = 1;
/// Events of the raw peer: start (lifecycle/started, init call, init result).
const PEER_START: u64 = 3;

fn json_of(out: &Output) -> Value {
    let (stdout, stderr) = texts(out);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}{stderr}"))
}

fn counter(s: &Scratch, name: &str) -> std::path::PathBuf {
    s.manifest(
        name,
        &fixtures().component("raw-counter"),
        "[[handler]]\ntype = \"runtime\"\n",
    )
}

/// `theater run MANIFEST --send inc ×sends --request get --json`, not waited for.
fn spawn_run(s: &Scratch, manifest: &Path, sends: usize) -> Child {
    let mut args = vec![
        "run".to_string(),
        manifest.display().to_string(),
        "--json".into(),
    ];
    for _ in 0..sends {
        args.extend(["--send".to_string(), "inc".to_string()]);
    }
    args.extend(["--request".into(), "get".into()]);
    s.theater()
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start theater run")
}

/// Every recorded actor (`theater events --json`).
fn recorded(s: &Scratch) -> Vec<Value> {
    json_of(&s.run(&["events", "--json"]))
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// `theater verify ID --json`, which must succeed; the number of events.
fn verified(s: &Scratch, id: &str) -> u64 {
    let out = s.run(&["verify", id, "--json"]);
    let v = json_of(&out);
    assert_eq!(v["ok"], true, "{id} does not verify: {v}");
    v["events"].as_u64().unwrap_or_default()
}

/// An actor's events (`theater events ID --json`).
fn events_of(s: &Scratch, id: &str) -> Vec<Value> {
    json_of(&s.run(&["events", id, "--json"]))
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The actor id each event of a chain names where it names one (`lifecycle/started`'s
/// `actor`): every chain must start as itself.
fn started_as(events: &[Value]) -> Option<String> {
    events
        .first()
        .and_then(|e| e["view"]["actor"].as_str())
        .map(str::to_string)
}

#[test]
fn a_server_and_four_runs_share_one_database_and_every_chain_is_exact() {
    const SENDS: usize = 2000;
    const PINGS: u64 = 500;
    let s = Scratch::new();
    let server = ServerProc::start(&s, &[]);
    let grants = "[[handler]]\ntype = \"message-server\"\n[[handler]]\ntype = \"supervisor\"\n";
    let peer = s.manifest("peer", &fixtures().component("raw-peer"), grants);
    let a = server.client(&s, &["start", peer.to_str().unwrap(), "--id-only"]);
    let b = server.client(&s, &["start", peer.to_str().unwrap(), "--id-only"]);

    let runs: Vec<Child> = (0..4)
        .map(|i| spawn_run(&s, &counter(&s, &format!("run{i}")), SENDS))
        .collect();
    // The server's actors work at the same time: A asks B PINGS times.
    assert_eq!(
        server.client(&s, &["request", &a, &format!("pingpong {b} {PINGS}")]),
        format!("ok {PINGS}")
    );
    let mut run_ids = Vec::new();
    for run in runs {
        let out = run.wait_with_output().expect("wait for theater run");
        let v = json_of(&out);
        assert!(out.status.success(), "{v} {}", texts(&out).1);
        assert_eq!(
            v["messages"][SENDS]["ok"],
            SENDS.to_string(),
            "every send was handled"
        );
        run_ids.push(v["actor_id"].as_str().expect("actor id").to_string());
    }
    assert!(
        server.terminate().success(),
        "the server stops its actors and exits cleanly"
    );

    let expected_run = COUNTER_START + SENDS as u64 * COUNTER_SEND + COUNTER_GET + STOP;
    // A: its request call, then an outgoing event and a request event per ping, its result.
    let expected_a = PEER_START + 1 + 2 * PINGS + 1 + STOP;
    let expected_b = PEER_START + 2 * PINGS + STOP;
    let mut expected: Vec<(String, u64)> = run_ids
        .iter()
        .map(|id| (id.clone(), expected_run))
        .collect();
    expected.extend([(a.clone(), expected_a), (b.clone(), expected_b)]);

    let actors = recorded(&s);
    assert_eq!(
        actors.len(),
        expected.len(),
        "no actor lost, none invented: {actors:?}"
    );
    for (id, count) in &expected {
        let row = actors
            .iter()
            .find(|r| r["actor_id"] == id.as_str())
            .unwrap_or_else(|| panic!("{id} is not recorded"));
        assert_eq!(row["events"].as_u64(), Some(*count), "{row}");
        assert_eq!(row["status"], "stopped", "{row}");
        assert_eq!(verified(&s, id), *count);
        assert_eq!(
            started_as(&events_of(&s, id)).as_deref(),
            Some(id.as_str()),
            "{id}'s chain starts as another actor"
        );
    }
}

#[test]
fn a_database_that_stops_taking_writes_stops_the_actor_and_keeps_what_was_stored() {
    let s = Scratch::new();
    let m = counter(&s, "counter");
    let child = spawn_run(&s, &m, 20_000);
    let db = s.home().join("chains.db");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(
            Instant::now() < deadline,
            "no events became durable in time"
        );
        std::thread::sleep(Duration::from_millis(20));
        let count = count_in(&db, "SELECT COUNT(*) FROM events");
        if count > 2000 {
            break;
        }
    }
    // From now on the database refuses every new event, as a full disk would.
    let admin = rusqlite::Connection::open(&db).unwrap();
    admin.busy_timeout(Duration::from_secs(10)).unwrap();
    admin.execute_batch("CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END;").unwrap();
    let out = child.wait_with_output().expect("wait for theater run");
    let (stdout, stderr) = texts(&out);
    assert!(
        !out.status.success(),
        "the actor ran on unrecorded: {stdout}{stderr}"
    );
    // The reason is on stderr as it happens, and in the run's result.
    assert!(
        stderr.contains("could not be stored: database or disk is full"),
        "{stderr}"
    );
    let error = serde_json::from_str::<Value>(&stdout)
        .map(|v| v["error"].to_string())
        .unwrap_or_default();
    assert!(
        error.contains("can no longer be recorded") && error.contains("disk is full"),
        "{stdout}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    admin.execute_batch("DROP TRIGGER refuse;").unwrap();

    let actors = recorded(&s);
    let id = actors[0]["actor_id"]
        .as_str()
        .expect("the actor is recorded")
        .to_string();
    let status = actors[0]["status"].as_str().unwrap_or_default();
    assert!(
        status.starts_with("failed") && status.contains("can no longer be recorded"),
        "{status}"
    );
    let stored = actors[0]["events"].as_u64().unwrap_or_default();
    assert!(
        stored > 2000 && stored < COUNTER_START + 20_000 * COUNTER_SEND,
        "{stored}"
    );
    assert_eq!(
        verified(&s, &id),
        stored,
        "every event stored before the failure verifies"
    );
}

/// A `SELECT COUNT(*)` on the chain database, read-only; 0 while it does not exist yet.
fn count_in(db: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|c| c.query_row(sql, [], |r| r.get::<_, i64>(0)))
        .unwrap_or(0)
}

/// Waits (up to a minute) until `actors` actors are recorded or every child has exited.
fn wait_until_recorded(db: &Path, actors: i64, children: &mut [Child]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline && count_in(db, "SELECT COUNT(*) FROM actors") < actors {
        if children
            .iter_mut()
            .all(|c| matches!(c.try_wait(), Ok(Some(_))))
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A tiny deterministic generator, so a failing run can be repeated.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn sigkill_at_twenty_random_moments_leaves_verifiable_chains_and_interrupted_actors() {
    let s = Scratch::new();
    let manifests = [counter(&s, "one"), counter(&s, "two")];
    // Warm the compiled-component cache so the kills land while actors run.
    let warm = spawn_run(&s, &manifests[0], 1)
        .wait_with_output()
        .expect("warm-up run");
    assert!(warm.status.success(), "{}", texts(&warm).1);
    let db = s.home().join("chains.db");
    let mut random = Lcg(0x7e57_c4a1);
    for round in 0..20 {
        let recorded_before = count_in(&db, "SELECT COUNT(*) FROM actors");
        let mut children: Vec<Child> = manifests.iter().map(|m| spawn_run(&s, m, 20_000)).collect();
        // Even rounds kill at a random moment from the spawn, often while the process
        // starts; odd rounds a random moment after both actors are recorded, so the kill
        // lands mid-run however slowly a loaded machine starts processes.
        if round % 2 == 1 {
            wait_until_recorded(&db, recorded_before + 2, &mut children);
            std::thread::sleep(Duration::from_millis(random.below(300)));
        } else {
            std::thread::sleep(Duration::from_millis(100 + random.below(700)));
        }
        for child in &mut children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    // Readers already tell the interrupted ones apart (they check the dead processes' locks).
    let before = recorded(&s);
    let interrupted: Vec<String> = before
        .iter()
        .filter(|a| a["status"] == "interrupted")
        .filter_map(|a| a["actor_id"].as_str().map(str::to_string))
        .collect();
    assert!(
        interrupted.len() >= 10,
        "most killed runs had an actor running: {before:?}"
    );
    assert!(
        before.iter().all(|a| a["status"] != "running"),
        "nothing runs any more: {before:?}"
    );

    // The next writer records it in their chains.
    let after = spawn_run(&s, &manifests[0], 1)
        .wait_with_output()
        .expect("a later run");
    assert!(after.status.success(), "{}", texts(&after).1);
    for id in &interrupted {
        let events = events_of(&s, id);
        let last = events
            .last()
            .map(|e| e["type"].as_str().unwrap_or_default().to_string());
        assert_eq!(last.as_deref(), Some("lifecycle/interrupted"), "{id}");
        assert_eq!(verified(&s, id), events.len() as u64);
    }
    for actor in recorded(&s) {
        let id = actor["actor_id"].as_str().unwrap_or_default();
        assert_eq!(
            verified(&s, id),
            actor["events"].as_u64().unwrap_or_default(),
            "{actor}"
        );
    }
}

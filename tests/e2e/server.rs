//! `theater server` and its clients end to end: a real server process on a free loopback
//! port, driven by the real `theater` client commands (start, list, send, request, events,
//! subscribe through a pipe, stop, restart) and by the HTTP API directly (a hundred actors
//! under ten thousand concurrent calls, bad input). server_security.rs attacks it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use theater_e2e::server::{free_port, Api, ServerProc};
use theater_e2e::{assert_clean_failure, fixtures, texts, theater_bin, Scratch};

/// The counter's grants: `runtime` for log, get-chain and shutdown.
const COUNTER_GRANTS: &str = "[[handler]]\ntype = \"runtime\"\n";

/// Events of the raw counter: start (lifecycle/started, init call, log, init result), each
/// send (call, result), each `get` request (call, log, result), the stop (lifecycle/stopped).
const START_EVENTS: u64 = 4;
const SEND_EVENTS: u64 = 2;
const GET_EVENTS: u64 = 3;
const STOP_EVENTS: u64 = 1;

/// `theater ARGS` as a client of `server`.
fn client(s: &Scratch, server: &ServerProc, args: &[&str]) -> Output {
    s.theater()
        .env("THEATER_SERVER", &server.url)
        .env_remove("THEATER_TOKEN")
        .args(args)
        .output()
        .expect("run theater")
}

/// Run a client command that must succeed; its stdout.
fn ok(s: &Scratch, server: &ServerProc, args: &[&str]) -> String {
    let out = client(s, server, args);
    let (stdout, stderr) = texts(&out);
    assert!(
        out.status.success(),
        "theater {args:?} failed:\n{stdout}{stderr}"
    );
    stdout
}

fn json_of(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

fn counter_manifest(s: &Scratch, name: &str, extra: &str) -> PathBuf {
    s.manifest(
        name,
        &fixtures().component("raw-counter"),
        &format!("{COUNTER_GRANTS}{extra}"),
    )
}

/// Wait for a child process with a deadline; its output.
fn wait_with_deadline(mut child: Child, secs: u64, what: &str) -> (ExitStatus, String, String) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} did not end within {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut stdout);
    }
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    (status, stdout, stderr)
}

fn wait_for_file(path: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.ends_with('\n') {
            return text.trim().to_string();
        }
        assert!(
            Instant::now() < deadline,
            "{} was not written in time",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn event_types(events: &Value) -> Vec<String> {
    events
        .as_array()
        .expect("events array")
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn the_whole_workflow_through_the_cli_and_a_restarted_server() {
    let s = Scratch::new();
    let server = ServerProc::start(&s, &[]);
    let m = counter_manifest(&s, "counter", "");

    // Piped output is plain: an empty list prints nothing.
    assert_eq!(ok(&s, &server, &["list"]), "");
    let id = ok(&s, &server, &["start", m.to_str().unwrap(), "--id-only"])
        .trim()
        .to_string();
    assert_eq!(id.len(), 36, "{id}");
    let list = ok(&s, &server, &["list"]);
    let row: Vec<&str> = list.trim().split('\t').collect();
    let start_events = START_EVENTS.to_string();
    assert_eq!(
        row[..4],
        [id.as_str(), "counter", "running", start_events.as_str()],
        "{list}"
    );

    ok(&s, &server, &["send", &id, "inc"]);
    ok(&s, &server, &["send", &id[..8], "add 5"]);
    assert_eq!(ok(&s, &server, &["request", &id, "get"]).trim(), "6");
    assert_eq!(ok(&s, &server, &["state", &id]).trim(), "6");
    let reply = json_of(&ok(&s, &server, &["request", &id, "get", "--json"]));
    assert_eq!(reply["reply"], json!({"text": "6", "base64": "Ng=="}));

    let recorded = START_EVENTS + 2 * SEND_EVENTS + 2 * GET_EVENTS;
    let view = json_of(&ok(&s, &server, &["inspect", &id, "--json"]));
    assert_eq!(
        (
            view["status"].as_str(),
            view["events"].as_u64(),
            view["restarts"].as_u64()
        ),
        (Some("running"), Some(recorded), Some(0))
    );
    assert_eq!(view["manifest"], m.to_str().unwrap());
    let events = json_of(&ok(&s, &server, &["events", &id, "--json"]));
    assert_eq!(events.as_array().unwrap().len() as u64, recorded);
    assert_eq!(
        events.as_array().unwrap().last().unwrap()["hash"],
        view["head"],
        "the head is the last event's hash"
    );
    let calls = json_of(&ok(
        &s,
        &server,
        &["events", &id, "--type", "wasm/call", "--json"],
    ));
    assert_eq!(calls[1]["view"]["params"], json!(["inc"]));
    assert!(ok(&s, &server, &["tree"]).contains(&format!("counter {id} running")));

    // The supervision tree: a supervisor started through the API, its child spawned by it.
    let peer_grants =
        "[[handler]]\ntype = \"message-server\"\n[[handler]]\ntype = \"supervisor\"\n";
    let sup = s.manifest("sup", &fixtures().component("raw-peer"), peer_grants);
    counter_manifest(&s, "child", "");
    let sup_id = ok(&s, &server, &["start", sup.to_str().unwrap(), "--id-only"])
        .trim()
        .to_string();
    let child_id = ok(&s, &server, &["request", &sup_id, "spawn child.toml"])
        .trim()
        .to_string();
    let child = json_of(&ok(&s, &server, &["inspect", &child_id, "--json"]));
    assert_eq!(
        (child["name"].as_str(), child["parent"].as_str()),
        (Some("child"), Some(sup_id.as_str())),
        "{child}"
    );
    assert_eq!(
        json_of(&ok(&s, &server, &["inspect", &sup_id, "--json"]))["children"],
        json!([child_id])
    );
    let tree = ok(&s, &server, &["tree"]);
    assert!(
        tree.contains(&format!(
            "sup {sup_id} running\n└── child {child_id} running"
        )),
        "{tree}"
    );
    ok(&s, &server, &["stop", &sup_id]);
    assert_eq!(
        json_of(&ok(&s, &server, &["inspect", &child_id, "--json"]))["status"],
        "stopped",
        "children stop with their supervisor"
    );

    // A restart keeps the id, the chain and the last committed state.
    let restarted = json_of(&ok(&s, &server, &["restart", &id, "--json"]));
    assert_eq!(
        (restarted["status"].as_str(), restarted["restarts"].as_u64()),
        (Some("running"), Some(1))
    );
    assert_eq!(ok(&s, &server, &["request", &id, "get"]).trim(), "6");

    // `events --follow` streams until the actor stops.
    let follow = s
        .theater()
        .env("THEATER_SERVER", &server.url)
        .args(["events", &id, "--follow", "--type", "lifecycle/"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let stopped = ok(&s, &server, &["stop", &id]);
    assert!(stopped.contains("stopped"), "{stopped}");
    let (status, out, err) = wait_with_deadline(follow, 30, "events --follow");
    assert!(status.success(), "{err}");
    let followed: Vec<&str> = out
        .lines()
        .map(|l| l.split('\t').nth(2).unwrap_or_default())
        .collect();
    assert_eq!(
        followed,
        [
            "lifecycle/started",
            "lifecycle/stopped",
            "lifecycle/restarted",
            "lifecycle/stopped"
        ],
        "{out}"
    );
    assert!(err.contains(&format!("actor {id}: stopped")), "{err}");

    // The pipe: the new actor's events stream until a request makes it shut down.
    let m2 = counter_manifest(&s, "piped", "");
    let id_file = s.path().join("piped.id");
    let pipe = Command::new("sh")
        .arg("-c")
        .arg(r#""$THEATER" start "$MANIFEST" --id-only | tee "$ID_FILE" | "$THEATER" subscribe -"#)
        .env("THEATER", theater_bin())
        .env("MANIFEST", &m2)
        .env("ID_FILE", &id_file)
        .env("THEATER_HOME", s.home())
        .env("THEATER_SERVER", &server.url)
        .env_remove("THEATER_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let piped = wait_for_file(&id_file);
    ok(&s, &server, &["send", &piped, "inc"]);
    assert_eq!(ok(&s, &server, &["request", &piped, "stop"]).trim(), "bye");
    let (status, out, err) = wait_with_deadline(pipe, 30, "start | subscribe -");
    assert!(status.success(), "{out}{err}");
    let rows: Vec<Vec<&str>> = out.lines().map(|l| l.split('\t').collect()).collect();
    assert!(
        rows.iter().all(|cols| cols[0] == piped),
        "each row starts with the actor id: {out}"
    );
    let streamed: Vec<&str> = rows.iter().map(|cols| cols[3]).collect();
    assert_eq!(streamed.first(), Some(&"lifecycle/started"), "{out}");
    assert_eq!(streamed.last(), Some(&"lifecycle/stopped"), "{out}");
    assert!(
        streamed.contains(&"theater:simple/runtime/shutdown"),
        "{out}"
    );
    assert!(err.contains(&format!("actor {piped}: stopped")), "{err}");

    // SIGTERM stops the server cleanly; a new one on the same data dir still has the chains.
    let before = json_of(&ok(&s, &server, &["events", &id, "--json"]));
    let status = server.terminate();
    assert!(
        status.success(),
        "the server did not exit cleanly: {status}"
    );
    let server = ServerProc::start(&s, &[]);
    assert_eq!(
        ok(&s, &server, &["list"]),
        "",
        "actors of the last run do not run again"
    );
    let after = json_of(&ok(&s, &server, &["events", &id, "--json"]));
    assert_eq!(after, before);
    let piped_events = json_of(&ok(&s, &server, &["events", &piped[..8], "--json"]));
    assert_eq!(
        event_types(&piped_events).last().map(String::as_str),
        Some("lifecycle/stopped")
    );
    // An ended actor's stream replays its chain and ends.
    let replay = ok(&s, &server, &["subscribe", &id, "--json"]);
    assert_eq!(
        replay.lines().count(),
        before.as_array().unwrap().len(),
        "{replay}"
    );
    drop(server);

    // No server: `events` reads the database; the other clients say how to start one.
    let dead = format!("http://127.0.0.1:{}", free_port());
    let out = s
        .theater()
        .env("THEATER_SERVER", &dead)
        .args(["events", &id, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", texts(&out).1);
    assert_eq!(json_of(&texts(&out).0), before);
    let out = s
        .theater()
        .env("THEATER_SERVER", &dead)
        .args(["list"])
        .output()
        .unwrap();
    let stderr = assert_clean_failure(&out);
    assert_eq!(
        stderr.trim(),
        format!("error: no theater server at {dead} — start one with `theater server`")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_actors_take_ten_thousand_concurrent_calls_without_an_error_or_a_lost_event() {
    const ACTORS: usize = 100;
    const CALLS: usize = 10_000;
    const CLIENTS: usize = 8;
    const WATCHED: usize = 5;
    let s = Scratch::new();
    let server = ServerProc::start(&s, &[]);
    let api = Api::new(&server);
    let m = counter_manifest(&s, "counter", "");

    let mut ids = Vec::new();
    for _ in 0..ACTORS {
        let (status, view) = api.post("/v1/actors", json!({"manifest": m})).await;
        assert_eq!(status, 201, "{view}");
        ids.push(view["id"].as_str().unwrap().to_string());
    }
    let ids = Arc::new(ids);
    // Live streams of a few actors, read while the load runs.
    let mut watchers = Vec::new();
    for id in &ids[..WATCHED] {
        let (api, id) = (api.clone(), id.clone());
        watchers.push(tokio::spawn(async move { api.stream_seqs(&id).await }));
    }

    // Call k goes to actor k % ACTORS: even rounds send `inc`, odd rounds request `get`.
    let began = Instant::now();
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (api, ids) = (api.clone(), ids.clone());
        clients.push(tokio::spawn(async move {
            for k in (c..CALLS).step_by(CLIENTS) {
                let id = &ids[k % ACTORS];
                let (status, body) = if (k / ACTORS).is_multiple_of(2) {
                    api.post(&format!("/v1/actors/{id}/send"), json!({"text": "inc"}))
                        .await
                } else {
                    api.post(&format!("/v1/actors/{id}/request"), json!({"text": "get"}))
                        .await
                };
                assert_eq!(status, 200, "call {k} to {id}: {body}");
            }
        }));
    }
    for c in clients {
        c.await.expect("a client failed");
    }
    let elapsed = began.elapsed();
    eprintln!(
        "{CALLS} calls over {ACTORS} actors from {CLIENTS} clients in {elapsed:?} ({:.0} calls/s)",
        CALLS as f64 / elapsed.as_secs_f64()
    );

    let per_actor = (CALLS / ACTORS) as u64;
    let (sends, gets) = (per_actor / 2, per_actor / 2);
    let expected = START_EVENTS + sends * SEND_EVENTS + gets * GET_EVENTS;
    for id in ids.iter() {
        let (status, state) = api.get(&format!("/v1/actors/{id}/state")).await;
        assert_eq!(
            (status, state["state"]["text"].as_str()),
            (200, Some(sends.to_string().as_str())),
            "{id}"
        );
        let (_, view) = api.get(&format!("/v1/actors/{id}")).await;
        assert_eq!(view["events"].as_u64(), Some(expected), "{id}: {view}");
    }
    // The pages of one actor's events add up to the same count, in order.
    let mut seqs = Vec::new();
    let mut from = Some(0);
    while let Some(f) = from {
        let (status, page) = api
            .get(&format!("/v1/actors/{}/events?from={f}&limit=100", ids[0]))
            .await;
        assert_eq!(status, 200, "{page}");
        seqs.extend(
            page["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["seq"].as_u64().unwrap()),
        );
        from = page["next_from"].as_u64();
    }
    assert_eq!(seqs, (0..expected).collect::<Vec<_>>());

    // The live streams saw every event exactly once, then the end.
    for id in &ids[..WATCHED] {
        let (status, _) = api
            .post(&format!("/v1/actors/{id}/stop"), json!(null))
            .await;
        assert_eq!(status, 200);
    }
    for (id, watcher) in ids[..WATCHED].iter().zip(watchers) {
        let (seqs, end) = tokio::time::timeout(Duration::from_secs(60), watcher)
            .await
            .expect("stream ended")
            .expect("watcher");
        assert_eq!(
            seqs,
            (0..expected + STOP_EVENTS).collect::<Vec<_>>(),
            "{id}"
        );
        assert_eq!(
            end,
            json!({"actor": id, "status": "stopped", "reason": null})
        );
    }
    assert!(elapsed < Duration::from_secs(120), "took {elapsed:?}");
}

#[test]
fn bad_input_gets_a_clear_json_error_and_the_server_keeps_serving() {
    let s = Scratch::new();
    let server = ServerProc::start(&s, &[]);
    let tokio = tokio::runtime::Runtime::new().unwrap();
    let api = Api::new(&server);
    let small = counter_manifest(&s, "small", "[limits]\nmax_message_bytes = 64\n");
    let (status, view) = tokio.block_on(api.post("/v1/actors", json!({"manifest": small})));
    assert_eq!(status, 201, "{view}");
    let id = view["id"].as_str().unwrap().to_string();

    let missing = s.path().join("missing.toml");
    let (send, request) = (
        format!("/v1/actors/{id}/send"),
        format!("/v1/actors/{id}/request"),
    );
    let text = |t: &str| json!({"text": t}).to_string();
    let cases = [
        (
            "GET",
            "/v1/actors/no-such-actor",
            None,
            404,
            "no actor with id no-such-actor",
        ),
        (
            "POST",
            "/v1/actors/no-such-actor/send",
            Some(text("inc")),
            404,
            "no actor with id no-such-actor",
        ),
        (
            "POST",
            "/v1/actors",
            Some("{oops".to_string()),
            400,
            "malformed JSON",
        ),
        (
            "POST",
            &send,
            Some(json!({"txt": "inc"}).to_string()),
            400,
            "malformed JSON",
        ),
        (
            "POST",
            &send,
            Some(json!({"base64": "%%%"}).to_string()),
            400,
            "not valid base64",
        ),
        (
            "POST",
            "/v1/actors",
            Some(json!({"manifest": missing}).to_string()),
            422,
            "cannot read manifest",
        ),
        (
            "POST",
            &send,
            Some(text(&"x".repeat(100))),
            413,
            "larger than",
        ),
        (
            "POST",
            &request,
            Some(text("nonsense")),
            422,
            "unknown request",
        ),
        ("GET", "/v1/nowhere", None, 404, "no such route"),
    ];
    for (method, path, body, want_status, want_text) in cases {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let (status, body) = tokio.block_on(api.call(method, path, body));
        assert_eq!(status, want_status, "{path}: {body}");
        let error = body["error"]
            .as_str()
            .unwrap_or_else(|| panic!("not a JSON error: {body}"));
        assert!(
            error.contains(want_text),
            "{error:?} should say {want_text:?}"
        );
    }
    let (status, body) = tokio.block_on(api.post("/v1/actors", json!({"manifest": missing})));
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains(missing.to_str().unwrap()),
        "{status}: {body}"
    );

    // The CLI says the same in one line, and the server and the actor carry on.
    let out = client(&s, &server, &["send", "no-such-actor", "inc"]);
    let stderr = assert_clean_failure(&out);
    assert!(
        stderr.starts_with("error: no actor with id no-such-actor\n  hint: `theater list`")
            && stderr.contains("at least 8"),
        "{stderr}"
    );
    let out = client(&s, &server, &["start", missing.to_str().unwrap()]);
    assert!(assert_clean_failure(&out).contains("cannot read manifest"));
    assert_eq!(ok(&s, &server, &["request", &id, "get"]).trim(), "0");
    let (status, health) = tokio.block_on(api.get("/v1/health"));
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
}

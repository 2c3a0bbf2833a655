//! Bounded shutdown of a real `theater server`: SIGTERM with an actor asleep in a host wait,
//! one with a full mailbox of slow messages and one in an infinite loop ends the process
//! within the shutdown timeout + 2 s, exit 0; the actors still running at the deadline end
//! `interrupted` (the abandoned messages counted), the idle ones `stopped`, and every chain
//! verifies. A second signal skips the wait.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use theater_e2e::server::{Api, ServerProc};
use theater_e2e::{fixtures, texts, Scratch};

/// A `raw-caps` manifest granting every capability, then `limits`.
fn caps_manifest(s: &Scratch, name: &str, limits: &str) -> PathBuf {
    theater_e2e::caps::caps_manifest(s, name, &[], limits)
}

async fn start(api: &Api, manifest: &std::path::Path) -> String {
    let (status, view) = api.post("/v1/actors", json!({"manifest": manifest})).await;
    assert_eq!(status, 201, "{view}");
    view["id"].as_str().expect("id").to_string()
}

/// Fire a request without waiting (it is answered with an error at shutdown).
fn fire(api: &Api, id: &str, text: &str) -> tokio::task::JoinHandle<(u16, Value)> {
    let (api, path, body) = (
        api.clone(),
        format!("/v1/actors/{id}/request"),
        json!({"text": text}),
    );
    tokio::spawn(async move { api.post(&path, body).await })
}

/// Wait until `id` has recorded `calls` export calls (init included): it is busy.
async fn wait_calls(api: &Api, id: &str, calls: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, page) = api
            .get(&format!("/v1/actors/{id}/events?type=wasm/call"))
            .await;
        if page["events"].as_array().is_some_and(|e| e.len() >= calls) {
            return;
        }
        assert!(Instant::now() < deadline, "{id} did not get busy: {page}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The recorded events of `id`, read from the database with the server gone.
fn events(s: &Scratch, id: &str) -> Vec<Value> {
    let out = s.run(&["events", id, "--json"]);
    assert!(out.status.success(), "{}", texts(&out).1);
    serde_json::from_str::<Value>(&texts(&out).0)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn assert_verifies(s: &Scratch, id: &str) {
    let out = s.run(&["verify", id]);
    assert!(
        out.status.success(),
        "chain of {id} does not verify: {}",
        texts(&out).1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_interrupts_sleeping_full_and_looping_actors_within_the_timeout() {
    const TIMEOUT_S: u64 = 3;
    let s = Scratch::new();
    let mut server = ServerProc::start(&s, &["--shutdown-timeout", &format!("{TIMEOUT_S}s")]);
    let api = Api::new(&server);

    let sleeper = start(&api, &caps_manifest(&s, "sleeper", "")).await;
    fire(&api, &sleeper, "timing.sleep 50000");
    // Mailbox of 4, each message a 2 s sleep: draining it would take far past the deadline.
    let full = start(&api, &caps_manifest(&s, "full", "[limits]\nmailbox = 4\n")).await;
    let queued: Vec<_> = (0..8)
        .map(|_| fire(&api, &full, "timing.sleep 2000"))
        .collect();
    let looper_manifest = s.manifest(
        "looper",
        &fixtures().component("raw-misbehave"),
        "[limits]\ncall_timeout_ms = 600000\n",
    );
    let looper = start(&api, &looper_manifest).await;
    fire(&api, &looper, "loop");
    let idle = start(&api, &caps_manifest(&s, "idle", "")).await;
    for id in [&sleeper, &full, &looper] {
        wait_calls(&api, id, 2).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    server.signal("TERM");
    let (status, took) = server.wait_exit(Duration::from_secs(TIMEOUT_S + 10));
    let log = server.log();
    assert!(status.success(), "exit {status}:\n{log}");
    assert!(
        took <= Duration::from_secs(TIMEOUT_S + 2),
        "took {took:?} after SIGTERM:\n{log}"
    );
    assert!(
        log.contains("3 interrupted at the deadline; chains flushed"),
        "{log}"
    );
    // Every caller got an answer: calls that ended before the deadline 200, the call cut
    // short failed with the actor (500), the messages it never got to are 409.
    let mut statuses = Vec::new();
    for call in queued {
        statuses.push(call.await.expect("every queued caller was answered").0);
    }
    assert!(
        statuses.iter().all(|s| [200, 409, 500].contains(s)),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().filter(|s| **s == 409).count() >= 4,
        "{statuses:?}"
    );

    for id in [&sleeper, &full, &looper] {
        assert_verifies(&s, id);
        let events = events(&s, id);
        let last = events.last().unwrap();
        assert_eq!(last["type"], "lifecycle/interrupted", "{id}: {last}");
    }
    let abandoned = events(&s, &full).last().unwrap()["view"]["abandoned"].as_u64();
    assert!(
        abandoned.is_some_and(|n| n >= 1),
        "the full mailbox's messages are counted: {abandoned:?}"
    );
    assert_verifies(&s, &idle);
    assert_eq!(
        events(&s, &idle).last().unwrap()["type"],
        "lifecycle/stopped",
        "an idle actor stops normally"
    );
    let listed = texts(&s.run(&["events", "--json"])).0;
    let listed: Value = serde_json::from_str(&listed).unwrap();
    let status_of = |id: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["actor_id"] == id)
            .map(|a| a["status"].clone())
    };
    assert_eq!(status_of(&looper), Some(json!("interrupted")));
    assert_eq!(status_of(&idle), Some(json!("stopped")));
    assert!(!server.home.join("server.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_interrupts_at_once() {
    let s = Scratch::new();
    let mut server = ServerProc::start(&s, &["--shutdown-timeout", "60s"]);
    let api = Api::new(&server);
    let sleeper = start(&api, &caps_manifest(&s, "sleeper", "")).await;
    fire(&api, &sleeper, "timing.sleep 50000");
    wait_calls(&api, &sleeper, 2).await;

    server.signal("TERM");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, _) = api.get("/v1/health").await;
    assert_eq!(
        status, 200,
        "the server still answers while its actors stop"
    );
    let (status, body) = api
        .post(
            "/v1/actors",
            json!({"manifest": caps_manifest(&s, "late", "")}),
        )
        .await;
    assert_eq!(status, 503, "no actor starts during shutdown: {body}");
    server.signal("INT");
    let (status, took) = server.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "{}", server.log());
    assert!(
        took < Duration::from_secs(3),
        "took {took:?} after the second signal"
    );
    assert_verifies(&s, &sleeper);
    assert_eq!(
        events(&s, &sleeper).last().unwrap()["type"],
        "lifecycle/interrupted"
    );
}

//! Deterministic replay end to end: recorded chains of real fixture actors — counters,
//! traps, messaging peers, supervision trees, SDK actors — replay hash for hash; a changed
//! component is caught at the first affected event; a tampered chain is refused.

use std::sync::Arc;
use std::time::{Duration, Instant};

use theater_e2e::{assert_clean_failure, chains, fixture_variant, fixtures, texts, Scratch};
use theater_runtime::chain::Event;
use theater_runtime::replay::ReplayReport;
use theater_runtime::{Manifest, Theater, TheaterConfig};

const GRANTS: &str = "[[handler]]\ntype = \"message-server\"\n[[handler]]\ntype = \"supervisor\"\n";

fn runtime(s: &Scratch) -> Theater {
    let mut config = TheaterConfig::new(Some(s.home()));
    config.logs = Arc::new(|_| {});
    Theater::new(config).unwrap()
}

async fn spawn(theater: &Theater, s: &Scratch, name: &str, fixture: &str, extra: &str) -> String {
    let m = s.manifest(name, &fixtures().component(fixture), extra);
    theater
        .spawn(Manifest::load(&m).unwrap(), None, None)
        .await
        .unwrap()
}

fn events(theater: &Theater, id: &str) -> Vec<Event> {
    chains::events(theater, id)
}

async fn replay(
    theater: &Theater,
    id: &str,
    component: Option<std::path::PathBuf>,
) -> ReplayReport {
    let input = chains::replay_input(theater, id, component);
    theater.replay(input).await.unwrap()
}

async fn assert_identical(theater: &Theater, id: &str) -> usize {
    let recorded = events(theater, id);
    let report = replay(theater, id, None).await;
    assert_eq!(
        report.divergence, None,
        "actor {id} did not replay identically"
    );
    assert_eq!(report.identical as usize, recorded.len());
    assert_eq!(report.head, recorded.last().map(|e| e.hash));
    recorded.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counter_with_initial_state_logs_and_get_chain_replays_identically() {
    let s = Scratch::new();
    let theater = runtime(&s);
    let state = s.file("state.txt", "40");
    let id = spawn(
        &theater,
        &s,
        "counter",
        "raw-counter",
        &format!("init_state = \"{}\"", state.display()),
    )
    .await;
    theater.send(&id, b"inc".to_vec()).await.unwrap();
    theater.send(&id, b"add 5".to_vec()).await.unwrap();
    assert_eq!(theater.request(&id, b"get".to_vec()).await.unwrap(), b"46");
    theater.request(&id, b"chain".to_vec()).await.unwrap();
    theater.send(&id, b"bogus".to_vec()).await.unwrap_err();
    theater.stop(&id).await.unwrap();
    assert!(assert_identical(&theater, &id).await > 15);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traps_replay_identically() {
    let s = Scratch::new();
    let theater = runtime(&s);
    let id = spawn(
        &theater,
        &s,
        "m",
        "raw-misbehave",
        "[limits]\nmemory_mb = 8",
    )
    .await;
    theater.send(&id, b"count".to_vec()).await.unwrap();
    theater.request(&id, b"err".to_vec()).await.unwrap_err();
    theater
        .request(&id, b"alloc 64".to_vec())
        .await
        .unwrap_err();
    theater.actor(&id).unwrap().handle.wait().await;
    assert_identical(&theater, &id).await;

    let id = spawn(&theater, &s, "p", "raw-misbehave", "").await;
    theater.request(&id, b"panic".to_vec()).await.unwrap_err();
    theater.actor(&id).unwrap().handle.wait().await;
    assert_identical(&theater, &id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_sides_of_messaging_replay_from_their_own_chains() {
    let s = Scratch::new();
    let theater = runtime(&s);
    let a = spawn(&theater, &s, "a", "raw-peer", GRANTS).await;
    let b = spawn(&theater, &s, "b", "raw-peer", GRANTS).await;
    theater
        .request(&a, format!("pingpong {b} 50").into_bytes())
        .await
        .unwrap();
    let ch = String::from_utf8(
        theater
            .request(&a, format!("open {b} hi").into_bytes())
            .await
            .unwrap(),
    )
    .unwrap();
    theater
        .request(&a, format!("chsend {ch} x").into_bytes())
        .await
        .unwrap();
    theater
        .request(&a, format!("send {b} hello").into_bytes())
        .await
        .unwrap();
    theater
        .request(&a, format!("ask {b} ask {a} ping 1").into_bytes())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    theater.shutdown().await.unwrap();
    assert_identical(&theater, &a).await;
    assert_identical(&theater, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_and_its_restarted_child_replay_from_their_own_chains() {
    let s = Scratch::new();
    let theater = runtime(&s);
    s.manifest("child", &fixtures().component("raw-peer"), GRANTS);
    let sup = spawn(&theater, &s, "sup", "raw-peer", GRANTS).await;
    let child = String::from_utf8(
        theater
            .request(&sup, b"spawn child.toml".to_vec())
            .await
            .unwrap(),
    )
    .unwrap();
    theater.send(&child, b"inc".to_vec()).await.unwrap();
    theater.request(&child, b"fail".to_vec()).await.unwrap_err();
    let deadline = Instant::now() + Duration::from_secs(20);
    while theater.actor(&child).unwrap().restarts == 0 {
        assert!(Instant::now() < deadline, "child was not restarted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        theater.request(&child, b"get".to_vec()).await.unwrap(),
        b"1"
    );
    theater.shutdown().await.unwrap();
    let types: Vec<String> = events(&theater, &child)
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert!(
        types.contains(&"lifecycle/restarted".to_string()),
        "{types:?}"
    );
    assert_identical(&theater, &child).await;
    assert_identical(&theater, &sup).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_actors_replay_identically() {
    let s = Scratch::new();
    let theater = runtime(&s);
    let id = spawn(&theater, &s, "sdk-counter", "sdk-counter", "").await;
    for _ in 0..3 {
        theater.send(&id, br#"{"add":2}"#.to_vec()).await.unwrap();
    }
    assert_eq!(
        theater
            .request(&id, br#"{"get":{}}"#.to_vec())
            .await
            .unwrap(),
        b"6"
    );
    theater.stop(&id).await.unwrap();
    assert_identical(&theater, &id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_line_change_is_reported_at_the_first_affected_event_with_both_payloads() {
    let s = Scratch::new();
    let theater = runtime(&s);
    let id = spawn(&theater, &s, "counter", "raw-counter", "").await;
    theater.send(&id, b"add 3".to_vec()).await.unwrap();
    theater.send(&id, b"inc".to_vec()).await.unwrap();
    theater.request(&id, b"get".to_vec()).await.unwrap();
    theater.stop(&id).await.unwrap();
    let recorded = events(&theater, &id);

    let changed = fixture_variant("raw-counter", "step-two");
    let report = replay(&theater, &id, Some(changed.clone())).await;
    let d = report.divergence.expect("the changed counter must diverge");
    // The `add 3` send is unaffected; the `inc` send's result is the first difference.
    let inc_result = recorded
        .iter()
        .position(|e| e.event_type == "wasm/call" && e.payload.windows(3).any(|w| w == b"inc"))
        .map(|call| call + 1)
        .unwrap() as u64;
    assert_eq!(d.index, inc_result, "{d:?}");
    let expected = d.expected.unwrap();
    let actual = d.actual.unwrap();
    assert_eq!(
        (expected.event_type.as_str(), actual.event_type.as_str()),
        ("wasm/result", "wasm/result")
    );
    assert_ne!(
        expected.payload["state"], actual.payload["state"],
        "the states differ"
    );
    // Both states are shown decoded, not only as hashes: 3 + 1 recorded, 3 + 2 replayed.
    assert_eq!(
        (expected.state, actual.state),
        (Some(serde_json::json!(4)), Some(serde_json::json!(5)))
    );
    assert_eq!(report.identical, d.index);

    // The CLI prints both sides and exits 1.
    let out = s.run(&["replay", &id, "--component", changed.to_str().unwrap()]);
    let (stdout, _) = texts(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout.contains(&format!("diverged at event {inc_result}"))
            && stdout.contains("expected (recorded): wasm/result")
            && stdout.contains("actual   (replayed): wasm/result"),
        "{stdout}"
    );
    assert!(
        stdout.contains("    state (decoded):\n      4\n")
            && stdout.contains("    state (decoded):\n      5\n"),
        "{stdout}"
    );
}

#[test]
fn cli_replays_from_the_database_and_from_an_exported_file_and_refuses_a_tampered_one() {
    let s = Scratch::new();
    let m = s.manifest("counter", &fixtures().component("raw-counter"), "");
    let state = s.file("state.txt", "7");
    let out = s.run(&[
        "run",
        m.to_str().unwrap(),
        "--init-state",
        state.to_str().unwrap(),
        "--send",
        "inc",
        "--request",
        "get",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = v["actor_id"].as_str().unwrap();
    let n = v["events"].as_u64().unwrap();

    let out = s.run(&["replay", id]);
    assert_eq!(
        texts(&out).0.trim(),
        format!(
            "identical: {n} events, head {}",
            v["head"].as_str().unwrap()
        )
    );

    let file = s.path().join("c.jsonl");
    assert!(s
        .run(&["export", id, "-o", file.to_str().unwrap()])
        .status
        .success());
    let out = s.run(&["replay", file.to_str().unwrap(), "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["divergence"], serde_json::Value::Null, "{report}");
    assert_eq!(report["identical"], n);

    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Line 0 is the signed head; line 4 is event 3.
    lines[4]["timestamp_ms"] = serde_json::json!(1);
    let tampered = s.file(
        "t.jsonl",
        lines
            .iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let stderr = assert_clean_failure(&s.run(&["replay", tampered.to_str().unwrap()]));
    assert!(
        stderr.contains("does not verify") && stderr.contains("event 3:"),
        "{stderr}"
    );
}

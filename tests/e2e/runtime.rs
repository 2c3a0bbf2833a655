//! The host runtime end to end: real fixture components from tests/actors run by the real
//! runtime, through the `theater` binary and through the library.

use std::sync::{Arc, Mutex};

use theater_e2e::{assert_clean_failure, fixtures, texts, Scratch};
use theater_runtime::chain::{ChainReader, EventFilter};
use theater_runtime::{
    ActorError, ActorStatus, CallError, LogLine, Manifest, Theater, TheaterConfig,
};

/// A runtime in `scratch` whose actors' log lines are captured.
fn theater(scratch: &Scratch) -> (Theater, Arc<Mutex<Vec<LogLine>>>) {
    let logs = Arc::new(Mutex::new(Vec::new()));
    let sink = logs.clone();
    let mut config = TheaterConfig::new(Some(scratch.home()));
    config.logs = Arc::new(move |line: &LogLine| sink.lock().unwrap().push(line.clone()));
    (Theater::new(config).expect("theater starts"), logs)
}

fn event_types(theater: &Theater, id: &str) -> Vec<String> {
    theater.db().sink().flush().unwrap();
    let reader = ChainReader::open(theater.db().path()).unwrap();
    reader
        .events(id, &EventFilter::default())
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect()
}

#[test]
fn counter_runs_under_theater_run_with_state_requests_and_logs() {
    let s = Scratch::new();
    let m = s.manifest("counter", &fixtures().component("raw-counter"), "");
    let out = s.run(&[
        "run",
        m.to_str().unwrap(),
        "--send",
        "inc",
        "--send",
        "add 5",
        "--request",
        "get",
        "--send",
        "inc",
        "--request",
        "get",
    ]);
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        vec!["6", "7"],
        "replies in command-line order"
    );
    // Each line names the actor and its short id: `[counter 1a2b3c4d] …`.
    let line = stderr
        .lines()
        .find(|l| l.ends_with("request get -> 7"))
        .unwrap_or_else(|| panic!("{stderr}"));
    let id = line
        .strip_prefix("[counter ")
        .and_then(|l| l.split_once("] "))
        .map(|(id, _)| id)
        .unwrap_or_default();
    assert!(
        id.len() == 8 && id.chars().all(|c| c.is_ascii_hexdigit()),
        "{line}"
    );
    assert!(
        stderr.contains(&format!("[counter {id}] counter {id}"))
            && stderr.contains("starting at 0"),
        "{stderr}"
    );
}

#[test]
fn run_with_a_failing_message_exits_non_zero_and_its_json_names_the_failure() {
    let s = Scratch::new();
    let m = s.manifest("counter", &fixtures().component("raw-counter"), "");
    let args = [
        "run",
        m.to_str().unwrap(),
        "--send",
        "inc",
        "--send",
        "bogus",
        "--request",
        "nonsense",
        "--request",
        "get",
    ];
    let out = s.run(&args);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("error: --send \"bogus\": ") && stderr.contains("unknown message"),
        "{stderr}"
    );
    assert!(stderr.contains("2 of 4 messages failed"), "{stderr}");
    assert_eq!(
        stdout.trim(),
        "1",
        "the messages after a failed one are still delivered"
    );

    let out = s.run(&[&args[..], &["--json"]].concat());
    assert_eq!(out.status.code(), Some(1), "{}", texts(&out).1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", texts(&out).0));
    let messages = v["messages"].as_array().cloned().unwrap_or_default();
    assert_eq!(messages.len(), 4, "{v}");
    assert_eq!(messages[0], serde_json::json!({"send": "inc", "ok": null}));
    assert!(
        messages[1]["send"] == "bogus"
            && messages[1]["err"]
                .as_str()
                .is_some_and(|e| e.contains("unknown message")),
        "{v}"
    );
    assert!(
        messages[1].get("ok").is_none(),
        "a failure has no reply: {v}"
    );
    assert!(
        messages[2]["request"] == "nonsense"
            && messages[2]["err"]
                .as_str()
                .is_some_and(|e| e.contains("unknown request")),
        "{v}"
    );
    assert_eq!(
        messages[3],
        serde_json::json!({"request": "get", "ok": "1"})
    );
    assert_eq!(v["failed_messages"], 2, "{v}");
    assert_eq!(
        v["error"],
        serde_json::Value::Null,
        "the actor itself did not fail: {v}"
    );
}

#[test]
fn run_json_reports_replies_events_and_head() {
    let s = Scratch::new();
    let m = s.manifest("counter", &fixtures().component("raw-counter"), "");
    let state = s.file("state.txt", "41");
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
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"));
    assert_eq!(
        v["messages"],
        serde_json::json!([{"send": "inc", "ok": null}, {"request": "get", "ok": "42"}])
    );
    assert_eq!(v["failed_messages"], 0);
    assert_eq!(v["error"], serde_json::Value::Null);
    assert_eq!(v["head"].as_str().map(str::len), Some(64), "{v}");
    let id = v["actor_id"].as_str().unwrap();
    // started, init call+result, log, send call+result, request call+log+result, stopped
    assert!(v["events"].as_u64().unwrap() >= 10, "{v}");
    let verify = s.run(&["verify", id]);
    let head = v["head"].as_str().unwrap();
    assert!(
        texts(&verify).0.starts_with(&format!(
            "ok: {} events, head {head}, signed by ",
            v["events"]
        )),
        "{}",
        texts(&verify).0
    );
}

#[test]
fn ungranted_theater_import_is_refused_before_the_guest_runs() {
    let s = Scratch::new();
    let m = s.manifest("ungranted", &fixtures().component("raw-ungranted"), "");
    let out = s.run(&["run", m.to_str().unwrap()]);
    let stderr = assert_clean_failure(&out);
    assert!(
        stderr.contains("theater:simple/message-server-host"),
        "{stderr}"
    );
    assert!(
        stderr.contains("[[handler]]") && stderr.contains("type = \"message-server\""),
        "{stderr}"
    );
    assert!(
        stderr.contains(m.to_str().unwrap()),
        "names the manifest: {stderr}"
    );
    assert!(
        !stderr.contains("ungranted actor is running"),
        "guest ran: {stderr}"
    );
}

#[test]
fn wasi_imports_are_refused_with_the_build_hint() {
    let s = Scratch::new();
    let m = s.manifest("wasi", &fixtures().component("raw-wasi"), "");
    let out = s.run(&["run", m.to_str().unwrap()]);
    let stderr = assert_clean_failure(&out);
    assert!(stderr.contains("wasi:cli/"), "{stderr}");
    assert!(stderr.contains("wasm32-unknown-unknown"), "{stderr}");
    assert!(!stderr.contains("printing needs"), "guest ran: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infinite_loop_is_stopped_at_the_call_timeout_and_the_host_lives_on() {
    let s = Scratch::new();
    let (theater, _) = theater(&s);
    let looping = s.manifest(
        "looping",
        &fixtures().component("raw-misbehave"),
        "[limits]\ncall_timeout_ms = 300",
    );
    let bystander = s.manifest("bystander", &fixtures().component("raw-counter"), "");
    let looper = theater
        .spawn(Manifest::load(&looping).unwrap(), None, None)
        .await
        .unwrap();
    let other = theater
        .spawn(Manifest::load(&bystander).unwrap(), None, None)
        .await
        .unwrap();

    let started = std::time::Instant::now();
    let err = theater
        .request(&looper, b"loop".to_vec())
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    match &err {
        ActorError::Call {
            error: CallError::Trap(reason),
            ..
        } => assert!(
            reason.contains("call_timeout_ms") && reason.contains("300 ms"),
            "{reason}"
        ),
        other => panic!("expected a trap, got {other:?}"),
    }
    assert!(matches!(
        theater.actor(&looper).unwrap().handle.wait().await,
        ActorStatus::Failed(_)
    ));
    // The failed actor refuses further messages clearly; the other actor is unaffected.
    let again = theater
        .request(&looper, b"echo".to_vec())
        .await
        .unwrap_err();
    assert!(matches!(again, ActorError::NotRunning { .. }), "{again:?}");
    assert_eq!(
        theater.request(&other, b"get".to_vec()).await.unwrap(),
        b"0"
    );

    let types = event_types(&theater, &looper);
    assert_eq!(
        types.last().map(String::as_str),
        Some("lifecycle/failed"),
        "{types:?}"
    );
    assert!(types.iter().filter(|t| *t == "wasm/result").count() >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allocation_past_memory_mb_traps_with_a_message_saying_so() {
    let s = Scratch::new();
    let (theater, _) = theater(&s);
    let m = s.manifest(
        "hungry",
        &fixtures().component("raw-misbehave"),
        "[limits]\nmemory_mb = 8",
    );
    let id = theater
        .spawn(Manifest::load(&m).unwrap(), None, None)
        .await
        .unwrap();
    // Within the limit works.
    assert_eq!(
        theater.request(&id, b"alloc 2".to_vec()).await.unwrap(),
        b"512"
    );
    let err = theater
        .request(&id, b"alloc 64".to_vec())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("memory_mb") && text.contains("limit of 8 MiB"),
        "{text}"
    );
    assert!(matches!(
        theater.actor(&id).unwrap().handle.wait().await,
        ActorStatus::Failed(_)
    ));
    assert_eq!(
        event_types(&theater, &id).last().map(String::as_str),
        Some("lifecycle/failed")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_panic_message_and_location_reach_the_log_and_the_caller() {
    let s = Scratch::new();
    let (theater, logs) = theater(&s);
    let m = s.manifest("panicky", &fixtures().component("raw-misbehave"), "");
    let id = theater
        .spawn(Manifest::load(&m).unwrap(), None, None)
        .await
        .unwrap();
    let err = theater
        .request(&id, b"panic".to_vec())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("deliberate panic for the test"), "{err}");
    let logged: Vec<String> = logs
        .lock()
        .unwrap()
        .iter()
        .map(|l| l.message.clone())
        .collect();
    let panic_line = logged
        .iter()
        .find(|l| l.contains("deliberate panic"))
        .unwrap_or_else(|| panic!("{logged:?}"));
    assert!(
        panic_line.contains("src/lib.rs:"),
        "location missing: {panic_line}"
    );
    assert!(matches!(
        theater.actor(&id).unwrap().handle.wait().await,
        ActorStatus::Failed(_)
    ));
    let types = event_types(&theater, &id);
    assert!(
        types.contains(&"theater:simple/runtime/log".to_string()),
        "{types:?}"
    );
    assert_eq!(types.last().map(String::as_str), Some("lifecycle/failed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_error_fails_the_call_but_not_the_actor_and_keeps_state() {
    let s = Scratch::new();
    let (theater, _) = theater(&s);
    let m = s.manifest("errs", &fixtures().component("raw-misbehave"), "");
    let id = theater
        .spawn(Manifest::load(&m).unwrap(), None, None)
        .await
        .unwrap();
    theater.send(&id, b"count".to_vec()).await.unwrap();
    theater.send(&id, b"count".to_vec()).await.unwrap();
    let err = theater.request(&id, b"err".to_vec()).await.unwrap_err();
    assert!(
        matches!(&err, ActorError::Call { error: CallError::Guest(m), .. } if m == "refused on purpose"),
        "{err:?}"
    );
    assert_eq!(
        theater.actor(&id).unwrap().handle.status(),
        ActorStatus::Running
    );
    // init state [0] plus two counts: the state survived the failed call.
    assert_eq!(theater.request(&id, b"len".to_vec()).await.unwrap(), b"3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_from_the_guest_stops_it_and_get_chain_sees_its_own_events() {
    let s = Scratch::new();
    let (theater, _) = theater(&s);
    let m = s.manifest("counter", &fixtures().component("raw-counter"), "");
    let id = theater
        .spawn(Manifest::load(&m).unwrap(), None, None)
        .await
        .unwrap();
    let seen: u64 = String::from_utf8(theater.request(&id, b"chain".to_vec()).await.unwrap())
        .unwrap()
        .parse()
        .unwrap();
    // started, init call, log, init result, request call: at least 5 before get-chain ran.
    assert!(seen >= 5, "get-chain returned {seen} events");
    assert_eq!(
        theater.request(&id, b"stop".to_vec()).await.unwrap(),
        b"bye"
    );
    assert_eq!(
        theater.actor(&id).unwrap().handle.wait().await,
        ActorStatus::Stopped
    );
    assert_eq!(
        event_types(&theater, &id).last().map(String::as_str),
        Some("lifecycle/stopped")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_messages_are_refused_before_delivery() {
    let s = Scratch::new();
    let (theater, _) = theater(&s);
    let m = s.manifest(
        "small",
        &fixtures().component("raw-counter"),
        "[limits]\nmax_message_bytes = 16",
    );
    let id = theater
        .spawn(Manifest::load(&m).unwrap(), None, None)
        .await
        .unwrap();
    let err = theater.send(&id, vec![b'x'; 17]).await.unwrap_err();
    assert!(
        matches!(
            err,
            ActorError::MessageTooLarge {
                size: 17,
                limit: 16,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(theater.request(&id, b"get".to_vec()).await.unwrap(), b"0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_actor_that_outpaces_the_chain_writer_waits_and_the_queue_stays_bounded() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    const QUEUE_EVENTS: usize = 64;
    const QUEUE_BYTES: usize = 256 * 1024;
    const LINES: u64 = 20_000;
    let s = Scratch::new();
    let mut config = TheaterConfig::new(Some(s.home()));
    config.logs = Arc::new(|_| {});
    config.chain.queue_events = QUEUE_EVENTS;
    config.chain.queue_bytes = QUEUE_BYTES;
    let theater = Theater::new(config).expect("theater starts");
    // Log as fast as it can: the rate limits are raised so the writer's queue is what binds.
    let limits = "[limits]\nmax_logs_per_sec = 1000000\nmax_events_per_sec = 10000000\n";
    let m = s.manifest(
        "spam",
        &fixtures().component("raw-misbehave"),
        &format!("{limits}[[handler]]\ntype = \"runtime\"\n"),
    );
    let id = theater
        .spawn(Manifest::load(&m).unwrap(), None, None)
        .await
        .unwrap();

    // Sample what waits for the writer while the actor logs as fast as it can.
    let (peak_events, peak_bytes, done) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let sampler = {
        let (sink, peak_events, peak_bytes, done) = (
            theater.db().sink(),
            peak_events.clone(),
            peak_bytes.clone(),
            done.clone(),
        );
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                let (events, bytes) = sink.queued();
                peak_events.fetch_max(events, Ordering::Relaxed);
                peak_bytes.fetch_max(bytes, Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        })
    };
    let reply = theater
        .request(&id, format!("spam {LINES} 1024").into_bytes())
        .await
        .unwrap();
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    assert_eq!(reply, LINES.to_string().into_bytes());

    // The bound holds up to one host call's event past it (the call that found room), plus
    // the export's own call and result events.
    let (events, bytes) = (
        peak_events.load(Ordering::Relaxed),
        peak_bytes.load(Ordering::Relaxed),
    );
    assert!(
        events <= QUEUE_EVENTS + 3,
        "{events} events queued, bound {QUEUE_EVENTS}"
    );
    assert!(
        bytes <= QUEUE_BYTES + 3 * 2048,
        "{bytes} bytes queued, bound {QUEUE_BYTES}"
    );
    let logged = event_types(&theater, &id)
        .iter()
        .filter(|t| *t == "theater:simple/runtime/log")
        .count() as u64;
    assert_eq!(logged, LINES, "nothing was dropped to keep the bound");
    assert!(
        theater.actor(&id).unwrap().handle.status() == ActorStatus::Running,
        "the actor lives on"
    );
}

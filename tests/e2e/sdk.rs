//! SDK-built actors in the real runtime: the 30-line counter under `theater run` with only
//! the imports it uses, and the kitchen-sink actor exercising every interface the SDK wraps,
//! including the panic hook, deferred replies, channels and supervision, files and HTTP.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use theater_e2e::{echo_http_server, fixtures, texts, Scratch};
use theater_runtime::{LogLine, Manifest, Theater, TheaterConfig};

/// Every handler the kitchen imports. The filesystem root `files/` is beside the manifest
/// ([`Kitchen::new`] creates it). `http-client` comes last, so a test can append its
/// options (by default it allows no host).
const ALL: &str = r#"
[[handler]]
type = "message-server"
[[handler]]
type = "supervisor"
[[handler]]
type = "store"
[[handler]]
type = "timing"
[[handler]]
type = "random"
seed = 7
[[handler]]
type = "environment"
allow = ["THEATER_SDK_TEST_VISIBLE"]
[[handler]]
type = "filesystem"
root = "files"
[[handler]]
type = "http-client"
"#;

#[test]
fn the_sdk_counter_imports_only_what_it_uses_and_runs_under_theater_run() {
    let component = fixtures().component("sdk-counter");
    let bytes = std::fs::read(&component).unwrap();
    let imports = theater_runtime::sandbox::component_imports(&bytes, "sdk-counter").unwrap();
    assert_eq!(
        imports,
        vec!["theater:simple/types", "theater:simple/runtime"]
    );

    let s = Scratch::new();
    let m = s.manifest("counter", &component, "");
    let out = s.run(&[
        "run",
        m.to_str().unwrap(),
        "--send",
        r#"{"add":2}"#,
        "--send",
        r#"{"add":3}"#,
        "--request",
        r#"{"get":{}}"#,
    ]);
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout.trim(), "5");
    assert!(
        stderr.contains("[counter ") && stderr.contains("started"),
        "{stderr}"
    );
    // A message that does not decode is the sender's error, not a trap: the actor answers
    // the next request, and `theater run` reports the failed one in its exit status.
    let out = s.run(&[
        "run",
        m.to_str().unwrap(),
        "--request",
        r#"{"bogus":{}}"#,
        "--request",
        r#"{"get":{}}"#,
    ]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("1 of 2 messages failed"), "{stderr}");
    assert!(
        stderr.contains("cannot decode request") && stderr.contains("bogus"),
        "{stderr}"
    );
    assert_eq!(stdout.trim(), "0");
}

struct Kitchen {
    theater: Theater,
    logs: Arc<Mutex<Vec<LogLine>>>,
    s: Scratch,
}

impl Kitchen {
    fn new() -> Kitchen {
        let s = Scratch::new();
        let logs: Arc<Mutex<Vec<LogLine>>> = Arc::default();
        let sink = logs.clone();
        let mut config = TheaterConfig::new(Some(s.home()));
        config.logs = Arc::new(move |l: &LogLine| sink.lock().unwrap().push(l.clone()));
        std::fs::create_dir(s.path().join("files")).unwrap();
        Kitchen {
            theater: Theater::new(config).unwrap(),
            logs,
            s,
        }
    }

    async fn start(&self, name: &str) -> String {
        self.start_with(name, "").await
    }

    /// Starts a kitchen whose manifest adds `http_options` to its `http-client` handler.
    async fn start_with(&self, name: &str, http_options: &str) -> String {
        let m = self.s.manifest(
            name,
            &fixtures().component("sdk-kitchen"),
            &format!("{ALL}{http_options}"),
        );
        self.theater
            .spawn(Manifest::load(&m).unwrap(), None, None)
            .await
            .unwrap()
    }

    async fn ask(&self, id: &str, ask: Value) -> Result<Value, String> {
        match self.theater.request(id, ask.to_string().into_bytes()).await {
            Ok(bytes) => Ok(serde_json::from_slice(&bytes).unwrap()),
            Err(e) => Err(e.to_string()),
        }
    }

    fn logged(&self, text: &str) -> bool {
        self.logs
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.message.contains(text))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_wrapped_interface_works_in_the_runtime() {
    let k = Kitchen::new();
    let a = k.start("kitchen-a").await;
    let b = k.start("kitchen-b").await;
    assert!(k.logged(&format!("kitchen {a} ready")));

    // random (seeded), timing, environment
    let r = k.ask(&a, json!({"random": {}})).await.unwrap();
    assert_eq!(r["bytes"].as_array().unwrap().len(), 8);
    assert!((10..20).contains(&r["range"].as_u64().unwrap()), "{r}");
    assert_eq!(r["uuid"].as_str().unwrap().len(), 36);
    let now = k.ask(&a, json!({"now": {}})).await.unwrap()["now"]
        .as_u64()
        .unwrap();
    assert!(now > 1_700_000_000_000);
    let slept = k.ask(&a, json!({"sleep": {"ms": 20}})).await.unwrap();
    assert!(
        slept["after"].as_u64().unwrap() >= slept["before"].as_u64().unwrap() + 20,
        "{slept}"
    );
    let env = k.ask(&a, json!({"env": {"name": "PATH"}})).await.unwrap();
    assert_eq!(
        env["value"],
        Value::Null,
        "PATH is not on the allow-list: {env}"
    );
    assert_eq!(env["exists"], false);

    // store
    let store = k.ask(&a, json!({"store_roundtrip": {}})).await.unwrap();
    assert_eq!(
        (store["text"].as_str(), store["exists"].as_bool()),
        (Some("hello"), Some(true)),
        "{store}"
    );
    assert_eq!(store["bytes"], json!([1, 2, 3]));

    // runtime: log and get-chain
    assert_eq!(
        k.ask(&a, json!({"log": {"line": "a line from the test"}}))
            .await
            .unwrap()["logged"],
        "a line from the test"
    );
    assert!(k.logged("a line from the test"));
    assert!(
        k.ask(&a, json!({"chain": {}})).await.unwrap()["events"]
            .as_u64()
            .unwrap()
            > 10
    );

    // messages: send, request, channel, deferred replies
    assert_eq!(
        k.ask(&a, json!({"send": {"to": b, "msg": {"hi": 1}}}))
            .await
            .unwrap()["sent"],
        true
    );
    let reply = k
        .ask(&a, json!({"request": {"to": b, "msg": {"now": {}}}}))
        .await
        .unwrap();
    assert!(reply["reply"]["now"].as_u64().unwrap() > 0, "{reply}");
    assert!(k
        .ask(&a, json!({"channel": {"to": b, "msg": "over the channel"}}))
        .await
        .unwrap()["channel"]
        .is_string());
    let deferred = {
        let (theater, a) = (k.theater.clone(), a.clone());
        tokio::spawn(async move { theater.request(&a, br#"{"defer":{}}"#.to_vec()).await })
    };
    // The deferred request must be outstanding before it can be answered.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while k
        .ask(&a, json!({"answer": {"value": "later"}}))
        .await
        .unwrap()["answered"]
        != 1
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the deferred request never arrived"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(deferred.await.unwrap().unwrap(), br#""later""#);
    let state_b = k.ask(&b, json!({"state": {}})).await.unwrap();
    assert_eq!(state_b["received"], json!([{"hi": 1}]), "{state_b}");
    assert_eq!(
        state_b["channel_messages"],
        json!(["over the channel", "over the channel"]),
        "{state_b}"
    );

    // supervisor: spawn an SDK child, read its state, stop it
    let child_manifest =
        k.s.manifest("child", &fixtures().component("sdk-counter"), "");
    let child = k
        .ask(
            &a,
            json!({"spawn": {"manifest": child_manifest.display().to_string(), "init": null}}),
        )
        .await
        .unwrap()["child"]
        .as_str()
        .unwrap()
        .to_string();
    k.theater
        .send(&child, br#"{"add":4}"#.to_vec())
        .await
        .unwrap();
    assert_eq!(
        k.ask(&a, json!({"children": {}})).await.unwrap()["children"],
        json!([child])
    );
    assert_eq!(
        k.ask(&a, json!({"child_state": {"id": child}}))
            .await
            .unwrap()["state"],
        json!({"count": 4})
    );
    assert_eq!(
        k.ask(&a, json!({"stop_child": {"id": child}}))
            .await
            .unwrap()["stopped"],
        true
    );

    // errors: a returned error keeps the actor; a panic reaches the log with its location
    let err = k
        .ask(&a, json!({"fail": {"error": "no thanks"}}))
        .await
        .unwrap_err();
    assert!(err.contains("no thanks"), "{err}");
    let err = k.ask(&a, json!({"panic": {}})).await.unwrap_err();
    assert!(err.contains("kitchen panic requested"), "{err}");
    assert!(
        k.logged("kitchen panic requested") && k.logged("sdk-kitchen/src/lib.rs:"),
        "panic location logged"
    );
    // b is unaffected and can shut itself down.
    assert_eq!(
        k.ask(&b, json!({"shutdown": {}})).await.unwrap()["shutting_down"],
        true
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_and_http_round_trip_through_the_runtime() {
    let k = Kitchen::new();
    let port = echo_http_server().await;
    let a = k
        .start_with(
            "kitchen-web",
            &format!("allow_hosts = [\"127.0.0.1:{port}\"]"),
        )
        .await;
    let root = k.s.path().join("files");
    std::fs::write(root.join("kept.txt"), "from the host").unwrap();

    let fs = k.ask(&a, json!({"fs_roundtrip": {}})).await.unwrap();
    assert_eq!(
        fs,
        json!({
            "listed": ["note.txt"],
            "text": "hello file",
            "metadata": {"kind": "file", "size": 10},
            "exists_after": false,
            "root": ["kept.txt"],
        })
    );
    assert_eq!(
        std::fs::read_dir(&root).unwrap().count(),
        1,
        "the round trip cleaned up after itself"
    );

    let got = k
        .ask(
            &a,
            json!({"http_get": {"url": format!("http://127.0.0.1:{port}/hello?x=1")}}),
        )
        .await
        .unwrap();
    assert_eq!(
        got,
        json!({"status": 200, "x_test": "yes", "body": "GET /hello?x=1"})
    );
    // Off the allow-list: refused by the runtime, an error for the requester, not a trap.
    let err = k
        .ask(
            &a,
            json!({"http_get": {"url": format!("http://localhost:{port}/")}}),
        )
        .await
        .unwrap_err();
    assert!(err.contains("not on this actor's allow-list"), "{err}");
    assert!(
        k.ask(&a, json!({"now": {}})).await.is_ok(),
        "the actor keeps running"
    );
}

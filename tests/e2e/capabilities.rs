//! The capability handlers end to end: the `raw-caps` fixture actor calls store, timing,
//! random, environment, filesystem and http-client through the real runtime. Each test
//! checks what the guest got, what the chain recorded (`theater:simple/<iface>/<function>`
//! events with a CBOR `{params, result}` payload), and that refusals reach the guest as
//! errors while the actor keeps running.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use theater_e2e::{chains, Scratch};
use theater_runtime::chain::payload::bytes_to_json;
use theater_runtime::chain::{ChainReader, EventFilter};
use theater_runtime::{Manifest, Theater, TheaterConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A manifest for `raw-caps` granting every capability, with `options` added.
fn caps_manifest(s: &Scratch, name: &str, options: &[(&str, &str)]) -> PathBuf {
    theater_e2e::caps::caps_manifest(s, name, options, "")
}

fn theater(s: &Scratch) -> Theater {
    Theater::new(TheaterConfig::new(Some(s.home()))).expect("theater starts")
}

async fn spawn(theater: &Theater, s: &Scratch, name: &str, options: &[(&str, &str)]) -> String {
    let manifest = Manifest::load(&caps_manifest(s, name, options)).unwrap();
    theater
        .spawn(manifest, None, None)
        .await
        .unwrap_or_else(|e| panic!("spawn {name}: {e}"))
}

/// Send the fixture one command; its reply, `ok ...` or `err ...`.
async fn ask(theater: &Theater, id: &str, command: &str) -> String {
    let reply = theater
        .request(id, command.as_bytes().to_vec())
        .await
        .unwrap_or_else(|e| panic!("{command}: {e}"));
    String::from_utf8(reply).unwrap()
}

/// Like [`ask`], expecting success: the value after `ok `.
async fn ok(theater: &Theater, id: &str, command: &str) -> String {
    let reply = ask(theater, id, command).await;
    reply
        .strip_prefix("ok ")
        .unwrap_or_else(|| panic!("{command}: expected ok, got {reply}"))
        .to_string()
}

/// Like [`ask`], expecting a refusal: the host's message after `err `.
async fn refused(theater: &Theater, id: &str, command: &str) -> String {
    let reply = ask(theater, id, command).await;
    reply
        .strip_prefix("err ")
        .unwrap_or_else(|| panic!("{command}: expected err, got {reply}"))
        .to_string()
}

/// The payloads (as their JSON view) of the actor's events of one type, in order.
fn recorded(theater: &Theater, id: &str, event_type: &str) -> Vec<Value> {
    theater.db().sink().flush().unwrap();
    let reader = ChainReader::open(theater.db().path()).unwrap();
    let filter = EventFilter {
        type_prefix: Some(event_type.to_string()),
        ..EventFilter::default()
    };
    reader
        .events(id, &filter)
        .unwrap()
        .into_iter()
        .filter(|e| e.event_type == event_type)
        .map(|e| bytes_to_json(&e.payload))
        .collect()
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_functions_work_and_every_call_is_recorded() {
    let s = Scratch::new();
    let t = theater(&s);
    let id = spawn(&t, &s, "store", &[]).await;
    let store = ok(&t, &id, "store.new").await;

    // Label round trip.
    let hello = ok(
        &t,
        &id,
        &format!("store.store-at-label {store} greeting hello world"),
    )
    .await;
    assert_eq!(
        hello, "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
        "SHA-256 hex of the content"
    );
    assert_eq!(
        ok(&t, &id, &format!("store.get-by-label {store} greeting")).await,
        hello
    );
    assert_eq!(
        ok(&t, &id, &format!("store.read-label {store} greeting")).await,
        "hello world"
    );
    assert_eq!(
        ok(&t, &id, &format!("store.get-by-label {store} nothing")).await,
        "none"
    );

    // Plain content, labels pointed at it, replaced and removed.
    let bye = ok(&t, &id, &format!("store.store {store} bye")).await;
    assert_eq!(
        ok(&t, &id, &format!("store.get {store} {bye}")).await,
        "bye"
    );
    assert_eq!(
        ok(&t, &id, &format!("store.exists {store} {bye}")).await,
        "true"
    );
    ok(&t, &id, &format!("store.label {store} farewell {bye}")).await;
    assert_eq!(
        ok(&t, &id, &format!("store.list-labels {store}")).await,
        "farewell,greeting"
    );
    assert_eq!(
        ok(&t, &id, &format!("store.list-all-content {store}")).await,
        format!("{hello},{bye}")
    );
    assert_eq!(
        ok(&t, &id, &format!("store.calculate-total-size {store}")).await,
        "14"
    );
    let v2 = ok(
        &t,
        &id,
        &format!("store.replace-content-at-label {store} greeting hi"),
    )
    .await;
    assert_eq!(
        ok(&t, &id, &format!("store.read-label {store} greeting")).await,
        "hi"
    );
    ok(
        &t,
        &id,
        &format!("store.replace-at-label {store} greeting {bye}"),
    )
    .await;
    assert_eq!(
        ok(&t, &id, &format!("store.get-by-label {store} greeting")).await,
        bye
    );
    ok(
        &t,
        &id,
        &format!("store.remove-from-label {store} greeting {v2}"),
    )
    .await;
    assert_eq!(
        ok(&t, &id, &format!("store.get-by-label {store} greeting")).await,
        bye,
        "points elsewhere: kept"
    );
    ok(
        &t,
        &id,
        &format!("store.remove-from-label {store} greeting {bye}"),
    )
    .await;
    ok(&t, &id, &format!("store.remove-label {store} farewell")).await;
    assert_eq!(ok(&t, &id, &format!("store.list-labels {store}")).await, "");

    // Refusals the guest sees.
    let e = refused(&t, &id, "store.get not-a-store abc").await;
    assert!(
        e.contains("no store with id \"not-a-store\"") && e.contains("store.new"),
        "{e}"
    );
    let other = ok(&t, &id, "store.new").await;
    let e = refused(&t, &id, &format!("store.get {other} {bye}")).await;
    assert!(
        e.contains(&format!("content {bye} is not in store {other}")),
        "{e}"
    );
    assert!(
        s.home().join("store.db").is_file(),
        "the store has its own database file"
    );

    let calls = recorded(&t, &id, "theater:simple/store/store-at-label");
    assert_eq!(
        calls,
        vec![
            json!({"params": [store, "greeting", "hello world"], "result": [{"ok": {"hash": hello}}]})
        ]
    );
    let calls = recorded(&t, &id, "theater:simple/store/get");
    assert_eq!(calls.last().unwrap()["result"], json!([{"err": e}]));
    for function in [
        "new",
        "store",
        "get",
        "exists",
        "label",
        "get-by-label",
        "remove-label",
        "remove-from-label",
        "store-at-label",
        "replace-content-at-label",
        "replace-at-label",
        "list-labels",
        "list-all-content",
        "calculate-total-size",
    ] {
        assert!(
            !recorded(&t, &id, &format!("theater:simple/store/{function}")).is_empty(),
            "{function} was not recorded"
        );
    }
}

#[test]
fn store_content_survives_a_restart_of_the_runtime() {
    let s = Scratch::new();
    let rt = || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    };
    let (store, hash) = rt().block_on(async {
        let t = theater(&s);
        let id = spawn(&t, &s, "first", &[]).await;
        let store = ok(&t, &id, "store.new").await;
        let hash = ok(
            &t,
            &id,
            &format!("store.store-at-label {store} kept survives restarts"),
        )
        .await;
        (store, hash)
    });
    // The first runtime and every task in it are gone; a new one opens the same data dir.
    rt().block_on(async {
        let t = theater(&s);
        let id = spawn(&t, &s, "second", &[]).await;
        assert_eq!(
            ok(&t, &id, &format!("store.get-by-label {store} kept")).await,
            hash
        );
        assert_eq!(
            ok(&t, &id, &format!("store.get {store} {hash}")).await,
            "survives restarts"
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timing_gives_the_clock_sleeps_and_refuses_waits_over_max_sleep_ms() {
    let s = Scratch::new();
    let t = theater(&s);
    let id = spawn(&t, &s, "clock", &[("timing", "max_sleep_ms = 500")]).await;

    let before = now_ms();
    let now: u64 = ok(&t, &id, "timing.now").await.parse().unwrap();
    assert!(now >= before && now <= now_ms(), "{before} <= {now}");

    let started = Instant::now();
    assert_eq!(ok(&t, &id, "timing.sleep 100").await, "done");
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "{:?}",
        started.elapsed()
    );
    let started = Instant::now();
    assert_eq!(ok(&t, &id, "timing.deadline-in 100").await, "done");
    assert!(
        started.elapsed() >= Duration::from_millis(90),
        "{:?}",
        started.elapsed()
    );

    let started = Instant::now();
    let too_long = refused(&t, &id, "timing.sleep 5000").await;
    assert!(
        too_long.contains("sleep of 5000 ms refused")
            && too_long.contains("max_sleep_ms of 500 ms"),
        "{too_long}"
    );
    let e = refused(&t, &id, "timing.deadline-in 60000").await;
    assert!(
        e.contains("wait until the deadline") && e.contains("max_sleep_ms"),
        "{e}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(2000),
        "refusals do not wait: {:?}",
        started.elapsed()
    );

    // `deadline-in` reads the clock too, so `now` is recorded three times.
    assert_eq!(
        recorded(&t, &id, "theater:simple/timing/now")[0],
        json!({"params": null, "result": [now]})
    );
    let sleeps = recorded(&t, &id, "theater:simple/timing/sleep");
    assert_eq!(
        sleeps,
        vec![
            json!({"params": [100], "result": [{"ok": null}]}),
            json!({"params": [5000], "result": [{"err": too_long}]})
        ]
    );
    let deadlines = recorded(&t, &id, "theater:simple/timing/deadline");
    assert_eq!(deadlines.len(), 2);
    assert_eq!(deadlines[1]["result"], json!([{"err": e}]));
}

/// With a single worker thread, a sleep that blocked its thread would stall everything:
/// the other actor answers at once only because sleeping yields.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn one_actors_long_sleep_does_not_delay_another_actors_messages() {
    let s = Scratch::new();
    let t = theater(&s);
    let sleeper = spawn(&t, &s, "sleeper", &[]).await;
    let other = spawn(&t, &s, "other", &[]).await;

    let started = Instant::now();
    let sleeping = tokio::spawn({
        let t = t.clone();
        async move { ask(&t, &sleeper, "timing.sleep 3000").await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    for _ in 0..3 {
        let asked = Instant::now();
        ok(&t, &other, "random.random-float").await;
        assert!(
            asked.elapsed() < Duration::from_millis(1000),
            "the other actor waited {:?}",
            asked.elapsed()
        );
    }
    assert!(
        !sleeping.is_finished(),
        "the other actor answered while the sleeper slept"
    );
    assert!(
        started.elapsed() < Duration::from_millis(3000),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(sleeping.await.unwrap(), "ok done");
    assert!(started.elapsed() >= Duration::from_millis(3000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_values_repeat_with_a_seed_and_bad_requests_are_refused() {
    let s = Scratch::new();
    let t = theater(&s);
    let a = spawn(&t, &s, "seeded-a", &[("random", "seed = 42")]).await;
    let b = spawn(&t, &s, "seeded-b", &[("random", "seed = 42")]).await;
    let c = spawn(&t, &s, "unseeded", &[]).await;
    let script = [
        "random.random-bytes 16",
        "random.random-range 10 20",
        "random.random-float",
        "random.generate-uuid",
    ];
    let mut seen = Vec::new();
    for id in [&a, &b, &c] {
        let mut values = Vec::new();
        for command in script {
            values.push(ok(&t, id, command).await);
        }
        seen.push(values);
    }
    assert_eq!(seen[0], seen[1], "the same seed gives the same values");
    assert_ne!(seen[0], seen[2], "no seed: OS entropy");
    assert_eq!(seen[0][0].len(), 32, "16 bytes as hex");
    let n: u64 = seen[0][1].parse().unwrap();
    assert!((10..20).contains(&n), "{n}");
    let f: f64 = seen[0][2].parse().unwrap();
    assert!((0.0..1.0).contains(&f), "{f}");
    assert_eq!(seen[0][3].len(), 36);
    assert_eq!(&seen[0][3][14..15], "4", "a version 4 UUID: {}", seen[0][3]);

    let e = refused(&t, &a, "random.random-range 5 5").await;
    assert!(e.contains("min must be less than max"), "{e}");
    let e = refused(&t, &a, "random.random-bytes 2000000").await;
    assert!(e.contains("2000000 bytes refused"), "{e}");

    let calls = recorded(&t, &a, "theater:simple/random/random-range");
    assert_eq!(calls[0], json!({"params": [10, 20], "result": [{"ok": n}]}));
    assert_eq!(
        calls[1]["result"],
        json!([{"err": "random-range(5, 5) refused: the range is [min, max), so min must be less than max"}])
    );
    let bytes = &recorded(&t, &a, "theater:simple/random/random-bytes")[0];
    assert_eq!(
        bytes["result"][0]["ok"],
        json!(format!("0x{}", seen[0][0])),
        "bytes are recorded as bytes"
    );
}

/// Uses variables cargo sets for every test run, rather than setting any: changing the
/// environment while other tests' threads may read it is not safe.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_shows_only_variables_on_the_allow_list() {
    let s = Scratch::new();
    let t = theater(&s);
    let id = spawn(
        &t,
        &s,
        "env",
        &[(
            "environment",
            "allow = [\"CARGO_PKG_NAME\"]\nallow_prefixes = [\"CARGO_PKG_VERSION\"]",
        )],
    )
    .await;
    let none = spawn(&t, &s, "env-default", &[]).await;

    assert_eq!(
        ok(&t, &id, "env.get-var CARGO_PKG_NAME").await,
        "some theater-e2e"
    );
    assert_eq!(
        ok(&t, &id, "env.get-var CARGO_PKG_VERSION_MAJOR").await,
        format!("some {}", env!("CARGO_PKG_VERSION_MAJOR"))
    );
    assert!(std::env::var_os("PATH").is_some() && std::env::var_os("CARGO_MANIFEST_DIR").is_some());
    assert_eq!(
        ok(&t, &id, "env.get-var PATH").await,
        "none",
        "off the list reads as absent"
    );
    assert_eq!(ok(&t, &id, "env.exists CARGO_MANIFEST_DIR").await, "false");
    assert_eq!(ok(&t, &id, "env.exists CARGO_PKG_NAME").await, "true");
    assert_eq!(
        ok(&t, &id, "env.get-var CARGO_PKG_VERSION_NOT_SET").await,
        "none"
    );
    let mut allowed: Vec<String> = std::env::vars()
        .filter(|(k, _)| k == "CARGO_PKG_NAME" || k.starts_with("CARGO_PKG_VERSION"))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    allowed.sort();
    assert!(allowed.len() >= 5, "{allowed:?}");
    assert_eq!(ok(&t, &id, "env.list-vars").await, allowed.join(","));
    // Nothing is visible by default.
    assert_eq!(ok(&t, &none, "env.get-var CARGO_PKG_NAME").await, "none");
    assert_eq!(ok(&t, &none, "env.list-vars").await, "");

    let calls = recorded(&t, &id, "theater:simple/environment/get-var");
    assert_eq!(
        calls[0],
        json!({"params": ["CARGO_PKG_NAME"], "result": ["theater-e2e"]})
    );
    assert_eq!(calls[2], json!({"params": ["PATH"], "result": [null]}));
    let listed = recorded(&t, &id, "theater:simple/environment/list-vars");
    assert_eq!(
        listed[0]["result"][0].as_array().unwrap().len(),
        allowed.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filesystem_works_inside_its_root_and_is_recorded() {
    let s = Scratch::new();
    let t = theater(&s);
    let id = spawn(&t, &s, "files", &[]).await;
    let data = s.path().join("data");

    assert_eq!(ok(&t, &id, "fs.create-dir notes/2024").await, "done");
    assert_eq!(
        ok(&t, &id, "fs.write-file notes/2024/a.txt first note").await,
        "done"
    );
    assert_eq!(
        std::fs::read_to_string(data.join("notes/2024/a.txt")).unwrap(),
        "first note",
        "relative to the manifest's dir"
    );
    assert_eq!(
        ok(&t, &id, "fs.read-file notes/2024/a.txt").await,
        "first note"
    );
    std::fs::write(data.join("notes/b.txt"), "from the host").unwrap();
    assert_eq!(
        ok(&t, &id, "fs.read-file ./notes/b.txt").await,
        "from the host"
    );
    assert_eq!(ok(&t, &id, "fs.list-files notes").await, "2024,b.txt");
    assert_eq!(ok(&t, &id, "fs.list-files .").await, "notes");
    assert_eq!(ok(&t, &id, "fs.metadata notes/2024/a.txt").await, "file 10");
    assert!(ok(&t, &id, "fs.metadata notes")
        .await
        .starts_with("directory "));
    assert_eq!(ok(&t, &id, "fs.path-exists notes/b.txt").await, "true");
    assert_eq!(ok(&t, &id, "fs.delete-file notes/b.txt").await, "done");
    assert_eq!(ok(&t, &id, "fs.path-exists notes/b.txt").await, "false");
    assert_eq!(
        refused(&t, &id, "fs.read-file notes/b.txt").await,
        "\"notes/b.txt\" does not exist"
    );
    let e = refused(&t, &id, "fs.write-file missing/dir/c.txt x").await;
    assert!(e.contains("create-dir"), "{e}");
    let e = refused(&t, &id, "fs.delete-dir .").await;
    assert!(e.contains("root itself cannot be deleted"), "{e}");
    assert_eq!(ok(&t, &id, "fs.delete-dir notes").await, "done");
    assert_eq!(ok(&t, &id, "fs.list-files .").await, "");
    assert!(data.is_dir());
    // `write-file` takes text (upstream's signature); `write-file-bytes` any bytes.
    assert_eq!(ok(&t, &id, "fs.write-bytes raw.bin").await, "done");
    assert_eq!(
        std::fs::read(data.join("raw.bin")).unwrap(),
        [0xff, 0x00, 0xfe]
    );
    // Upstream's command functions link, and never run anything.
    for command in ["fs.exec touch", "fs.exec-nix touch pwned"] {
        let e = refused(&t, &id, command).await;
        assert!(e.contains("runs no commands"), "{command}: {e}");
    }
    assert!(!data.join("pwned").exists() && !s.path().join("pwned").exists());

    let writes = recorded(&t, &id, "theater:simple/filesystem/write-file");
    assert_eq!(
        writes[0],
        json!({"params": ["notes/2024/a.txt", "first note"], "result": [{"ok": null}]})
    );
    let reads = recorded(&t, &id, "theater:simple/filesystem/read-file");
    assert_eq!(
        reads[0],
        json!({"params": ["notes/2024/a.txt"], "result": [{"ok": "first note"}]})
    );
    assert_eq!(
        reads[2]["result"],
        json!([{"err": "\"notes/b.txt\" does not exist"}])
    );
    let meta = recorded(&t, &id, "theater:simple/filesystem/metadata");
    assert_eq!(
        meta[0]["result"],
        json!([{"ok": {"kind": "file", "size": 10}}])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filesystem_refuses_dotdot_absolute_and_symlink_escapes() {
    let s = Scratch::new();
    let t = theater(&s);
    let id = spawn(&t, &s, "escaper", &[]).await;
    let secret = s.file("secret.txt", "top secret");
    let data = s.path().join("data");

    let e = refused(&t, &id, "fs.read-file ../secret.txt").await;
    assert!(e.contains("`..` is not allowed"), "{e}");
    let e = refused(&t, &id, "fs.read-file sub/../../secret.txt").await;
    assert!(e.contains("`..` is not allowed"), "{e}");
    let e = refused(&t, &id, &format!("fs.read-file {}", secret.display())).await;
    assert!(e.contains("absolute paths are not allowed"), "{e}");
    let e = refused(&t, &id, "fs.write-file ../planted.txt x").await;
    assert!(e.contains("`..`"), "{e}");
    assert!(!s.path().join("planted.txt").exists());

    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&secret, data.join("link.txt")).unwrap();
        std::os::unix::fs::symlink(s.path(), data.join("up")).unwrap();
        for command in [
            "fs.read-file link.txt",
            "fs.read-file up/secret.txt",
            "fs.write-file up/secret.txt gotcha",
            "fs.list-files up",
            "fs.delete-dir up",
        ] {
            let e = refused(&t, &id, command).await;
            assert!(
                e.contains("symbolic link") && e.contains("not followed"),
                "{command}: {e}"
            );
        }
        assert_eq!(
            std::fs::read_to_string(&secret).unwrap(),
            "top secret",
            "the target is untouched"
        );
        assert_eq!(
            ok(&t, &id, "fs.list-files .").await,
            "link.txt,up",
            "links are listed but not followed"
        );
    }

    let reads = recorded(&t, &id, "theater:simple/filesystem/read-file");
    assert!(
        reads[0]["result"][0]["err"]
            .as_str()
            .unwrap()
            .contains("`..`"),
        "{reads:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filesystem_limits_refuse_oversized_reads_and_writes() {
    let s = Scratch::new();
    let t = theater(&s);
    let id = spawn(
        &t,
        &s,
        "limited",
        &[("filesystem", "max_read_bytes = 8\nmax_write_bytes = 6")],
    )
    .await;
    let data = s.path().join("data");

    assert_eq!(ok(&t, &id, "fs.write-n six 6").await, "done");
    let too_big = refused(&t, &id, "fs.write-n seven 7").await;
    assert!(
        too_big.contains("writing 7 bytes") && too_big.contains("max_write_bytes of 6"),
        "{too_big}"
    );
    assert!(!data.join("seven").exists(), "nothing written");

    std::fs::write(data.join("eight"), [b'y'; 8]).unwrap();
    std::fs::write(data.join("nine"), [b'y'; 9]).unwrap();
    assert_eq!(ok(&t, &id, "fs.read-file eight").await, "yyyyyyyy");
    let e = refused(&t, &id, "fs.read-file nine").await;
    assert!(
        e.contains("9 bytes") && e.contains("max_read_bytes of 8"),
        "{e}"
    );

    let writes = recorded(&t, &id, "theater:simple/filesystem/write-file");
    assert_eq!(writes[1]["result"], json!([{"err": too_big}]));
    let reads = recorded(&t, &id, "theater:simple/filesystem/read-file");
    assert_eq!(reads[1]["result"], json!([{"err": e}]));
}

/// A tiny HTTP/1.1 server on 127.0.0.1 for the http-client tests. It answers `GET /big`
/// with 1000 bytes and a `content-length`, `GET /stream` with 1000 bytes ended by closing
/// the connection (no length up front), anything else with `201 Created`, header
/// `x-test: yes` and a body echoing the method, path, `x-fixture` header and request body.
/// It counts connections, so a test can tell that a refused request never reached it.
async fn test_server() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let head_end = loop {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let header = |name: &str| {
                    head.lines().find_map(|l| {
                        l.split_once(':')
                            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                            .map(|(_, v)| v.trim().to_string())
                    })
                };
                let length: usize = header("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                while buf.len() < head_end + length {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let mut request_line = head.lines().next().unwrap_or_default().split(' ');
                let (method, path) = (
                    request_line.next().unwrap_or_default(),
                    request_line.next().unwrap_or_default(),
                );
                let response = match path {
                    "/big" => format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: 1000\r\nconnection: close\r\n\r\n{}",
                        "z".repeat(1000)
                    ),
                    "/stream" => format!(
                        "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n{}",
                        "z".repeat(1000)
                    ),
                    _ => {
                        let sent =
                            String::from_utf8_lossy(&buf[head_end..head_end + length]).to_string();
                        let body = format!(
                            "{method} {path} fixture={} body={sent}",
                            header("x-fixture").unwrap_or_default()
                        );
                        format!("HTTP/1.1 201 Created\r\nx-test: yes\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len())
                    }
                };
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (port, connections)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_client_reaches_allowed_hosts_and_records_the_exchange() {
    let (port, _) = test_server().await;
    let s = Scratch::new();
    let t = theater(&s);
    let allow = format!("allow_hosts = [\"127.0.0.1:{port}\"]");
    let id = spawn(&t, &s, "web", &[("http-client", &allow)]).await;

    let uri = format!("http://127.0.0.1:{port}/things?x=1");
    assert_eq!(
        ok(&t, &id, &format!("http POST {uri} hello server")).await,
        "201\nPOST /things?x=1 fixture=raw-caps body=hello server"
    );
    assert_eq!(
        ok(&t, &id, &format!("http GET http://127.0.0.1:{port}/")).await,
        "201\nGET / fixture=raw-caps body="
    );

    let calls = recorded(&t, &id, "theater:simple/http-client/send-http");
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[0]["params"],
        json!([{"method": "POST", "uri": uri, "headers": [["x-fixture", "raw-caps"]], "body": "hello server"}])
    );
    let response = &calls[0]["result"][0]["ok"];
    assert_eq!(response["status"], json!(201));
    assert_eq!(
        response["body"],
        json!("POST /things?x=1 fixture=raw-caps body=hello server")
    );
    let headers = response["headers"].as_array().unwrap();
    assert!(headers.contains(&json!(["x-test", "yes"])), "{headers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_client_refuses_other_hosts_and_oversized_responses() {
    let (port, connections) = test_server().await;
    let s = Scratch::new();
    let t = theater(&s);
    let options = format!("allow_hosts = [\"127.0.0.1:{port}\"]\nmax_response_bytes = 999");
    let id = spawn(&t, &s, "web", &[("http-client", &options)]).await;
    let closed = spawn(&t, &s, "closed", &[]).await;

    for uri in [
        format!("http://localhost:{port}/"),
        format!("http://127.0.0.2:{port}/"),
        format!("http://127.0.0.1:{}/", port.wrapping_add(1)),
    ] {
        let e = refused(&t, &id, &format!("http GET {uri}")).await;
        assert!(
            e.contains("refused: not on this actor's allow-list")
                && e.contains(&format!("allow_hosts = [\"127.0.0.1:{port}\"]")),
            "{uri}: {e}"
        );
    }
    let e = refused(&t, &closed, &format!("http GET http://127.0.0.1:{port}/")).await;
    assert!(
        e.contains("allow_hosts = []"),
        "nothing is allowed by default: {e}"
    );
    let e = refused(&t, &id, &format!("http GET ftp://127.0.0.1:{port}/")).await;
    assert!(e.contains("scheme \"ftp\""), "{e}");
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "refused requests never leave the host"
    );

    let e = refused(&t, &id, &format!("http GET http://127.0.0.1:{port}/stream")).await;
    assert!(
        e.contains("its body exceeds this actor's max_response_bytes of 999"),
        "no length up front: {e}"
    );
    let e = refused(&t, &id, &format!("http GET http://127.0.0.1:{port}/big")).await;
    assert!(
        e.contains("1000 bytes") && e.contains("max_response_bytes of 999"),
        "{e}"
    );

    let calls = recorded(&t, &id, "theater:simple/http-client/send-http");
    assert!(
        calls[0]["result"][0]["err"]
            .as_str()
            .unwrap()
            .contains("allow-list"),
        "{:?}",
        calls[0]
    );
    assert_eq!(calls.last().unwrap()["result"], json!([{"err": e}]));
}

/// Replay answers every capability call from the recording (no clock, entropy, disk or
/// network), and the rebuilt chain matches hash for hash.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capability_calls_replay_identically_from_the_recording() {
    let (port, connections) = test_server().await;
    let s = Scratch::new();
    let t = theater(&s);
    let allow = format!("allow_hosts = [\"127.0.0.1:{port}\"]");
    let id = spawn(
        &t,
        &s,
        "replayed",
        &[
            ("http-client", &allow),
            ("environment", "allow = [\"CARGO_PKG_NAME\"]"),
        ],
    )
    .await;
    let store = ok(&t, &id, "store.new").await;
    for command in [
        format!("store.store-at-label {store} k v"),
        format!("store.read-label {store} k"),
        "timing.now".into(),
        "timing.sleep 20".into(),
        "random.random-bytes 8".into(),
        "random.generate-uuid".into(),
        "env.get-var CARGO_PKG_NAME".into(),
        "env.list-vars".into(),
        "fs.write-file r.txt recorded".into(),
        "fs.read-file r.txt".into(),
        "fs.metadata r.txt".into(),
        "fs.write-bytes r.bin".into(),
        "fs.exec touch".into(),
        "fs.read-file ../escape".into(),
        format!("http PUT http://127.0.0.1:{port}/r body"),
        "http GET http://not-allowed.example/".into(),
    ] {
        ask(&t, &id, &command).await;
    }
    let served = connections.load(Ordering::SeqCst);
    std::fs::remove_file(s.path().join("data/r.txt")).unwrap();
    std::fs::remove_file(s.path().join("data/r.bin")).unwrap();

    chains::assert_replays(&t, &id).await;
    assert_eq!(
        connections.load(Ordering::SeqCst),
        served,
        "replay sent no request"
    );
    assert!(
        !s.path().join("data/r.txt").exists(),
        "replay wrote no file"
    );
}

//! The chain end to end: verification of fresh, tampered and exported chains, and a
//! database that survives SIGKILL mid-stream.

use std::process::Stdio;
use std::time::{Duration, Instant};

use theater_e2e::{assert_clean_failure, fixtures, texts, Scratch};

/// Run the counter with `n` sends and return its actor id.
fn recorded_actor(s: &Scratch, sends: usize) -> String {
    let m = s.manifest("counter", &fixtures().component("raw-counter"), "");
    let mut args = vec!["run".to_string(), m.display().to_string(), "--json".into()];
    for _ in 0..sends {
        args.extend(["--send".to_string(), "inc".to_string()]);
    }
    args.extend(["--request".into(), "get".into()]);
    let out = s.theater().args(&args).output().unwrap();
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    v["actor_id"].as_str().unwrap().to_string()
}

fn db(s: &Scratch) -> rusqlite::Connection {
    rusqlite::Connection::open(s.home().join("chains.db")).unwrap()
}

#[test]
fn fresh_chain_verifies_and_a_changed_byte_is_found_by_index() {
    let s = Scratch::new();
    let id = recorded_actor(&s, 3);
    let out = s.run(&["verify", &id]);
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.starts_with("ok: ") && stdout.trim().ends_with(" events"), "{stdout}");

    // Flip one byte of the payload of event 4 directly in the database.
    let conn = db(&s);
    let payload: Vec<u8> = conn.query_row("SELECT payload FROM events WHERE seq = 4", [], |r| r.get(0)).unwrap();
    let mut changed = payload.clone();
    let last = changed.len() - 1;
    changed[last] ^= 0x01;
    conn.execute("UPDATE events SET payload = ?1 WHERE seq = 4", [changed]).unwrap();
    drop(conn);

    let out = s.run(&["verify", &id]);
    let stderr = assert_clean_failure(&out);
    assert!(stderr.contains("event 4:") && stderr.contains("altered"), "{stderr}");
}

#[test]
fn exported_chain_verifies_the_same_way_and_tampering_is_found() {
    let s = Scratch::new();
    let id = recorded_actor(&s, 2);
    let file = s.path().join("chain.jsonl");
    let out = s.run(&["export", &id, "-o", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", texts(&out).1);
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 8);
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["hash"].is_string() && v["payload"].is_string() && v["type"].is_string(), "{v}");
    }
    let out = s.run(&["verify", file.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["events"], lines.len());

    // Change the timestamp of event 2 in the file.
    let mut event: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
    event["timestamp_ms"] = serde_json::json!(event["timestamp_ms"].as_u64().unwrap() + 1);
    let mut tampered: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    tampered[2] = event.to_string();
    let bad = s.file("bad.jsonl", tampered.join("\n"));
    let out = s.run(&["verify", bad.to_str().unwrap()]);
    let stderr = assert_clean_failure(&out);
    assert!(stderr.contains("event 2:"), "{stderr}");

    // Dropping an event is found too.
    let mut cut: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    cut.remove(3);
    let cut = s.file("cut.jsonl", cut.join("\n"));
    let stderr = assert_clean_failure(&s.run(&["verify", cut.to_str().unwrap()]));
    assert!(stderr.contains("event 3:"), "{stderr}");
}

#[test]
fn events_lists_actors_and_shows_decoded_payloads() {
    let s = Scratch::new();
    let id = recorded_actor(&s, 1);
    let out = s.run(&["events"]);
    let (stdout, _) = texts(&out);
    assert!(stdout.contains(&id) && stdout.contains("counter"), "{stdout}");
    let out = s.run(&["events", &id[..8], "--type", "wasm/call", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let calls = v.as_array().unwrap();
    assert_eq!(calls.len(), 3, "init, send, request: {v}");
    assert_eq!(calls[1]["view"]["export"], "handle-send");
    assert_eq!(calls[1]["view"]["params"], serde_json::json!(["inc"]), "message bytes shown as text");
    let out = s.run(&["events", "no-such-actor"]);
    let stderr = assert_clean_failure(&out);
    assert!(stderr.contains("no actor no-such-actor"), "{stderr}");
}

#[test]
fn sigkill_mid_stream_leaves_a_chain_that_verifies_up_to_some_point() {
    let s = Scratch::new();
    let m = s.manifest("counter", &fixtures().component("raw-counter"), "");
    let mut args = vec!["run".to_string(), m.display().to_string()];
    for _ in 0..20_000 {
        args.extend(["--send".to_string(), "inc".to_string()]);
    }
    let mut child = s.theater().args(&args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();

    // Wait until a good number of events are durable, then kill -9 mid-stream.
    let db_path = s.home().join("chains.db");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "no events became durable in time");
        std::thread::sleep(Duration::from_millis(50));
        let count = rusqlite::Connection::open_with_flags(&db_path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| c.query_row("SELECT COUNT(*) FROM events", [], |r| r.get::<_, i64>(0)))
            .unwrap_or(0);
        if count > 500 {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    let status = child.wait().unwrap();
    assert!(!status.success(), "the run finished before it was killed; raise the message count");

    let list = s.run(&["events", "--json"]);
    let actors: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let id = actors[0]["actor_id"].as_str().unwrap().to_string();
    let recorded = actors[0]["events"].as_u64().unwrap();
    assert!(recorded > 500, "{actors}");
    let out = s.run(&["verify", &id]);
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "killed chain does not verify: {stderr}");
    assert_eq!(stdout.trim(), format!("ok: {recorded} events"));
}

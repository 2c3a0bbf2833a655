//! The chain end to end: verification of fresh, tampered, cut, re-hashed and exported
//! chains against their signed heads, and a database that survives SIGKILL mid-stream.

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
    let events = 4 + 3 * 2 + 3 + 1;
    let key = texts(&s.run(&["key"])).0.trim().to_string();
    assert_eq!(key.len(), 64, "{key}");
    let expected = format!("ok: {events} events, head ");
    assert!(
        stdout.starts_with(&expected)
            && stdout
                .trim()
                .ends_with(&format!("signed by {key} (at seq {})", events - 1)),
        "{stdout}"
    );

    // Flip one byte of the payload of event 4 directly in the database.
    let conn = db(&s);
    let payload: Vec<u8> = conn
        .query_row("SELECT payload FROM events WHERE seq = 4", [], |r| r.get(0))
        .unwrap();
    let mut changed = payload.clone();
    let last = changed.len() - 1;
    changed[last] ^= 0x01;
    conn.execute("UPDATE events SET payload = ?1 WHERE seq = 4", [changed])
        .unwrap();
    drop(conn);

    let out = s.run(&["verify", &id]);
    let stderr = assert_clean_failure(&out);
    assert!(
        stderr.contains("event 4:") && stderr.contains("altered"),
        "{stderr}"
    );
}

#[test]
fn exported_chain_verifies_the_same_way_and_tampering_is_found() {
    let s = Scratch::new();
    let id = recorded_actor(&s, 2);
    let file = s.path().join("chain.jsonl");
    let out = s.run(&["export", &id, "-o", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", texts(&out).1);
    let text = std::fs::read_to_string(&file).unwrap();
    let all: Vec<&str> = text.lines().collect();
    let head: serde_json::Value = serde_json::from_str(all[0]).unwrap();
    assert_eq!(
        head["signed_head"]["actor"],
        id.as_str(),
        "the first line is the signed head: {head}"
    );
    let lines = &all[1..];
    assert!(lines.len() >= 8);
    for line in lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            v["hash"].is_string() && v["payload"].is_string() && v["type"].is_string(),
            "{v}"
        );
    }
    let out = s.run(&["verify", file.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["events"], lines.len());

    // Change the timestamp of event 2 in the file.
    let mut event: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
    event["timestamp_ms"] = serde_json::json!(event["timestamp_ms"].as_u64().unwrap() + 1);
    let mut tampered: Vec<String> = all.iter().map(|l| l.to_string()).collect();
    tampered[3] = event.to_string();
    let bad = s.file("bad.jsonl", tampered.join("\n"));
    let out = s.run(&["verify", bad.to_str().unwrap()]);
    let stderr = assert_clean_failure(&out);
    assert!(stderr.contains("event 2:"), "{stderr}");

    // Dropping an event is found too.
    let mut cut: Vec<String> = all.iter().map(|l| l.to_string()).collect();
    cut.remove(4);
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
    assert!(
        stdout.contains(&id) && stdout.contains("counter"),
        "{stdout}"
    );
    let out = s.run(&["events", &id[..8], "--type", "wasm/call", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let calls = v.as_array().unwrap();
    assert_eq!(calls.len(), 3, "init, send, request: {v}");
    assert_eq!(calls[1]["view"]["export"], "handle-send");
    assert_eq!(
        calls[1]["view"]["params"],
        serde_json::json!(["inc"]),
        "message bytes shown as text"
    );
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
    let mut child = s
        .theater()
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // Wait until a good number of events are durable, then kill -9 mid-stream.
    let db_path = s.home().join("chains.db");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(
            Instant::now() < deadline,
            "no events became durable in time"
        );
        std::thread::sleep(Duration::from_millis(50));
        let count = rusqlite::Connection::open_with_flags(
            &db_path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .and_then(|c| c.query_row("SELECT COUNT(*) FROM events", [], |r| r.get::<_, i64>(0)))
        .unwrap_or(0);
        if count > 500 {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the run finished before it was killed; raise the message count"
    );

    let list = s.run(&["events", "--json"]);
    let actors: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let id = actors[0]["actor_id"].as_str().unwrap().to_string();
    let recorded = actors[0]["events"].as_u64().unwrap();
    assert!(recorded > 500, "{actors}");
    let out = s.run(&["verify", &id]);
    let (stdout, stderr) = texts(&out);
    assert!(
        out.status.success(),
        "killed chain does not verify: {stderr}"
    );
    assert!(
        stdout.starts_with(&format!("ok: {recorded} events, head ")),
        "{stdout}"
    );
    assert_eq!(
        actors[0]["status"], "interrupted",
        "a killed run's actor is not left running: {actors}"
    );
}

/// An export of a stopped counter, as its lines (the signed head first).
fn exported(s: &Scratch, sends: usize) -> (String, Vec<serde_json::Value>) {
    let id = recorded_actor(s, sends);
    let out = s.run(&["export", &id]);
    assert!(out.status.success(), "{}", texts(&out).1);
    let lines = texts(&out)
        .0
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (id, lines)
}

fn write_lines(s: &Scratch, name: &str, lines: &[serde_json::Value]) -> String {
    let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    s.file(name, text.join("\n") + "\n").display().to_string()
}

#[test]
fn verify_reports_the_signer_and_fails_on_a_deleted_last_event() {
    let s = Scratch::new();
    let id = recorded_actor(&s, 2);
    let v: serde_json::Value =
        serde_json::from_slice(&s.run(&["verify", &id, "--json"]).stdout).unwrap();
    let key = texts(&s.run(&["key"])).0.trim().to_string();
    assert_eq!(
        (
            v["ok"].as_bool(),
            v["signed_by"].as_str(),
            v["unsigned_tail"].as_u64()
        ),
        (Some(true), Some(key.as_str()), Some(0)),
        "{v}"
    );
    let conn = db(&s);
    conn.execute(
        "DELETE FROM events WHERE seq = (SELECT MAX(seq) FROM events)",
        [],
    )
    .unwrap();
    drop(conn);
    let stderr = assert_clean_failure(&s.run(&["verify", &id]));
    assert!(stderr.contains("truncated"), "{stderr}");
}

#[test]
fn verify_fails_on_an_export_with_its_tail_cut_or_no_signed_head() {
    let s = Scratch::new();
    let (_, lines) = exported(&s, 2);
    let cut = write_lines(&s, "cut.jsonl", &lines[..lines.len() - 1]);
    let stderr = assert_clean_failure(&s.run(&["verify", &cut]));
    assert!(stderr.contains("truncated"), "{stderr}");
    let headless = write_lines(&s, "headless.jsonl", &lines[1..lines.len() - 3]);
    let stderr = assert_clean_failure(&s.run(&["verify", &headless]));
    assert!(stderr.contains("no signed head"), "{stderr}");
    let empty = s.file("empty.jsonl", "").display().to_string();
    let stderr = assert_clean_failure(&s.run(&["verify", &empty]));
    assert!(
        stderr.contains("0 events") && stderr.contains("no signed head"),
        "{stderr}"
    );
}

#[test]
fn verify_fails_on_an_edited_and_wholly_rehashed_export() {
    use theater_runtime::chain::compute_hash;
    let s = Scratch::new();
    let (_, mut lines) = exported(&s, 2);
    // Edit event 5's payload, then recompute every hash and parent after it, as a forger
    // without the key would: the links all hold again.
    let mut parent: Option<String> = None;
    for (i, line) in lines.iter_mut().skip(1).enumerate() {
        let mut payload = hex_bytes(&line["payload"]);
        if i == 5 {
            let last = payload.len() - 1;
            payload[last] ^= 1;
            line["payload"] = serde_json::json!(to_hex(&payload));
        }
        if i >= 5 {
            let parent_bytes: Option<[u8; 32]> = parent
                .as_deref()
                .map(|p| hex_bytes(&serde_json::json!(p)).try_into().unwrap());
            let hash = compute_hash(
                i as u64,
                parent_bytes.as_ref(),
                line["type"].as_str().unwrap(),
                line["timestamp_ms"].as_u64().unwrap(),
                &payload,
            );
            line["parent"] = serde_json::json!(parent);
            line["hash"] = serde_json::json!(to_hex(&hash));
        }
        parent = line["hash"].as_str().map(str::to_string);
    }
    let forged = write_lines(&s, "forged.jsonl", &lines);
    let stderr = assert_clean_failure(&s.run(&["verify", &forged]));
    assert!(stderr.contains("re-hashed"), "{stderr}");
}

#[test]
fn verify_with_key_refuses_another_signer_and_accepts_the_right_one() {
    let s = Scratch::new();
    let other = Scratch::new();
    let (_, lines) = exported(&s, 1);
    let file = write_lines(&s, "chain.jsonl", &lines);
    let mine = texts(&s.run(&["key"])).0.trim().to_string();
    let theirs = texts(&other.run(&["key"])).0.trim().to_string();
    assert_ne!(mine, theirs, "each data directory has its own key");
    let out = other.run(&["verify", &file, "--key", &mine]);
    assert!(
        out.status.success(),
        "a third party checks the export against the key it was given: {}",
        texts(&out).1
    );
    assert!(texts(&out).0.contains(&format!("signed by {mine}")));
    let stderr = assert_clean_failure(&s.run(&["verify", &file, "--key", &theirs]));
    assert!(
        stderr.contains(&format!("not by the expected key {theirs}")),
        "{stderr}"
    );
    let stderr = assert_clean_failure(&s.run(&["verify", &file, "--key", "abc"]));
    assert!(stderr.contains("not a public key"), "{stderr}");
}

fn hex_bytes(v: &serde_json::Value) -> Vec<u8> {
    let s = v.as_str().unwrap();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

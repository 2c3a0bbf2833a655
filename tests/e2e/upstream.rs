//! Actors written for the original Theater run unchanged from upstream-format manifests: the
//! `raw-upstream-files` fixture (wit-bindgen against the upstream signatures, no SDK) writes
//! and reads a file with the string `write-file` and posts to a real local HTTP server
//! through `http-client`/`http-types`, under `theater run` (the `[[handler]]` form) and
//! under `theater server` (the older `[[handlers]]` + `[handlers.config]` form). Each chain
//! verifies and replays identically. Bad upstream manifests fail cleanly, naming the line.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use theater_e2e::server::ServerProc;
use theater_e2e::{assert_clean_failure, echo_http_server, fixtures, texts, Scratch};

/// A local HTTP server answering `<method> <path>`, kept alive by the returned runtime.
fn http_server() -> (tokio::runtime::Runtime, u16) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let port = rt.block_on(echo_http_server());
    (rt, port)
}

/// The shape of the original Theater's manifests (its `theater create` template), with
/// `handlers` in one of its two forms. The component is named absolutely, as the
/// original's `theater build` wrote it.
fn upstream_manifest(s: &Scratch, handlers: &str) -> PathBuf {
    let component = s
        .path()
        .join(s.component(&fixtures().component("raw-upstream-files")));
    let project = s.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    let text = format!(
        "name = \"upstream-files\"\nversion = \"0.1.0\"\ndescription = \"An actor written for the original Theater\"\ncomponent = \"{}\"\nsave_chain = true\n\n[interface]\nimplements = \"theater:simple/actor\"\nrequires = []\n\n{handlers}",
        component.display()
    );
    let path = project.join("manifest.toml");
    std::fs::write(&path, text).unwrap();
    path
}

const INLINE_HANDLERS: &str = "[[handler]]\ntype = \"runtime\"\n\n[[handler]]\ntype = \"filesystem\"\npath = \"data\"\n\n[[handler]]\ntype = \"http-client\"\n";

const OLDER_HANDLERS: &str = "[[handlers]]\ntype = \"runtime\"\nconfig = {}\n\n[[handlers]]\ntype = \"filesystem\"\n[handlers.config]\npath = \"data\"\n\n[[handlers]]\ntype = \"http-client\"\nconfig = {}\n";

/// A working directory holding `data/`, which the manifest's relative `path` names.
fn working_dir(s: &Scratch) -> PathBuf {
    let dir = s.path().join("work");
    std::fs::create_dir_all(dir.join("data")).unwrap();
    dir
}

fn expected_reply(port: u16, served: u64) -> String {
    format!("file=hello from an upstream actor, request {served} status=200 body=POST /echo?port={port}")
}

/// The note says what has no effect and what is wider than Theater's defaults.
fn assert_note(stderr: &str, data: &Path) {
    assert!(
        stderr.contains("note: ") && stderr.contains("original Theater's manifest format"),
        "{stderr}"
    );
    for said in [
        "description",
        "save_chain",
        "[interface]",
        "reaches any host",
        &data.display().to_string(),
    ] {
        assert!(stderr.contains(said), "{said:?} not in the note: {stderr}");
    }
    assert_eq!(stderr.matches("note: ").count(), 1, "one note: {stderr}");
}

fn assert_verifies_and_replays(s: &Scratch, id: &str, events: u64) {
    let out = s.run(&["verify", id]);
    assert!(out.status.success(), "{:?}", texts(&out));
    let out = s.run(&["replay", id]);
    let (stdout, stderr) = texts(&out);
    assert!(
        out.status.success() && stdout.starts_with(&format!("identical: {events} events")),
        "{stdout}{stderr}"
    );
}

#[test]
fn an_upstream_actor_writes_reads_and_posts_under_theater_run() {
    let s = Scratch::new();
    let (_rt, port) = http_server();
    let manifest = upstream_manifest(&s, INLINE_HANDLERS);
    let work = working_dir(&s);
    let url = format!("http://127.0.0.1:{port}/echo?port={port}");
    let out = s
        .theater()
        .current_dir(&work)
        .args(["run", manifest.to_str().unwrap(), "--json"])
        .args(["--request", &url, "--request", &url])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert_note(&stderr, &work.join("data"));
    let run: Value = serde_json::from_str(&stdout).unwrap();
    let replies: Vec<&str> = run["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["ok"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(replies, [expected_reply(port, 1), expected_reply(port, 2)]);
    assert_eq!(
        std::fs::read_to_string(work.join("data/greeting.txt")).unwrap(),
        "hello from an upstream actor, request 2",
        "the file is in the working directory's data/, as the original resolved `path`"
    );
    assert!(
        !manifest.parent().unwrap().join("data").exists(),
        "nothing beside the manifest"
    );
    let id = run["actor_id"].as_str().unwrap();
    assert_verifies_and_replays(&s, id, run["events"].as_u64().unwrap());
}

#[test]
fn an_upstream_actor_with_the_older_manifest_form_runs_under_theater_server() {
    let s = Scratch::new();
    let (_rt, port) = http_server();
    let manifest = upstream_manifest(&s, OLDER_HANDLERS);
    let work = working_dir(&s);
    let server = ServerProc::start(&s, &[]);
    let client = |args: &[&str]| -> Output {
        s.theater()
            .current_dir(&work)
            .env("THEATER_SERVER", &server.url)
            .args(args)
            .output()
            .unwrap()
    };
    let out = client(&["start", manifest.to_str().unwrap(), "--id-only"]);
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert_note(&stderr, &work.join("data"));
    assert!(server.log().contains("original Theater's manifest format"));
    let id = stdout.trim().to_string();
    let url = format!("http://127.0.0.1:{port}/echo?port={port}");
    let out = client(&["request", &id, &url]);
    assert_eq!(
        texts(&out).0.trim(),
        expected_reply(port, 1),
        "{:?}",
        texts(&out)
    );
    assert!(client(&["stop", &id]).status.success());
    assert_eq!(
        std::fs::read_to_string(work.join("data/greeting.txt")).unwrap(),
        "hello from an upstream actor, request 1",
        "the server resolved `path` against the client's working directory"
    );
    let out = client(&["inspect", &id, "--json"]);
    let events = serde_json::from_slice::<Value>(&out.stdout).unwrap()["events"]
        .as_u64()
        .unwrap();
    assert!(server.terminate().success());
    assert_verifies_and_replays(&s, &id, events);
}

#[test]
fn convert_prints_the_native_form_that_runs_the_same() {
    let s = Scratch::new();
    let manifest = upstream_manifest(&s, OLDER_HANDLERS);
    let work = working_dir(&s);
    let out = s
        .theater()
        .current_dir(&work)
        .args(["manifest", "convert", manifest.to_str().unwrap()])
        .output()
        .unwrap();
    let (native, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    assert_note(&stderr, &work.join("data"));
    let expected_root = format!("root = {:?}", work.join("data").display().to_string());
    for line in [
        "[[handler]]",
        "type = \"http-client\"",
        "allow_hosts = [\"*\"]",
        &expected_root,
    ] {
        assert!(native.contains(line), "{line:?} not in:\n{native}");
    }
    // Written beside the original, the native form converts to itself with no note.
    let beside = manifest.with_file_name("native.toml");
    std::fs::write(&beside, &native).unwrap();
    let out = s.run(&["manifest", "convert", beside.to_str().unwrap(), "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            v["format"].as_str(),
            v["manifest"].as_str(),
            v["ignored"].as_array().map(Vec::len)
        ),
        (Some("native"), Some(native.as_str()), Some(0))
    );
}

#[test]
fn bad_upstream_manifests_fail_cleanly_naming_the_line() {
    let s = Scratch::new();
    let cases = [
        (
            "[[handler]]\ntype = \"timing\"\nmax_sleep_durration = 5\n",
            ":11:",
            "max_sleep_durration",
        ),
        (
            "[[handlers]]\ntype = \"filesystem\"\nconfig = { path = \"data\", new_dir = true }\n",
            ":11:",
            "new_dir",
        ),
        (
            "[[handler]]\ntype = \"filesystem\"\n",
            ":11:",
            "needs `path`",
        ),
    ];
    for (handlers, line, says) in cases {
        let manifest = upstream_manifest(&s, handlers);
        for args in [vec!["run"], vec!["manifest", "convert"]] {
            let out = s.theater().args(&args).arg(&manifest).output().unwrap();
            let stderr = assert_clean_failure(&out);
            assert!(
                stderr.contains(line)
                    && stderr.contains(says)
                    && stderr.contains("original Theater's format"),
                "{args:?} {handlers:?}: {stderr}"
            );
        }
    }
}

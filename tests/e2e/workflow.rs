//! The developer workflow as a new user meets it: `theater create`, `cd`, `theater build`,
//! `theater run`, from a `theater` binary copied out of the repository, with THEATER_HOME in
//! a temporary directory, so nothing can lean on a checkout. Plus every error a first-time
//! user is likely to cause, each with the message that says what to do.
//!
//! The generated projects share one cargo target directory (`target/workflow/target` in the repo)
//! and one THEATER_HOME (so one SDK path), so their dependencies compile once. Each test
//! uses its own project names (builds into one target dir must not overwrite each other's
//! outputs) and its own data directory for `theater run`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use theater_e2e::server::{free_port, ServerProc};
use theater_e2e::{assert_clean_failure, repo_root, texts, theater_bin, Scratch};

/// Process-wide state: the copied binary and the shared THEATER_HOME.
struct Installed {
    _dir: tempfile::TempDir,
    bin: PathBuf,
    home: PathBuf,
}

fn installed() -> &'static Installed {
    static INSTALLED: OnceLock<Installed> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let bin = dir
            .path()
            .join("bin")
            .join(theater_bin().file_name().expect("binary name"));
        std::fs::create_dir_all(bin.parent().expect("bin dir")).expect("create bin dir");
        std::fs::copy(theater_bin(), &bin).expect("copy the theater binary out of the repository");
        let home = dir.path().join("theater-home");
        Installed {
            _dir: dir,
            bin,
            home,
        }
    })
}

/// One test's scratch space: where projects are created, and `theater run`'s data directory.
struct User {
    dir: tempfile::TempDir,
}

impl User {
    fn new() -> User {
        User {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `theater ARGS` in `cwd` (relative to the scratch dir), as an installed binary runs.
    fn theater(&self, cwd: &str, args: &[&str]) -> Output {
        let mut cmd = Command::new(&installed().bin);
        cmd.args(args).current_dir(self.path().join(cwd));
        user_env(&mut cmd);
        cmd.output().expect("run theater")
    }

    /// `theater run` with this test's own chain database.
    fn run(&self, cwd: &str, args: &[&str]) -> Output {
        let data = self.path().join("data").display().to_string();
        self.theater(cwd, &[&["--data-dir", data.as_str(), "run"], args].concat())
    }

    /// `theater create NAME --template T` then `theater build` in it; both must succeed.
    fn create_and_build(&self, name: &str, template: &str) {
        succeeded(&self.theater(".", &["create", name, "--template", template]));
        succeeded(&self.theater(name, &["build"]));
    }

    fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.path().join(path))
            .unwrap_or_else(|e| panic!("read {path}: {e}"))
    }

    fn write(&self, path: &str, text: &str) {
        std::fs::write(self.path().join(path), text)
            .unwrap_or_else(|e| panic!("write {path}: {e}"));
    }
}

/// The cargo target directory of every project the e2e tests build: the shared directory
/// (`$THEATER_HOME/target`) of the THEATER_HOME `target/workflow`, so the test of that
/// sharing finds it warm (cargo rebuilds proc-macros when the same directory is reached by
/// another path).
fn shared_target_dir() -> PathBuf {
    repo_root().join("target").join("workflow").join("target")
}

/// The environment of a user's shell: THEATER_HOME, the shared target dir, and none of the
/// variables the outer `cargo test` sets for this test process.
fn user_env(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        if let Some(k) = key.to_str() {
            if k.starts_with("CARGO_") && k != "CARGO_HOME" || k == "THEATER_LOG" {
                cmd.env_remove(k);
            }
        }
    }
    cmd.env("THEATER_HOME", &installed().home)
        .env("CARGO_TARGET_DIR", shared_target_dir());
}

fn succeeded(out: &Output) -> (String, String) {
    let (stdout, stderr) = texts(out);
    assert!(
        out.status.success(),
        "command failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    (stdout, stderr)
}

#[test]
fn basic_template_creates_builds_and_runs() {
    let user = User::new();
    let (stdout, _) = succeeded(&user.theater(".", &["create", "wf-basic"]));
    assert!(
        stdout.contains("cd wf-basic") && stdout.contains("theater build"),
        "next steps missing:\n{stdout}"
    );
    for file in [
        "Cargo.toml",
        "src/lib.rs",
        "src/tests.rs",
        "manifest.toml",
        "tests/hello.toml",
        "README.md",
        ".gitignore",
    ] {
        assert!(
            user.path().join("wf-basic").join(file).is_file(),
            "no {file}"
        );
    }
    // The project depends on the SDK the binary wrote to THEATER_HOME, not on this checkout.
    let cargo_toml = user.read("wf-basic/Cargo.toml");
    assert!(
        cargo_toml.contains(&installed().home.join("sdk").display().to_string()),
        "{cargo_toml}"
    );
    assert!(
        !cargo_toml.contains(&repo_root().display().to_string()),
        "{cargo_toml}"
    );
    assert!(user.read("wf-basic/src/lib.rs").contains("#[actor]"));

    let (stdout, _) = succeeded(&user.theater("wf-basic", &["build"]));
    assert!(
        stdout.contains("target/theater/wf-basic.wasm") && stdout.contains("capabilities: runtime"),
        "{stdout}"
    );
    assert!(user
        .path()
        .join("wf-basic/target/theater/wf-basic.wasm")
        .is_file());

    let (_, stderr) = succeeded(&user.run("wf-basic", &["manifest.toml"]));
    assert!(stderr.contains("hello from wf-basic"), "{stderr}");
}

#[test]
fn message_server_template_counts_sends_and_answers_requests() {
    let user = User::new();
    user.create_and_build("wf-counter", "message-server");
    let out = user.run(
        "wf-counter",
        &[
            "manifest.toml",
            "--send",
            r#"{"add":2}"#,
            "--send",
            r#"{"increment":{}}"#,
            "--request",
            r#"{"get":{}}"#,
        ],
    );
    let (stdout, _) = succeeded(&out);
    assert_eq!(stdout.trim(), "3");

    // --json reports what a script needs: path, size, imports, duration.
    let (stdout, _) = succeeded(&user.theater("wf-counter", &["build", "--json"]));
    let report: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(report["ok"], true);
    assert!(report["duration_ms"].is_u64());
    let component = &report["components"][0];
    assert!(
        Path::new(component["path"].as_str().unwrap_or_default()).is_file(),
        "{report}"
    );
    assert!(
        component["size"].as_u64().unwrap_or_default() > 1000,
        "{report}"
    );
    assert!(
        component["imports"]
            .as_array()
            .is_some_and(|i| i.iter().any(|i| i == "theater:simple/runtime")),
        "{report}"
    );
}

#[test]
fn supervisor_template_builds_parent_and_child_and_supervises() {
    let user = User::new();
    user.create_and_build("wf-sup", "supervisor");
    let (stdout, _) = succeeded(&user.run(
        "wf-sup",
        &[
            "manifest.toml",
            "--send",
            r#"{"add":2}"#,
            "--request",
            r#"{"total":{}}"#,
            "--request",
            r#"{"workers":{}}"#,
        ],
    ));
    assert_eq!(stdout.lines().collect::<Vec<_>>(), ["4", "2"]);

    // Two components, two manifests: only the parent imports `supervisor`.
    let (stdout, _) = succeeded(&user.theater("wf-sup", &["build", "--json"]));
    let report: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let capabilities = |package: &str| -> Vec<String> {
        let components = report["components"].as_array().cloned().unwrap_or_default();
        let c = components
            .iter()
            .find(|c| c["package"] == package)
            .unwrap_or_else(|| panic!("no {package}: {report}"));
        assert_eq!(c["manifests"].as_array().map(Vec::len), Some(1), "{report}");
        serde_json::from_value(c["capabilities"].clone()).unwrap_or_default()
    };
    assert!(
        capabilities("wf-sup").contains(&"supervisor".to_string()),
        "{report}"
    );
    assert_eq!(capabilities("wf-sup-child"), ["runtime"], "{report}");
}

#[test]
fn generated_projects_pass_their_native_unit_tests() {
    let user = User::new();
    for (name, template) in [
        ("wf-native-basic", "basic"),
        ("wf-native-counter", "message-server"),
        ("wf-native-sup", "supervisor"),
        ("wf-native-http", "http"),
    ] {
        succeeded(&user.theater(".", &["create", name, "--template", template]));
        let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cargo
            .args(["test", "--workspace"])
            .current_dir(user.path().join(name));
        user_env(&mut cargo);
        let out = cargo.output().expect("run cargo test");
        let (stdout, stderr) = texts(&out);
        assert!(
            out.status.success(),
            "cargo test in a new {template} project failed\n{stdout}\n{stderr}"
        );
        let passed: usize = stdout
            .lines()
            .filter_map(|l| {
                l.strip_prefix("test result: ok. ")?
                    .split(' ')
                    .next()?
                    .parse::<usize>()
                    .ok()
            })
            .sum();
        assert!(
            passed >= 1,
            "no native test ran in the {template} project:\n{stdout}"
        );
    }
}

#[test]
fn create_refuses_a_non_empty_directory_unless_forced() {
    let user = User::new();
    std::fs::create_dir(user.path().join("taken")).expect("mkdir");
    user.write("taken/notes.txt", "mine");
    let stderr = assert_clean_failure(&user.theater(".", &["create", "taken"]));
    assert!(
        stderr.contains("already exists and is not empty") && stderr.contains("--force"),
        "{stderr}"
    );
    assert!(
        !user.path().join("taken/Cargo.toml").exists(),
        "nothing is written when refused"
    );

    succeeded(&user.theater(".", &["create", "taken", "--force"]));
    assert!(user.path().join("taken/Cargo.toml").is_file());
    assert_eq!(
        user.read("taken/notes.txt"),
        "mine",
        "--force leaves other files alone"
    );
}

#[test]
fn create_refuses_names_that_are_not_crate_names() {
    let user = User::new();
    for name in ["1st-actor", "my actor", "fn", "caf\u{e9}"] {
        let stderr = assert_clean_failure(&user.theater(".", &["create", name]));
        assert!(
            stderr.contains(&format!("invalid project name \"{name}\""))
                && stderr.contains("hint:"),
            "{stderr}"
        );
        assert!(!user.path().join(name).exists());
    }
}

#[test]
fn build_outside_a_project_says_what_to_do() {
    let user = User::new();
    let stderr = assert_clean_failure(&user.theater(".", &["build"]));
    assert!(
        stderr.contains("not an actor project") && stderr.contains("theater create"),
        "{stderr}"
    );
}

#[test]
fn build_shows_the_compiler_error_once() {
    let user = User::new();
    succeeded(&user.theater(".", &["create", "wf-broken"]));
    let lib = user
        .read("wf-broken/src/lib.rs")
        .replace("log(format!", "log(undefined_thing);\n        log(format!");
    user.write("wf-broken/src/lib.rs", &lib);
    let out = user.theater("wf-broken", &["build"]);
    let stderr = assert_clean_failure(&out);
    let (stdout, _) = texts(&out);
    let all = format!("{stdout}{stderr}");
    assert_eq!(
        all.matches("cannot find value `undefined_thing`").count(),
        1,
        "the compiler's error, exactly once:\n{all}"
    );
    assert!(stderr.contains("cargo build failed"), "{stderr}");
}

#[test]
fn build_names_the_manifest_line_for_an_ungranted_capability() {
    let user = User::new();
    succeeded(&user.theater(".", &["create", "wf-greedy"]));
    let lib = user.read("wf-greedy/src/lib.rs").replace(
        "log(format!",
        "log(format!(\"at {}\", theater_sdk::timing::now()));\n        log(format!",
    );
    user.write("wf-greedy/src/lib.rs", &lib);
    let stderr = assert_clean_failure(&user.theater("wf-greedy", &["build"]));
    assert!(
        stderr.contains("theater:simple/timing")
            && stderr.contains("add to manifest.toml")
            && stderr.contains("type = \"timing\""),
        "{stderr}"
    );

    // Doing what the message says fixes it.
    let manifest = user.read("wf-greedy/manifest.toml") + "\n[[handler]]\ntype = \"timing\"\n";
    user.write("wf-greedy/manifest.toml", &manifest);
    let (stdout, _) = succeeded(&user.theater("wf-greedy", &["build"]));
    assert!(stdout.contains("timing"), "{stdout}");
}

// ---- `theater test` -------------------------------------------------------------------

/// Replace `from` with `to` in a project file (the one-line logic changes below).
fn edit(user: &User, path: &str, from: &str, to: &str) {
    let text = user.read(path);
    assert!(text.contains(from), "{path} has no {from:?}");
    user.write(path, &text.replacen(from, to, 1));
}

#[test]
fn every_template_passes_theater_test() {
    let user = User::new();
    for (name, template) in [
        ("tt-basic", "basic"),
        ("tt-counter", "message-server"),
        ("tt-super", "supervisor"),
        ("tt-http", "http"),
    ] {
        succeeded(&user.theater(".", &["create", name, "--template", template]));
        let (stdout, _) = succeeded(&user.theater(name, &["test"]));
        assert!(
            stdout.contains("ok     build")
                && stdout.contains("ok     unit")
                && stdout.contains("ok     scenario"),
            "{template}:\n{stdout}"
        );
        let last = stdout.lines().last().unwrap_or_default();
        assert!(
            last.ends_with(" passed, 0 failed") && !last.starts_with("0 passed"),
            "{template}: {last}"
        );
    }
}

#[test]
fn a_logic_change_fails_theater_test_with_a_diff_at_the_step() {
    let user = User::new();
    succeeded(&user.theater(
        ".",
        &["create", "tt-changed", "--template", "message-server"],
    ));
    edit(
        &user,
        "tt-changed/src/lib.rs",
        "Msg::Increment {} => 1,",
        "Msg::Increment {} => 2,",
    );
    let out = user.theater("tt-changed", &["test"]);
    let (stdout, _) = texts(&out);
    assert!(!out.status.success(), "{stdout}");
    // The scenario's third step is the request whose reply changed: 3 expected, 4 now.
    assert!(
        stdout.contains("FAILED scenario counts what it is sent"),
        "{stdout}"
    );
    let scenario = user.read("tt-changed/tests/counter.toml");
    let line = scenario
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == "[[step]]")
        .nth(2)
        .map(|(i, _)| i + 1)
        .expect("a third step");
    assert!(
        stdout.contains(&format!("step 3 (line {line}): request {{\"get\":{{}}}}"))
            && stdout.contains("the reply differs"),
        "{stdout}"
    );
    assert!(
        stdout.contains("    -3") && stdout.contains("    +4"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .last()
            .unwrap_or_default()
            .ends_with(" failed")
            && !stdout.contains(" 0 failed"),
        "{stdout}"
    );
}

/// HTTP and WebSocket steps fail like the others: at the step, with what came back. A
/// logic change shows in the response body, a wrong status in the status line, and a
/// WebSocket step with no connection fails with a message saying what to add.
#[test]
fn http_scenario_failures_name_the_step_and_show_the_response() {
    let user = User::new();
    succeeded(&user.theater(".", &["create", "tt-http-bad", "--template", "http"]));
    edit(
        &user,
        "tt-http-bad/src/lib.rs",
        "self.count = self.count.saturating_add(by);",
        "self.count = self.count.saturating_add(by + 1);",
    );
    user.write(
        "tt-http-bad/tests/misuse.toml",
        concat!(
            "[[actor]]\nname = \"api\"\nmanifest = \"../manifest.toml\"\ninit_state = { port = 0 }\n",
            "[[step]]\nws_send = \"hi\"\nexpect = \"hi\"\n",
        ),
    );
    user.write(
        "tt-http-bad/tests/status.toml",
        concat!(
            "[[actor]]\nname = \"api\"\nmanifest = \"../manifest.toml\"\n",
            "init_state = { port = 0 }\n",
            "[[step]]\nhttp = \"GET /hello\"\nexpect_status = 201\n",
        ),
    );
    let out = user.theater("tt-http-bad", &["test"]);
    let (stdout, _) = texts(&out);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("FAILED scenario serves the api")
            && stdout.contains("http POST /count")
            && stdout.contains("the response body differs"),
        "{stdout}"
    );
    assert!(stdout.contains("\"count\": 3"), "the actual body: {stdout}");
    assert!(
        stdout.contains("ws_send hi") && stdout.contains("no WebSocket is open"),
        "{stdout}"
    );
    assert!(
        stdout.contains("the response status is 200, not 201"),
        "{stdout}"
    );
}

#[test]
fn panics_and_loops_report_their_cause_and_the_next_scenarios_still_run() {
    let user = User::new();
    succeeded(&user.theater(".", &["create", "tt-bad", "--template", "message-server"]));
    edit(
        &user,
        "tt-bad/src/lib.rs",
        "    Get {},\n}",
        "    Get {},\n    Boom {},\n    Spin {},\n}",
    );
    edit(
        &user,
        "tt-bad/src/lib.rs",
        "            Query::Get {} => self.count,",
        "            Query::Get {} => self.count,\n            Query::Boom {} => panic!(\"boom requested\"),\n            Query::Spin {} => loop {\n                std::hint::black_box(self.count);\n            },",
    );
    let manifest = user.read("tt-bad/manifest.toml");
    user.write(
        "tt-bad/manifest.toml",
        &format!("{manifest}\n[limits]\ncall_timeout_ms = 300\n"),
    );
    user.write(
        "tt-bad/tests/a_panic.toml",
        "[[step]]\nrequest = { boom = {} }\nexpect = 1\n",
    );
    user.write(
        "tt-bad/tests/b_loop.toml",
        "[[step]]\nrequest = { spin = {} }\nexpect = 1\n",
    );
    user.write(
        "tt-bad/tests/c_expected_panic.toml",
        "[[step]]\nrequest = { boom = {} }\nexpect_error = \"boom requested\"\n",
    );
    user.write(
        "tt-bad/tests/d_broken.toml",
        "[[step]]\nrequest = { get = {} }\nexpect = [1\n",
    );
    let junit = user.path().join("report.xml");
    let out = user.theater("tt-bad", &["test", "--junit", junit.to_str().unwrap()]);
    let (stdout, _) = texts(&out);
    assert!(!out.status.success());
    assert!(
        stdout.contains("FAILED scenario a_panic")
            && stdout.contains("boom requested")
            && stdout.contains("src/lib.rs:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FAILED scenario b_loop") && stdout.contains("call_timeout_ms"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ok     scenario c_expected_panic"),
        "{stdout}"
    );
    assert!(
        stdout.contains("tests/d_broken.toml:3:"),
        "a syntax error names its file and line:\n{stdout}"
    );
    assert!(
        stdout.contains("ok     scenario counts what it is sent"),
        "later scenarios still ran:\n{stdout}"
    );
    let xml = std::fs::read_to_string(&junit).expect("JUnit report written");
    assert!(
        xml.contains("<testsuite") && xml.contains("scenario a_panic") && xml.contains("<failure"),
        "{xml}"
    );
}

#[test]
fn golden_chains_are_recorded_and_catch_a_behaviour_change() {
    let user = User::new();
    succeeded(&user.theater(
        ".",
        &["create", "tt-golden", "--template", "message-server"],
    ));
    let (stdout, _) = succeeded(&user.theater("tt-golden", &["test", "--record"]));
    assert!(
        stdout.contains("recorded tests/golden/counter/main.jsonl"),
        "{stdout}"
    );
    let (stdout, _) = succeeded(&user.theater("tt-golden", &["test", "--no-build", "--json"]));
    let report: serde_json::Value =
        serde_json::from_str(&stdout).expect("--json prints one JSON report");
    assert_eq!(report["failed"], 0, "{report}");
    assert!(
        report["cases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "golden"),
        "{report}"
    );

    // Same scenario expectations, different behaviour: only the golden chain notices.
    edit(&user, "tt-golden/src/lib.rs", "counting from 0", "starting");
    let out = user.theater("tt-golden", &["test"]);
    let (stdout, _) = texts(&out);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("ok     scenario counts what it is sent"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FAILED golden tests/golden/counter/main.jsonl")
            && stdout.contains("behaves differently"),
        "{stdout}"
    );
    assert!(
        stdout.contains("counting from 0") && stdout.contains("starting"),
        "both sides shown:\n{stdout}"
    );
}

// ---- the shared target directory ------------------------------------------------------

/// `theater build` in `dir` as a user who set no CARGO_TARGET_DIR, with `home` as THEATER_HOME.
fn build_in_shared_target(dir: &Path, home: &Path) -> std::process::Child {
    let mut cmd = Command::new(&installed().bin);
    cmd.arg("build").current_dir(dir);
    user_env(&mut cmd);
    cmd.env_remove("CARGO_TARGET_DIR").env("THEATER_HOME", home);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start theater build")
}

#[test]
fn projects_share_one_target_dir_and_concurrent_builds_keep_their_own_components() {
    let user = User::new();
    // This THEATER_HOME's shared target directory is the one the other e2e builds use, so it
    // is warm: the test is about sharing, not a cold compile.
    let home = repo_root().join("target").join("workflow");
    let warm = shared_target_dir();
    assert_eq!(home.join("target"), warm);

    // Two projects of the same package name: their cargo outputs have the same path.
    for dir in ["one", "two"] {
        std::fs::create_dir_all(user.path().join(dir)).expect("mkdir");
        let mut cmd = Command::new(&installed().bin);
        cmd.args(["create", "twin", "--template", "message-server"])
            .current_dir(user.path().join(dir));
        user_env(&mut cmd);
        cmd.env("THEATER_HOME", &home);
        succeeded(&cmd.output().expect("run theater create"));
    }
    edit(
        &user,
        "two/twin/src/lib.rs",
        "Msg::Increment {} => 1,",
        "Msg::Increment {} => 2,",
    );
    let builds: Vec<_> = ["one", "two"]
        .iter()
        .map(|d| build_in_shared_target(&user.path().join(d).join("twin"), &home))
        .collect();
    for build in builds {
        succeeded(&build.wait_with_output().expect("wait for theater build"));
    }
    for (dir, count) in [("one", "1"), ("two", "2")] {
        let project = format!("{dir}/twin");
        assert!(
            !user
                .path()
                .join(&project)
                .join("target/wasm32-unknown-unknown")
                .exists(),
            "{dir} built in the shared directory"
        );
        let (stdout, _) = succeeded(&user.run(
            &project,
            &[
                "manifest.toml",
                "--send",
                r#"{"increment":{}}"#,
                "--request",
                r#"{"get":{}}"#,
            ],
        ));
        assert_eq!(stdout.trim(), count, "{dir} runs its own component");
    }
    assert!(warm
        .join("wasm32-unknown-unknown/release/twin.wasm")
        .is_file());
}

/// The bytes of every golden file of a project, by name.
fn goldens(user: &User, dir: &str) -> std::collections::BTreeMap<String, Vec<u8>> {
    let entries =
        std::fs::read_dir(user.path().join(dir)).unwrap_or_else(|e| panic!("read {dir}: {e}"));
    entries
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("read a golden file"),
            )
        })
        .collect()
}

#[test]
fn golden_chains_cover_spawned_workers_and_re_recording_changes_no_byte() {
    let user = User::new();
    succeeded(&user.theater(".", &["create", "tt-tree", "--template", "supervisor"]));
    let (stdout, _) = succeeded(&user.theater("tt-tree", &["test", "--record"]));
    for file in ["main", "main.child-0", "main.child-1"] {
        assert!(
            stdout.contains(&format!("recorded tests/golden/supervision/{file}.jsonl")),
            "{stdout}"
        );
    }
    let first = goldens(&user, "tt-tree/tests/golden/supervision");
    assert_eq!(first.len(), 3, "{:?}", first.keys());
    succeeded(&user.theater("tt-tree", &["test", "--record", "--no-build"]));
    assert!(
        goldens(&user, "tt-tree/tests/golden/supervision") == first,
        "re-recording an unchanged scenario rewrote the golden files"
    );

    // A worker logs differently: the parent's replies (all the scenario checks) are the same.
    edit(
        &user,
        "tt-tree/child/src/lib.rs",
        "worker {id} ready",
        "worker {id} up",
    );
    let out = user.theater("tt-tree", &["test"]);
    let (stdout, _) = texts(&out);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("ok     scenario hands work to both workers")
            && stdout.contains("ok     golden tests/golden/supervision/main.jsonl"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FAILED golden tests/golden/supervision/main.child-0.jsonl")
            && stdout.contains("behaves differently"),
        "{stdout}"
    );
    assert!(
        stdout.contains(" ready") && stdout.contains(" up"),
        "both sides shown:\n{stdout}"
    );
}

/// The http template's Done-when: its actor, built by `theater build`, serves under a real
/// `theater server`; 1,000 concurrent requests (half `POST /count`, half `GET /hello`) all
/// get correct answers — the counter's answers are exactly 1..=500, each once, because the
/// actor handles one request at a time; restarted, it serves again on the same port with its
/// count; then its chain verifies and `theater replay` says identical (the requests
/// answered from the chain, no socket opened).
#[test]
fn http_template_serves_a_thousand_concurrent_requests_under_theater_server_survives_a_restart_and_replays_identically(
) {
    const POSTS: u64 = 500;
    let user = User::new();
    user.create_and_build("wf-http", "http");
    // It imports http-framework (and serves through it) because it calls it; nothing else
    // but the runtime.
    let (stdout, _) = succeeded(&user.theater("wf-http", &["build", "--json"]));
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let imports = &report["components"][0]["imports"];
    assert!(
        imports
            .as_array()
            .is_some_and(|i| i.iter().any(|i| i == "theater:simple/http-framework")
                && !i.iter().any(|i| i == "theater:simple/message-server-host")),
        "{report}"
    );
    let port = free_port();
    user.write("port.json", &format!(r#"{{"port":{port}}}"#));
    let manifest = user.path().join("wf-http/manifest.toml");
    let init = user.path().join("port.json");

    let s = Scratch::new();
    let server = ServerProc::start(&s, &[]);
    let client = |args: &[&str]| server.client(&s, args);
    let id = client(&[
        "start",
        manifest.to_str().unwrap_or_default(),
        "--init-state",
        init.to_str().unwrap_or_default(),
        "--id-only",
    ]);

    let base = format!("http://127.0.0.1:{port}");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (mut counts, hellos) = runtime.block_on(async {
        let http = reqwest::Client::new();
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..2 * POSTS {
            let (http, base) = (http.clone(), base.clone());
            tasks.spawn(async move {
                let request = match i % 2 {
                    0 => http.post(format!("{base}/count")).body(r#"{"by":1}"#),
                    _ => http.get(format!("{base}/hello")),
                };
                let response = request.send().await.expect("an answer");
                let status = response.status().as_u16();
                let body = response.text().await.expect("a body");
                (i % 2, status, body)
            });
        }
        let (mut counts, mut hellos) = (Vec::new(), 0);
        while let Some(joined) = tasks.join_next().await {
            let (kind, status, body) = joined.expect("the request task");
            assert_eq!(status, 200, "{body}");
            let body: serde_json::Value = serde_json::from_str(&body).expect("JSON");
            match kind {
                0 => counts.push(body["count"].as_u64().expect("a count")),
                _ => {
                    assert_eq!(body, serde_json::json!({"message": "hello from wf-http"}));
                    hellos += 1;
                }
            }
        }
        (counts, hellos)
    });
    counts.sort_unstable();
    assert_eq!(counts, (1..=POSTS).collect::<Vec<_>>());
    assert_eq!(hellos, POSTS);

    // Restarted, its servers close with the old instance and its `resume` serves again on
    // the same port, from the committed count.
    client(&["restart", &id]);
    let count = runtime.block_on(async {
        let response = reqwest::get(format!("{base}/count"))
            .await
            .expect("an answer");
        response.text().await.expect("a body")
    });
    assert_eq!(count, format!(r#"{{"count":{POSTS}}}"#));

    client(&["stop", &id]);
    drop(server);
    let (stdout, _) = succeeded(&s.run(&["verify", &id]));
    assert!(stdout.starts_with("ok: "), "{stdout}");
    let (stdout, _) = succeeded(&s.run(&["replay", &id]));
    assert!(stdout.starts_with("identical: "), "{stdout}");
    let events: u64 = stdout
        .trim_start_matches("identical: ")
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_default();
    assert!(
        events > 4 * POSTS,
        "every request and response is recorded: {stdout}"
    );
}

//! The documentation runs. Every ```sh block that README.md or a docs/*.md page marks with
//! `<!-- doc-test -->` is run, in page order, as one bash script per page (so `cd` and
//! `ID=$(…)` carry over from block to block, as in a user's terminal), with the `theater`
//! binary under test first on PATH, a fresh THEATER_HOME, the projects `theater create`
//! writes from the templates, and a real `theater server` where a block starts one. A
//! command that fails, or a `# prints X` comment the command does not print, fails the test
//! naming the page and line. Every sh block with a `theater` command is either run or marked
//! `<!-- doc-test: skip REASON -->`.
//!
//! What the harness adds, and only this: `cargo install` is a no-op (the binary under test
//! stands in for the installed one); after `theater server &` it waits until the server
//! answers; the server listens on a free port (`THEATER_ADDR`, `THEATER_SERVER` for the
//! clients); at the end it stops the server with SIGTERM and waits for every background
//! command, which must exit 0.

use std::fmt::Write as _;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use theater_e2e::server::free_port;
use theater_e2e::{repo_root, theater_bin};

/// The comment that marks a block to run.
const RUN: &str = "<!-- doc-test -->";
/// The comment that marks a block not to run, with the reason after it.
const SKIP: &str = "<!-- doc-test: skip";
/// How long one page's commands may take (builds included).
const PAGE_TIMEOUT: Duration = Duration::from_secs(600);

/// One line of a marked block: where it is, and its text.
struct DocLine {
    page: String,
    number: usize,
    text: String,
}

/// A fenced ```sh block: the marker line before it (if any), its first line number, its lines.
struct ShBlock {
    marker: Option<String>,
    start: usize,
    lines: Vec<String>,
}

fn sh_blocks(text: &str) -> Vec<ShBlock> {
    let mut blocks = Vec::new();
    let mut previous = "";
    let mut open: Option<ShBlock> = None;
    for (index, line) in text.lines().enumerate() {
        if let Some(mut block) = open.take() {
            if line.trim_start().starts_with("```") {
                blocks.push(block);
            } else {
                block.lines.push(line.to_string());
                open = Some(block);
            }
        } else if line.trim() == "```sh" {
            let marker =
                Some(previous.trim().to_string()).filter(|p| p.starts_with("<!-- doc-test"));
            open = Some(ShBlock {
                marker,
                start: index + 2,
                lines: Vec::new(),
            });
        }
        previous = line;
    }
    blocks
}

fn page_path(page: &str) -> PathBuf {
    repo_root().join(page)
}

fn read_page(page: &str) -> String {
    std::fs::read_to_string(page_path(page)).unwrap_or_else(|e| panic!("read {page}: {e}"))
}

/// The lines of `page`'s blocks marked to run.
fn marked_lines(page: &str) -> Vec<DocLine> {
    let text = read_page(page);
    let mut lines = Vec::new();
    for block in sh_blocks(&text)
        .into_iter()
        .filter(|b| b.marker.as_deref() == Some(RUN))
    {
        for (offset, line) in block.lines.into_iter().enumerate() {
            lines.push(DocLine {
                page: page.to_string(),
                number: block.start + offset,
                text: line,
            });
        }
    }
    assert!(!lines.is_empty(), "{page} marks no block with {RUN}");
    lines
}

/// The expected output a `# prints X` comment names (one word; `# prints the reply` names none).
fn printed(line: &str) -> Option<&str> {
    let (_, comment) = line.split_once(" # ")?;
    let rest = comment.trim().strip_prefix("prints ")?;
    let word = rest.split_whitespace().next()?;
    (word != "the" && !word.ends_with(';')).then_some(word.trim_end_matches(','))
}

const PROLOGUE: &str = r#"set -euo pipefail
DOCLINE=prologue
__doc_capture=$(mktemp)
trap 'echo "doc-test: $DOCLINE failed (exit $?): $BASH_COMMAND" >&2' ERR
cargo() {
    if [ "${1:-}" = install ]; then echo "doc-test: cargo install stood in by the binary under test" >&2; return 0; fi
    command cargo "$@"
}
__doc_wait_server() {
    for _ in $(seq 1 600); do
        if [ -f "$THEATER_HOME/server.json" ] && theater list >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    echo "doc-test: $DOCLINE: the server did not answer within a minute" >&2
    return 1
}
__doc_expect() {
    if [ "$2" != "$1" ]; then echo "doc-test: $DOCLINE printed '$2', the page says it prints '$1'" >&2; return 1; fi
}
"#;

const EPILOGUE: &str = r#"DOCLINE=end
if [ -n "${__doc_server:-}" ]; then kill -TERM "$__doc_server"; fi
for job in $(jobs -p); do
    wait "$job" || { echo "doc-test: a background command of the page (pid $job) failed" >&2; exit 1; }
done
echo "doc-test: every command ran"
"#;

/// The bash script that runs `lines`: each doc line after a `DOCLINE=page:N` marker.
fn script(lines: &[DocLine]) -> String {
    let mut out = String::from(PROLOGUE);
    for line in lines {
        let text = line.text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let _ = writeln!(out, "DOCLINE='{}:{}'", line.page, line.number);
        match printed(text) {
            Some(expected) => {
                let command = text.split_once(" # ").map_or(text, |(c, _)| c).trim();
                // In this shell (a `cd` in it holds), its last line checked.
                let _ = writeln!(out, "{{ {command}; }} >\"$__doc_capture\"; cat \"$__doc_capture\"; __doc_expect '{expected}' \"$(tail -n 1 \"$__doc_capture\")\"");
            }
            None => {
                let _ = writeln!(out, "{text}");
            }
        }
        if text.starts_with("theater server")
            && text
                .split(" #")
                .next()
                .is_some_and(|c| c.trim_end().ends_with('&'))
        {
            let _ = writeln!(out, "__doc_server=$!; __doc_wait_server");
        }
    }
    out.push_str(EPILOGUE);
    out
}

/// Run `page`'s marked blocks in a fresh directory; panics with the failing line.
fn run_page(page: &str) {
    let lines = marked_lines(page);
    let work = tempfile::tempdir().expect("temp dir");
    let bin = work.path().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir bin");
    std::fs::copy(theater_bin(), bin.join("theater")).expect("copy the theater binary");
    let script_path = work.path().join("doc.sh");
    std::fs::write(&script_path, script(&lines)).expect("write the script");
    let start = work.path().join("user");
    std::fs::create_dir_all(&start).expect("mkdir user");
    let (stdout_path, stderr_path) = (work.path().join("stdout"), work.path().join("stderr"));

    let mut cmd = Command::new("bash");
    cmd.arg(&script_path)
        .current_dir(&start)
        .process_group(0)
        .stdin(Stdio::null());
    cmd.stdout(std::fs::File::create(&stdout_path).expect("stdout file"));
    cmd.stderr(std::fs::File::create(&stderr_path).expect("stderr file"));
    user_env(&mut cmd, &bin, &work.path().join("home"));
    let mut child = cmd.spawn().expect("run bash");
    let began = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for bash") {
            break Some(status);
        }
        if began.elapsed() > PAGE_TIMEOUT {
            let _ = Command::new("kill")
                .args(["-KILL", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let (stdout, stderr) = (read(&stdout_path), read(&stderr_path));
    let failed_at = stderr
        .lines()
        .filter(|l| l.starts_with("doc-test: ") && !l.contains("stood in"))
        .collect::<Vec<_>>()
        .join("\n");
    match status {
        Some(s) if s.success() => assert!(stdout.ends_with("doc-test: every command ran\n"), "{page}:\n{stdout}\n{stderr}"),
        Some(s) => panic!("a documented command of {page} failed ({s}):\n{failed_at}\n--- stdout:\n{stdout}\n--- stderr:\n{stderr}"),
        None => panic!("{page}'s commands did not finish within {PAGE_TIMEOUT:?}:\n--- stdout:\n{stdout}\n--- stderr:\n{stderr}"),
    }
}

/// A user's shell: the binary under test first on PATH, its own THEATER_HOME and server
/// port, the e2e tests' shared cargo target dir, nothing of the outer `cargo test`.
fn user_env(cmd: &mut Command, bin: &Path, home: &Path) {
    for (key, _) in std::env::vars_os() {
        if let Some(k) = key.to_str() {
            if (k.starts_with("CARGO_") && k != "CARGO_HOME")
                || k.starts_with("THEATER_")
                || k == "RUSTFLAGS"
            {
                cmd.env_remove(k);
            }
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![bin.to_path_buf()];
    dirs.extend(std::env::split_paths(&path));
    cmd.env("PATH", std::env::join_paths(dirs).expect("a PATH"));
    // Clients look for the page's server there (none answers until a block starts it), never
    // at a server someone else runs on the default port.
    let addr = format!("127.0.0.1:{}", free_port());
    cmd.env("THEATER_HOME", home)
        .env("THEATER_SERVER", format!("http://{addr}"))
        .env("THEATER_ADDR", addr);
    cmd.env(
        "CARGO_TARGET_DIR",
        repo_root().join("target").join("workflow").join("target"),
    );
}

/// README.md and every docs/*.md page.
fn pages() -> Vec<String> {
    let mut pages = vec!["README.md".to_string()];
    let docs = std::fs::read_dir(repo_root().join("docs")).expect("read docs/");
    let mut names: Vec<String> = docs
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    names.sort();
    pages.extend(
        names
            .into_iter()
            .filter(|n| n.ends_with(".md"))
            .map(|n| format!("docs/{n}")),
    );
    pages
}

#[test]
fn every_sh_block_with_a_theater_command_is_run_or_skipped_with_a_reason() {
    let mut unmarked = Vec::new();
    for page in pages() {
        for block in sh_blocks(&read_page(&page)) {
            let has_command = block
                .lines
                .iter()
                .any(|l| l.trim_start().starts_with("theater ") || l.contains("&& theater "));
            let marked = match block.marker.as_deref() {
                Some(RUN) => true,
                Some(skip) => skip
                    .strip_prefix(SKIP)
                    .is_some_and(|r| r.trim_end_matches("-->").trim().len() > 3),
                None => false,
            };
            if has_command && !marked {
                unmarked.push(format!("{page}:{}", block.start));
            }
        }
    }
    assert!(
        unmarked.is_empty(),
        "sh blocks with theater commands neither run nor skipped with a reason: {unmarked:?}"
    );
}

#[test]
fn the_script_names_each_doc_line_and_checks_what_it_prints() {
    let lines = [
        DocLine {
            page: "p.md".into(),
            number: 7,
            text: "theater run m.toml --request get   # prints 2".into(),
        },
        DocLine {
            page: "p.md".into(),
            number: 8,
            text: "theater server &   # on 9000".into(),
        },
    ];
    let s = script(&lines);
    assert!(
        s.contains("DOCLINE='p.md:7'\n{ theater run m.toml --request get; } >\"$__doc_capture\"; "),
        "{s}"
    );
    assert!(
        s.contains("__doc_expect '2' \"$(tail -n 1 \"$__doc_capture\")\""),
        "{s}"
    );
    assert!(
        s.contains(
            "DOCLINE='p.md:8'\ntheater server &   # on 9000\n__doc_server=$!; __doc_wait_server\n"
        ),
        "{s}"
    );
    assert_eq!(
        printed("theater request \"$ID\" get   # prints the reply"),
        None
    );
}

#[test]
fn readme_commands_run() {
    run_page("README.md");
}

#[test]
fn cli_guide_commands_run() {
    run_page("docs/cli.md");
}

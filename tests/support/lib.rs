//! Shared machinery for the end-to-end tests: builds the fixture actors in `tests/actors/`
//! for real (cargo for wasm32, then componentize exactly as `theater build` does), builds
//! the `theater` binary, gives each test its own data directory and manifests, and serves
//! HTTP locally for the http-client tests. `server` runs real `theater server` processes.

pub mod caps;
pub mod chains;
pub mod http;
pub mod peers;
pub mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // Outer cargo's per-package variables must not leak into the nested build.
    for (key, _) in std::env::vars_os() {
        if let Some(k) = key.to_str() {
            if k.starts_with("CARGO_PKG_")
                || k == "CARGO_MANIFEST_DIR"
                || k == "CARGO_PRIMARY_PACKAGE"
            {
                cmd.env_remove(k);
            }
        }
    }
    cmd
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd
        .output()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Install a rustup target if it is missing (a fresh machine has only the host target).
pub fn ensure_target(target: &str) -> Result<(), String> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    if let Ok(out) = &installed {
        if String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.trim() == target)
        {
            return Ok(());
        }
    }
    run(
        Command::new("rustup").args(["target", "add", target]),
        &format!("rustup target add {target}"),
    )
}

/// Where the fixture builds go (inside the workspace target dir, so they are cached).
fn fixture_target_dir() -> PathBuf {
    repo_root().join("target").join("actors")
}

/// Components built from `tests/actors/`, by crate name.
pub struct Fixtures {
    dir: PathBuf,
}

impl Fixtures {
    /// The component of fixture crate `name` (e.g. `raw-counter`).
    pub fn component(&self, name: &str) -> PathBuf {
        let path = self.dir.join(format!("{name}.wasm"));
        assert!(path.is_file(), "no fixture component {}", path.display());
        path
    }
}

/// Fixture crate `name` built with cargo feature `feature` (a variant of its logic), once
/// per test process and variant.
pub fn fixture_variant(name: &str, feature: &str) -> PathBuf {
    static VARIANTS: std::sync::Mutex<Vec<(String, PathBuf)>> = std::sync::Mutex::new(Vec::new());
    let key = format!("{name}+{feature}");
    let mut built = VARIANTS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, path)) = built.iter().find(|(k, _)| *k == key) {
        return path.clone();
    }
    fixtures();
    let target_dir = fixture_target_dir().join(format!("variant-{feature}"));
    let mut cmd = cargo();
    cmd.args([
        "build",
        "--release",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        name,
        "--features",
        feature,
        "--manifest-path",
    ])
    .arg(repo_root().join("tests/actors/Cargo.toml"))
    .env("CARGO_TARGET_DIR", &target_dir);
    if let Err(e) = run(&mut cmd, &format!("cargo build of fixture {key}")) {
        panic!("{e}");
    }
    let core = target_dir
        .join("wasm32-unknown-unknown/release")
        .join(format!("{}.wasm", name.replace('-', "_")));
    let bytes = std::fs::read(&core).unwrap_or_else(|e| panic!("{}: {e}", core.display()));
    let component = theater_cli::componentize::componentize(&bytes, &core.display().to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    let out = fixture_target_dir()
        .join("components")
        .join(format!("{key}.wasm"));
    std::fs::write(&out, component).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    built.push((key, out.clone()));
    out
}

/// Build every fixture once per test process.
pub fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Result<Fixtures, String>> = OnceLock::new();
    match FIXTURES.get_or_init(build_fixtures) {
        Ok(f) => f,
        Err(e) => panic!("building the fixture actors failed:\n{e}"),
    }
}

fn build_fixtures() -> Result<Fixtures, String> {
    ensure_target("wasm32-unknown-unknown")?;
    ensure_target("wasm32-wasip2")?;
    let manifest = repo_root().join("tests/actors/Cargo.toml");
    let target_dir = fixture_target_dir();
    let build = |target: &str, selection: &[&str]| {
        let mut cmd = cargo();
        cmd.args(["build", "--release", "--target", target, "--manifest-path"])
            .arg(&manifest)
            .env("CARGO_TARGET_DIR", &target_dir);
        cmd.args(selection);
        run(
            &mut cmd,
            &format!("cargo build of the fixture actors for {target}"),
        )
    };
    build(
        "wasm32-unknown-unknown",
        &["--workspace", "--exclude", "raw-wasi"],
    )?;
    build("wasm32-wasip2", &["-p", "raw-wasi"])?;

    let out_dir = target_dir.join("components");
    std::fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    for target in ["wasm32-unknown-unknown", "wasm32-wasip2"] {
        let release = target_dir.join(target).join("release");
        let entries =
            std::fs::read_dir(&release).map_err(|e| format!("{}: {e}", release.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "wasm") {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
            // wasip2 builds are components already (that is the point of that fixture).
            let component = if wasmparser_is_component(&bytes) {
                bytes
            } else {
                theater_cli::componentize::componentize(&bytes, &path.display().to_string())
                    .map_err(|e| e.to_string())?
            };
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .replace('_', "-");
            std::fs::write(out_dir.join(format!("{stem}.wasm")), component)
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(Fixtures { dir: out_dir })
}

fn wasmparser_is_component(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes[..4] == *b"\0asm" && bytes[4..8] != [1, 0, 0, 0]
}

/// The `theater` binary, built once per test process.
pub fn theater_bin() -> &'static Path {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = BIN.get_or_init(|| {
        let mut cmd = cargo();
        cmd.args([
            "build",
            "-p",
            "theater-cli",
            "--bin",
            "theater",
            "--manifest-path",
        ])
        .arg(repo_root().join("Cargo.toml"));
        run(&mut cmd, "cargo build of the theater binary")?;
        // Test binaries live in <target>/debug/deps; the binary in <target>/debug.
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let debug = exe
            .parent()
            .and_then(Path::parent)
            .ok_or("unexpected test binary location")?;
        Ok(debug.join(format!("theater{}", std::env::consts::EXE_SUFFIX)))
    });
    match built {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

/// A scratch directory for one test: its own THEATER_HOME and manifests.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The data directory (THEATER_HOME) for this test.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// Write `<name>.toml` running `component`, with `extra` TOML appended. The component
    /// is copied into the scratch directory (`components/`) and named relative to it: a
    /// child's manifest may name only files inside its parent's manifest directory.
    pub fn manifest(&self, name: &str, component: &Path, extra: &str) -> PathBuf {
        let path = self.dir.path().join(format!("{name}.toml"));
        let local = self.component(component);
        let text =
            format!("name = \"{name}\"\nversion = \"0.1.0\"\ncomponent = \"{local}\"\n{extra}\n");
        std::fs::write(&path, text).expect("write manifest");
        path
    }

    /// Copy `component` into `components/` here (once); its path relative to the scratch directory.
    pub fn component(&self, component: &Path) -> String {
        let file = component.file_name().expect("a component file name");
        let dir = self.dir.path().join("components");
        let local = dir.join(file);
        if !local.is_file() {
            std::fs::create_dir_all(&dir).expect("create components/");
            std::fs::copy(component, &local).expect("copy the component");
        }
        format!("components/{}", file.to_string_lossy())
    }

    /// Write an arbitrary file in the scratch directory.
    pub fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write file");
        path
    }

    /// A `theater` command with this scratch's THEATER_HOME.
    pub fn theater(&self) -> Command {
        let mut cmd = Command::new(theater_bin());
        cmd.env("THEATER_HOME", self.home())
            .env_remove("THEATER_LOG");
        // Clients reach no server unless a test says which (not one the developer runs on
        // the default port), so `theater events` reads this scratch's database.
        cmd.env("THEATER_SERVER", "http://127.0.0.1:1")
            .env_remove("THEATER_TOKEN");
        cmd
    }

    /// Run `theater ARGS` and return its output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.theater().args(args).output().expect("run theater")
    }
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch::new()
    }
}

/// stdout and stderr of an output, for assertions and failure messages.
pub fn texts(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Assert a command failed cleanly: non-zero exit, no Rust panic output.
pub fn assert_clean_failure(out: &Output) -> String {
    let (stdout, stderr) = texts(out);
    assert!(
        !out.status.success(),
        "expected failure, got success\nstdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "panic output:\n{stderr}"
    );
    stderr
}

/// A tiny HTTP/1.1 server on 127.0.0.1, for actors to reach through the http-client handler:
/// every request gets `200 OK`, header `x-test: yes` and the body `<method> <path>`, then
/// the connection closes. Returns the port; it serves until the test's tokio runtime ends.
pub async fn echo_http_server() -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a local port");
    let port = listener.local_addr().expect("local address").port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut chunk = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&chunk[..n]),
                    }
                }
                // The request line starts "<method> <path> HTTP/1.1".
                let body = String::from_utf8_lossy(&head)
                    .split(' ')
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(" ");
                let response = format!("HTTP/1.1 200 OK\r\nx-test: yes\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    port
}

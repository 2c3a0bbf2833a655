//! The Rust toolchain `theater build` drives: which `cargo` to run, and the
//! `wasm32-unknown-unknown` target, installed with rustup when it is missing.

use std::path::Path;
use std::process::{Command, Stdio};

/// The target actors are compiled for: no WASI, so nothing ambient.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The toolchain cannot do what `theater build` needs.
#[derive(Debug, thiserror::Error)]
pub enum ToolchainError {
    #[error("cannot run `{program}`: {source}\n  hint: theater build needs Rust's cargo and rustc; install Rust from https://rustup.rs")]
    Missing {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the Rust target {WASM_TARGET} is not installed, and rustup was not found to install it\n  hint: install the target with your Rust distribution (with rustup: `rustup target add {WASM_TARGET}`)")]
    NoRustup,
    #[error("`rustup target add {WASM_TARGET}` failed (its output is above)\n  hint: run it yourself, or install the target with your Rust distribution")]
    RustupFailed,
}

/// `cargo`, or the one in `$CARGO` when theater itself runs under cargo (same toolchain).
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Run `cmd` with the user's terminal, except that its stdout goes to our stderr: our stdout
/// is kept for results (and `--json`).
pub fn run_visible(cmd: &mut Command) -> Result<bool, ToolchainError> {
    let status = cmd
        .stdin(Stdio::null())
        .stdout(std::io::stderr())
        .stderr(Stdio::inherit())
        .status()
        .map_err(|source| missing(cmd, source))?;
    Ok(status.success())
}

/// An error for a program that could not be started.
pub fn missing(cmd: &Command, source: std::io::Error) -> ToolchainError {
    ToolchainError::Missing {
        program: cmd.get_program().to_string_lossy().into_owned(),
        source,
    }
}

/// Make sure the toolchain used in `dir` (rust-toolchain files apply) has the wasm target,
/// installing it with rustup, with a progress line, if not.
pub fn ensure_wasm_target(dir: &Path) -> Result<(), ToolchainError> {
    let mut rustc = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()));
    rustc
        .args(["--print", "target-libdir", "--target", WASM_TARGET])
        .current_dir(dir);
    let out = rustc.output().map_err(|source| missing(&rustc, source))?;
    let libdir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if out.status.success() && Path::new(&libdir).is_dir() {
        return Ok(());
    }
    eprintln!("installing the Rust target {WASM_TARGET} (rustup target add {WASM_TARGET})…");
    match run_visible(
        Command::new("rustup")
            .args(["target", "add", WASM_TARGET])
            .current_dir(dir),
    ) {
        Ok(true) => Ok(()),
        Ok(false) => Err(ToolchainError::RustupFailed),
        Err(ToolchainError::Missing { .. }) => Err(ToolchainError::NoRustup),
        Err(e) => Err(e),
    }
}

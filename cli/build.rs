//! Embeds the project templates, the guest SDK and the WIT contract in the `theater` binary,
//! so an installed CLI creates and builds actors with no checkout of this repository.
//!
//! Writes `$OUT_DIR/embedded.rs`: two tables of `(path, include_bytes!(...))`, read by
//! `src/embedded.rs`. Paths use `/` and are relative to `templates/` (for templates) or to
//! the repository root (for the SDK: `sdk/...`, `sdk/macros/...`, `wit/...`, `docs/...`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// Directories never embedded: build output, and the SDK's own test suite.
const SKIP_DIRS: [&str; 2] = ["target", "tests"];

/// Documents written beside the SDK.
const DOCS: [&str; 2] = ["docs/sdk.md", "docs/manifest.md"];

fn main() {
    let manifest_dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let repo = manifest_dir
        .parent()
        .expect("cli/ lives in the repository root")
        .to_path_buf();

    let templates = collect(&repo.join("templates"), &repo.join("templates"), false);
    let mut sdk = collect(&repo.join("sdk"), &repo, true);
    sdk.extend(collect(&repo.join("wit"), &repo, true));
    // The guides, offline beside the SDK (the SDK's doctests include sdk.md by relative path).
    for doc in DOCS {
        sdk.push((doc.to_string(), repo.join(doc)));
    }
    sdk.sort();

    let mut out = String::new();
    table(&mut out, "TEMPLATE_FILES", &templates);
    table(&mut out, "SDK_FILES", &sdk);
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("embedded.rs"), out).expect("write embedded.rs");

    // A directory here makes cargo rerun this script when anything below it changes.
    for path in ["templates", "sdk", "wit"].into_iter().chain(DOCS) {
        println!("cargo:rerun-if-changed={}", repo.join(path).display());
    }
}

/// Every file under `dir`, named relative to `base`. `skip` leaves out [`SKIP_DIRS`].
fn collect(dir: &Path, base: &Path, skip: bool) -> Vec<(String, PathBuf)> {
    let walk = WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            !(skip && e.file_type().is_dir() && SKIP_DIRS.iter().any(|s| e.file_name() == *s))
        });
    let mut files = Vec::new();
    for entry in walk {
        let entry = entry.unwrap_or_else(|e| panic!("cannot walk {}: {e}", dir.display()));
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry.path().strip_prefix(base).expect("walked below base");
        let name = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        files.push((name, entry.path().to_path_buf()));
    }
    files
}

fn table(out: &mut String, name: &str, files: &[(String, PathBuf)]) {
    writeln!(
        out,
        "/// Embedded files as `(path, bytes)`, sorted by path."
    )
    .expect("write to String");
    writeln!(out, "pub static {name}: &[(&str, &[u8])] = &[").expect("write to String");
    for (path, file) in files {
        writeln!(
            out,
            "    ({path:?}, include_bytes!({:?})),",
            file.display().to_string()
        )
        .expect("write to String");
    }
    writeln!(out, "];").expect("write to String");
}

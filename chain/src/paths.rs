//! Where Theater keeps its files: `$THEATER_HOME` (default `~/.theater`) holds the chain
//! database and the compiled-component cache; `--data-dir` overrides it per process.

use std::path::{Path, PathBuf};

/// The environment variable that moves Theater's home directory.
pub const HOME_ENV: &str = "THEATER_HOME";

/// `$THEATER_HOME`, or `~/.theater`, or `./.theater` when no home directory is known.
pub fn theater_home() -> PathBuf {
    if let Some(dir) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => Path::new(&home).join(".theater"),
        None => PathBuf::from(".theater"),
    }
}

/// The chain database inside a data directory.
pub fn chain_db(data_dir: &Path) -> PathBuf {
    data_dir.join("chains.db")
}

/// The component store inside a data directory: every component an actor ran, by hash.
pub fn component_store(data_dir: &Path) -> PathBuf {
    data_dir.join("components")
}

/// The compiled-component cache inside a data directory.
pub fn component_cache(data_dir: &Path) -> PathBuf {
    data_dir.join("cache").join("components")
}

/// Where to read the manifest reference: `docs/manifest.md` of a Theater checkout, and the
/// copy `theater create` and `theater build` write beside the SDK in `$THEATER_HOME`, which
/// is all a user of an installed `theater` has.
pub fn manifest_reference() -> String {
    let installed = theater_home()
        .join("sdk")
        .join(env!("CARGO_PKG_VERSION"))
        .join("docs")
        .join("manifest.md");
    format!(
        "docs/manifest.md (with an installed theater: {})",
        installed.display()
    )
}

//! The SDK copy under `$THEATER_HOME/sdk/<version>/`, written from the binary when a project
//! needs it. Its layout is the repository's (`wit/`, `sdk/`, `sdk/macros/`, `docs/sdk.md`),
//! because the SDK generates its bindings from `../wit`. A stamp holds the content hash, so a
//! copy left by another build of the same version is replaced rather than trusted.

use std::path::{Path, PathBuf};

use crate::embedded::{sdk_hash, SDK_FILES};

/// The file in the SDK root that records which content was written.
const STAMP: &str = ".theater-sdk-hash";

/// The installed SDK could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the Theater SDK to {}: {source}\n  hint: set THEATER_HOME to a writable directory", path.display())]
pub struct SdkInstallError {
    path: PathBuf,
    #[source]
    source: std::io::Error,
}

/// `<home>/sdk/<version>`: where this binary's SDK lives.
pub fn sdk_root(home: &Path) -> PathBuf {
    home.join("sdk").join(env!("CARGO_PKG_VERSION"))
}

/// The `theater-sdk` crate inside [`sdk_root`], which projects depend on by path.
pub fn sdk_crate(home: &Path) -> PathBuf {
    sdk_root(home).join("sdk")
}

/// Whether [`sdk_root`] holds exactly this binary's SDK.
fn is_current(root: &Path) -> bool {
    std::fs::read_to_string(root.join(STAMP)).is_ok_and(|stamp| stamp.trim() == sdk_hash())
}

/// Make sure `<home>/sdk/<version>` holds this binary's SDK; returns the `theater-sdk` crate
/// directory and whether anything was written. The copy is assembled in a temporary
/// directory and renamed into place, so a concurrent build never sees half an SDK.
pub fn ensure_installed(home: &Path) -> Result<(PathBuf, bool), SdkInstallError> {
    let root = sdk_root(home);
    if is_current(&root) {
        return Ok((sdk_crate(home), false));
    }
    let parent = home.join("sdk");
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SdkInstallError { path, source }
    };
    std::fs::create_dir_all(&parent).map_err(err(&parent))?;
    // Temporary directories delete themselves when dropped, on success and on error alike.
    let scratch = || {
        tempfile::Builder::new()
            .prefix(".tmp-")
            .tempdir_in(&parent)
            .map_err(err(&parent))
    };
    let staging = scratch()?;
    for (path, bytes) in SDK_FILES {
        let file = staging.path().join(path);
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(err(dir))?;
        }
        std::fs::write(&file, bytes).map_err(err(&file))?;
    }
    std::fs::write(staging.path().join(STAMP), sdk_hash()).map_err(err(staging.path()))?;

    // Another process may have installed it meanwhile; a current copy is never replaced.
    if is_current(&root) {
        return Ok((sdk_crate(home), false));
    }
    // Move a stale copy aside first: rename cannot replace a non-empty directory.
    let stale = scratch()?;
    if root.exists() {
        std::fs::rename(&root, stale.path().join("sdk")).map_err(err(&root))?;
    }
    if let Err(source) = std::fs::rename(staging.path(), &root) {
        // Another process installing the same SDK at the same time may have won the race.
        if !is_current(&root) {
            return Err(SdkInstallError { path: root, source });
        }
    }
    Ok((sdk_crate(home), true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installs_once_and_replaces_a_stale_copy() {
        let home = tempfile::tempdir().unwrap();
        let (krate, written) = ensure_installed(home.path()).unwrap();
        assert!(written);
        assert!(krate.join("Cargo.toml").is_file());
        assert!(sdk_root(home.path()).join("wit/worlds.wit").is_file());
        assert!(sdk_root(home.path())
            .join("sdk/macros/Cargo.toml")
            .is_file());
        assert!(
            !ensure_installed(home.path()).unwrap().1,
            "a current copy is left alone"
        );

        std::fs::write(sdk_root(home.path()).join(STAMP), "old").unwrap();
        std::fs::write(krate.join("src/lib.rs"), "edited").unwrap();
        assert!(ensure_installed(home.path()).unwrap().1);
        assert_ne!(
            std::fs::read_to_string(krate.join("src/lib.rs")).unwrap(),
            "edited"
        );
        let leftovers: Vec<_> = std::fs::read_dir(home.path().join("sdk"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(
            leftovers,
            [env!("CARGO_PKG_VERSION")],
            "no temporary directories left behind"
        );
    }
}

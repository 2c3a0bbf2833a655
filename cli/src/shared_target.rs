//! One cargo target directory for every actor project, `$THEATER_HOME/target`, so the
//! dependencies every actor has (serde, wit-bindgen, the SDK's macros) compile once per
//! machine instead of once per project: a second project's first build takes seconds.
//!
//! Only when the user has not chosen a target directory: cargo reports the one it will use
//! (`CARGO_TARGET_DIR`, `build.target-dir` in any `.cargo/config.toml` are honoured), and
//! only its default, `<workspace root>/target`, is replaced. Cargo's own lock keeps two
//! builds in the directory from corrupting each other; the build lock here also covers the
//! read of cargo's output, which another project of the same package name would overwrite.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::project::Project;

/// The lock file in the shared directory.
const LOCK_FILE: &str = ".theater-build.lock";

/// Why the shared directory cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("cannot use the shared build directory {}: {source}\n  hint: set CARGO_TARGET_DIR to build elsewhere", dir.display())]
pub struct SharedTargetError {
    dir: PathBuf,
    #[source]
    source: std::io::Error,
}

/// Where `project` should build: the shared directory under `home`, unless the user moved
/// cargo's target directory away from its default.
pub fn choose(project: &Project, home: &Path) -> Option<PathBuf> {
    (project.target_dir == project.root.join("target")).then(|| home.join("target"))
}

/// Exclusive use of the shared directory `dir` from a build to the read of its outputs;
/// released when dropped. Waits while another `theater build` holds it.
pub fn lock(dir: &Path) -> Result<File, SharedTargetError> {
    let error = |source| SharedTargetError { dir: dir.to_path_buf(), source };
    std::fs::create_dir_all(dir).map_err(error)?;
    let file = File::options().create(true).truncate(false).write(true).open(dir.join(LOCK_FILE)).map_err(error)?;
    file.lock().map_err(error)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(root: &str, target: &str) -> Project {
        Project { root: root.into(), target_dir: target.into(), actors: Vec::new(), offline: true }
    }

    #[test]
    fn only_the_default_target_dir_is_replaced() {
        let home = Path::new("/home/u/.theater");
        assert_eq!(choose(&project("/p", "/p/target"), home), Some(home.join("target")));
        assert_eq!(choose(&project("/p", "/elsewhere"), home), None, "CARGO_TARGET_DIR or build.target-dir");
    }

    #[test]
    fn the_lock_is_exclusive_until_dropped() {
        let dir = tempfile::tempdir().expect("temp dir");
        let held = lock(dir.path()).expect("first lock");
        let other = File::options().write(true).open(dir.path().join(LOCK_FILE)).expect("open");
        assert!(other.try_lock().is_err(), "a second build waits");
        drop(held);
        assert!(other.try_lock().is_ok());
    }
}

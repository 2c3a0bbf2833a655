//! One cargo target directory for every actor project, `$THEATER_HOME/target`, so the
//! dependencies every actor has (serde, wit-bindgen, the SDK's macros) compile once per
//! machine instead of once per project: a second project's first build takes seconds.
//!
//! Only when the user has not chosen a target directory: cargo reports the one it will use
//! (`CARGO_TARGET_DIR`, `build.target-dir` in any `.cargo/config.toml` are honoured), and
//! only its default, `<workspace root>/target`, is replaced. Cargo's own lock keeps two
//! builds in the directory from corrupting each other; the build lock here also covers the
//! read of cargo's output, which another project of the same package name would overwrite.
//!
//! Two projects may name a crate alike (two `counter`s): cargo tells a workspace member
//! apart by its path inside its workspace, so it would take the other project's build of
//! `counter` as up to date. Each package name's last builder is kept in `.theater-owners`;
//! when another project builds that name, its artifacts are cleaned first.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use crate::project::Project;
use crate::toolchain::{cargo, WASM_TARGET};

/// The lock file in the shared directory.
const LOCK_FILE: &str = ".theater-build.lock";
/// Which project root last built each package name: `name<TAB>root` lines.
const OWNERS_FILE: &str = ".theater-owners";

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

/// The shared directory, locked for one project's build and cleaned of other projects'
/// same-named crates; released when dropped.
pub struct SharedBuild {
    pub dir: PathBuf,
    _lock: File,
}

/// Lock the shared directory `dir` (waiting for another `theater build` to finish with it)
/// and make it build `project`'s own crates.
pub fn enter(
    dir: PathBuf,
    project: &Project,
    manifest: &Path,
) -> Result<SharedBuild, SharedTargetError> {
    let lock = lock(&dir)?;
    claim(&dir, project, manifest)?;
    Ok(SharedBuild { dir, _lock: lock })
}

/// Clean the artifacts of every package of `project` that another project built last in
/// `dir`, and record `project` as their builder. Called with the lock held.
fn claim(dir: &Path, project: &Project, manifest: &Path) -> Result<(), SharedTargetError> {
    let error = |source| SharedTargetError {
        dir: dir.to_path_buf(),
        source,
    };
    let path = dir.join(OWNERS_FILE);
    let mut owners = read_owners(&path);
    let root = project.root.display().to_string();
    for name in &project.members {
        if owners.get(name).is_some_and(|owner| *owner != root) {
            // The wasm builds (`theater build`, `--debug`) and the native ones (`theater test`).
            let builds = [Some(WASM_TARGET), None]
                .into_iter()
                .flat_map(|t| ["release", "dev"].map(|p| (t, p)));
            for (target, profile) in builds {
                let mut clean = cargo();
                clean
                    .args([
                        "clean",
                        "--quiet",
                        "-p",
                        name,
                        "--profile",
                        profile,
                        "--manifest-path",
                    ])
                    .arg(manifest);
                clean
                    .env("CARGO_TARGET_DIR", dir)
                    .args(target.map(|t| ["--target", t]).into_iter().flatten());
                if project.offline {
                    clean.arg("--offline");
                }
                let status = clean.status().map_err(error)?;
                if !status.success() {
                    return Err(error(std::io::Error::other(format!(
                        "`cargo clean -p {name}` failed ({status})"
                    ))));
                }
            }
        }
        owners.insert(name.clone(), root.clone());
    }
    let text: String = owners
        .iter()
        .map(|(name, owner)| format!("{name}\t{owner}\n"))
        .collect();
    std::fs::write(&path, text).map_err(error)
}

fn read_owners(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(n, r)| (n.to_string(), r.to_string()))
        .collect()
}

/// Exclusive use of the shared directory `dir` from a build to the read of its outputs;
/// released when dropped. Waits while another `theater build` holds it.
fn lock(dir: &Path) -> Result<File, SharedTargetError> {
    let error = |source| SharedTargetError {
        dir: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(error)?;
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK_FILE))
        .map_err(error)?;
    file.lock().map_err(error)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(root: &str, target: &str) -> Project {
        Project {
            root: root.into(),
            target_dir: target.into(),
            actors: Vec::new(),
            members: Vec::new(),
            offline: true,
        }
    }

    #[test]
    fn only_the_default_target_dir_is_replaced() {
        let home = Path::new("/home/u/.theater");
        assert_eq!(
            choose(&project("/p", "/p/target"), home),
            Some(home.join("target"))
        );
        assert_eq!(
            choose(&project("/p", "/elsewhere"), home),
            None,
            "CARGO_TARGET_DIR or build.target-dir"
        );
    }

    #[test]
    fn the_lock_is_exclusive_until_dropped() {
        let dir = tempfile::tempdir().expect("temp dir");
        let held = lock(dir.path()).expect("first lock");
        let other = File::options()
            .write(true)
            .open(dir.path().join(LOCK_FILE))
            .expect("open");
        assert!(other.try_lock().is_err(), "a second build waits");
        drop(held);
        assert!(other.try_lock().is_ok());
    }
}

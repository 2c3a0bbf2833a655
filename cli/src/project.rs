//! An actor project on disk: found from a directory, described by `cargo metadata` (its
//! workspace root, cargo's target directory, the cdylib crates that become components, and
//! whether every dependency is already cached), and the actor manifests it holds.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use walkdir::WalkDir;

use crate::toolchain::{cargo, missing, ToolchainError};

/// A directory that is not (or not yet) a buildable actor project.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("not an actor project: there is no Cargo.toml in {} or any directory above it\n  hint: run `theater create NAME` to make one, or pass the project's directory: `theater build DIR`", dir.display())]
    NotAProject { dir: PathBuf },
    #[error("not an actor project: no package of {} builds a cdylib, which is what becomes a component\n  hint: add to the actor crate's Cargo.toml:\n        [lib]\n        crate-type = [\"cdylib\"]", root.display())]
    NoActors { root: PathBuf },
    #[error("cargo cannot read the project at {}:\n{stderr}", manifest.display())]
    Cargo { manifest: PathBuf, stderr: String },
    #[error("cannot understand `cargo {command}` output: {reason}")]
    CargoOutput {
        command: &'static str,
        reason: String,
    },
    #[error(transparent)]
    Toolchain(#[from] ToolchainError),
}

/// A project as cargo sees it.
#[derive(Debug)]
pub struct Project {
    /// The workspace root: where `target/theater/` goes.
    pub root: PathBuf,
    /// Cargo's target directory (moved by `CARGO_TARGET_DIR` or `.cargo/config.toml`).
    pub target_dir: PathBuf,
    /// The packages with a cdylib target, in workspace order.
    pub actors: Vec<ActorCrate>,
    /// The names of every package of the workspace.
    pub members: Vec<String>,
    /// Every dependency is in cargo's local cache, so the build can run `--offline`.
    pub offline: bool,
}

/// A package whose cdylib becomes a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorCrate {
    /// The package name (`my-actor`): the component is `target/theater/<package>.wasm`.
    pub package: String,
    /// The library target's file stem (`my_actor`): cargo writes `<lib_name>.wasm`.
    pub lib_name: String,
}

/// The nearest `Cargo.toml` in `dir` or its ancestors.
pub fn find_cargo_toml(dir: &Path) -> Result<PathBuf, ProjectError> {
    let start = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    start
        .ancestors()
        .map(|d| d.join("Cargo.toml"))
        .find(|p| p.is_file())
        .ok_or(ProjectError::NotAProject { dir: start })
}

/// The workspace root manifest `cargo_toml` belongs to (itself, for a standalone project).
pub fn workspace_manifest(cargo_toml: &Path) -> Result<PathBuf, ProjectError> {
    let mut cmd = cargo();
    cmd.args([
        "locate-project",
        "--workspace",
        "--message-format",
        "plain",
        "--manifest-path",
    ])
    .arg(cargo_toml);
    let stdout = capture(&mut cmd, cargo_toml)?;
    Ok(PathBuf::from(stdout.trim()))
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    workspace_members: Vec<String>,
    workspace_root: PathBuf,
    target_directory: PathBuf,
}

#[derive(Deserialize)]
struct Package {
    id: String,
    name: String,
    targets: Vec<Target>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    crate_types: Vec<String>,
}

/// Ask cargo about the workspace of `manifest`. First offline with full resolution, which
/// succeeds exactly when every dependency is cached; otherwise without dependencies (the
/// build will fetch them).
pub fn describe(manifest: &Path) -> Result<Project, ProjectError> {
    let metadata = |extra: &str| {
        let mut cmd = cargo();
        cmd.args([
            "metadata",
            "--format-version",
            "1",
            extra,
            "--manifest-path",
        ])
        .arg(manifest);
        capture(&mut cmd, manifest)
    };
    let (json, offline) = match metadata("--offline") {
        Ok(json) => (json, true),
        Err(ProjectError::Cargo { .. }) => (metadata("--no-deps")?, false),
        Err(e) => return Err(e),
    };
    let meta: Metadata = serde_json::from_str(&json).map_err(|e| ProjectError::CargoOutput {
        command: "metadata",
        reason: e.to_string(),
    })?;
    let packages: Vec<&Package> = meta
        .workspace_members
        .iter()
        .filter_map(|id| meta.packages.iter().find(|p| &p.id == id))
        .collect();
    let members = packages.iter().map(|p| p.name.clone()).collect();
    let actors: Vec<ActorCrate> = packages
        .iter()
        .filter_map(|p| {
            let lib = p
                .targets
                .iter()
                .find(|t| t.crate_types.iter().any(|c| c == "cdylib"))?;
            Some(ActorCrate {
                package: p.name.clone(),
                lib_name: lib.name.replace('-', "_"),
            })
        })
        .collect();
    if actors.is_empty() {
        return Err(ProjectError::NoActors {
            root: meta.workspace_root,
        });
    }
    Ok(Project {
        root: meta.workspace_root,
        target_dir: meta.target_directory,
        actors,
        members,
        offline,
    })
}

/// Run a cargo query, returning its stdout; its stderr becomes the error.
fn capture(cmd: &mut Command, manifest: &Path) -> Result<String, ProjectError> {
    let out = cmd.output().map_err(|source| missing(cmd, source))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(ProjectError::Cargo {
            manifest: manifest.to_path_buf(),
            stderr: String::from_utf8_lossy(&out.stderr).trim_end().to_string(),
        })
    }
}

/// An actor manifest found in a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundManifest {
    pub path: PathBuf,
    pub text: String,
    /// Its `component`, resolved against the manifest's directory.
    pub component: PathBuf,
}

/// Every actor manifest under `root`: a `.toml` file with a top-level `component` string (or
/// `component_path`, the original Theater's older name for it).
/// Build output (`target/`, `skip`) and hidden directories are not searched.
pub fn find_manifests(root: &Path, skip: &Path) -> Vec<FoundManifest> {
    let walk = WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            e.depth() == 0
                || !(e.file_type().is_dir()
                    && (name == "target" || name.starts_with('.') || e.path() == skip))
        });
    walk.flatten()
        .filter(|e| {
            e.file_type().is_file()
                && e.path().extension().is_some_and(|x| x == "toml")
                && e.file_name() != "Cargo.toml"
        })
        .filter_map(|e| {
            let text = std::fs::read_to_string(e.path()).ok()?;
            let table: toml::Table = text.parse().ok()?;
            let component = table
                .get("component")
                .or_else(|| table.get("component_path"))?
                .as_str()?;
            let component = e.path().parent().unwrap_or(root).join(component);
            Some(FoundManifest {
                path: e.path().to_path_buf(),
                text,
                component,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_without_cargo_toml_is_not_a_project() {
        let dir = tempfile::tempdir().unwrap();
        let e = find_cargo_toml(dir.path()).unwrap_err().to_string();
        assert!(
            e.starts_with("not an actor project") && e.contains("theater create"),
            "{e}"
        );
    }

    #[test]
    fn finds_the_nearest_cargo_toml_above() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Cargo.toml"), "").unwrap();
        std::fs::create_dir_all(dir.path().join("src/deep")).unwrap();
        assert_eq!(
            find_cargo_toml(&dir.path().join("src/deep")).unwrap(),
            dir.path().join("Cargo.toml")
        );
    }

    #[test]
    fn manifests_are_tomls_with_a_component() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (path, text) in [
            (
                "manifest.toml",
                "name = \"a\"\ncomponent = \"target/theater/a.wasm\"\n",
            ),
            (
                "child/manifest.toml",
                "name = \"b\"\ncomponent = \"../target/theater/b.wasm\"\n",
            ),
            (
                "upstream/manifest.toml",
                "name = \"u\"\ncomponent_path = \"u.wasm\"\n",
            ),
            ("tests/scenario.toml", "manifest = \"../manifest.toml\"\n"),
            ("target/x/manifest.toml", "component = \"no\"\n"),
            (".hidden/manifest.toml", "component = \"no\"\n"),
            ("broken.toml", "component = \n"),
            ("Cargo.toml", "component = \"no\"\n"),
        ] {
            let file = root.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        let found = find_manifests(root, &root.join("target"));
        let names: Vec<_> = found
            .iter()
            .map(|m| m.path.strip_prefix(root).unwrap().to_path_buf())
            .collect();
        assert_eq!(
            names,
            [
                PathBuf::from("child/manifest.toml"),
                PathBuf::from("manifest.toml"),
                PathBuf::from("upstream/manifest.toml"),
            ]
        );
        assert_eq!(
            found[0].component,
            root.join("child/../target/theater/b.wasm")
        );
        assert_eq!(found[2].component, root.join("upstream/u.wasm"));
    }
}

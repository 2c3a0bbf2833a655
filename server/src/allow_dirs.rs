//! `--allow-dir`: the directories whose manifests `POST /v1/actors` may start. A manifest,
//! its component and its `init_state` file must each resolve (symbolic links and `..`
//! followed) to a path inside one of them; anything else is refused with one `403` that
//! reads the same whether or not the file exists, so the API cannot probe the disk. With no
//! `--allow-dir`, any absolute path the server can read is accepted (the default, as the
//! operator already chose who holds the token).

use std::path::{Path, PathBuf};

use axum::http::StatusCode;

use super::error::ApiError;

/// The canonical allowed directories; empty means no restriction.
#[derive(Debug, Clone, Default)]
pub struct AllowDirs {
    dirs: Vec<PathBuf>,
}

/// An `--allow-dir` that is not a usable directory.
#[derive(Debug, thiserror::Error)]
pub enum AllowDirError {
    #[error("--allow-dir {}: {source}", path.display())]
    Missing {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("--allow-dir {}: not a directory", .0.display())]
    NotADirectory(PathBuf),
}

impl AllowDirs {
    pub fn new(dirs: &[PathBuf]) -> Result<AllowDirs, AllowDirError> {
        let dirs = dirs
            .iter()
            .map(|dir| {
                let canonical = dir
                    .canonicalize()
                    .map_err(|source| AllowDirError::Missing {
                        path: dir.clone(),
                        source,
                    })?;
                if canonical.is_dir() {
                    Ok(canonical)
                } else {
                    Err(AllowDirError::NotADirectory(dir.clone()))
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(AllowDirs { dirs })
    }

    /// Whether any restriction applies.
    pub fn restricts(&self) -> bool {
        !self.dirs.is_empty()
    }

    /// `path` resolved, if it is inside an allowed directory (or `path` as given when there
    /// is no restriction); otherwise the `403`.
    pub fn admit(&self, path: &Path) -> Result<PathBuf, ApiError> {
        if !self.restricts() {
            return Ok(path.to_path_buf());
        }
        match path.canonicalize() {
            Ok(canonical) if self.dirs.iter().any(|dir| canonical.starts_with(dir)) => {
                Ok(canonical)
            }
            _ => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "{} is not inside a directory this server allows manifests from (--allow-dir)",
                    path.display()
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_resolving_inside_an_allowed_dir_are_admitted_and_refusals_look_alike() {
        let root = tempfile::tempdir().unwrap();
        let allowed = root.path().join("allowed");
        std::fs::create_dir(&allowed).unwrap();
        std::fs::write(allowed.join("m.toml"), "x").unwrap();
        std::fs::write(root.path().join("secret.toml"), "x").unwrap();
        let dirs = AllowDirs::new(std::slice::from_ref(&allowed)).unwrap();
        assert!(dirs.admit(&allowed.join("m.toml")).is_ok());
        let outside = [
            root.path().join("secret.toml"),
            root.path().join("missing.toml"),
            allowed.join("../secret.toml"),
            allowed.join("missing.toml"),
        ];
        #[cfg(unix)]
        let outside = {
            std::os::unix::fs::symlink(root.path().join("secret.toml"), allowed.join("link.toml"))
                .unwrap();
            let mut all = outside.to_vec();
            all.push(allowed.join("link.toml"));
            all
        };
        for path in &outside {
            let e = dirs.admit(path).unwrap_err();
            assert_eq!(e.status, StatusCode::FORBIDDEN, "{}", path.display());
            assert_eq!(
                e.message,
                format!(
                    "{} is not inside a directory this server allows manifests from (--allow-dir)",
                    path.display()
                )
            );
        }
        assert_eq!(
            AllowDirs::default().admit(Path::new("/anything")).unwrap(),
            Path::new("/anything")
        );
    }

    #[test]
    fn a_missing_or_non_directory_allow_dir_is_refused_at_start() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("file"), "x").unwrap();
        assert!(matches!(
            AllowDirs::new(&[root.path().join("nope")]),
            Err(AllowDirError::Missing { .. })
        ));
        assert!(matches!(
            AllowDirs::new(&[root.path().join("file")]),
            Err(AllowDirError::NotADirectory(_))
        ));
    }
}

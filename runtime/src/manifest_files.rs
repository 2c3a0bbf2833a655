//! The files a manifest names — the manifest itself, its `component`, its `init_state` —
//! are read only if they are regular files, and never past a size limit: a path to
//! `/dev/zero`, a FIFO or a directory is refused at once instead of filling the host's
//! memory or blocking forever. The check is made on the open handle (`fstat`), so the file
//! cannot be swapped between the check and the read.
//!
//! A child's files are also confined: they must resolve (after following every symlink)
//! inside the parent's manifest directory, so a child manifest cannot name `/etc/passwd`,
//! `../secret` or a symlink out of that directory.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest manifest file read.
pub const MAX_MANIFEST_BYTES: u64 = 1 << 20;
/// Largest component file read.
pub const MAX_COMPONENT_BYTES: u64 = 256 << 20;
/// Largest `init_state` file read.
pub const MAX_INIT_STATE_BYTES: u64 = 64 << 20;

/// Why a file a manifest names was not read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path} is not a regular file ({kind}), so it was not read\n  hint: name a regular file"
    )]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error("{path} is larger than {limit} bytes, the most Theater reads for a {what}")]
    TooLarge {
        path: PathBuf,
        limit: u64,
        what: &'static str,
    },
    #[error("{path} resolves outside {dir}, the parent's manifest directory: a child may name only files inside it (no `..`, absolute paths or symlinks leading out)")]
    Escapes { path: PathBuf, dir: PathBuf },
}

/// Read a regular file whole, refusing anything else and anything over `limit` bytes.
/// `what` names the file's role in the size error ("manifest", "component").
pub fn read_regular(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>, FileError> {
    let io = |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = open_regular(path)?;
    let size = file.metadata().map_err(io)?.len();
    if size > limit {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            limit,
            what,
        });
    }
    let mut bytes = Vec::new();
    // One byte past the limit, in case the file grew since it was measured.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            limit,
            what,
        });
    }
    Ok(bytes)
}

/// Open `path` for reading and check, on the open handle, that it is a regular file.
/// FIFOs are opened non-blocking (`O_NONBLOCK`, which regular files ignore) so that
/// opening one with no writer cannot hang.
fn open_regular(path: &Path) -> Result<File, FileError> {
    let io = |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(io)?;
    let kind = file.metadata().map_err(io)?.file_type();
    if kind.is_file() {
        return Ok(file);
    }
    Err(FileError::NotRegular {
        path: path.to_path_buf(),
        kind: kind_name(&kind),
    })
}

fn kind_name(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// `path` (relative paths against `dir`) with every symlink followed, if it lies inside
/// `dir` (itself canonicalised). A path that does not exist is reported as such.
pub fn confine(dir: &Path, path: &Path) -> Result<PathBuf, FileError> {
    let dir = dir.canonicalize().map_err(|source| FileError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let joined = dir.join(path);
    let resolved = joined.canonicalize().map_err(|source| FileError::Io {
        path: joined.clone(),
        source,
    })?;
    if resolved.starts_with(&dir) {
        Ok(resolved)
    } else {
        Err(FileError::Escapes {
            path: path.to_path_buf(),
            dir,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_read_within_their_limit() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a");
        std::fs::write(&f, b"hello").unwrap();
        assert_eq!(read_regular(&f, 5, "manifest").unwrap(), b"hello");
        let e = read_regular(&f, 4, "manifest").unwrap_err();
        assert!(matches!(e, FileError::TooLarge { limit: 4, .. }), "{e}");
    }

    #[test]
    fn devices_directories_and_fifos_are_refused_at_once() {
        let e = read_regular(Path::new("/dev/zero"), MAX_MANIFEST_BYTES, "manifest").unwrap_err();
        assert!(e.to_string().contains("a device"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let e = read_regular(dir.path(), MAX_MANIFEST_BYTES, "manifest").unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let e = read_regular(&fifo, MAX_MANIFEST_BYTES, "manifest").unwrap_err();
        assert!(e.to_string().contains("a FIFO"), "{e}");
    }

    #[test]
    fn confine_refuses_dotdot_absolute_and_symlink_escapes() {
        let outer = tempfile::tempdir().unwrap();
        let dir = outer.path().join("parent");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/child.toml"), "x").unwrap();
        std::fs::write(outer.path().join("secret"), "x").unwrap();
        std::os::unix::fs::symlink(outer.path().join("secret"), dir.join("link")).unwrap();
        std::os::unix::fs::symlink(dir.join("sub/child.toml"), dir.join("inner-link")).unwrap();
        assert!(confine(&dir, Path::new("sub/child.toml")).is_ok());
        assert!(
            confine(&dir, Path::new("inner-link")).is_ok(),
            "a symlink that stays inside is fine"
        );
        assert!(
            confine(&dir, &dir.join("sub/child.toml")).is_ok(),
            "an absolute path inside is fine"
        );
        for bad in [
            Path::new("../secret"),
            Path::new("sub/../../secret"),
            Path::new("link"),
            Path::new("/etc/passwd"),
        ] {
            let e = confine(&dir, bad).unwrap_err();
            assert!(
                matches!(e, FileError::Escapes { .. }),
                "{}: {e}",
                bad.display()
            );
        }
        assert!(matches!(
            confine(&dir, Path::new("missing")),
            Err(FileError::Io { .. })
        ));
    }
}

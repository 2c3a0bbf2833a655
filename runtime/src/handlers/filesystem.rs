//! `theater:simple/filesystem`: files under one directory, the `root` the manifest grants
//! (relative to the manifest's directory).
//!
//! Confinement: a guest path is split into components and refused if it is absolute or
//! contains `..`; it is then walked from the root one component at a time, and any
//! component that is a symbolic link is refused — wherever the link points. Refusing links
//! outright (rather than resolving them and checking the target) leaves nothing to get
//! wrong about where a chain of links ends, and actors cannot create links, so a link
//! inside a root was put there by the host's operator. (The check and the use are separate
//! system calls: a *host* process racing to swap a directory for a link in between is
//! outside what this guards against.) Only regular files are read or written, so a FIFO
//! or device in the root cannot block or leak. Nothing here runs commands.
//!
//! Limits: `max_read_bytes` caps one read, `max_write_bytes` one write, and `[limits]
//! max_fs_bytes_written` the bytes an actor asks to write over its life. Refusals and I/O
//! failures come back as `err` naming the guest's path, never the host's absolute path.
//! File system calls block, so each runs on tokio's blocking pool.

use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use wasmtime::component::{ComponentNamedList, Lift, Linker, LinkerInstance, Lower};

use super::{define_async, Handler};
use crate::actor::{ActorCtx, Budget};
use crate::bindings::{CommandResult, FileKind, FileMetadata};
use crate::chain::payload::Wire;
use crate::manifest::{HandlerConfig, Manifest};

const INTERFACE: &str = "theater:simple/filesystem";

/// Why a filesystem call was refused or failed; the message is what the guest sees.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error("path {0:?} is refused: absolute paths are not allowed (paths are relative to this actor's filesystem root)")]
    Absolute(String),
    #[error("path {0:?} is refused: `..` is not allowed (paths may not leave this actor's filesystem root)")]
    ParentDir(String),
    #[error("path {0:?} is refused: it contains a NUL byte")]
    Nul(String),
    #[error("path {path:?} is refused: {link:?} is a symbolic link, and links are not followed (they could lead outside this actor's filesystem root)")]
    Symlink { path: String, link: String },
    #[error("{0:?} is not a regular file")]
    NotAFile(String),
    #[error("{0:?} is not a directory")]
    NotADirectory(String),
    #[error("{0:?} does not exist")]
    NotFound(String),
    #[error("the filesystem root itself cannot be deleted")]
    DeleteRoot,
    #[error("reading {path:?} refused: the file is {size} bytes, over this actor's max_read_bytes of {limit} ([[handler]] type = \"filesystem\")")]
    ReadTooLarge { path: String, size: u64, limit: u64 },
    #[error("writing {size} bytes to {path:?} refused: over this actor's max_write_bytes of {limit} ([[handler]] type = \"filesystem\")")]
    WriteTooLarge { path: String, size: u64, limit: u64 },
    #[error("this actor's filesystem root {root:?} is not usable: {reason} (fix `root` in [[handler]] type = \"filesystem\" or create the directory)")]
    Root { root: String, reason: String },
    #[error("{path:?}: {source}")]
    Io { path: String, source: io::Error },
    #[error("running {0:?} refused: Theater runs no commands (a command could reach anything outside this actor's grants)")]
    NoCommands(String),
}

/// A guest path checked against the root: where it is on the host, and how the guest
/// wrote it (for messages).
struct Resolved {
    host: PathBuf,
    guest: String,
    /// Whether it names the root itself.
    is_root: bool,
}

impl Resolved {
    fn io(&self, source: io::Error) -> FsError {
        match source.kind() {
            io::ErrorKind::NotFound => FsError::NotFound(self.guest.clone()),
            _ => FsError::Io {
                path: self.guest.clone(),
                source,
            },
        }
    }

    /// The entry's metadata, without following a link (`resolve` refused links already).
    fn metadata(&self) -> Result<Option<fs::Metadata>, FsError> {
        match fs::symlink_metadata(&self.host) {
            Ok(m) => Ok(Some(m)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io(e)),
        }
    }

    fn existing(&self) -> Result<fs::Metadata, FsError> {
        self.metadata()?
            .ok_or_else(|| FsError::NotFound(self.guest.clone()))
    }

    fn file(&self) -> Result<fs::Metadata, FsError> {
        let m = self.existing()?;
        if m.is_file() {
            Ok(m)
        } else {
            Err(FsError::NotAFile(self.guest.clone()))
        }
    }

    fn dir(&self) -> Result<(), FsError> {
        if self.existing()?.is_dir() {
            Ok(())
        } else {
            Err(FsError::NotADirectory(self.guest.clone()))
        }
    }
}

/// One actor's view: its root and limits, taken from its manifest.
#[derive(Clone)]
struct Sandbox {
    /// The root as resolved against the manifest's directory.
    root: PathBuf,
    /// The root as the manifest wrote it, for messages.
    root_shown: String,
    max_read: u64,
    max_write: u64,
}

impl Sandbox {
    fn of(manifest: &Manifest) -> Sandbox {
        match manifest.handler("filesystem") {
            Some(HandlerConfig::Filesystem {
                root,
                max_read_bytes,
                max_write_bytes,
            }) => Sandbox {
                root: manifest.base_dir.join(root),
                root_shown: root.display().to_string(),
                max_read: *max_read_bytes,
                max_write: *max_write_bytes,
            },
            // Not granted: an empty sandbox that refuses everything.
            _ => Sandbox {
                root: PathBuf::new(),
                root_shown: String::new(),
                max_read: 0,
                max_write: 0,
            },
        }
    }

    /// Check `path` and find it under the root: see the module docs for the rules.
    fn resolve(&self, path: &str) -> Result<Resolved, FsError> {
        if path.contains('\0') {
            return Err(FsError::Nul(path.to_string()));
        }
        let mut parts = Vec::new();
        for component in Path::new(path).components() {
            match component {
                Component::Normal(part) => parts.push(part),
                Component::CurDir => {}
                Component::ParentDir => return Err(FsError::ParentDir(path.to_string())),
                Component::RootDir | Component::Prefix(_) => {
                    return Err(FsError::Absolute(path.to_string()))
                }
            }
        }
        let root_error = |reason: String| FsError::Root {
            root: self.root_shown.clone(),
            reason,
        };
        if self.root.as_os_str().is_empty() {
            return Err(root_error("the filesystem handler is not granted".into()));
        }
        let mut host = fs::canonicalize(&self.root).map_err(|e| root_error(e.to_string()))?;
        if !host.is_dir() {
            return Err(root_error("it is not a directory".into()));
        }
        let mut walked = PathBuf::new();
        let mut exists = true;
        for part in &parts {
            host.push(part);
            walked.push(part);
            if !exists {
                continue;
            }
            match fs::symlink_metadata(&host) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(FsError::Symlink {
                        path: path.to_string(),
                        link: walked.display().to_string(),
                    });
                }
                Ok(_) => {}
                // Nothing below a missing entry exists, so nothing below it can be a link.
                Err(e) if e.kind() == io::ErrorKind::NotFound => exists = false,
                Err(e) => {
                    return Err(FsError::Io {
                        path: walked.display().to_string(),
                        source: e,
                    })
                }
            }
        }
        Ok(Resolved {
            host,
            guest: path.to_string(),
            is_root: parts.is_empty(),
        })
    }

    fn read_file(&self, path: &str) -> Result<Vec<u8>, FsError> {
        let r = self.resolve(path)?;
        let too_large = |size| FsError::ReadTooLarge {
            path: path.to_string(),
            size,
            limit: self.max_read,
        };
        let size = r.file()?.len();
        if size > self.max_read {
            return Err(too_large(size));
        }
        let mut content = Vec::with_capacity(size as usize);
        // Read one byte past the limit, in case the file grew since it was measured.
        fs::File::open(&r.host)
            .and_then(|f| f.take(self.max_read + 1).read_to_end(&mut content))
            .map_err(|e| r.io(e))?;
        if content.len() as u64 > self.max_read {
            return Err(too_large(content.len() as u64));
        }
        Ok(content)
    }

    fn write_file(&self, path: &str, content: &[u8]) -> Result<(), FsError> {
        if content.len() as u64 > self.max_write {
            return Err(FsError::WriteTooLarge {
                path: path.to_string(),
                size: content.len() as u64,
                limit: self.max_write,
            });
        }
        let r = self.resolve(path)?;
        if r.metadata()?.is_some_and(|m| !m.is_file()) {
            return Err(FsError::NotAFile(path.to_string()));
        }
        match fs::write(&r.host, content) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(FsError::Io {
                path: path.to_string(),
                source: io::Error::new(
                    io::ErrorKind::NotFound,
                    "its directory does not exist (create it with create-dir)",
                ),
            }),
            other => other.map_err(|e| r.io(e)),
        }
    }

    fn list_files(&self, path: &str) -> Result<Vec<String>, FsError> {
        let r = self.resolve(path)?;
        r.dir()?;
        let mut names = Vec::new();
        for entry in fs::read_dir(&r.host).map_err(|e| r.io(e))? {
            names.push(
                entry
                    .map_err(|e| r.io(e))?
                    .file_name()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
        names.sort();
        Ok(names)
    }

    fn delete_file(&self, path: &str) -> Result<(), FsError> {
        let r = self.resolve(path)?;
        r.file()?;
        fs::remove_file(&r.host).map_err(|e| r.io(e))
    }

    fn create_dir(&self, path: &str) -> Result<(), FsError> {
        let r = self.resolve(path)?;
        fs::create_dir_all(&r.host).map_err(|e| r.io(e))
    }

    fn delete_dir(&self, path: &str) -> Result<(), FsError> {
        let r = self.resolve(path)?;
        if r.is_root {
            return Err(FsError::DeleteRoot);
        }
        r.dir()?;
        // Does not follow links inside the tree: it removes the links themselves.
        fs::remove_dir_all(&r.host).map_err(|e| r.io(e))
    }

    fn path_exists(&self, path: &str) -> Result<bool, FsError> {
        Ok(self.resolve(path)?.metadata()?.is_some())
    }

    fn metadata(&self, path: &str) -> Result<FileMetadata, FsError> {
        let m = self.resolve(path)?.existing()?;
        let kind = if m.is_dir() {
            FileKind::Directory
        } else {
            FileKind::File
        };
        Ok(FileMetadata {
            kind,
            size: m.len(),
        })
    }
}

/// The answer to every command an actor asks to run.
fn refuse_command(command: String) -> Result<CommandResult, FsError> {
    Err(FsError::NoCommands(command))
}

/// Serves `theater:simple/filesystem`.
pub struct FilesystemHandler;

/// Define filesystem function `name`: `op` runs on the blocking pool in the calling actor's
/// sandbox and its [`FsError`] becomes the `err` the guest sees.
fn define<P, T>(
    inst: &mut LinkerInstance<'_, ActorCtx>,
    name: &str,
    op: impl Fn(&Sandbox, P) -> Result<T, FsError> + Send + Sync + Copy + 'static,
) -> wasmtime::Result<()>
where
    P: ComponentNamedList + Lift + Wire + Send + 'static,
    T: Send + 'static,
    (Result<T, String>,): ComponentNamedList + Lower + Wire + Send,
{
    define_charged(inst, name, |_| 0, op)
}

/// [`define`] for an operation that writes `bytes(params)` bytes, charged to the actor's
/// `[limits] max_fs_bytes_written` first (a refusal is the guest's error).
fn define_charged<P, T>(
    inst: &mut LinkerInstance<'_, ActorCtx>,
    name: &str,
    bytes: fn(&P) -> usize,
    op: impl Fn(&Sandbox, P) -> Result<T, FsError> + Send + Sync + Copy + 'static,
) -> wasmtime::Result<()>
where
    P: ComponentNamedList + Lift + Wire + Send + 'static,
    T: Send + 'static,
    (Result<T, String>,): ComponentNamedList + Lower + Wire + Send,
{
    define_async(inst, INTERFACE, name, move |ctx, params: P| {
        let sandbox = ctx.extension(Sandbox::of).clone();
        let charged = ctx.spend(Budget::FsWritten, bytes(&params) as u64);
        Box::pin(async move {
            if let Err(e) = charged {
                return Ok((Err(e.to_string()),));
            }
            let result = tokio::task::spawn_blocking(move || op(&sandbox, params)).await?;
            Ok((result.map_err(|e| e.to_string()),))
        })
    })
}

impl Handler for FilesystemHandler {
    fn interface(&self) -> &'static str {
        INTERFACE
    }

    fn link(&self, linker: &mut Linker<ActorCtx>) -> wasmtime::Result<()> {
        let mut inst = linker.instance(INTERFACE)?;
        let i = &mut inst;
        define(i, "read-file", |s, (path,): (String,)| s.read_file(&path))?;
        define_charged(
            i,
            "write-file",
            |(_, c): &(String, String)| c.len(),
            |s, (path, content): (String, String)| s.write_file(&path, content.as_bytes()),
        )?;
        define_charged(
            i,
            "write-file-bytes",
            |(_, c): &(String, Vec<u8>)| c.len(),
            |s, (path, content): (String, Vec<u8>)| s.write_file(&path, &content),
        )?;
        define(i, "list-files", |s, (path,): (String,)| s.list_files(&path))?;
        define(i, "delete-file", |s, (path,): (String,)| {
            s.delete_file(&path)
        })?;
        define(i, "create-dir", |s, (path,): (String,)| s.create_dir(&path))?;
        define(i, "delete-dir", |s, (path,): (String,)| s.delete_dir(&path))?;
        define(i, "path-exists", |s, (path,): (String,)| {
            s.path_exists(&path)
        })?;
        define(i, "metadata", |s, (path,): (String,)| s.metadata(&path))?;
        define(
            i,
            "execute-command",
            |_, (_, command, _): (String, String, Vec<String>)| refuse_command(command),
        )?;
        define(
            i,
            "execute-nix-command",
            |_, (_, command): (String, String)| refuse_command(command),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox(max: u64) -> (tempfile::TempDir, Sandbox) {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("root")).unwrap();
        let s = Sandbox {
            root: dir.path().join("root"),
            root_shown: "root".into(),
            max_read: max,
            max_write: max,
        };
        (dir, s)
    }

    #[test]
    fn files_and_directories_round_trip() {
        let (_dir, s) = sandbox(100);
        s.create_dir("a/b").unwrap();
        s.write_file("a/b/f.txt", b"hi").unwrap();
        assert_eq!(s.read_file("./a/b/f.txt").unwrap(), b"hi");
        assert_eq!(s.list_files("a").unwrap(), vec!["b"]);
        assert_eq!(s.list_files("").unwrap(), vec!["a"]);
        assert!(s.path_exists("a/b/f.txt").unwrap());
        let m = s.metadata("a/b/f.txt").unwrap();
        assert!(matches!(m.kind, FileKind::File) && m.size == 2);
        assert!(matches!(s.metadata("a").unwrap().kind, FileKind::Directory));
        assert!(matches!(s.delete_file("a"), Err(FsError::NotAFile(_))));
        s.delete_file("a/b/f.txt").unwrap();
        assert!(!s.path_exists("a/b/f.txt").unwrap());
        s.delete_dir("a").unwrap();
        assert!(s.list_files(".").unwrap().is_empty());
        assert!(matches!(s.delete_dir(""), Err(FsError::DeleteRoot)));
    }

    #[test]
    fn escapes_are_refused() {
        let (dir, s) = sandbox(100);
        fs::write(dir.path().join("secret"), b"s").unwrap();
        assert!(matches!(
            s.read_file("../secret"),
            Err(FsError::ParentDir(_))
        ));
        assert!(matches!(
            s.read_file("a/../../secret"),
            Err(FsError::ParentDir(_))
        ));
        assert!(matches!(
            s.read_file(&dir.path().join("secret").display().to_string()),
            Err(FsError::Absolute(_))
        ));
        assert!(matches!(
            s.write_file("/tmp/x", b""),
            Err(FsError::Absolute(_))
        ));
        assert!(matches!(s.read_file("a\0b"), Err(FsError::Nul(_))));
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_refused_wherever_they_point() {
        let (dir, s) = sandbox(100);
        fs::write(dir.path().join("secret"), b"s").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), dir.path().join("root/out")).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("root/up")).unwrap();
        fs::write(dir.path().join("root/inside"), b"i").unwrap();
        std::os::unix::fs::symlink("inside", dir.path().join("root/in")).unwrap();
        for path in ["out", "up/secret", "up", "in"] {
            let e = s.read_file(path).unwrap_err();
            assert!(matches!(e, FsError::Symlink { .. }), "{path}: {e}");
        }
        assert!(matches!(
            s.write_file("up/secret", b"x"),
            Err(FsError::Symlink { .. })
        ));
        assert!(matches!(
            s.create_dir("up/new"),
            Err(FsError::Symlink { .. })
        ));
        assert!(matches!(s.path_exists("out"), Err(FsError::Symlink { .. })));
        assert_eq!(
            fs::read(dir.path().join("secret")).unwrap(),
            b"s",
            "the target is untouched"
        );
    }

    #[test]
    fn limits_are_enforced_on_both_sides() {
        let (_dir, s) = sandbox(4);
        s.write_file("ok", b"1234").unwrap();
        let e = s.write_file("big", b"12345").unwrap_err();
        assert!(e.to_string().contains("max_write_bytes of 4"), "{e}");
        assert!(!s.path_exists("big").unwrap(), "nothing written");
        let big = Sandbox {
            max_write: 10,
            ..s.clone()
        };
        big.write_file("big", b"12345").unwrap();
        let e = s.read_file("big").unwrap_err();
        assert!(
            e.to_string().contains("5 bytes") && e.to_string().contains("max_read_bytes of 4"),
            "{e}"
        );
    }

    #[test]
    fn missing_root_and_missing_parent_say_what_to_do() {
        let (_dir, s) = sandbox(10);
        let gone = Sandbox {
            root: s.root.join("nope"),
            root_shown: "nope".into(),
            ..s.clone()
        };
        let e = gone.read_file("x").unwrap_err().to_string();
        assert!(
            e.contains("\"nope\"") && e.contains("create the directory"),
            "{e}"
        );
        let e = s.write_file("no/dir/f", b"x").unwrap_err().to_string();
        assert!(e.contains("create-dir"), "{e}");
        let e = s.read_file("absent").unwrap_err().to_string();
        assert_eq!(e, "\"absent\" does not exist");
    }
}

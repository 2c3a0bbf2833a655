//! `$THEATER_HOME/server.json`: where a running server says how to reach it —
//! `{address, token, pid}` — so the CLI on the same machine, run by the same user, finds
//! the server and its token with no flag (Jupyter's token-in-a-file model). The file is
//! readable by its owner only, appears whole (written to a private temporary file, then
//! renamed) and is removed when the server exits cleanly.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file's name inside the data directory.
pub const FILE_NAME: &str = "server.json";

/// What a running server publishes about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerFile {
    /// The URL clients use, e.g. `http://127.0.0.1:9000`.
    pub address: String,
    /// The access token, or null for a server started with `--no-auth`.
    pub token: Option<String>,
    /// The server's process id, so a client can tell a file left by a killed server.
    pub pid: u32,
}

/// Why server.json could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ServerFileError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a theater server file: {source}\n  hint: remove it; a running `theater server` writes a new one")]
    Malformed {
        path: PathBuf,
        source: serde_json::Error,
    },
}

impl ServerFile {
    /// The file's path in `data_dir`.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(FILE_NAME)
    }

    /// Write the file atomically with mode 0600: a reader sees the old file, no file, or
    /// the whole new one, and no other user can read the token at any moment.
    pub fn write(&self, data_dir: &Path) -> Result<(), ServerFileError> {
        let path = Self::path(data_dir);
        let temp = data_dir.join(format!(".{FILE_NAME}.{}.tmp", self.pid));
        let io = |source| ServerFileError::Io {
            path: path.clone(),
            source,
        };
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| io(std::io::Error::other(e)))?;
        let _ = std::fs::remove_file(&temp);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options
            .open(&temp)
            .and_then(|mut f| f.write_all(&bytes).and_then(|()| f.sync_all()));
        if let Err(e) = written.and_then(|()| std::fs::rename(&temp, &path)) {
            let _ = std::fs::remove_file(&temp);
            return Err(io(e));
        }
        Ok(())
    }

    /// The file in `data_dir`, if there is one.
    pub fn read(data_dir: &Path) -> Result<Option<ServerFile>, ServerFileError> {
        let path = Self::path(data_dir);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|source| ServerFileError::Malformed { path, source }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(ServerFileError::Io { path, source }),
        }
    }

    /// Remove the file if it is still this process's (another server on the same data
    /// directory may have replaced it since).
    pub fn remove_if_ours(data_dir: &Path) {
        if let Ok(Some(file)) = Self::read(data_dir) {
            if file.pid == std::process::id() {
                let _ = std::fs::remove_file(Self::path(data_dir));
            }
        }
    }

    /// Whether the process that wrote the file still exists.
    pub fn server_alive(&self) -> bool {
        process_alive(self.pid)
    }
}

#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 sends nothing; it only asks whether `pid` exists. EPERM means it
    // exists but belongs to another user.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(pid: u32) -> ServerFile {
        ServerFile {
            address: "http://127.0.0.1:9000".into(),
            token: Some("t0ken".into()),
            pid,
        }
    }

    #[test]
    fn written_whole_owner_only_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        assert!(ServerFile::read(dir.path()).unwrap().is_none());
        file(std::process::id()).write(dir.path()).unwrap();
        file(std::process::id()).write(dir.path()).unwrap();
        assert_eq!(
            ServerFile::read(dir.path()).unwrap(),
            Some(file(std::process::id()))
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(ServerFile::path(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [FILE_NAME], "no temporary file is left behind");
    }

    #[test]
    fn only_the_owning_process_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        file(std::process::id().wrapping_add(1))
            .write(dir.path())
            .unwrap();
        ServerFile::remove_if_ours(dir.path());
        assert!(
            ServerFile::path(dir.path()).exists(),
            "another server's file stays"
        );
        file(std::process::id()).write(dir.path()).unwrap();
        ServerFile::remove_if_ours(dir.path());
        assert!(!ServerFile::path(dir.path()).exists());
    }

    #[test]
    fn a_garbled_file_is_a_clear_error_and_a_dead_pid_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(ServerFile::path(dir.path()), "{not json").unwrap();
        let e = ServerFile::read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("server.json") && e.contains("remove it"), "{e}");
        assert!(file(std::process::id()).server_alive());
        assert!(!file(0).server_alive());
        assert!(!file(u32::MAX).server_alive());
    }
}

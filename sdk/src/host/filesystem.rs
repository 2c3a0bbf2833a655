//! `theater:simple/filesystem`: files in the one directory tree the manifest grants
//! (`[[handler]] type = "filesystem"`, `root = "..."`).
//!
//! Paths are relative to that root and separated by `/`; `""` and `"."` name the root
//! itself. The host refuses absolute paths, `..` and symbolic links, and caps reads and
//! writes (`max_read_bytes`, `max_write_bytes`); a refusal is an `Err` saying what was
//! refused and why. Contents are bytes, as on disk: unlike message payloads, nothing is
//! JSON-encoded.
//!
//! ```
//! use theater_sdk::filesystem;
//! # theater_sdk::TestHost::new().enter(|| -> Result<(), String> {
//! filesystem::create_dir("notes")?;
//! filesystem::write_file("notes/today.txt", "remember the milk")?;
//! assert_eq!(filesystem::list_files("notes")?, ["today.txt"]);
//! assert_eq!(filesystem::read_file("notes/today.txt")?, b"remember the milk");
//! # Ok(()) })?;
//! # Ok::<(), String>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::sys::filesystem as sys;

/// What a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    File,
    Directory,
}

/// What [`metadata`] reports about a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileMetadata {
    pub kind: FileKind,
    /// Length in bytes (for a directory, whatever the host's filesystem reports).
    pub size: u64,
}

/// The whole content of a file.
pub fn read_file(path: &str) -> Result<Vec<u8>, String> {
    sys::read_file(path)
}

/// Creates a file or replaces its content. Its directory must already exist
/// ([`create_dir`]).
pub fn write_file(path: &str, content: impl AsRef<[u8]>) -> Result<(), String> {
    sys::write_file(path, content.as_ref())
}

/// The names of a directory's entries, sorted.
pub fn list_files(path: &str) -> Result<Vec<String>, String> {
    sys::list_files(path)
}

/// Deletes a file (not a directory: see [`delete_dir`]).
pub fn delete_file(path: &str) -> Result<(), String> {
    sys::delete_file(path)
}

/// Creates a directory and any missing parents; succeeds if it already exists.
pub fn create_dir(path: &str) -> Result<(), String> {
    sys::create_dir(path)
}

/// Deletes a directory and everything in it. The root itself cannot be deleted.
pub fn delete_dir(path: &str) -> Result<(), String> {
    sys::delete_dir(path)
}

/// Whether a file or directory exists at the path. (A refused path is an `Err`, not
/// `false`.)
pub fn path_exists(path: &str) -> Result<bool, String> {
    sys::path_exists(path)
}

/// The kind and size of an existing file or directory.
pub fn metadata(path: &str) -> Result<FileMetadata, String> {
    sys::metadata(path)
}

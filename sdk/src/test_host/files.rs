//! The in-memory tree behind the test host's `filesystem` interface.
//!
//! It follows the runtime's rules (`runtime/src/handlers/filesystem.rs`) and words its
//! errors the same way, so an actor's handling of them can be tested natively: absolute
//! paths and `..` are refused, `""` and `"."` are the root, a write needs its directory,
//! `delete-dir` takes everything below and never the root. It has no links and no size
//! limits, and a directory's size is 0.

use std::collections::BTreeMap;

use crate::host::filesystem::{FileKind, FileMetadata};

enum Entry {
    Dir,
    File(Vec<u8>),
}

/// Entries by normalized path (components joined by `/`); the root is `""`.
pub(crate) struct Files {
    entries: BTreeMap<String, Entry>,
}

impl Default for Files {
    fn default() -> Self {
        Files {
            entries: BTreeMap::from([(String::new(), Entry::Dir)]),
        }
    }
}

/// `path` checked and normalized, as the runtime resolves it against the root.
fn normalize(path: &str) -> Result<String, String> {
    if path.contains('\0') {
        return Err(format!("path {path:?} is refused: it contains a NUL byte"));
    }
    if path.starts_with('/') {
        return Err(format!("path {path:?} is refused: absolute paths are not allowed (paths are relative to this actor's filesystem root)"));
    }
    let mut parts = Vec::new();
    for part in path.split('/').filter(|p| !p.is_empty() && *p != ".") {
        if part == ".." {
            return Err(format!("path {path:?} is refused: `..` is not allowed (paths may not leave this actor's filesystem root)"));
        }
        parts.push(part);
    }
    Ok(parts.join("/"))
}

/// The directory holding `key` (the root `""` for a top-level entry), and its name there.
fn split(key: &str) -> (&str, &str) {
    key.rsplit_once('/').unwrap_or(("", key))
}

fn not_found(path: &str) -> String {
    format!("{path:?} does not exist")
}

impl Files {
    fn file(&self, path: &str) -> Result<(String, &Vec<u8>), String> {
        let key = normalize(path)?;
        match self.entries.get(&key) {
            Some(Entry::File(content)) => Ok((key, content)),
            Some(Entry::Dir) => Err(format!("{path:?} is not a regular file")),
            None => Err(not_found(path)),
        }
    }

    fn dir(&self, path: &str) -> Result<String, String> {
        let key = normalize(path)?;
        match self.entries.get(&key) {
            Some(Entry::Dir) => Ok(key),
            Some(Entry::File(_)) => Err(format!("{path:?} is not a directory")),
            None => Err(not_found(path)),
        }
    }

    pub(crate) fn read_file(&self, path: &str) -> Result<Vec<u8>, String> {
        self.file(path).map(|(_, content)| content.clone())
    }

    pub(crate) fn write_file(&mut self, path: &str, content: &[u8]) -> Result<(), String> {
        let key = normalize(path)?;
        if matches!(self.entries.get(&key), Some(Entry::Dir)) {
            return Err(format!("{path:?} is not a regular file"));
        }
        if !matches!(self.entries.get(split(&key).0), Some(Entry::Dir)) {
            return Err(format!(
                "{path:?}: its directory does not exist (create it with create-dir)"
            ));
        }
        self.entries.insert(key, Entry::File(content.to_vec()));
        Ok(())
    }

    pub(crate) fn list_files(&self, path: &str) -> Result<Vec<String>, String> {
        let key = self.dir(path)?;
        // Sorted by full path, so siblings come sorted by name.
        Ok(self
            .entries
            .keys()
            .filter(|k| !k.is_empty() && split(k).0 == key)
            .map(|k| split(k).1.to_string())
            .collect())
    }

    pub(crate) fn delete_file(&mut self, path: &str) -> Result<(), String> {
        let (key, _) = self.file(path)?;
        self.entries.remove(&key);
        Ok(())
    }

    pub(crate) fn create_dir(&mut self, path: &str) -> Result<(), String> {
        let key = normalize(path)?;
        let mut prefixes = Vec::new();
        for (i, _) in key.match_indices('/').chain([(key.len(), "")]) {
            let prefix = &key[..i];
            if let Some(Entry::File(_)) = self.entries.get(prefix) {
                return Err(format!("{path:?}: {prefix:?} is a file, not a directory"));
            }
            prefixes.push(prefix.to_string());
        }
        for prefix in prefixes {
            self.entries.entry(prefix).or_insert(Entry::Dir);
        }
        Ok(())
    }

    pub(crate) fn delete_dir(&mut self, path: &str) -> Result<(), String> {
        let key = self.dir(path)?;
        if key.is_empty() {
            return Err("the filesystem root itself cannot be deleted".to_string());
        }
        let below = format!("{key}/");
        self.entries
            .retain(|k, _| *k != key && !k.starts_with(&below));
        Ok(())
    }

    pub(crate) fn path_exists(&self, path: &str) -> Result<bool, String> {
        Ok(self.entries.contains_key(&normalize(path)?))
    }

    pub(crate) fn metadata(&self, path: &str) -> Result<FileMetadata, String> {
        match self.entries.get(&normalize(path)?) {
            Some(Entry::File(content)) => Ok(FileMetadata {
                kind: FileKind::File,
                size: content.len() as u64,
            }),
            Some(Entry::Dir) => Ok(FileMetadata {
                kind: FileKind::Directory,
                size: 0,
            }),
            None => Err(not_found(path)),
        }
    }

    /// Writes a file, creating its directories first: how a test seeds the tree.
    pub(crate) fn seed(&mut self, path: &str, content: &[u8]) -> Result<(), String> {
        self.create_dir(split(&normalize(path)?).0)?;
        self.write_file(path, content)
    }

    /// Every file's content, by normalized path.
    pub(crate) fn files(&self) -> BTreeMap<String, Vec<u8>> {
        self.entries
            .iter()
            .filter_map(|(key, entry)| match entry {
                Entry::File(content) => Some((key.clone(), content.clone())),
                Entry::Dir => None,
            })
            .collect()
    }
}

//! The component store: every component an actor ran, kept by its SHA-256 in the data
//! directory (`components/<hash>.wasm`), so a restart, a resume after a server restart and
//! `theater replay` run exactly the code a chain recorded — not whatever file sits at the
//! manifest's path today (a rebuilt component is an upgrade, never a side effect of a crash).

use std::path::{Path, PathBuf};

use crate::chain::{sha256, Hash};

/// Why the store could not keep or give back a component.
#[derive(Debug, thiserror::Error)]
pub enum ComponentStoreError {
    #[error("cannot write component {hash} to the component store {dir}: {source}\n  hint: check that the data directory is writable and has room")]
    Write {
        hash: String,
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("component {hash} is not in the component store {dir}\n  hint: it was recorded by a data directory without this store; pass --component FILE to replay against a copy you have")]
    Missing { hash: String, dir: PathBuf },
    #[error("cannot read component {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("component store file {path} does not hash to its name (SHA-256 {actual}): it was altered or damaged\n  hint: delete it; it is written again from the component file the next time an actor runs it")]
    Corrupt { path: PathBuf, actual: String },
}

/// Components by content hash, in one directory.
#[derive(Debug, Clone)]
pub struct ComponentStore {
    dir: PathBuf,
}

impl ComponentStore {
    pub fn new(dir: &Path) -> ComponentStore {
        ComponentStore {
            dir: dir.to_path_buf(),
        }
    }

    fn path(&self, hash: &Hash) -> PathBuf {
        self.dir.join(format!("{}.wasm", hex::encode(hash)))
    }

    /// Keep `bytes` (whose SHA-256 is `hash`) unless already kept. Written to a temporary
    /// file and renamed, so a crash mid-write never leaves a partial component under a
    /// hash's name.
    pub fn put(&self, hash: &Hash, bytes: &[u8]) -> Result<(), ComponentStoreError> {
        let path = self.path(hash);
        if path.is_file() {
            return Ok(());
        }
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(&self.dir)?;
            let tmp = self.dir.join(format!(".{}.tmp", uuid::Uuid::new_v4()));
            let written = std::fs::File::create(&tmp).and_then(|mut f| {
                std::io::Write::write_all(&mut f, bytes)?;
                f.sync_all()
            });
            let renamed = written.and_then(|()| std::fs::rename(&tmp, &path));
            if renamed.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            renamed
        };
        write().map_err(|source| ComponentStoreError::Write {
            hash: hex::encode(hash),
            dir: self.dir.clone(),
            source,
        })
    }

    /// The component with SHA-256 `hash`, checked against its hash.
    pub fn get(&self, hash: &Hash) -> Result<Vec<u8>, ComponentStoreError> {
        let path = self.path(hash);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ComponentStoreError::Missing {
                    hash: hex::encode(hash),
                    dir: self.dir.clone(),
                })
            }
            Err(source) => return Err(ComponentStoreError::Read { path, source }),
        };
        let actual = sha256(&bytes);
        if actual != *hash {
            return Err(ComponentStoreError::Corrupt {
                path,
                actual: hex::encode(actual),
            });
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_components_by_hash_and_refuses_altered_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = ComponentStore::new(&dir.path().join("components"));
        let bytes = b"not really a component".to_vec();
        let hash = sha256(&bytes);
        assert!(matches!(
            store.get(&hash),
            Err(ComponentStoreError::Missing { .. })
        ));
        store.put(&hash, &bytes).unwrap();
        store.put(&hash, &bytes).unwrap();
        assert_eq!(store.get(&hash).unwrap(), bytes);
        let files: Vec<_> = std::fs::read_dir(dir.path().join("components"))
            .unwrap()
            .flatten()
            .collect();
        assert_eq!(
            files.len(),
            1,
            "one file per component, no temporary files left"
        );
        std::fs::write(store.path(&hash), b"tampered").unwrap();
        let e = store.get(&hash).unwrap_err().to_string();
        assert!(e.contains("altered or damaged"), "{e}");
    }
}

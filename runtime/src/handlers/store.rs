//! `theater:simple/store`: content-addressed blobs with labels, kept in an embedded SQLite
//! database, `<data_dir>/store.db` (WAL mode), separate from the chain database.
//!
//! A store is a namespace created by `new`; its id is the capability to use it (an actor may
//! pass it to another). Content is addressed by the lower-case hex SHA-256 of its bytes and
//! kept once however many stores hold it, but a store answers only for content put into it.
//! A label names one content ref in a store: `label` and `replace-at-label` point it at a
//! ref already in the store, `store-at-label` and `replace-content-at-label` store content
//! and point the label at it, `remove-from-label` removes the label only if it points at
//! the given ref. Everything survives a restart of the runtime. The content an actor puts
//! into stores over its life is capped by `[limits] max_store_bytes`.
//!
//! SQLite calls block, so each runs on tokio's blocking pool: a slow disk holds up only the
//! calling actor, never the threads that run the others.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};
use wasmtime::component::{ComponentNamedList, Lift, Linker, LinkerInstance};

use super::{define_async, Handler};
use crate::actor::{ActorCtx, Budget};
use crate::bindings::ContentRef;
use crate::chain::now_ms;
use crate::chain::payload::Wire;

const INTERFACE: &str = "theater:simple/store";

/// The store database inside a data directory.
pub fn store_db_path(data_dir: &Path) -> PathBuf {
    data_dir.join("store.db")
}

/// Why a store operation failed; the message is what the guest sees.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    #[error("no store with id {0:?}: create one with store.new")]
    NoSuchStore(String),
    #[error("content {hash} is not in store {store}")]
    NoSuchContent { store: String, hash: String },
    #[error("the store database {path} failed: {reason}")]
    Database { path: String, reason: String },
}

/// The store database, shared by every actor of one runtime. It is opened on first use
/// (so a runtime whose actors never use the store creates no file), and again on the next
/// call if opening failed.
pub struct StoreDb {
    path: PathBuf,
    conn: Mutex<Option<Connection>>,
}

impl StoreDb {
    pub fn new(path: PathBuf) -> StoreDb {
        StoreDb {
            path,
            conn: Mutex::new(None),
        }
    }

    /// Run `f` in one transaction (committed if `f` succeeds).
    fn transact<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut guard = self
            .conn
            .lock()
            .map_err(|_| self.db_error("a previous call panicked while holding it"))?;
        if guard.is_none() {
            *guard = Some(self.open().map_err(|e| self.db_error(e))?);
        }
        let conn = guard.as_mut().ok_or_else(|| self.db_error("not open"))?;
        let tx = conn.transaction().map_err(|e| self.db_error(e))?;
        let out = f(&tx)?;
        tx.commit().map_err(|e| self.db_error(e))?;
        Ok(out)
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        if let Some(dir) = self.path.parent() {
            // A missing directory surfaces as the open error below.
            let _ = std::fs::create_dir_all(dir);
        }
        let conn = Connection::open(&self.path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS stores (id TEXT PRIMARY KEY, created_ms INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS blobs (hash TEXT PRIMARY KEY, size INTEGER NOT NULL, content BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS store_content (
                 store_id TEXT NOT NULL, hash TEXT NOT NULL, UNIQUE (store_id, hash));
             CREATE TABLE IF NOT EXISTS labels (
                 store_id TEXT NOT NULL, label TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (store_id, label));",
        )?;
        Ok(conn)
    }

    fn db_error(&self, reason: impl std::fmt::Display) -> StoreError {
        StoreError::Database {
            path: self.path.display().to_string(),
            reason: reason.to_string(),
        }
    }

    /// Create a store and return its id.
    pub fn create(&self) -> Result<String, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        self.transact(|tx| {
            tx.execute(
                "INSERT INTO stores (id, created_ms) VALUES (?1, ?2)",
                params![id, now_ms() as i64],
            )
            .map_err(|e| self.db_error(e))?;
            Ok(id.clone())
        })
    }

    pub fn put(&self, store: &str, content: &[u8]) -> Result<String, StoreError> {
        self.transact(|tx| self.put_in(tx, store, content))
    }

    pub fn get(&self, store: &str, hash: &str) -> Result<Vec<u8>, StoreError> {
        self.transact(|tx| {
            self.require_store(tx, store)?;
            tx.query_row(
                "SELECT b.content FROM blobs b JOIN store_content s ON s.hash = b.hash WHERE s.store_id = ?1 AND b.hash = ?2",
                params![store, hash],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.db_error(e))?
            .ok_or_else(|| StoreError::NoSuchContent { store: store.to_string(), hash: hash.to_string() })
        })
    }

    pub fn exists(&self, store: &str, hash: &str) -> Result<bool, StoreError> {
        self.transact(|tx| self.holds(tx, store, hash))
    }

    /// Point `label` at content already in the store (`label`, `replace-at-label`).
    pub fn label(&self, store: &str, label: &str, hash: &str) -> Result<(), StoreError> {
        self.transact(|tx| {
            if !self.holds(tx, store, hash)? {
                return Err(StoreError::NoSuchContent {
                    store: store.to_string(),
                    hash: hash.to_string(),
                });
            }
            self.set_label(tx, store, label, hash)
        })
    }

    /// Store content and point `label` at it (`store-at-label`, `replace-content-at-label`).
    pub fn put_at_label(
        &self,
        store: &str,
        label: &str,
        content: &[u8],
    ) -> Result<String, StoreError> {
        self.transact(|tx| {
            let hash = self.put_in(tx, store, content)?;
            self.set_label(tx, store, label, &hash)?;
            Ok(hash)
        })
    }

    pub fn get_by_label(&self, store: &str, label: &str) -> Result<Option<String>, StoreError> {
        self.transact(|tx| {
            self.require_store(tx, store)?;
            tx.query_row(
                "SELECT hash FROM labels WHERE store_id = ?1 AND label = ?2",
                params![store, label],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.db_error(e))
        })
    }

    /// Remove a label; removing one that does not exist is not an error.
    pub fn remove_label(&self, store: &str, label: &str) -> Result<(), StoreError> {
        self.transact(|tx| {
            self.require_store(tx, store)?;
            tx.execute(
                "DELETE FROM labels WHERE store_id = ?1 AND label = ?2",
                params![store, label],
            )
            .map_err(|e| self.db_error(e))?;
            Ok(())
        })
    }

    /// Remove a label if it points at `hash`; otherwise leave it.
    pub fn remove_from_label(
        &self,
        store: &str,
        label: &str,
        hash: &str,
    ) -> Result<(), StoreError> {
        self.transact(|tx| {
            self.require_store(tx, store)?;
            tx.execute(
                "DELETE FROM labels WHERE store_id = ?1 AND label = ?2 AND hash = ?3",
                params![store, label, hash],
            )
            .map_err(|e| self.db_error(e))?;
            Ok(())
        })
    }

    /// The store's labels, sorted.
    pub fn labels(&self, store: &str) -> Result<Vec<String>, StoreError> {
        self.strings(
            store,
            "SELECT label FROM labels WHERE store_id = ?1 ORDER BY label",
        )
    }

    /// The hashes of the store's content, in the order it was first stored.
    pub fn contents(&self, store: &str) -> Result<Vec<String>, StoreError> {
        self.strings(
            store,
            "SELECT hash FROM store_content WHERE store_id = ?1 ORDER BY rowid",
        )
    }

    /// Total bytes of the store's content (each distinct content counted once).
    pub fn total_size(&self, store: &str) -> Result<u64, StoreError> {
        self.transact(|tx| {
            self.require_store(tx, store)?;
            let size: i64 = tx
                .query_row(
                    "SELECT COALESCE(SUM(b.size), 0) FROM blobs b JOIN store_content s ON s.hash = b.hash WHERE s.store_id = ?1",
                    params![store],
                    |r| r.get(0),
                )
                .map_err(|e| self.db_error(e))?;
            Ok(size.max(0) as u64)
        })
    }

    fn strings(&self, store: &str, sql: &str) -> Result<Vec<String>, StoreError> {
        self.transact(|tx| {
            self.require_store(tx, store)?;
            let mut stmt = tx.prepare(sql).map_err(|e| self.db_error(e))?;
            let rows = stmt
                .query_map(params![store], |r| r.get(0))
                .map_err(|e| self.db_error(e))?;
            rows.collect::<rusqlite::Result<Vec<String>>>()
                .map_err(|e| self.db_error(e))
        })
    }

    fn put_in(
        &self,
        tx: &Transaction<'_>,
        store: &str,
        content: &[u8],
    ) -> Result<String, StoreError> {
        self.require_store(tx, store)?;
        let hash = hex::encode(Sha256::digest(content));
        tx.execute(
            "INSERT OR IGNORE INTO blobs (hash, size, content) VALUES (?1, ?2, ?3)",
            params![hash, content.len() as i64, content],
        )
        .map_err(|e| self.db_error(e))?;
        tx.execute(
            "INSERT OR IGNORE INTO store_content (store_id, hash) VALUES (?1, ?2)",
            params![store, hash],
        )
        .map_err(|e| self.db_error(e))?;
        Ok(hash)
    }

    fn set_label(
        &self,
        tx: &Transaction<'_>,
        store: &str,
        label: &str,
        hash: &str,
    ) -> Result<(), StoreError> {
        tx.execute(
            "INSERT OR REPLACE INTO labels (store_id, label, hash) VALUES (?1, ?2, ?3)",
            params![store, label, hash],
        )
        .map_err(|e| self.db_error(e))?;
        Ok(())
    }

    fn holds(&self, tx: &Transaction<'_>, store: &str, hash: &str) -> Result<bool, StoreError> {
        self.require_store(tx, store)?;
        tx.query_row(
            "SELECT 1 FROM store_content WHERE store_id = ?1 AND hash = ?2",
            params![store, hash],
            |_| Ok(()),
        )
        .optional()
        .map(|found| found.is_some())
        .map_err(|e| self.db_error(e))
    }

    fn require_store(&self, tx: &Transaction<'_>, store: &str) -> Result<(), StoreError> {
        let found = tx
            .query_row("SELECT 1 FROM stores WHERE id = ?1", params![store], |_| {
                Ok(())
            })
            .optional()
            .map_err(|e| self.db_error(e))?;
        found.ok_or_else(|| StoreError::NoSuchStore(store.to_string()))
    }
}

/// Serves `theater:simple/store` from one [`StoreDb`].
pub struct StoreHandler {
    db: Arc<StoreDb>,
}

impl StoreHandler {
    pub fn new(data_dir: &Path) -> StoreHandler {
        StoreHandler {
            db: Arc::new(StoreDb::new(store_db_path(data_dir))),
        }
    }
}

/// Define store function `name`: `op` runs on the blocking pool against the database and
/// its [`StoreError`] becomes the `err` the guest sees. (A panic in `op` is a host fault and
/// traps the call.)
fn define<P, T>(
    inst: &mut LinkerInstance<'_, ActorCtx>,
    db: &Arc<StoreDb>,
    name: &str,
    op: impl Fn(&StoreDb, P) -> Result<T, StoreError> + Send + Sync + Copy + 'static,
) -> wasmtime::Result<()>
where
    P: ComponentNamedList + Lift + Wire + Send + 'static,
    T: Send + 'static,
    (Result<T, String>,): ComponentNamedList + wasmtime::component::Lower + Wire + Send,
{
    define_charged(inst, db, name, |_| 0, op)
}

/// [`define`] for an operation that stores `bytes(params)` bytes of content, charged to
/// the actor's `[limits] max_store_bytes` first (a refusal is the guest's error).
fn define_charged<P, T>(
    inst: &mut LinkerInstance<'_, ActorCtx>,
    db: &Arc<StoreDb>,
    name: &str,
    bytes: fn(&P) -> usize,
    op: impl Fn(&StoreDb, P) -> Result<T, StoreError> + Send + Sync + Copy + 'static,
) -> wasmtime::Result<()>
where
    P: ComponentNamedList + Lift + Wire + Send + 'static,
    T: Send + 'static,
    (Result<T, String>,): ComponentNamedList + wasmtime::component::Lower + Wire + Send,
{
    let db = db.clone();
    define_async(inst, INTERFACE, name, move |ctx, params: P| {
        let db = db.clone();
        let charged = ctx.spend(Budget::Store, bytes(&params) as u64);
        Box::pin(async move {
            if let Err(e) = charged {
                return Ok((Err(e.to_string()),));
            }
            let result = tokio::task::spawn_blocking(move || op(&db, params)).await?;
            Ok((result.map_err(|e| e.to_string()),))
        })
    })
}

fn content_ref(hash: String) -> ContentRef {
    ContentRef { hash }
}

impl Handler for StoreHandler {
    fn interface(&self) -> &'static str {
        INTERFACE
    }

    fn link(&self, linker: &mut Linker<ActorCtx>) -> wasmtime::Result<()> {
        let mut inst = linker.instance(INTERFACE)?;
        let i = &mut inst;
        let db = &self.db;
        define(i, db, "new", |db, (): ()| db.create())?;
        define_charged(
            i,
            db,
            "store",
            |(_, c): &(String, Vec<u8>)| c.len(),
            |db, (s, content): (String, Vec<u8>)| db.put(&s, &content).map(content_ref),
        )?;
        define(i, db, "get", |db, (s, r): (String, ContentRef)| {
            db.get(&s, &r.hash)
        })?;
        define(i, db, "exists", |db, (s, r): (String, ContentRef)| {
            db.exists(&s, &r.hash)
        })?;
        define(
            i,
            db,
            "label",
            |db, (s, label, r): (String, String, ContentRef)| db.label(&s, &label, &r.hash),
        )?;
        define(i, db, "get-by-label", |db, (s, label): (String, String)| {
            Ok(db.get_by_label(&s, &label)?.map(content_ref))
        })?;
        define(i, db, "remove-label", |db, (s, label): (String, String)| {
            db.remove_label(&s, &label)
        })?;
        define(
            i,
            db,
            "remove-from-label",
            |db, (s, label, r): (String, String, ContentRef)| {
                db.remove_from_label(&s, &label, &r.hash)
            },
        )?;
        define_charged(
            i,
            db,
            "store-at-label",
            |(_, _, c): &(String, String, Vec<u8>)| c.len(),
            |db, (s, label, content): (String, String, Vec<u8>)| {
                db.put_at_label(&s, &label, &content).map(content_ref)
            },
        )?;
        define_charged(
            i,
            db,
            "replace-content-at-label",
            |(_, _, c): &(String, String, Vec<u8>)| c.len(),
            |db, (s, label, content): (String, String, Vec<u8>)| {
                db.put_at_label(&s, &label, &content).map(content_ref)
            },
        )?;
        define(
            i,
            db,
            "replace-at-label",
            |db, (s, label, r): (String, String, ContentRef)| db.label(&s, &label, &r.hash),
        )?;
        define(i, db, "list-labels", |db, (s,): (String,)| db.labels(&s))?;
        define(i, db, "list-all-content", |db, (s,): (String,)| {
            Ok(db
                .contents(&s)?
                .into_iter()
                .map(content_ref)
                .collect::<Vec<_>>())
        })?;
        define(i, db, "calculate-total-size", |db, (s,): (String,)| {
            db.total_size(&s)
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, StoreDb) {
        let dir = tempfile::tempdir().unwrap();
        let db = StoreDb::new(store_db_path(dir.path()));
        (dir, db)
    }

    #[test]
    fn content_is_addressed_by_sha256_hex_and_deduplicated() {
        let (_dir, db) = db();
        let s = db.create().unwrap();
        let h = db.put(&s, b"hello").unwrap();
        assert_eq!(
            h,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(db.put(&s, b"hello").unwrap(), h);
        assert_eq!(db.get(&s, &h).unwrap(), b"hello");
        assert!(db.exists(&s, &h).unwrap());
        assert_eq!(db.contents(&s).unwrap(), vec![h.clone()]);
        assert_eq!(db.total_size(&s).unwrap(), 5);
    }

    #[test]
    fn labels_point_at_one_ref_and_are_removed_as_asked() {
        let (_dir, db) = db();
        let s = db.create().unwrap();
        let a = db.put_at_label(&s, "doc", b"v1").unwrap();
        assert_eq!(db.get_by_label(&s, "doc").unwrap(), Some(a.clone()));
        let b = db.put_at_label(&s, "doc", b"v2").unwrap();
        assert_eq!(db.get_by_label(&s, "doc").unwrap(), Some(b.clone()));
        db.label(&s, "old", &a).unwrap();
        assert_eq!(db.labels(&s).unwrap(), vec!["doc", "old"]);
        // Removing a ref the label does not point at leaves it.
        db.remove_from_label(&s, "doc", &a).unwrap();
        assert_eq!(db.get_by_label(&s, "doc").unwrap(), Some(b.clone()));
        db.remove_from_label(&s, "doc", &b).unwrap();
        assert_eq!(db.get_by_label(&s, "doc").unwrap(), None);
        db.remove_label(&s, "old").unwrap();
        assert!(db.labels(&s).unwrap().is_empty());
        assert_eq!(
            db.total_size(&s).unwrap(),
            4,
            "content stays when labels go"
        );
    }

    #[test]
    fn stores_are_separate_and_unknown_ids_are_refused() {
        let (_dir, db) = db();
        let s1 = db.create().unwrap();
        let s2 = db.create().unwrap();
        let h = db.put(&s1, b"only in s1").unwrap();
        assert!(!db.exists(&s2, &h).unwrap());
        assert_eq!(
            db.get(&s2, &h).unwrap_err(),
            StoreError::NoSuchContent {
                store: s2.clone(),
                hash: h.clone()
            }
        );
        assert!(matches!(
            db.label(&s2, "x", &h),
            Err(StoreError::NoSuchContent { .. })
        ));
        let e = db.put("nope", b"x").unwrap_err();
        assert_eq!(e, StoreError::NoSuchStore("nope".into()));
        assert!(e.to_string().contains("store.new"), "{e}");
    }

    #[test]
    fn content_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let (s, h) = {
            let db = StoreDb::new(store_db_path(dir.path()));
            let s = db.create().unwrap();
            (s.clone(), db.put_at_label(&s, "k", b"kept").unwrap())
        };
        let db = StoreDb::new(store_db_path(dir.path()));
        assert_eq!(db.get_by_label(&s, "k").unwrap(), Some(h.clone()));
        assert_eq!(db.get(&s, &h).unwrap(), b"kept");
    }
}

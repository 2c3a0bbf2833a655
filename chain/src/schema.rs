//! The chain database's tables and their migration. The schema version lives in SQLite's
//! `PRAGMA user_version`; every writer brings an older database up to date when it opens
//! it, inside one `BEGIN IMMEDIATE` transaction, so concurrent openers migrate it once.
//!
//! Version history: 0/1 — actors, events, blobs (keys allocated by the process);
//! 2 — `processes` (who writes), `actors.owner`, `heads` (signed heads), keys allocated by
//! the database; 3 — `processes.role` (a `theater server` or not) and `actors.resume` (left
//! running by a server that stopped or died: the next server resumes it).

use rusqlite::{Connection, TransactionBehavior};

/// The schema this build writes.
pub const VERSION: i64 = 3;

const TABLES: &str = "
CREATE TABLE IF NOT EXISTS processes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    pid         INTEGER NOT NULL,
    started_ms  INTEGER NOT NULL,
    role        TEXT
);
CREATE TABLE IF NOT EXISTS actors (
    key         INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id    TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    parent_id   TEXT,
    manifest    TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    status      TEXT NOT NULL,
    owner       INTEGER,
    resume      INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS events (
    actor        INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    event_type   TEXT NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    payload      BLOB NOT NULL,
    hash         BLOB NOT NULL,
    PRIMARY KEY (actor, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs (
    hash BLOB PRIMARY KEY,
    data BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS heads (
    actor       INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    hash        BLOB NOT NULL,
    public_key  BLOB NOT NULL,
    signature   BLOB NOT NULL,
    signed_ms   INTEGER NOT NULL,
    PRIMARY KEY (actor, seq)
) WITHOUT ROWID;
";

/// Columns added after their table was first written: (table, column, definition).
const ADDED_COLUMNS: [(&str, &str, &str); 3] = [
    ("actors", "owner", "INTEGER"),
    ("processes", "role", "TEXT"),
    ("actors", "resume", "INTEGER NOT NULL DEFAULT 0"),
];

/// Why a database cannot be used by this build.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("{0}")]
    Sql(#[from] rusqlite::Error),
    #[error("the chain database has schema version {found}, newer than this theater understands ({VERSION})\n  hint: use the theater release that wrote it, or a newer one")]
    Newer { found: i64 },
}

/// Bring the database to [`VERSION`] (creating it when empty).
pub fn migrate(conn: &mut Connection) -> Result<(), SchemaError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > VERSION {
        return Err(SchemaError::Newer { found });
    }
    if found < VERSION {
        tx.execute_batch(TABLES)?;
        for (table, column, definition) in ADDED_COLUMNS {
            if !has_column(&tx, table, column)? {
                tx.execute_batch(&format!(
                    "ALTER TABLE {table} ADD COLUMN {column} {definition}"
                ))?;
            }
        }
        tx.pragma_update(None, "user_version", VERSION)?;
    }
    tx.commit()?;
    Ok(())
}

/// Whether the database was written by this schema version (readers refuse older ones only
/// for what they need: the `heads` and `processes` tables).
pub fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

fn has_column(conn: &Connection, table: &str, column: &str) -> rusqlite::Result<bool> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info({table})"))?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(1))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(names.iter().any(|n| n == column))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_database_gains_the_new_tables_and_column_and_keeps_its_rows() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE actors (key INTEGER PRIMARY KEY, actor_id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
               parent_id TEXT, manifest TEXT NOT NULL, created_ms INTEGER NOT NULL, status TEXT NOT NULL);
             INSERT INTO actors VALUES (7, 'a', 'n', NULL, 'm', 1, 'running');",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn).unwrap(), VERSION);
        let (owner, resume): (Option<i64>, i64) = conn
            .query_row("SELECT owner, resume FROM actors WHERE key = 7", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((owner, resume), (None, 0));
        conn.execute(
            "INSERT INTO processes (pid, started_ms, role) VALUES (1, 2, 'server')",
            [],
        )
        .unwrap();
        migrate(&mut conn).unwrap();
    }

    #[test]
    fn a_version_2_database_gains_the_resume_columns() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE processes (id INTEGER PRIMARY KEY AUTOINCREMENT, pid INTEGER NOT NULL, started_ms INTEGER NOT NULL);
             CREATE TABLE actors (key INTEGER PRIMARY KEY, actor_id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
               parent_id TEXT, manifest TEXT NOT NULL, created_ms INTEGER NOT NULL, status TEXT NOT NULL, owner INTEGER);
             INSERT INTO processes (pid, started_ms) VALUES (9, 1);
             INSERT INTO actors VALUES (1, 'a', 'n', NULL, 'm', 1, 'running', 1);
             PRAGMA user_version = 2;",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let role: Option<String> = conn
            .query_row("SELECT role FROM processes", [], |r| r.get(0))
            .unwrap();
        let resume: i64 = conn
            .query_row("SELECT resume FROM actors", [], |r| r.get(0))
            .unwrap();
        assert_eq!((role, resume), (None, 0));
    }

    #[test]
    fn a_newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", VERSION + 1)
            .unwrap();
        assert!(matches!(migrate(&mut conn), Err(SchemaError::Newer { .. })));
    }
}

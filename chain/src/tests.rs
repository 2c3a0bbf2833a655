//! The chain database under hostile conditions, in process: several writers on one file,
//! an event the database refuses, a database that refuses everything, a writer that dies,
//! and a server abandoning an actor at its deadline. Each test checks that nothing is mixed
//! or lost silently and that every chain still verifies up to its signed head.

use std::path::Path;
use std::sync::Arc;

use super::verify::{Verified, Verifier, VerifyError};
use super::*;

fn record(id: &str) -> ActorRecord {
    ActorRecord {
        actor_id: id.into(),
        name: "t".into(),
        parent_id: None,
        manifest: "<test>".into(),
        created_ms: 1,
        status: "running".into(),
        events: 0,
    }
}

fn db_path(dir: &tempfile::TempDir) -> std::path::PathBuf {
    dir.path().join("chains.db")
}

/// A registered actor's chain, with its first event recorded.
fn actor(db: &ChainDb, id: &str) -> ActorChain {
    let key = db.sink().register_actor_blocking(record(id)).unwrap();
    let mut chain = ActorChain::new(db.sink(), key, id);
    chain.record(
        "lifecycle/started",
        payload::encode(&payload::map(vec![(
            "actor",
            ciborium::value::Value::Text(id.into()),
        )])),
    );
    chain
}

fn verify_db(path: &Path, id: &str) -> Result<Verified, VerifyError> {
    let reader = ChainReader::open(path).unwrap();
    let mut verifier = Verifier::new(reader.signed_head(id).unwrap());
    let mut failure = None;
    reader
        .scan(id, 0, |e| -> Result<bool, ChainError> {
            failure = verifier.push(&e).err();
            Ok(failure.is_none())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    match failure {
        Some(e) => Err(e),
        None => verifier.finish(id, None),
    }
}

fn events(path: &Path, id: &str) -> Vec<Event> {
    ChainReader::open(path)
        .unwrap()
        .events(id, &EventFilter::default())
        .unwrap()
}

#[test]
fn two_writers_on_one_database_get_distinct_keys_and_never_mix_chains() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let dbs: Vec<Arc<ChainDb>> = (0..2)
        .map(|_| Arc::new(ChainDb::open(&path).unwrap()))
        .collect();
    let threads: Vec<_> = (0..6)
        .map(|i| {
            let db = dbs[i % 2].clone();
            std::thread::spawn(move || {
                let id = format!("actor-{i}");
                let mut chain = actor(&db, &id);
                for n in 0..500u32 {
                    chain.record("t", n.to_be_bytes().to_vec());
                }
                chain.record("lifecycle/stopped", vec![]);
                chain.sign_head();
                db.sink().flush().unwrap();
                id
            })
        })
        .collect();
    for t in threads {
        let id = t.join().unwrap();
        let verified = verify_db(&path, &id).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(
            (verified.events, verified.unsigned_tail()),
            (502, 0),
            "{id}"
        );
    }
}

#[test]
fn an_event_the_database_refuses_fails_only_its_own_actor_and_the_writer_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let db = ChainDb::open(&path).unwrap();
    // The database refuses any payload over 1000 bytes, as SQLite refuses a blob over its limit.
    let admin = rusqlite::Connection::open(&path).unwrap();
    admin
        .execute_batch("CREATE TRIGGER too_big BEFORE INSERT ON events WHEN length(NEW.payload) > 1000 BEGIN SELECT RAISE(ABORT, 'string or blob too big'); END;")
        .unwrap();
    let mut good = actor(&db, "good");
    let mut bad = actor(&db, "bad");
    db.sink().flush().unwrap();
    good.record("t", vec![1]);
    bad.record("t", vec![1]);
    bad.record("t", vec![0; 2000]);
    bad.record("t", vec![2]);
    good.record("t", vec![2]);
    // Once the flush returns, the batch holding the refused event has been through the writer.
    let _failure_of_that_batch = db.sink().flush();
    assert!(good.fault().is_none(), "the other actor is untouched");
    let reason = bad.fault().expect("the refused actor is told");
    assert!(
        reason.contains("event 2") && reason.contains("too big"),
        "{reason}"
    );
    // The refused actor records its failure where its stored chain ends.
    bad.record("lifecycle/failed", vec![]);
    bad.sign_head();
    good.record("t", vec![3]);
    good.sign_head();
    db.sink().flush().unwrap();
    let stored: Vec<String> = events(&path, "bad")
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(stored, ["lifecycle/started", "t", "lifecycle/failed"]);
    assert_eq!(verify_db(&path, "bad").unwrap().events, 3);
    assert_eq!(verify_db(&path, "good").unwrap().events, 4);
}

#[test]
fn a_database_that_refuses_every_write_fails_its_actors_and_recovers_for_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let db = ChainDb::open(&path).unwrap();
    let mut a = actor(&db, "a");
    a.record("t", vec![1]);
    a.sign_head();
    db.sink().flush().unwrap();
    let admin = rusqlite::Connection::open(&path).unwrap();
    admin.execute_batch("CREATE TRIGGER full BEFORE INSERT ON events BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END;").unwrap();
    a.record("t", vec![2]);
    let _failure_of_that_batch = db.sink().flush();
    assert!(a.fault().is_some_and(|r| r.contains("disk is full")));
    admin.execute_batch("DROP TRIGGER full;").unwrap();
    // The writer is not stuck: a new actor records normally.
    let mut b = actor(&db, "b");
    b.sign_head();
    db.sink().flush().unwrap();
    assert_eq!(verify_db(&path, "b").unwrap().events, 1);
    let a_chain = verify_db(&path, "a").unwrap();
    assert_eq!(
        (a_chain.events, a_chain.signed.seq),
        (2, 1),
        "everything before the failure verifies"
    );
}

#[test]
fn actors_of_a_dead_writer_are_marked_interrupted_by_the_next_one_and_live_ones_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let alive = ChainDb::open(&path).unwrap();
    let mut running = actor(&alive, "still-running");
    running.sign_head();
    alive.sink().flush().unwrap();
    {
        let dead = ChainDb::open(&path).unwrap();
        let mut chain = actor(&dead, "orphan");
        chain.record("t", vec![]);
        dead.sink().flush().unwrap();
        // Dropping the database releases its lock, as the OS does when a process dies.
    }
    let reader = ChainReader::open(&path).unwrap();
    assert_eq!(
        reader.actor("orphan").unwrap().status,
        INTERRUPTED_STATUS,
        "readers see it before any writer records it"
    );
    assert_eq!(reader.actor("still-running").unwrap().status, "running");
    let _next = ChainDb::open(&path).unwrap();
    let orphan = events(&path, "orphan");
    assert_eq!(
        orphan.last().map(|e| e.event_type.as_str()),
        Some(INTERRUPTED)
    );
    let verified = verify_db(&path, "orphan").unwrap();
    assert_eq!(
        (verified.events, verified.unsigned_tail()),
        (3, 0),
        "the interrupted head is signed"
    );
    assert_eq!(
        events(&path, "still-running").len(),
        1,
        "a live writer's actor is left alone"
    );
}

#[test]
fn only_a_dead_servers_actors_are_flagged_and_two_servers_never_both_claim_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let server = ChainOptions {
        resumable: true,
        ..ChainOptions::default()
    };
    {
        let dead_server = ChainDb::open_with(&path, server).unwrap();
        actor(&dead_server, "served").record("t", vec![]);
        dead_server.sink().flush().unwrap();
        let dead_run = ChainDb::open(&path).unwrap();
        actor(&dead_run, "ran").record("t", vec![]);
        dead_run.sink().flush().unwrap();
        // Dropping them releases their locks, as the OS does when a process dies.
    }
    let a = Arc::new(ChainDb::open_with(&path, server).unwrap());
    let b = Arc::new(ChainDb::open_with(&path, server).unwrap());
    let dormant: Vec<String> = a
        .dormant()
        .unwrap()
        .into_iter()
        .map(|d| d.actor_id)
        .collect();
    assert_eq!(
        dormant,
        ["served"],
        "a `theater run`'s actor is never resumed"
    );
    assert_eq!(b.dormant().unwrap().len(), 1);

    // Both servers claim at once: exactly one gets the chain.
    let claims: Vec<Option<ClaimedChain>> = [a.clone(), b.clone()]
        .map(|db| std::thread::spawn(move || db.claim("served").unwrap()))
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    let won: Vec<(usize, ClaimedChain)> = claims
        .into_iter()
        .enumerate()
        .filter_map(|(i, c)| c.map(|c| (i, c)))
        .collect();
    assert_eq!(
        won.len(),
        1,
        "one claim wins, the other finds nothing to claim"
    );
    assert!(a.dormant().unwrap().is_empty() && b.dormant().unwrap().is_empty());

    // The winner continues the stored chain: the links and the signed head still verify.
    let (winner, claimed) = won[0];
    let db = if winner == 0 { &a } else { &b };
    let before = events(&path, "served").len();
    let mut chain = ActorChain::resumed(db.sink(), claimed, "served");
    chain.record("lifecycle/resumed", vec![]);
    chain.sign_head();
    db.sink().flush().unwrap();
    assert_eq!(events(&path, "served").len(), before + 1);
    let verified = verify_db(&path, "served").unwrap();
    assert_eq!(
        (verified.events as usize, verified.unsigned_tail()),
        (before + 1, 0)
    );
}

#[tokio::test]
async fn mark_interrupted_ends_a_live_chain_and_ignores_what_the_actor_does_after() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let db = ChainDb::open(&path).unwrap();
    let key = db.sink().register_actor(record("x")).await.unwrap();
    let mut chain = ActorChain::new(db.sink(), key, "x");
    chain.record("t", vec![]);
    assert!(db
        .mark_interrupted("x", "the server stopped waiting for it")
        .await
        .unwrap());
    chain.record("t", vec![]);
    db.sink().flush_async().await.unwrap();
    let types: Vec<String> = events(&path, "x")
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(types, ["t", INTERRUPTED]);
    assert_eq!(
        ChainReader::open(&path).unwrap().actor("x").unwrap().status,
        INTERRUPTED_STATUS
    );
    assert!(
        !db.mark_interrupted("x", "again").await.unwrap(),
        "an actor that is not running is left as it is"
    );
    assert!(verify_db(&path, "x").is_ok());
}

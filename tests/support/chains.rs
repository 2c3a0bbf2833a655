//! An in-process runtime's chains, read back: an actor's events from the database, and the
//! checks every hostile test ends with — the chain verifies, and replays identically — and
//! asking an actor in text.

use std::path::PathBuf;
use std::sync::Mutex;

use theater_runtime::chain::verify::verify_links;
use theater_runtime::chain::{ChainReader, Event, EventFilter};
use theater_runtime::replay::{ReplayInput, ReplayReport};
use theater_runtime::Theater;

/// Actor `id`'s events so far (the writer flushed first).
pub fn events(theater: &Theater, id: &str) -> Vec<Event> {
    theater.db().sink().flush().expect("flush the chain writer");
    ChainReader::open(theater.db().path())
        .expect("open the chain database")
        .events(id, &EventFilter::default())
        .expect("read the chain")
}

/// Actor `id`'s chain verifies, link by link.
pub fn assert_verifies(theater: &Theater, id: &str) {
    verify_links(&events(theater, id)).unwrap_or_else(|e| panic!("{id} does not verify: {e}"));
}

/// What replaying actor `id`'s chain from the database needs: its events and its blobs,
/// against `component` (none: the recorded one).
pub fn replay_input(theater: &Theater, id: &str, component: Option<PathBuf>) -> ReplayInput {
    let reader =
        Mutex::new(ChainReader::open(theater.db().path()).expect("open the chain database"));
    ReplayInput {
        events: events(theater, id),
        component,
        blobs: Box::new(move |h| {
            reader
                .lock()
                .expect("the blob reader")
                .blob(h)
                .expect("read a blob")
        }),
    }
}

/// Actor `id`'s chain replayed from the database against its recorded component.
pub async fn replay(theater: &Theater, id: &str) -> ReplayReport {
    theater
        .replay(replay_input(theater, id, None))
        .await
        .expect("replay")
}

/// Actor `id`'s chain replays hash for hash from the database.
pub async fn assert_replays(theater: &Theater, id: &str) {
    let recorded = events(theater, id).len() as u64;
    let report = replay(theater, id).await;
    assert_eq!(
        (report.divergence, report.identical),
        (None, recorded),
        "actor {id} did not replay identically"
    );
}

/// Asks actor `id` with a text message: the reply as text, or `call failed: …` — hostile
/// tests assert on refusals as text.
pub async fn ask(theater: &Theater, id: &str, msg: &str) -> String {
    match theater.request(id, msg.as_bytes().to_vec()).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => format!("call failed: {e}"),
    }
}

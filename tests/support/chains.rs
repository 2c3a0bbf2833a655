//! An in-process runtime's chains, read back: an actor's events from the database, and the
//! checks every hostile test ends with — the chain verifies, and replays identically.

use theater_runtime::chain::verify::verify_links;
use theater_runtime::chain::{ChainReader, Event, EventFilter};
use theater_runtime::replay::ReplayInput;
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

/// Actor `id`'s chain replays hash for hash from the database.
pub async fn assert_replays(theater: &Theater, id: &str) {
    let reader = std::sync::Mutex::new(ChainReader::open(theater.db().path()).unwrap());
    let events = events(theater, id);
    let recorded = events.len() as u64;
    let input = ReplayInput {
        events,
        component: None,
        blobs: Box::new(move |h| reader.lock().unwrap().blob(h).unwrap()),
    };
    let report = theater.replay(input).await.expect("replay");
    assert_eq!(
        (report.divergence, report.identical),
        (None, recorded),
        "actor {id} did not replay identically"
    );
}

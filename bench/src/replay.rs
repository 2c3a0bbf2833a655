//! Replay: record a counter's chain by sending it messages, then `Theater::replay` that chain
//! from the database, and compare the events per second of both. Two chain lengths, because
//! replay's cost per event need not be constant in the chain's length.

use std::sync::Mutex;
use std::time::Instant;

use theater_e2e::Scratch;
use theater_runtime::chain::{ChainReader, EventFilter};
use theater_runtime::replay::ReplayInput;

use crate::report::{self, Table};
use crate::setup;

const SENDS: [u64; 2] = [2_000, 20_000];

pub fn run(table: &mut Table) {
    let scratch = Scratch::new();
    let manifest = setup::manifest(&scratch, "raw-counter", "");
    for (i, sends) in SENDS.into_iter().enumerate() {
        let (recorded, original, replayed) = setup::block_on(async {
            let theater = setup::theater(&scratch.path().join(format!("replay-{i}")), 4);
            let id = theater
                .spawn(manifest.clone(), None, None)
                .await
                .expect("spawn raw-counter");
            let handle = theater.actor(&id).expect("the actor just spawned").handle;
            theater
                .db()
                .sink()
                .flush_async()
                .await
                .expect("flush the chain");
            let before = theater
                .db()
                .reader()
                .and_then(|r| r.actor(&id))
                .expect("read the actor's record")
                .events;

            let start = Instant::now();
            setup::sends(&handle, sends).await;
            theater
                .db()
                .sink()
                .flush_async()
                .await
                .expect("flush the chain");
            let original = start.elapsed();

            let reader = theater.db().reader().expect("open the chain for reading");
            let events = reader
                .events(&id, &EventFilter::default())
                .expect("read the chain");
            let recorded = events.len() as u64;
            let original_rate = report::per_second(recorded - before, original);
            let reader: Mutex<ChainReader> = Mutex::new(reader);
            let input = ReplayInput {
                events,
                component: None,
                blobs: Box::new(move |h| reader.lock().ok().and_then(|r| r.blob(h).ok().flatten())),
            };
            let start = Instant::now();
            let outcome = theater.replay(input).await.expect("replay the chain");
            let replayed = start.elapsed();
            assert!(
                outcome.divergence.is_none() && outcome.identical == recorded,
                "the replay is identical"
            );
            (
                recorded,
                original_rate,
                report::per_second(recorded, replayed),
            )
        });
        table.row(
            "replay",
            format!("Theater::replay of a {recorded}-event chain ({sends} sends) vs the run that recorded it; ratio: original ÷ replay speed"),
            report::rate(replayed, "events"),
            Some(format!("original run {}", report::rate(original, "events"))),
            Some(report::times(original / replayed)),
            None,
        );
    }
}

//! Event fan-out for the live streams, filtered at the source: while any stream is open,
//! one task reads the runtime's feed of appended events and passes each only to the streams
//! of its own actor (shared, not copied), so N streams of N actors cost one copy per event,
//! not N; while no stream is open, nothing listens and appending costs no copy at all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::broadcast;

use theater_runtime::chain::{ChainUpdate, Event};
use theater_runtime::Theater;

/// Events of one actor buffered for its slowest stream before that stream has to catch
/// up from the database.
const PER_ACTOR_BUFFER: usize = 1024;

/// What a stream hears.
#[derive(Debug, Clone)]
pub enum Heard {
    /// An event of the actor followed.
    Event(Arc<Event>),
    /// The fan-out itself fell behind: events may be missing; read the database.
    Missed,
}

/// Per-actor channels of appended events.
pub struct EventHub {
    theater: Theater,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    actors: HashMap<Arc<str>, broadcast::Sender<Heard>>,
    /// Whether the task reading the runtime's feed runs.
    reading: bool,
}

impl EventHub {
    pub fn new(theater: Theater) -> Arc<EventHub> {
        Arc::new(EventHub {
            theater,
            state: Mutex::new(State::default()),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every event of `actor` appended from now on. Dropping the receiver unsubscribes.
    pub fn subscribe(self: &Arc<Self>, actor: &str) -> broadcast::Receiver<Heard> {
        let mut state = self.state();
        if !state.reading {
            // Subscribed here, before this call returns: nothing appended later is missed.
            let feed = self.theater.subscribe();
            tokio::spawn(read(Arc::downgrade(self), feed));
            state.reading = true;
        }
        match state.actors.get(actor) {
            Some(tx) => tx.subscribe(),
            None => {
                let (tx, rx) = broadcast::channel(PER_ACTOR_BUFFER);
                state.actors.insert(Arc::from(actor), tx);
                rx
            }
        }
    }

    /// Pass `update` to its actor's streams. False once no stream is left: stop reading.
    fn publish(&self, update: ChainUpdate) -> bool {
        let mut state = self.state();
        state.actors.retain(|_, tx| tx.receiver_count() > 0);
        if let Some(tx) = state.actors.get(&update.actor_id) {
            let _ = tx.send(Heard::Event(Arc::new(update.event)));
        }
        self.keep_reading(&mut state)
    }

    fn missed(&self) -> bool {
        let mut state = self.state();
        state.actors.retain(|_, tx| tx.send(Heard::Missed).is_ok());
        self.keep_reading(&mut state)
    }

    fn keep_reading(&self, state: &mut State) -> bool {
        state.reading = !state.actors.is_empty();
        state.reading
    }
}

async fn read(hub: Weak<EventHub>, mut feed: broadcast::Receiver<ChainUpdate>) {
    loop {
        let received = feed.recv().await;
        let Some(hub) = hub.upgrade() else { return };
        let go_on = match received {
            Ok(update) => hub.publish(update),
            Err(broadcast::error::RecvError::Lagged(_)) => hub.missed(),
            // The runtime is gone: dropping the senders closes every stream's channel.
            Err(broadcast::error::RecvError::Closed) => {
                let mut state = hub.state();
                state.actors.clear();
                state.reading = false;
                false
            }
        };
        if !go_on {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use theater_runtime::TheaterConfig;

    fn update(actor: &str, seq: u64) -> ChainUpdate {
        let event = Event {
            seq,
            parent: None,
            event_type: "t".into(),
            timestamp_ms: 0,
            payload: vec![],
            hash: [0; 32],
        };
        ChainUpdate {
            actor_id: Arc::from(actor),
            event,
        }
    }

    fn seqs(rx: &mut broadcast::Receiver<Heard>) -> Vec<u64> {
        std::iter::from_fn(|| match rx.try_recv() {
            Ok(Heard::Event(e)) => Some(e.seq),
            Ok(Heard::Missed) => Some(u64::MAX),
            Err(_) => None,
        })
        .collect()
    }

    #[tokio::test]
    async fn each_stream_hears_only_its_actor_and_nothing_listens_without_streams() {
        let dir = tempfile::tempdir().unwrap();
        let hub = EventHub::new(
            Theater::new(TheaterConfig::new(Some(dir.path().to_path_buf()))).unwrap(),
        );
        let (mut a1, mut a2, mut b) = (hub.subscribe("a"), hub.subscribe("a"), hub.subscribe("b"));
        for (actor, seq) in [("a", 0), ("b", 0), ("c", 0), ("a", 1)] {
            assert!(hub.publish(update(actor, seq)));
        }
        assert_eq!(
            (seqs(&mut a1), seqs(&mut a2), seqs(&mut b)),
            (vec![0, 1], vec![0, 1], vec![0])
        );
        assert!(
            !hub.state().actors.contains_key("c"),
            "no channel for an actor nobody follows"
        );
        drop(b);
        assert!(hub.publish(update("b", 1)));
        assert!(
            !hub.state().actors.contains_key("b"),
            "the last stream gone, the channel goes"
        );
        assert!(hub.missed());
        assert_eq!(seqs(&mut a1), vec![u64::MAX]);
        drop((a1, a2));
        assert!(
            !hub.publish(update("a", 2)),
            "no stream left: the reader stops"
        );
        assert!(!hub.state().reading);
    }
}

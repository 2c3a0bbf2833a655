//! Event fan-out for the live streams, filtered at the source: one task reads the runtime's
//! feed of appended events once and passes each only to the streams of its own actor
//! (shared, not copied), so N streams of N actors cost one copy per event, not N.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

use crate::chain::{ChainUpdate, Event};
use crate::Theater;

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
#[derive(Default)]
pub struct EventHub {
    actors: Mutex<HashMap<Arc<str>, broadcast::Sender<Heard>>>,
}

impl EventHub {
    /// The hub of `theater`, fed by a task that lives as long as the runtime's feed.
    pub fn start(theater: &Theater) -> Arc<EventHub> {
        let hub = Arc::new(EventHub::default());
        let feed = theater.subscribe();
        tokio::spawn(run(Arc::downgrade(&hub), feed));
        hub
    }

    /// Every event of `actor` appended from now on. Dropping the receiver unsubscribes.
    pub fn subscribe(&self, actor: &str) -> broadcast::Receiver<Heard> {
        let mut actors = self.actors.lock().unwrap_or_else(|p| p.into_inner());
        match actors.get(actor) {
            Some(tx) => tx.subscribe(),
            None => {
                let (tx, rx) = broadcast::channel(PER_ACTOR_BUFFER);
                actors.insert(Arc::from(actor), tx);
                rx
            }
        }
    }

    fn publish(&self, update: ChainUpdate) {
        let mut actors = self.actors.lock().unwrap_or_else(|p| p.into_inner());
        let Some(tx) = actors.get(&update.actor_id) else { return };
        if tx.receiver_count() == 0 {
            actors.remove(&update.actor_id);
        } else {
            let _ = tx.send(Heard::Event(Arc::new(update.event)));
        }
    }

    fn missed(&self) {
        let mut actors = self.actors.lock().unwrap_or_else(|p| p.into_inner());
        actors.retain(|_, tx| tx.send(Heard::Missed).is_ok());
    }
}

async fn run(hub: std::sync::Weak<EventHub>, mut feed: broadcast::Receiver<ChainUpdate>) {
    loop {
        let received = feed.recv().await;
        let Some(hub) = hub.upgrade() else { return };
        match received {
            Ok(update) => hub.publish(update),
            Err(broadcast::error::RecvError::Lagged(_)) => hub.missed(),
            // The runtime is gone: dropping the senders closes every stream's channel.
            Err(broadcast::error::RecvError::Closed) => {
                hub.actors.lock().unwrap_or_else(|p| p.into_inner()).clear();
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(actor: &str, seq: u64) -> ChainUpdate {
        let event = Event { seq, parent: None, event_type: "t".into(), timestamp_ms: 0, payload: vec![], hash: [0; 32] };
        ChainUpdate { actor_id: Arc::from(actor), event }
    }

    fn seqs(rx: &mut broadcast::Receiver<Heard>) -> Vec<u64> {
        std::iter::from_fn(|| match rx.try_recv() {
            Ok(Heard::Event(e)) => Some(e.seq),
            Ok(Heard::Missed) => Some(u64::MAX),
            Err(_) => None,
        })
        .collect()
    }

    #[test]
    fn each_stream_hears_only_its_actor_and_unfollowed_actors_cost_nothing() {
        let hub = EventHub::default();
        let (mut a1, mut a2, mut b) = (hub.subscribe("a"), hub.subscribe("a"), hub.subscribe("b"));
        for (actor, seq) in [("a", 0), ("b", 0), ("c", 0), ("a", 1)] {
            hub.publish(update(actor, seq));
        }
        assert_eq!((seqs(&mut a1), seqs(&mut a2), seqs(&mut b)), (vec![0, 1], vec![0, 1], vec![0]));
        assert!(!hub.actors.lock().unwrap().contains_key("c"), "no channel for an actor nobody follows");
        drop(b);
        hub.publish(update("b", 1));
        assert!(!hub.actors.lock().unwrap().contains_key("b"), "the last stream gone, the channel goes");
        hub.missed();
        assert_eq!(seqs(&mut a1), vec![u64::MAX]);
    }
}

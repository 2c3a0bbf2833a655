//! The per-actor end of the chain: assigns sequence numbers, links each event to the
//! previous one, hashes it and hands it to the writer. Runs on the actor's own task, so
//! appending costs a hash and a channel send, never a disk write.
//!
//! A replay records into memory instead, stamping each event with the timestamp of the
//! recorded event at the same position, so an identical run yields identical hashes.

use std::sync::Arc;

use super::{now_ms, ChainError, ChainSink, Event, Hash};

enum Target {
    /// A live actor: events go to the database writer.
    Db { sink: ChainSink, key: i64, actor_id: Arc<str> },
    /// A replay: events stay in memory; timestamps come from the recorded chain.
    Replay { recorded: Arc<Vec<Event>>, produced: Vec<Event> },
}

/// The head of one actor's chain.
pub struct ActorChain {
    target: Target,
    next_seq: u64,
    head: Option<Hash>,
    /// Hash of the last state blob sent to the store, to store each state once.
    last_blob: Option<Hash>,
}

impl ActorChain {
    /// A new, empty chain for actor `actor_id`, registered under `key`.
    pub fn new(sink: ChainSink, key: i64, actor_id: &str) -> ActorChain {
        ActorChain { target: Target::Db { sink, key, actor_id: actor_id.into() }, next_seq: 0, head: None, last_blob: None }
    }

    /// An in-memory chain that re-records `recorded`.
    pub(crate) fn replay(recorded: Arc<Vec<Event>>) -> ActorChain {
        ActorChain { target: Target::Replay { recorded, produced: Vec::new() }, next_seq: 0, head: None, last_blob: None }
    }

    /// Append an event; returns its hash. Live chains stamp it now.
    pub fn record(&mut self, event_type: &str, payload: Vec<u8>) -> Hash {
        let timestamp = match &self.target {
            Target::Db { .. } => now_ms(),
            Target::Replay { recorded, .. } => {
                recorded.get(self.next_seq as usize).or(recorded.last()).map_or(0, |e| e.timestamp_ms)
            }
        };
        let event = Event::new(self.next_seq, self.head, event_type.to_string(), timestamp, payload);
        let hash = event.hash;
        self.next_seq += 1;
        self.head = Some(hash);
        match &mut self.target {
            Target::Db { sink, key, actor_id } => sink.append(*key, actor_id, event),
            Target::Replay { produced, .. } => produced.push(event),
        }
        hash
    }

    /// Store a state value once, by its hash.
    pub fn store_blob(&mut self, hash: Hash, data: &[u8]) {
        if self.last_blob != Some(hash) {
            if let Target::Db { sink, .. } = &self.target {
                sink.put_blob(hash, data.to_vec());
            }
            self.last_blob = Some(hash);
        }
    }

    /// Record the actor's status in the database's actor list.
    pub fn set_status(&self, status: &str) {
        if let Target::Db { sink, key, .. } = &self.target {
            sink.set_status(*key, status);
        }
    }

    /// Wait until every event appended so far is durable.
    pub async fn flush(&self) -> Result<(), ChainError> {
        match &self.target {
            Target::Db { sink, .. } => sink.flush_async().await,
            Target::Replay { .. } => Ok(()),
        }
    }

    /// The events a replay produced.
    pub(crate) fn produced(&self) -> &[Event] {
        match &self.target {
            Target::Replay { produced, .. } => produced,
            Target::Db { .. } => &[],
        }
    }

    pub fn head(&self) -> Option<Hash> {
        self.head
    }

    /// Number of events recorded so far.
    pub fn len(&self) -> u64 {
        self.next_seq
    }

    pub fn is_empty(&self) -> bool {
        self.next_seq == 0
    }
}

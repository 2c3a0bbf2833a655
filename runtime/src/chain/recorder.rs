//! The per-actor end of the chain: assigns sequence numbers, links each event to the
//! previous one, hashes it and hands it to the writer. Runs on the actor's own task, so
//! appending costs a hash and a channel send, never a disk write.

use super::{now_ms, ChainSink, Event, Hash};

/// The head of one actor's chain.
pub struct ActorChain {
    sink: ChainSink,
    key: i64,
    next_seq: u64,
    head: Option<Hash>,
    /// Hash of the last state blob sent to the store, to store each state once.
    last_blob: Option<Hash>,
}

impl ActorChain {
    /// A new, empty chain for an actor registered under `key`.
    pub fn new(sink: ChainSink, key: i64) -> ActorChain {
        ActorChain { sink, key, next_seq: 0, head: None, last_blob: None }
    }

    /// Append an event stamped now; returns its hash.
    pub fn record(&mut self, event_type: &str, payload: Vec<u8>) -> Hash {
        self.record_at(event_type, payload, now_ms())
    }

    /// Append an event with a given timestamp (replay reuses the recorded ones).
    pub fn record_at(&mut self, event_type: &str, payload: Vec<u8>, timestamp_ms: u64) -> Hash {
        let event = Event::new(self.next_seq, self.head, event_type.to_string(), timestamp_ms, payload);
        let hash = event.hash;
        self.next_seq += 1;
        self.head = Some(hash);
        self.sink.append(self.key, event);
        hash
    }

    /// Store a state value once, by its hash.
    pub fn store_blob(&mut self, hash: Hash, data: &[u8]) {
        if self.last_blob != Some(hash) {
            self.sink.put_blob(hash, data.to_vec());
            self.last_blob = Some(hash);
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

    pub fn key(&self) -> i64 {
        self.key
    }

    pub fn sink(&self) -> &ChainSink {
        &self.sink
    }
}

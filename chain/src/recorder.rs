//! The per-actor end of the chain: assigns sequence numbers, links each event to the
//! previous one, hashes it and hands it to the writer. Runs on the actor's own task, so
//! appending costs a hash and a channel send, never a disk write. It signs the head every
//! [`SIGN_EVERY_EVENTS`] events or [`SIGN_EVERY`], and when asked (start, stop).
//!
//! If the writer reports that this actor's events could not be stored, the chain rewinds
//! to the last stored event (so what it records next, the failure, links to what is on
//! disk) and stays failed: [`ActorChain::fault`] tells the actor to stop.
//!
//! A replay records into memory instead, stamping each event with the timestamp of the
//! recorded event at the same position, so an identical run yields identical hashes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::fault::FaultSlot;
use super::{ChainError, ChainSink, Event, Hash};

/// A running actor's head is signed at least this often (in events)…
pub const SIGN_EVERY_EVENTS: u64 = 1000;
/// …and at least this often (in time, checked when it records an event).
pub const SIGN_EVERY: Duration = Duration::from_secs(5);

/// A live chain's connection to the database writer.
struct Live {
    sink: ChainSink,
    key: i64,
    actor_id: Arc<str>,
    fault: Arc<FaultSlot>,
    /// Set once the writer reported a failure: why this actor must stop.
    failed: Option<String>,
    /// Sequence number of the last signed head, and when it was signed.
    signed: Option<u64>,
    signed_at: Instant,
}

enum Target {
    /// A live actor: events go to the database writer.
    Db(Box<Live>),
    /// A replay: events stay in memory; timestamps come from the recorded chain.
    Replay {
        recorded: Arc<Vec<Event>>,
        produced: Vec<Event>,
    },
}

/// The events a chain whose writes failed may still record: how the actor ended.
const TERMINAL_EVENTS: [&str; 3] = [
    "lifecycle/failed",
    "lifecycle/stopped",
    "lifecycle/interrupted",
];

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
        let fault = sink.watch(key);
        let live = Live {
            sink,
            key,
            actor_id: actor_id.into(),
            fault,
            failed: None,
            signed: None,
            signed_at: Instant::now(),
        };
        ActorChain {
            target: Target::Db(Box::new(live)),
            next_seq: 0,
            head: None,
            last_blob: None,
        }
    }

    /// A stored chain continued by this process after [`ChainDb::claim`](super::ChainDb::claim):
    /// the next event links to its stored head.
    pub fn resumed(sink: ChainSink, claimed: super::ClaimedChain, actor_id: &str) -> ActorChain {
        let mut chain = ActorChain::new(sink, claimed.key, actor_id);
        chain.next_seq = claimed.next_seq;
        chain.head = claimed.head;
        chain
    }

    /// An in-memory chain that re-records `recorded`.
    pub fn replay(recorded: Arc<Vec<Event>>) -> ActorChain {
        ActorChain {
            target: Target::Replay {
                recorded,
                produced: Vec::new(),
            },
            next_seq: 0,
            head: None,
            last_blob: None,
        }
    }

    /// Append an event; returns its hash. Live chains stamp it now.
    pub fn record(&mut self, event_type: &str, payload: Vec<u8>) -> Hash {
        self.poll_fault();
        if self.refuses(event_type) {
            // The chain rewound to what is stored; only how the actor ended may follow, or the
            // events lost in between would vanish without a trace. Its head stays the cause.
            return self.head.unwrap_or_default();
        }
        let timestamp = match &self.target {
            Target::Db(live) => live.sink.timestamp(self.next_seq),
            Target::Replay { recorded, .. } => recorded
                .get(self.next_seq as usize)
                .or(recorded.last())
                .map_or(0, |e| e.timestamp_ms),
        };
        let event = Event::new(
            self.next_seq,
            self.head,
            event_type.to_string(),
            timestamp,
            payload,
        );
        let hash = event.hash;
        self.next_seq += 1;
        self.head = Some(hash);
        match &mut self.target {
            Target::Db(live) => {
                live.sink.append(live.key, &live.actor_id, event);
                let due = live
                    .signed
                    .is_none_or(|s| self.next_seq > s + SIGN_EVERY_EVENTS)
                    || live.signed_at.elapsed() >= SIGN_EVERY;
                if due {
                    self.sign_head();
                }
            }
            Target::Replay { produced, .. } => produced.push(event),
        }
        hash
    }

    /// Sign the current head (at start and stop, and periodically from `record`).
    pub fn sign_head(&mut self) {
        let (Target::Db(live), Some(head)) = (&mut self.target, self.head) else {
            return;
        };
        let seq = self.next_seq - 1;
        if live.signed == Some(seq) {
            return;
        }
        live.sink.sign_head(live.key, &live.actor_id, seq, &head);
        live.signed = Some(seq);
        live.signed_at = Instant::now();
    }

    /// Take a failure the writer reported: rewind to the stored end and remember why.
    fn poll_fault(&mut self) {
        let Target::Db(live) = &mut self.target else {
            return;
        };
        let Some(fault) = live.fault.take() else {
            return;
        };
        tracing::error!("actor {}: {}", live.actor_id, fault.reason);
        if let Some(end) = fault.resume {
            self.next_seq = end.next_seq;
            self.head = end.head;
            live.signed = None;
        }
        live.failed = Some(fault.reason);
    }

    /// Whether an event must be dropped: after a write failure, only a terminal event.
    fn refuses(&self, event_type: &str) -> bool {
        matches!(&self.target, Target::Db(live) if live.failed.is_some())
            && !TERMINAL_EVENTS.contains(&event_type)
    }

    /// Why this actor's events can no longer be stored, if they cannot: the actor must stop.
    pub fn fault(&mut self) -> Option<String> {
        self.poll_fault();
        match &self.target {
            Target::Db(live) => live.failed.clone(),
            Target::Replay { .. } => None,
        }
    }

    /// Completes when the writer reports a failure to store this actor's events (never for
    /// a replay).
    pub async fn fault_raised(&self) {
        match &self.target {
            Target::Db(live) => live.fault.raised().await,
            Target::Replay { .. } => std::future::pending().await,
        }
    }

    /// Forget a past failure (a restart tries again; the writer reports anew if it fails).
    pub fn clear_fault(&mut self) {
        self.poll_fault();
        if let Target::Db(live) = &mut self.target {
            live.failed = None;
        }
    }

    /// Wait while the writer's queue is full; returns how long it waited.
    pub async fn wait_for_room(&self) -> Duration {
        let Target::Db(live) = &self.target else {
            return Duration::ZERO;
        };
        let started = Instant::now();
        live.sink.wait_for_room().await;
        started.elapsed()
    }

    /// Store a state value once, by its hash.
    pub fn store_blob(&mut self, hash: Hash, data: &[u8]) {
        if self.last_blob != Some(hash) {
            if let Target::Db(live) = &self.target {
                live.sink.put_blob(live.key, hash, data.to_vec());
            }
            self.last_blob = Some(hash);
        }
    }

    /// Record the actor's status in the database's actor list.
    pub fn set_status(&self, status: &str) {
        if let Target::Db(live) = &self.target {
            live.sink.set_status(live.key, status);
        }
    }

    /// Wait until every event appended so far is durable; an error if this actor's events
    /// could not all be stored.
    pub async fn flush(&mut self) -> Result<(), ChainError> {
        let Target::Db(live) = &self.target else {
            return Ok(());
        };
        match live.sink.flush_async().await {
            // Another actor's write failure is not ours; ours arrives through the fault slot.
            Ok(()) | Err(ChainError::Write(_)) => {}
            Err(e) => return Err(e),
        }
        match self.fault() {
            Some(reason) => Err(ChainError::Write(reason)),
            None => Ok(()),
        }
    }

    /// The events a replay produced.
    pub fn produced(&self) -> &[Event] {
        match &self.target {
            Target::Replay { produced, .. } => produced,
            Target::Db(_) => &[],
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

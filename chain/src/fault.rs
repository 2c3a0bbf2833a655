//! How the writer tells one actor that its events could not be stored. The writer sets the
//! actor's fault (why, and where its stored chain ends); the actor's chain rewinds to that
//! point before its next event, and the actor fails with the reason instead of running on
//! unrecorded. Other actors' slots are untouched: one actor's failure stays its own.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use tokio::sync::Notify;

use super::Hash;

/// Where an actor's stored chain ends: the next sequence number and the head hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredEnd {
    pub next_seq: u64,
    pub head: Option<Hash>,
}

/// A write failure of one actor's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub reason: String,
    /// Where to continue the chain so it links to what was stored (unknown if the database
    /// could not even be read).
    pub resume: Option<StoredEnd>,
}

/// One actor's fault, shared by its chain and the writer.
#[derive(Default)]
pub struct FaultSlot {
    set: AtomicBool,
    fault: Mutex<Option<Fault>>,
    /// Wakes an idle actor so it stops without waiting for its next message.
    raised: Notify,
}

impl FaultSlot {
    pub fn raise(&self, fault: Fault) {
        *self.fault.lock().unwrap_or_else(|p| p.into_inner()) = Some(fault);
        self.set.store(true, Ordering::Release);
        self.raised.notify_one();
    }

    /// Completes when a fault is raised (at once if one was raised since the last wait).
    pub async fn raised(&self) {
        self.raised.notified().await
    }

    /// The fault raised since the last call, if any (cheap when there is none).
    pub fn take(&self) -> Option<Fault> {
        if !self.set.swap(false, Ordering::Acquire) {
            return None;
        }
        self.fault.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

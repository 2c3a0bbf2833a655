//! The chain writer's queue bound. Appending never blocks (it happens inside host calls),
//! but every queued event and state value is counted, in number and in bytes, and an actor
//! waits at its next host call or message while the queue is over either bound. So host
//! memory stays bounded however fast actors produce events: at most the bounds plus one
//! host call's events per actor. The wait is the disk's time, not the guest's, so it does
//! not count against `call_timeout_ms`.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

/// Events the queue may hold before recording actors wait.
pub const QUEUE_EVENTS: usize = 16 * 1024;
/// Bytes (payloads and state values) the queue may hold before recording actors wait.
pub const QUEUE_BYTES: usize = 32 * 1024 * 1024;

/// What is queued for the writer, and who waits for room.
pub struct Budget {
    events: AtomicUsize,
    bytes: AtomicUsize,
    max_events: usize,
    max_bytes: usize,
    room: Notify,
}

impl Budget {
    pub fn new(max_events: usize, max_bytes: usize) -> Budget {
        Budget {
            events: AtomicUsize::new(0),
            bytes: AtomicUsize::new(0),
            max_events,
            max_bytes,
            room: Notify::new(),
        }
    }

    /// Count one queued item of `bytes`.
    pub fn charge(&self, bytes: usize) {
        self.events.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// The writer took `events` items of `bytes` in total off the queue.
    pub fn release(&self, events: usize, bytes: usize) {
        self.events.fetch_sub(events, Ordering::Relaxed);
        self.bytes.fetch_sub(bytes, Ordering::Relaxed);
        self.room.notify_waiters();
    }

    pub fn is_full(&self) -> bool {
        self.events.load(Ordering::Relaxed) >= self.max_events
            || self.bytes.load(Ordering::Relaxed) >= self.max_bytes
    }

    /// Queued items and bytes right now.
    pub fn queued(&self) -> (usize, usize) {
        (
            self.events.load(Ordering::Relaxed),
            self.bytes.load(Ordering::Relaxed),
        )
    }

    /// Wait until the queue is under both bounds.
    pub async fn wait_for_room(&self) {
        loop {
            let notified = self.room.notified();
            tokio::pin!(notified);
            // Registered before the check, so a release in between is not missed.
            notified.as_mut().enable();
            if !self.is_full() {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn a_full_queue_holds_the_producer_until_the_writer_releases() {
        let budget = Arc::new(Budget::new(2, 1000));
        budget.charge(10);
        budget.wait_for_room().await;
        budget.charge(10);
        assert!(budget.is_full());
        let waiter = tokio::spawn({
            let budget = budget.clone();
            async move { budget.wait_for_room().await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !waiter.is_finished(),
            "the producer waits while the queue is full"
        );
        budget.release(1, 10);
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
        budget.charge(2000);
        assert!(budget.is_full(), "the byte bound holds on its own");
        assert_eq!(budget.queued(), (2, 2010));
    }
}

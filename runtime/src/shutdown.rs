//! Bounded shutdown of a whole runtime. Every running actor is asked at once to stop after
//! the messages already in its mailbox (each supervisor ends after its children). When the
//! deadline passes — or the caller hurries it (a second Ctrl-C) — every actor still running
//! is interrupted: its running call traps at the next epoch tick, its host waits (a
//! `timing.sleep`, a request to another actor) end, its mailbox is abandoned, and its chain
//! ends with `lifecycle/interrupted`, counting the abandoned messages. Then the chain
//! database is flushed: the shutdown succeeds only if that flush does. A server's database
//! then flags the actors that were running for the next server to resume (`resume`), and
//! its write-ahead log is folded into the database file.

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinSet;

use crate::actor::ActorStatus;
use crate::chain::Checkpoint;
use crate::error::RuntimeError;
use crate::Theater;

/// How long interrupted actors get to record their end: an interrupted call traps within
/// an epoch tick, so this is only a bound against a host call that cannot be cut short.
const INTERRUPT_GRACE: Duration = Duration::from_secs(1);

/// How a bounded shutdown went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Actors that were running when the shutdown began.
    pub running: usize,
    /// Of those, the ones still running at the deadline, and so interrupted.
    pub interrupted: usize,
    /// Of those, the ones that had not ended even after the grace period (their chains end
    /// without a final event; the next open of the database marks them interrupted).
    pub unfinished: usize,
}

impl Theater {
    /// Stop every actor within `timeout` (or sooner once `hurry` completes), interrupt the
    /// ones still running then, and flush the chains.
    pub async fn shutdown_within(
        &self,
        timeout: Duration,
        hurry: impl Future<Output = ()>,
    ) -> Result<ShutdownReport, RuntimeError> {
        let running: Vec<_> = self
            .begin_shutdown()
            .into_iter()
            .map(|a| a.handle)
            .filter(|h| h.status() == ActorStatus::Running)
            .collect();
        let mut stopping = JoinSet::new();
        for handle in running.clone() {
            stopping.spawn(async move { handle.stop().await });
        }
        tokio::select! {
            () = async { while stopping.join_next().await.is_some() {} } => {}
            () = tokio::time::sleep(timeout) => {}
            () = hurry => {}
        }
        let late: Vec<_> = running
            .iter()
            .filter(|h| h.status() == ActorStatus::Running)
            .collect();
        for handle in &late {
            handle.interrupt();
        }
        let mut ending = JoinSet::new();
        for handle in late.iter().map(|h| (*h).clone()) {
            ending.spawn(async move { handle.wait().await });
        }
        let _ = tokio::time::timeout(INTERRUPT_GRACE, async {
            while ending.join_next().await.is_some() {}
        })
        .await;
        let unfinished = late
            .iter()
            .filter(|h| h.status() == ActorStatus::Running)
            .count();
        self.db().sink().flush_async().await?;
        let ids: Vec<String> = running.iter().map(|h| h.id().to_string()).collect();
        self.db().mark_resumable(&ids)?;
        self.checkpoint_chains();
        Ok(ShutdownReport {
            running: running.len(),
            interrupted: late.len(),
            unfinished,
        })
    }

    /// Flush the chains, then fold the write-ahead log into `chains.db`, so the database
    /// file alone holds every chain once this process is done. Only the flush can fail the
    /// shutdown: a checkpoint another process holds up is done by a later one.
    pub(crate) async fn finish_chains(&self) -> Result<(), RuntimeError> {
        self.db().sink().flush_async().await?;
        self.checkpoint_chains();
        Ok(())
    }

    /// Fold the write-ahead log into `chains.db` (after the last write of this process).
    fn checkpoint_chains(&self) {
        match self.db().checkpoint() {
            Ok(Checkpoint::Complete) => {}
            Ok(Checkpoint::Busy) => tracing::debug!(
                "chains.db is in use by another process; its log is folded in later"
            ),
            Err(e) => tracing::warn!("the chain database's log was not folded into the file: {e}"),
        }
    }
}

//! What follows an actor's end: its remains kept for a restart, its parent told (or the
//! root supervisor deciding), and restarts under the same id from the last committed state.

use std::time::{Duration, Instant};

use ciborium::value::Value;

use super::spawn::{Register, StartMode};
use super::{Remains, Theater};
use crate::actor::{self, Exit};
use crate::chain::payload::{encode, map};
use crate::error::RuntimeError;
use crate::manifest::{RestartPolicy, Supervision};
use crate::status::ActorStatus;
use crate::supervision::{self, ChildExit, Decision};

/// Longest a restart waits for an ended actor's remains (they follow its end at once).
const REMAINS_WAIT: Duration = Duration::from_secs(10);
/// Longest a restart waits for the ended instance's `http-framework` sockets to close (they
/// close as soon as their accept loops see the end).
const LISTENERS_CLOSE_WAIT: Duration = Duration::from_secs(10);

impl Theater {
    /// After an actor's task ends (its children already stopped): keep what a restart
    /// needs, and tell its parent (unless the parent or the runtime stopped it on purpose).
    pub(super) async fn on_exit(&self, id: &str, exit: Exit) {
        let Exit { status, ctx, state } = exit;
        let data = ctx.shutdown.as_ref().and_then(|s| s.data.clone());
        let (parent, quiet) = {
            let mut entries = self.entries();
            match entries.get_mut(id) {
                Some(entry) => {
                    entry.remains = Some(Remains {
                        ctx,
                        state,
                        component: entry.component.clone(),
                        dormant: false,
                    });
                    (entry.info.parent.clone(), entry.quiet)
                }
                None => (None, true),
            }
        };
        self.inner.exited.notify_waiters();
        if quiet {
            return;
        }
        match parent {
            Some(parent) => {
                if let Ok(parent) = self.actor(&parent) {
                    let _ = parent
                        .handle
                        .deliver(actor::Envelope::ChildExited {
                            child: id.to_string(),
                            status,
                            data,
                        })
                        .await;
                }
            }
            None => self.root_supervise(id, &status).await,
        }
    }

    /// The root supervisor: restart a top-level actor whose manifest asks for it (`restart`),
    /// one for one, within the default intensity; past it the actor stays down (there is no
    /// one to escalate to).
    async fn root_supervise(&self, id: &str, status: &ActorStatus) {
        let Some(window) = &self.inner.root else {
            return;
        };
        let Ok(info) = self.actor(id) else { return };
        let policy = info.manifest.restart.unwrap_or(RestartPolicy::Temporary);
        let exit = ChildExit {
            child: id,
            policy,
            failed: matches!(status, ActorStatus::Failed(_)),
        };
        let decision = {
            let mut window = window.lock().unwrap_or_else(|p| p.into_inner());
            supervision::decide(
                &exit,
                &Supervision::default(),
                &[id.to_string()],
                &mut window,
                Instant::now(),
            )
        };
        match decision {
            Decision::Restart { .. } => {
                let reason = format!("restarted by the root supervisor after it {status}");
                if let Err(e) = self.restart(id, &reason).await {
                    tracing::warn!("root supervisor: could not restart {id}: {e}");
                }
            }
            Decision::GiveUp { reason } => {
                tracing::warn!("root supervisor: not restarting {id}: {reason}")
            }
            Decision::Removed | Decision::Manual | Decision::NotRestarted => {}
        }
    }

    /// Restart an ended actor under the same id: a new instance of the same component, its
    /// chain continued with a `lifecycle/restarted` event (the reason and the component's
    /// hash), started from its last committed state, with its subtree. An actor loaded from
    /// a previous server's chain resumes instead (`lifecycle/resumed`).
    pub(crate) async fn restart(&self, id: &str, reason: &str) -> Result<(), RuntimeError> {
        let Remains {
            mut ctx,
            state,
            component: loaded,
            dormant,
        } = self.take_remains(id).await?;
        ctx.shutdown = None;
        ctx.call.link = None;
        ctx.supervising.restarts.clear();
        ctx.chain.clear_fault();
        ctx.clear_interrupt();
        let fields = vec![
            ("reason", Value::Text(reason.to_string())),
            ("component", Value::Bytes(loaded.hash.to_vec())),
        ];
        ctx.chain.record(
            if dormant {
                "lifecycle/resumed"
            } else {
                "lifecycle/restarted"
            },
            encode(&map(fields)),
        );
        ctx.chain.set_status("running");
        // The old instance's servers close a moment after its end: wait for their ports to
        // be free, so a `resume` serving on the same port finds it free. (If one has not
        // closed in time, the new instance's bind reports the port in use.)
        self.inner
            .listeners
            .wait_closed(id, LISTENERS_CLOSE_WAIT)
            .await;
        let register: Register<'_> = Box::new(move |handle| {
            if let Some(entry) = self.entries().get_mut(id) {
                entry.info.handle = handle;
                if !dormant {
                    entry.info.restarts += 1;
                }
                entry.quiet = false;
            }
        });
        self.start(&loaded, ctx, state, StartMode::Resume, register)
            .await
            .map(drop)
    }

    /// What a restart of `id` needs, once its task has ended (a stop returns as soon as the
    /// actor's end is published, a moment before its remains are stored).
    async fn take_remains(&self, id: &str) -> Result<Remains, RuntimeError> {
        let deadline = tokio::time::Instant::now() + REMAINS_WAIT;
        loop {
            let exited = self.inner.exited.notified();
            tokio::pin!(exited);
            exited.as_mut().enable();
            {
                let mut entries = self.entries();
                let entry = entries
                    .get_mut(id)
                    .ok_or_else(|| RuntimeError::NotFound(id.to_string()))?;
                if let Some(remains) = entry.remains.take() {
                    return Ok(remains);
                }
                if entry.info.handle.status() == ActorStatus::Running {
                    return Err(RuntimeError::NotFound(format!("{id} (still running)")));
                }
            }
            if tokio::time::timeout_at(deadline, exited).await.is_err() {
                return Err(RuntimeError::NotFound(format!(
                    "{id} (its end was not recorded in time)"
                )));
            }
        }
    }
}

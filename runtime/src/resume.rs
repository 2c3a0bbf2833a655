//! Actors outlive their server. When a `theater server` stops or dies, the actors it was
//! running stay flagged in the chain database (`chain::resume`); the next server on the
//! same data directory brings back each flagged top-level actor whose manifest asks for it
//! (`restart = "permanent"`, or `"transient"` when the previous server did not stop it
//! cleanly) with its subtree: same ids, the recorded component (from the component store,
//! whatever the manifest's file holds now), the last committed state, the names it held.
//! Each chain continues with `lifecycle/resumed`. Children come back through the
//! supervisor's own restore (`supervision::restore_children`), each per its restart type.

use std::collections::HashMap;

use crate::actor::{ActorCtx, ActorHandle, ActorStatus};
use crate::chain::payload::{decode, to_json, Fields};
use crate::chain::{ActorChain, ChainReader, DormantActor, Hash, INTERRUPTED_STATUS};
use crate::error::RuntimeError;
use crate::manifest::RestartPolicy;
use crate::recorded_start::RecordedStart;
use crate::system::ActorInfo;
use crate::{sandbox, Theater};

/// The event type of a name registered by the actor itself.
const REGISTER_NAME: &str = "theater:simple/message-server-host/register-name";

/// What a server's start resumed, for its log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResumeReport {
    pub resumed: Vec<ResumedTree>,
    /// Top-level actors left flagged that did not come back, and why.
    pub not_resumed: Vec<NotResumed>,
}

/// A top-level actor that runs again, with its subtree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumedTree {
    pub id: String,
    pub name: String,
    /// Names it holds again.
    pub names: Vec<String>,
    /// Actors of its subtree loaded with it (each comes back per its restart type).
    pub descendants: usize,
}

/// A flagged top-level actor that stays down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotResumed {
    pub id: String,
    pub reason: String,
}

/// What the chain says about an actor beyond its first event.
#[derive(Default)]
struct ChainFacts {
    /// The state after its last export call that returned (the committed state).
    state: Option<Hash>,
    /// Names it registered itself (`register-name` calls that succeeded).
    names: Vec<String>,
    start: Option<RecordedStart>,
}

impl Theater {
    /// Bring back the actors a previous server on this data directory left running (see the
    /// module docs). Failures to resume one tree are reported, not fatal.
    pub async fn resume_dormant(&self) -> Result<ResumeReport, RuntimeError> {
        let dormant = self.db().dormant()?;
        let reader = self.db().reader()?;
        let mut children: HashMap<String, Vec<DormantActor>> = HashMap::new();
        let mut roots = Vec::new();
        for actor in dormant {
            match actor.parent_id.clone() {
                Some(parent) => children.entry(parent).or_default().push(actor),
                None => roots.push(actor),
            }
        }
        let mut report = ResumeReport::default();
        for root in roots {
            match self.resume_tree(&reader, &root, &children).await {
                Ok(tree) => report.resumed.push(tree),
                Err(reason) => {
                    self.db().forget_resume(&root.actor_id)?;
                    report.not_resumed.push(NotResumed {
                        id: root.actor_id,
                        reason,
                    });
                }
            }
        }
        Ok(report)
    }

    /// Load `root` and its flagged descendants, then start `root` again (which restores its
    /// children). `Err` says why the tree stays down.
    async fn resume_tree(
        &self,
        reader: &ChainReader,
        root: &DormantActor,
        children: &HashMap<String, Vec<DormantActor>>,
    ) -> Result<ResumedTree, String> {
        let facts = chain_facts(reader, &root.actor_id)?;
        let start = facts
            .start
            .as_ref()
            .ok_or("its chain has no lifecycle/started event")?;
        let policy = start.manifest.restart;
        if !resumes_with_server(policy, &root.status) {
            let restart = policy.map_or("none".to_string(), |p| p.to_string());
            return Err(format!(
                "its manifest's restart is {restart} and it was {}",
                root.status
            ));
        }
        let name = start.manifest.name.clone();
        let mut loaded = 0usize;
        let mut pending = vec![(root.clone(), facts)];
        while let Some((actor, facts)) = pending.pop() {
            let kids = children.get(&actor.actor_id).cloned().unwrap_or_default();
            self.load_dormant(reader, &actor, facts, &kids)
                .map_err(|e| format!("{}: {e}", actor.actor_id))?;
            loaded += 1;
            for kid in kids {
                // A child whose chain cannot be read stays down; its parent is told on restore.
                match chain_facts(reader, &kid.actor_id) {
                    Ok(facts) => pending.push((kid, facts)),
                    Err(e) => tracing::warn!("not resuming {}: {e}", kid.actor_id),
                }
            }
        }
        let reason = "resumed by a new server: the previous one stopped or died while it ran";
        self.restart(&root.actor_id, reason)
            .await
            .map_err(|e| e.to_string())?;
        let names = self.names_of(&root.actor_id);
        Ok(ResumedTree {
            id: root.actor_id.clone(),
            name,
            names,
            descendants: loaded.saturating_sub(1),
        })
    }

    /// Register one dormant actor, ended, with everything its resume needs: its chain
    /// claimed for appending, its recorded component, its committed state, its names.
    fn load_dormant(
        &self,
        reader: &ChainReader,
        actor: &DormantActor,
        facts: ChainFacts,
        children: &[DormantActor],
    ) -> Result<(), RuntimeError> {
        let start = facts.start.ok_or_else(|| {
            RuntimeError::NotFound(format!("{} (no lifecycle/started)", actor.actor_id))
        })?;
        let manifest = start.manifest;
        let bytes = self.components().get(&start.component)?;
        let imports =
            sandbox::component_imports(&bytes, &manifest.component.display().to_string())?;
        sandbox::check_imports(
            &imports,
            &manifest.granted_interfaces(),
            &manifest.name,
            &manifest.origin,
        )?;
        let component = self.cache().load(&bytes, &manifest.component)?;
        let state = match facts.state {
            Some(hash) => Some(reader.blob(&hash)?.ok_or_else(|| {
                RuntimeError::NotFound(format!(
                    "{} (its committed state {} is not stored)",
                    actor.actor_id,
                    hex::encode(hash)
                ))
            })?),
            None => None,
        };
        let claimed = self.db().claim(&actor.actor_id)?.ok_or_else(|| {
            RuntimeError::NotFound(format!("{} (another process resumed it)", actor.actor_id))
        })?;
        let (sink, logs, system) = self.actor_links();
        let chain = ActorChain::resumed(sink, claimed, &actor.actor_id);
        let mut ctx = ActorCtx::new(
            actor.actor_id.clone(),
            manifest.clone(),
            chain,
            logs,
            system,
        );
        // They were running when the previous server ended, so each comes back per its own
        // restart type (see `supervision::comes_back`).
        ctx.supervising.children = children.iter().map(|c| c.actor_id.clone()).collect();
        ctx.supervising.stopped_with = ctx.supervising.children.clone();
        let status = ActorStatus::from_recorded(&actor.status);
        let handle = ActorHandle::ended(
            actor.actor_id.clone(),
            status,
            &manifest.limits,
            ctx.interrupter(),
        );
        let info = ActorInfo {
            id: actor.actor_id.clone(),
            handle,
            manifest,
            parent: actor.parent_id.clone(),
            restarts: 0,
        };
        self.adopt(info, component, ctx, state);
        for name in start.registered_name.iter().chain(&facts.names) {
            if let Err(e) = self.register_name(name, &actor.actor_id) {
                tracing::warn!("actor {} does not get its name back: {e}", actor.actor_id);
            }
        }
        Ok(())
    }
}

/// Does a top-level actor the previous server left running come back with the next one?
/// OTP's restart types, with the server's end as the actor's exit: `permanent` always;
/// `transient` only if that end was abnormal (the server died or cut it off at its
/// shutdown deadline, leaving it `interrupted`); `temporary` and no restart type never.
fn resumes_with_server(policy: Option<RestartPolicy>, status: &str) -> bool {
    match policy {
        Some(RestartPolicy::Permanent) => true,
        Some(RestartPolicy::Transient) => status == INTERRUPTED_STATUS,
        Some(RestartPolicy::Temporary) | None => false,
    }
}

/// Read an actor's chain once: its start, its committed state, the names it registered.
fn chain_facts(reader: &ChainReader, actor_id: &str) -> Result<ChainFacts, String> {
    let mut facts = ChainFacts::default();
    let mut bad_start = None;
    reader
        .scan(actor_id, 0, |event| {
            match event.event_type.as_str() {
                "lifecycle/started" if event.seq == 0 => match RecordedStart::read(&event) {
                    Ok(start) => facts.start = Some(start),
                    Err(e) => bad_start = Some(e),
                },
                "wasm/result" => {
                    let state = decode(&event.payload)
                        .ok()
                        .and_then(|v| Fields::new(v).ok())
                        .and_then(|mut f| f.get::<Option<Vec<u8>>>("state").ok());
                    if let Some(state) = state {
                        facts.state = state.and_then(|h| Hash::try_from(h).ok());
                    }
                }
                REGISTER_NAME => facts.names.extend(registered_name(&event.payload)),
                _ => {}
            }
            Ok::<bool, crate::chain::ChainError>(true)
        })
        .map_err(|e| e.to_string())?;
    match bad_start {
        Some(e) => Err(format!("its lifecycle/started event cannot be read: {e}")),
        None => Ok(facts),
    }
}

/// The name of a `register-name` call that succeeded.
fn registered_name(payload: &[u8]) -> Option<String> {
    let json = to_json(&decode(payload).ok()?);
    json["result"][0].get("ok")?;
    json["params"][0].as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permanent_actors_always_come_back_transient_ones_only_after_an_abnormal_end() {
        assert!(resumes_with_server(
            Some(RestartPolicy::Permanent),
            "stopped"
        ));
        assert!(resumes_with_server(
            Some(RestartPolicy::Permanent),
            INTERRUPTED_STATUS
        ));
        assert!(resumes_with_server(
            Some(RestartPolicy::Transient),
            INTERRUPTED_STATUS
        ));
        assert!(!resumes_with_server(
            Some(RestartPolicy::Transient),
            "stopped"
        ));
        assert!(!resumes_with_server(
            Some(RestartPolicy::Temporary),
            INTERRUPTED_STATUS
        ));
        assert!(!resumes_with_server(None, INTERRUPTED_STATUS));
    }
}

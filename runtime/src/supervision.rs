//! Erlang/OTP supervision, run by the supervising actor's own task when one of its
//! children exits: tell the parent's code, then (unless the strategy is `manual`) restart
//! per the child's restart type and the parent's strategy, within the restart intensity.
//! Every decision is an event in the supervisor's chain. When a supervisor itself is
//! restarted, `restore_children` brings back the subtree it had (docs/supervision.md).
//! The parent's callbacks may change its list of children (stop or restart one), so
//! children are looked up by id after them, never by a position taken before.

use std::time::{Duration, Instant};

use ciborium::value::Value;

use crate::actor::{ActorInstance, ActorStatus, CallError};
use crate::bindings::{WitActorError, WitErrorType};
use crate::chain::payload::{encode, map};
use crate::manifest::{RestartPolicy, Strategy};

fn record(actor: &mut ActorInstance, event_type: &str, fields: Vec<(&str, Value)>) {
    actor.ctx_mut().chain.record(event_type, encode(&map(fields)));
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// Handle the exit of `child`. `Err` means this supervisor must fail (its callback trapped,
/// or restarts exceeded their intensity), which escalates to its own parent.
pub(crate) async fn child_exited(actor: &mut ActorInstance, child: &str, status: &ActorStatus, data: Option<Vec<u8>>) -> Result<(), String> {
    if !actor.ctx().children.iter().any(|c| c == child) {
        return Ok(()); // no longer ours (stopped by the parent already)
    }
    let theater = actor.ctx().theater()?;
    let policy = theater.actor(child).map(|a| a.manifest.restart_policy()).unwrap_or(RestartPolicy::Temporary);
    let failure = match status {
        ActorStatus::Failed(reason) => Some(reason.clone()),
        _ => None,
    };
    match &failure {
        Some(reason) => record(actor, "supervision/child-failed", vec![("child", text(child)), ("reason", text(reason))]),
        None => record(actor, "supervision/child-exited", vec![("child", text(child))]),
    }

    // The parent's code is told whether or not the runtime restarts the child.
    tell(actor, child, failure.as_deref(), data).await?;

    // The callback may have stopped this child (or a sibling): what it took away stays away.
    let Some(position) = actor.ctx().children.iter().position(|c| c == child) else {
        record(actor, "supervision/not-restarted", vec![("child", text(child)), ("restart", text("stopped by the supervisor's code"))]);
        return Ok(());
    };
    let supervision = actor.ctx().manifest.supervision.clone();
    if supervision.strategy == Strategy::Manual {
        record(actor, "supervision/manual", vec![("child", text(child))]);
        return Ok(());
    }
    if !restart_due(policy, failure.is_some()) {
        actor.ctx_mut().children.retain(|c| c != child);
        record(actor, "supervision/not-restarted", vec![("child", text(child)), ("restart", text(&policy.to_string()))]);
        return Ok(());
    }

    // Restart intensity: at most max_restarts within within_secs.
    let now = Instant::now();
    let window = Duration::from_secs(supervision.within_secs);
    let restarts = &mut actor.ctx_mut().restarts;
    while restarts.front().is_some_and(|t| now.duration_since(*t) > window) {
        restarts.pop_front();
    }
    if restarts.len() as u32 >= supervision.max_restarts {
        let reason = format!(
            "restart intensity exceeded: more than {} restarts within {} s (child {child} failed again)",
            supervision.max_restarts, supervision.within_secs
        );
        record(actor, "supervision/gave-up", vec![("child", text(child)), ("reason", text(&reason))]);
        return Err(reason);
    }
    restarts.push_back(now);

    let children = actor.ctx().children.clone();
    let group: Vec<String> = match supervision.strategy {
        Strategy::OneForAll => children,
        Strategy::RestForOne => children.get(position..).unwrap_or_default().to_vec(),
        _ => vec![child.to_string()],
    };
    // Stop the rest of the group, last started first, then restart in start order.
    for other in group.iter().rev().filter(|c| c.as_str() != child) {
        theater.stop_quietly(other).await;
    }
    for member in &group {
        let member_policy = theater.actor(member).map(|a| a.manifest.restart_policy()).unwrap_or(RestartPolicy::Temporary);
        if member != child && member_policy == RestartPolicy::Temporary {
            actor.ctx_mut().children.retain(|c| c != member);
            record(actor, "supervision/not-restarted", vec![("child", text(member)), ("restart", text("temporary"))]);
            continue;
        }
        let why = if member == child { "its own exit" } else { "a sibling's exit" };
        match theater.restart(member, &format!("restarted by supervisor {} after {why}", actor.ctx().id)).await {
            Ok(()) => record(actor, "supervision/restarted", vec![("child", text(member)), ("strategy", text(strategy_name(supervision.strategy)))]),
            Err(e) => {
                let reason = format!("could not restart child {member}: {e}");
                record(actor, "supervision/gave-up", vec![("child", text(member)), ("reason", text(&reason))]);
                return Err(reason);
            }
        }
    }
    Ok(())
}

/// Tell the supervisor's code that `child` ended (`failure` says why, if it failed). A
/// trapping callback fails the supervisor.
async fn tell(actor: &mut ActorInstance, child: &str, failure: Option<&str>, data: Option<Vec<u8>>) -> Result<(), String> {
    let told = match failure {
        Some(reason) => {
            let error = WitActorError { error_type: WitErrorType::Internal, data: Some(reason.as_bytes().to_vec()) };
            actor.handle_child_error(child.to_string(), error).await
        }
        None => actor.handle_child_exit(child.to_string(), data).await,
    };
    match told {
        Err(CallError::Trap(reason)) => Err(format!("supervisor callback trapped: {reason}")),
        _ => Ok(()),
    }
}

/// OTP's restart types: does a child that ended (failed or not) get restarted?
fn restart_due(policy: RestartPolicy, failed: bool) -> bool {
    match policy {
        RestartPolicy::Permanent => true,
        RestartPolicy::Transient => failed,
        RestartPolicy::Temporary => false,
    }
}

/// Does a child come back when its supervisor is restarted? A child that was running when
/// the supervisor stopped was stopped by the runtime, not by its own doing: it comes back
/// unless it is `temporary`. A child that had already ended comes back only if its restart
/// type asked for a restart the supervisor never got to make (not under `manual`).
pub(crate) fn comes_back(strategy: Strategy, policy: RestartPolicy, ended_before: Option<&ActorStatus>) -> bool {
    match ended_before {
        None => policy != RestartPolicy::Temporary,
        Some(_) if strategy == Strategy::Manual => false,
        Some(status) => restart_due(policy, matches!(status, ActorStatus::Failed(_))),
    }
}

/// Bring back the children of a supervisor that is being restarted or resumed, before it
/// handles its first message: the same ids, each from its last committed state, in start
/// order. Children that do not come back (or cannot) leave the children list, and the
/// supervisor's code is told, as for any child that ended.
pub(crate) async fn restore_children(actor: &mut ActorInstance) -> Result<(), String> {
    let theater = actor.ctx().theater()?;
    let strategy = actor.ctx().manifest.supervision.strategy;
    let stopped_with = std::mem::take(&mut actor.ctx_mut().stopped_with);
    let me = actor.ctx().id.clone();
    for child in actor.ctx().children.clone() {
        let Ok(info) = theater.actor(&child) else {
            actor.ctx_mut().children.retain(|c| *c != child);
            continue;
        };
        let status = info.handle.status();
        let ended_before = (!stopped_with.contains(&child)).then_some(&status);
        let failure = if comes_back(strategy, info.manifest.restart_policy(), ended_before) {
            match theater.restart(&child, &format!("restarted with its supervisor {me}")).await {
                Ok(()) => {
                    record(actor, "supervision/restored", vec![("child", text(&child))]);
                    continue;
                }
                Err(e) => Some(format!("could not be restarted with its supervisor: {e}")),
            }
        } else {
            match status {
                ActorStatus::Failed(reason) => Some(reason),
                _ => None,
            }
        };
        actor.ctx_mut().children.retain(|c| *c != child);
        let restart = info.manifest.restart_policy().to_string();
        record(actor, "supervision/not-restored", vec![("child", text(&child)), ("restart", text(&restart))]);
        tell(actor, &child, failure.as_deref(), None).await?;
    }
    Ok(())
}

/// A child was stopped from outside (an operator's `theater stop`): record it, forget the
/// child (a stop asked for is not restarted) and tell the parent's code. `Err` means the
/// callback trapped, which fails this supervisor.
pub(crate) async fn child_stopped(actor: &mut ActorInstance, child: &str) -> Result<(), String> {
    if !actor.ctx().children.iter().any(|c| c == child) {
        return Ok(());
    }
    actor.ctx_mut().children.retain(|c| c != child);
    record(actor, "supervision/child-stopped", vec![("child", text(child))]);
    match actor.handle_child_external_stop(child.to_string()).await {
        Err(CallError::Trap(reason)) => Err(format!("supervisor callback trapped: {reason}")),
        _ => Ok(()),
    }
}

fn strategy_name(s: Strategy) -> &'static str {
    match s {
        Strategy::OneForOne => "one-for-one",
        Strategy::OneForAll => "one-for-all",
        Strategy::RestForOne => "rest-for-one",
        Strategy::Manual => "manual",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_stopped_with_their_supervisor_come_back_unless_temporary() {
        for strategy in [Strategy::OneForOne, Strategy::Manual] {
            assert!(comes_back(strategy, RestartPolicy::Permanent, None));
            assert!(comes_back(strategy, RestartPolicy::Transient, None));
            assert!(!comes_back(strategy, RestartPolicy::Temporary, None));
        }
    }

    #[test]
    fn children_that_had_ended_come_back_only_as_their_restart_type_says() {
        let failed = ActorStatus::Failed("trap".into());
        let stopped = ActorStatus::Stopped;
        let s = Strategy::OneForAll;
        assert!(comes_back(s, RestartPolicy::Permanent, Some(&stopped)));
        assert!(comes_back(s, RestartPolicy::Transient, Some(&failed)));
        assert!(!comes_back(s, RestartPolicy::Transient, Some(&stopped)));
        assert!(!comes_back(s, RestartPolicy::Temporary, Some(&failed)));
        assert!(!comes_back(Strategy::Manual, RestartPolicy::Permanent, Some(&failed)), "manual: the parent decides");
    }
}

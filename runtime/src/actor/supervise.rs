//! Supervision as the supervising actor's own task runs it when one of its children exits:
//! tell the parent's code, then apply what `supervision::decide` says (restart per the
//! child's restart type and the parent's strategy, within the restart intensity). Every
//! decision is an event in the supervisor's chain. When a supervisor itself is restarted,
//! `restore_children` brings back the subtree it had (docs/supervision.md). The parent's
//! callbacks may change its list of children (stop or restart one), so children are looked
//! up by id after them, never by a position taken before.

use std::time::Instant;

use ciborium::value::Value;

use super::{ActorInstance, CallError};
use crate::bindings::{WitActorError, WitErrorType};
use crate::chain::payload::{encode, map};
use crate::manifest::{RestartPolicy, Strategy};
use crate::status::ActorStatus;
use crate::supervision::{
    comes_back, decide, sibling_restarts, strategy_name, ChildExit, Decision,
};
use crate::system::ActorSystem;

fn record(actor: &mut ActorInstance, event_type: &str, fields: Vec<(&str, Value)>) {
    actor
        .ctx_mut()
        .chain
        .record(event_type, encode(&map(fields)));
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// Handle the exit of `child`. `Err` means this supervisor must fail (its callback trapped,
/// or restarts exceeded their intensity), which escalates to its own parent.
pub(crate) async fn child_exited(
    actor: &mut ActorInstance,
    child: &str,
    status: &ActorStatus,
    data: Option<Vec<u8>>,
) -> Result<(), String> {
    if !actor.ctx().supervising.children.iter().any(|c| c == child) {
        return Ok(()); // no longer ours (stopped by the parent already)
    }
    let system = actor.ctx().system()?;
    let policy = system
        .actor(child)
        .map(|a| a.manifest.restart_policy())
        .unwrap_or(RestartPolicy::Temporary);
    let failure = match status {
        ActorStatus::Failed(reason) => Some(reason.clone()),
        _ => None,
    };
    match &failure {
        Some(reason) => record(
            actor,
            "supervision/child-failed",
            vec![("child", text(child)), ("reason", text(reason))],
        ),
        None => record(
            actor,
            "supervision/child-exited",
            vec![("child", text(child))],
        ),
    }

    // The parent's code is told whether or not the runtime restarts the child.
    tell(actor, child, failure.as_deref(), data).await?;

    // The callback may have stopped this child (or a sibling): what it took away stays away.
    let exit = ChildExit {
        child,
        policy,
        failed: failure.is_some(),
    };
    let supervision = actor.ctx().manifest.supervision.clone();
    let ctx = actor.ctx_mut();
    match decide(
        &exit,
        &supervision,
        &ctx.supervising.children,
        &mut ctx.supervising.restarts,
        Instant::now(),
    ) {
        Decision::Removed => {
            let why = text("stopped by the supervisor's code");
            record(
                actor,
                "supervision/not-restarted",
                vec![("child", text(child)), ("restart", why)],
            );
            Ok(())
        }
        Decision::Manual => {
            record(actor, "supervision/manual", vec![("child", text(child))]);
            Ok(())
        }
        Decision::NotRestarted => {
            actor.ctx_mut().supervising.children.retain(|c| c != child);
            record(
                actor,
                "supervision/not-restarted",
                vec![
                    ("child", text(child)),
                    ("restart", text(&policy.to_string())),
                ],
            );
            Ok(())
        }
        Decision::GiveUp { reason } => {
            record(
                actor,
                "supervision/gave-up",
                vec![("child", text(child)), ("reason", text(&reason))],
            );
            Err(reason)
        }
        Decision::Restart { group } => {
            restart_group(actor, &*system, child, &group, supervision.strategy).await
        }
    }
}

/// Stop the rest of `group`, last started first, then restart it in start order (a
/// `temporary` sibling stays down).
async fn restart_group(
    actor: &mut ActorInstance,
    system: &dyn ActorSystem,
    child: &str,
    group: &[String],
    strategy: Strategy,
) -> Result<(), String> {
    for other in group.iter().rev().filter(|c| c.as_str() != child) {
        system.stop_quietly(other).await;
    }
    for member in group {
        let member_policy = system
            .actor(member)
            .map(|a| a.manifest.restart_policy())
            .unwrap_or(RestartPolicy::Temporary);
        if member != child && !sibling_restarts(member_policy) {
            actor.ctx_mut().supervising.children.retain(|c| c != member);
            record(
                actor,
                "supervision/not-restarted",
                vec![("child", text(member)), ("restart", text("temporary"))],
            );
            continue;
        }
        let why = if member == child {
            "its own exit"
        } else {
            "a sibling's exit"
        };
        match system
            .restart(
                member,
                &format!("restarted by supervisor {} after {why}", actor.ctx().id),
            )
            .await
        {
            Ok(()) => {
                let fields = vec![
                    ("child", text(member)),
                    ("strategy", text(strategy_name(strategy))),
                ];
                record(actor, "supervision/restarted", fields);
            }
            Err(e) => {
                let reason = format!("could not restart child {member}: {e}");
                record(
                    actor,
                    "supervision/gave-up",
                    vec![("child", text(member)), ("reason", text(&reason))],
                );
                return Err(reason);
            }
        }
    }
    Ok(())
}

/// Tell the supervisor's code that `child` ended (`failure` says why, if it failed). A
/// trapping callback fails the supervisor.
async fn tell(
    actor: &mut ActorInstance,
    child: &str,
    failure: Option<&str>,
    data: Option<Vec<u8>>,
) -> Result<(), String> {
    let told = match failure {
        Some(reason) => {
            let error = WitActorError {
                error_type: WitErrorType::Internal,
                data: Some(reason.as_bytes().to_vec()),
            };
            actor.handle_child_error(child.to_string(), error).await
        }
        None => actor.handle_child_exit(child.to_string(), data).await,
    };
    match told {
        Err(CallError::Trap(reason)) => Err(format!("supervisor callback trapped: {reason}")),
        _ => Ok(()),
    }
}

/// Bring back the children of a supervisor that is being restarted or resumed, before it
/// handles its first message: the same ids, each from its last committed state, in start
/// order. Children that do not come back (or cannot) leave the children list, and the
/// supervisor's code is told, as for any child that ended.
pub(crate) async fn restore_children(actor: &mut ActorInstance) -> Result<(), String> {
    let system = actor.ctx().system()?;
    let strategy = actor.ctx().manifest.supervision.strategy;
    let stopped_with = std::mem::take(&mut actor.ctx_mut().supervising.stopped_with);
    let me = actor.ctx().id.clone();
    for child in actor.ctx().supervising.children.clone() {
        let Ok(info) = system.actor(&child) else {
            actor.ctx_mut().supervising.children.retain(|c| *c != child);
            continue;
        };
        let status = info.handle.status();
        let ended_before = (!stopped_with.contains(&child)).then_some(&status);
        let failure = if comes_back(strategy, info.manifest.restart_policy(), ended_before) {
            match system
                .restart(&child, &format!("restarted with its supervisor {me}"))
                .await
            {
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
        actor.ctx_mut().supervising.children.retain(|c| *c != child);
        let restart = info.manifest.restart_policy().to_string();
        record(
            actor,
            "supervision/not-restored",
            vec![("child", text(&child)), ("restart", text(&restart))],
        );
        tell(actor, &child, failure.as_deref(), None).await?;
    }
    Ok(())
}

/// A child was stopped from outside (an operator's `theater stop`): record it, forget the
/// child (a stop asked for is not restarted) and tell the parent's code. `Err` means the
/// callback trapped, which fails this supervisor.
pub(crate) async fn child_stopped(actor: &mut ActorInstance, child: &str) -> Result<(), String> {
    if !actor.ctx().supervising.children.iter().any(|c| c == child) {
        return Ok(());
    }
    actor.ctx_mut().supervising.children.retain(|c| c != child);
    record(
        actor,
        "supervision/child-stopped",
        vec![("child", text(child))],
    );
    match actor.handle_child_external_stop(child.to_string()).await {
        Err(CallError::Trap(reason)) => Err(format!("supervisor callback trapped: {reason}")),
        _ => Ok(()),
    }
}

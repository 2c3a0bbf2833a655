//! Erlang/OTP supervision, run by the supervising actor's own task when one of its
//! children exits: tell the parent's code, then (unless the strategy is `manual`) restart
//! per the child's restart type and the parent's strategy, within the restart intensity.
//! Every decision is an event in the supervisor's chain. The parent's callbacks may change
//! its list of children (stop or restart one), so children are looked up by id after them,
//! never by a position taken before.

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
    let told = match &failure {
        Some(reason) => {
            let error = WitActorError { error_type: WitErrorType::Internal, data: Some(reason.clone().into_bytes()) };
            actor.handle_child_error(child.to_string(), error).await
        }
        None => actor.handle_child_exit(child.to_string(), data).await,
    };
    if let Err(CallError::Trap(reason)) = told {
        return Err(format!("supervisor callback trapped: {reason}"));
    }

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
    let restart = match policy {
        RestartPolicy::Permanent => true,
        RestartPolicy::Transient => failure.is_some(),
        RestartPolicy::Temporary => false,
    };
    if !restart {
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

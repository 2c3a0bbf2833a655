//! Erlang/OTP supervision as pure decisions: from how a child ended, its restart type, the
//! supervisor's strategy and its recent restarts, what happens next. The supervising
//! actor's task (`actor::supervise`) and the root supervisor (`theater.rs`) apply them;
//! nothing here touches an actor, so every rule is tested here (docs/supervision.md).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::manifest::{RestartPolicy, Strategy, Supervision};
use crate::status::ActorStatus;

/// How a child ended, as its supervisor sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChildExit<'a> {
    pub child: &'a str,
    /// Its restart type.
    pub policy: RestartPolicy,
    /// It failed (rather than stopping normally).
    pub failed: bool,
}

/// A supervisor's restart-intensity window: when it restarted lately.
#[derive(Debug, Default)]
pub(crate) struct RestartWindow {
    times: VecDeque<Instant>,
}

impl RestartWindow {
    /// Count one restart at `now`, unless `limits.max_restarts` were made within the last
    /// `limits.within_secs` already (then nothing is counted).
    pub(crate) fn admit(&mut self, limits: &Supervision, now: Instant) -> bool {
        let window = Duration::from_secs(limits.within_secs);
        while self
            .times
            .front()
            .is_some_and(|t| now.duration_since(*t) > window)
        {
            self.times.pop_front();
        }
        if self.times.len() >= usize::try_from(limits.max_restarts).unwrap_or(usize::MAX) {
            return false;
        }
        self.times.push_back(now);
        true
    }

    /// Forget past restarts (the supervisor itself was restarted).
    pub(crate) fn clear(&mut self) {
        self.times.clear();
    }
}

/// What a supervisor does after one child's exit, once its code has been told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// The supervisor's code stopped the child while being told: it stays away.
    Removed,
    /// `manual`: the supervisor's code decides; nothing is restarted.
    Manual,
    /// Its restart type says it stays down; it leaves the children.
    NotRestarted,
    /// Restarts passed their intensity: the supervisor fails, escalating to its parent.
    GiveUp { reason: String },
    /// Stop the rest of `group` (last started first), then restart it in start order.
    Restart { group: Vec<String> },
}

/// Decide what follows `exit`, given the supervisor's `children` in start order. A
/// restart is counted in `window`.
pub(crate) fn decide(
    exit: &ChildExit<'_>,
    supervision: &Supervision,
    children: &[String],
    window: &mut RestartWindow,
    now: Instant,
) -> Decision {
    let Some(position) = children.iter().position(|c| c == exit.child) else {
        return Decision::Removed;
    };
    if supervision.strategy == Strategy::Manual {
        return Decision::Manual;
    }
    if !restart_due(exit.policy, exit.failed) {
        return Decision::NotRestarted;
    }
    if !window.admit(supervision, now) {
        let reason = format!(
            "restart intensity exceeded: more than {} restarts within {} s (child {} failed again)",
            supervision.max_restarts, supervision.within_secs, exit.child
        );
        return Decision::GiveUp { reason };
    }
    let group = match supervision.strategy {
        Strategy::OneForAll => children.to_vec(),
        Strategy::RestForOne => children.get(position..).unwrap_or_default().to_vec(),
        Strategy::OneForOne | Strategy::Manual => vec![exit.child.to_string()],
    };
    Decision::Restart { group }
}

/// Whether a member of a restarted group other than the child that ended comes back with
/// it: not a `temporary` one.
pub(crate) fn sibling_restarts(policy: RestartPolicy) -> bool {
    policy != RestartPolicy::Temporary
}

/// OTP's restart types: does a child that ended (failed or not) get restarted?
pub(crate) fn restart_due(policy: RestartPolicy, failed: bool) -> bool {
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
pub(crate) fn comes_back(
    strategy: Strategy,
    policy: RestartPolicy,
    ended_before: Option<&ActorStatus>,
) -> bool {
    match ended_before {
        None => policy != RestartPolicy::Temporary,
        Some(_) if strategy == Strategy::Manual => false,
        Some(status) => restart_due(policy, matches!(status, ActorStatus::Failed(_))),
    }
}

/// The strategy as the chain records it.
pub(crate) fn strategy_name(s: Strategy) -> &'static str {
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

    fn sup(strategy: Strategy) -> Supervision {
        Supervision {
            strategy,
            max_restarts: 2,
            within_secs: 5,
        }
    }

    fn kids() -> Vec<String> {
        ["a", "b", "c"].map(String::from).to_vec()
    }

    fn failed(child: &str, policy: RestartPolicy) -> ChildExit<'_> {
        ChildExit {
            child,
            policy,
            failed: true,
        }
    }

    #[test]
    fn the_strategy_picks_the_group_restarted() {
        let now = Instant::now();
        let exit = failed("b", RestartPolicy::Permanent);
        let group = |s| match decide(&exit, &sup(s), &kids(), &mut RestartWindow::default(), now) {
            Decision::Restart { group } => group,
            other => panic!("{s:?}: {other:?}"),
        };
        assert_eq!(group(Strategy::OneForOne), ["b"]);
        assert_eq!(group(Strategy::OneForAll), ["a", "b", "c"]);
        assert_eq!(group(Strategy::RestForOne), ["b", "c"]);
    }

    #[test]
    fn restart_types_manual_and_removed_children_restart_nothing() {
        let now = Instant::now();
        let mut window = RestartWindow::default();
        let s = sup(Strategy::OneForOne);
        let normal = ChildExit {
            child: "a",
            policy: RestartPolicy::Transient,
            failed: false,
        };
        assert_eq!(
            decide(&normal, &s, &kids(), &mut window, now),
            Decision::NotRestarted
        );
        let temporary = failed("a", RestartPolicy::Temporary);
        assert_eq!(
            decide(&temporary, &s, &kids(), &mut window, now),
            Decision::NotRestarted
        );
        let gone = failed("z", RestartPolicy::Permanent);
        assert_eq!(
            decide(&gone, &s, &kids(), &mut window, now),
            Decision::Removed
        );
        let manual = failed("a", RestartPolicy::Permanent);
        assert_eq!(
            decide(&manual, &sup(Strategy::Manual), &kids(), &mut window, now),
            Decision::Manual
        );
        assert!(window.times.is_empty(), "no restart was counted");
        assert!(
            !sibling_restarts(RestartPolicy::Temporary)
                && sibling_restarts(RestartPolicy::Transient)
        );
    }

    #[test]
    fn past_the_intensity_the_supervisor_gives_up_until_the_window_passes() {
        let start = Instant::now();
        let mut window = RestartWindow::default();
        let s = sup(Strategy::OneForOne);
        let exit = failed("a", RestartPolicy::Permanent);
        for _ in 0..2 {
            assert!(matches!(
                decide(&exit, &s, &kids(), &mut window, start),
                Decision::Restart { .. }
            ));
        }
        match decide(&exit, &s, &kids(), &mut window, start) {
            Decision::GiveUp { reason } => assert!(
                reason.contains("more than 2 restarts within 5 s"),
                "{reason}"
            ),
            other => panic!("{other:?}"),
        }
        let later = start + Duration::from_secs(6);
        assert!(matches!(
            decide(&exit, &s, &kids(), &mut window, later),
            Decision::Restart { .. }
        ));
        window.clear();
        assert!(window.times.is_empty());
    }

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
        assert!(
            !comes_back(Strategy::Manual, RestartPolicy::Permanent, Some(&failed)),
            "manual: the parent decides"
        );
    }
}

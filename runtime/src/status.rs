//! Where an actor is in its life: what the registry, supervision and the API report.

/// Where an actor is in its life.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "kebab-case")]
pub enum ActorStatus {
    Running,
    /// Stopped normally (asked to, or called `runtime.shutdown`).
    Stopped,
    /// Trapped or failed to start; the reason says why.
    Failed(String),
}

impl std::fmt::Display for ActorStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ActorStatus::Running => f.write_str("running"),
            ActorStatus::Stopped => f.write_str("stopped"),
            ActorStatus::Failed(reason) => write!(f, "failed: {reason}"),
        }
    }
}

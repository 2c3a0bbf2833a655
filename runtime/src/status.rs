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

impl ActorStatus {
    /// The status as the chain database records it (`running`, `stopped`, `failed: …`,
    /// `interrupted`); an interrupted actor did not fail by its own doing, but it is not
    /// running either.
    pub fn from_recorded(status: &str) -> ActorStatus {
        match status {
            "running" => ActorStatus::Running,
            "stopped" => ActorStatus::Stopped,
            other => {
                ActorStatus::Failed(other.strip_prefix("failed: ").unwrap_or(other).to_string())
            }
        }
    }
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

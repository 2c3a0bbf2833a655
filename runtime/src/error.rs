//! Typed errors of the runtime. Each variant's message says what went wrong and, where the
//! user can act, what to do; the CLI prints them as they are.

use std::path::PathBuf;

use crate::manifest::ManifestError;

/// Anything that can go wrong while loading, linking or running an actor.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),

    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path} is not a WebAssembly component: {reason}\n  hint: build actors with `theater build`, which turns the wasm32 module into a component")]
    NotAComponent { path: PathBuf, reason: String },

    #[error(transparent)]
    Sandbox(#[from] crate::sandbox::SandboxError),

    #[error("the engine could not {what}: {reason}")]
    Engine { what: &'static str, reason: String },

    #[error(transparent)]
    Chain(#[from] crate::chain::ChainError),

    #[error(transparent)]
    Name(#[from] crate::names::NameError),

    #[error(transparent)]
    Components(#[from] crate::component_store::ComponentStoreError),

    /// A tree's actor cap (`[limits] max_tree_actors`) is reached.
    #[error(transparent)]
    TreeFull(crate::capacity::CapacityError),

    /// A file the manifest names is not a regular file, is too large, or escapes.
    #[error(transparent)]
    File(#[from] crate::manifest_files::FileError),

    #[error("no actor {0} to restart")]
    NotFound(String),

    #[error("actor \"{actor}\" ({id}) could not start: {reason}")]
    StartFailed {
        actor: String,
        id: String,
        reason: String,
    },

    #[error("actor \"{actor}\" ({id}) failed in init: {error}")]
    InitFailed {
        actor: String,
        id: String,
        error: crate::actor::CallError,
    },

    #[error("the runtime is shutting down: no new actor starts")]
    ShuttingDown,

    /// A replayed actor reached for the live runtime (its host calls come from the recording).
    #[error("{0} is not possible during a replay: host calls are answered from the recording")]
    NotLive(&'static str),

    #[error("{running} actors are running, this runtime's limit (max_actors); stop some, or raise the limit (theater server --max-actors)")]
    TooManyActors { running: usize, limit: usize },
}

impl RuntimeError {
    pub(crate) fn engine(what: &'static str, err: impl std::fmt::Display) -> Self {
        RuntimeError::Engine {
            what,
            reason: format!("{err:#}"),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        RuntimeError::Io {
            path: path.into(),
            source,
        }
    }
}

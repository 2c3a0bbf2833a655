//! What a caller of an actor (another actor, the CLI, the server) can be told went wrong.

/// Why an export call did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[serde(tag = "kind", content = "message", rename_all = "kebab-case")]
pub enum CallError {
    /// The actor's code returned an error; the actor keeps running with its last state.
    #[error("the actor returned an error: {0}")]
    Guest(String),
    /// The actor trapped (panic, timeout, memory limit, bad instruction); it has failed.
    #[error("the actor failed: {0}")]
    Trap(String),
    /// The component does not export the function the message needs.
    #[error("the actor does not export {0}")]
    NotExported(String),
    /// The message was never handled: the actor ended (stopped, failed, or was interrupted
    /// by the runtime's shutdown) while it waited in the mailbox.
    #[error("the message was not handled: {0}")]
    NotHandled(String),
}

/// Why a call's result means the actor failed: the reason it trapped, if it did.
pub(crate) fn trap_reason<T>(r: &Result<T, CallError>) -> Option<String> {
    match r {
        Err(CallError::Trap(reason)) => Some(reason.clone()),
        _ => None,
    }
}

/// Why a message could not be delivered or answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActorError {
    #[error("no actor with id {0}")]
    NoSuchActor(String),
    #[error("actor {id} is not running (it {status})")]
    NotRunning { id: String, status: String },
    #[error("actor {id}'s mailbox is full ({capacity} messages waiting); try again later or raise [limits] mailbox")]
    MailboxFull { id: String, capacity: usize },
    #[error("the message is {size} bytes, larger than actor {id}'s limit of {limit} bytes ([limits] max_message_bytes)")]
    MessageTooLarge {
        id: String,
        size: usize,
        limit: usize,
    },
    #[error("actor {id}: {error}")]
    Call { id: String, error: CallError },
    #[error("actor {id} stopped before it answered")]
    Stopped { id: String },
    #[error("actor {id} did not answer within {ms} ms")]
    Timeout { id: String, ms: u64 },
}

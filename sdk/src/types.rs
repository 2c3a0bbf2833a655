//! The contract's record types as plain Rust, the same on wasm and in the test host.

use serde::{Deserialize, Serialize};

use crate::codec::Encode;

/// An actor's answer to a channel-open request. A `bool` converts into it, so
/// `handle_channel_open` may simply return `true` or `false`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelAccept {
    /// Whether the channel opens.
    pub accepted: bool,
    /// An optional first message back to the opener.
    pub message: Option<Vec<u8>>,
}

impl ChannelAccept {
    /// Accept the channel.
    pub fn accept() -> Self {
        ChannelAccept {
            accepted: true,
            message: None,
        }
    }

    /// Refuse the channel.
    pub fn reject() -> Self {
        ChannelAccept {
            accepted: false,
            message: None,
        }
    }

    /// Adds a message for the opener (JSON, or bytes as-is for [`crate::Raw`]).
    pub fn with_message(self, message: &impl Encode) -> Result<Self, String> {
        Ok(ChannelAccept {
            message: Some(message.encode()?),
            ..self
        })
    }
}

impl From<bool> for ChannelAccept {
    fn from(accepted: bool) -> Self {
        ChannelAccept {
            accepted,
            message: None,
        }
    }
}

/// Why a child actor failed, as told to its parent's `handle_child_error`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildError {
    /// The kind of failure.
    pub kind: ErrorKind,
    /// Details from the runtime, if any (usually UTF-8 text).
    pub data: Option<Vec<u8>>,
}

/// The contract's `wit-error-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    OperationTimeout,
    ChannelClosed,
    ShuttingDown,
    FunctionNotFound,
    TypeMismatch,
    Internal,
    SerializationError,
    UpdateComponentError,
    Paused,
}

/// The actor's own event chain, as returned by [`crate::runtime::get_chain`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chain {
    /// Oldest first.
    pub events: Vec<MetaEvent>,
}

/// One chain entry with its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaEvent {
    pub hash: u64,
    pub event: Event,
}

/// One event of [`Chain`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// E.g. `wasm/call` or `theater:simple/store/get`.
    pub event_type: String,
    /// The previous event's hash; `None` for the first event.
    pub parent: Option<u64>,
    pub data: Vec<u8>,
}

/// One event of a child's chain, as returned by [`crate::supervisor::get_child_events`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainEvent {
    pub hash: Vec<u8>,
    pub parent_hash: Option<Vec<u8>>,
    pub event_type: String,
    pub data: Vec<u8>,
    /// Milliseconds since the Unix epoch.
    pub timestamp: u64,
}

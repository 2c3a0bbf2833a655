//! How values become message bytes and back: JSON for every serde type, as-is for [`Raw`].
//!
//! JSON is the default so a terminal can talk to an actor
//! (`theater request ID '{"get":{}}'` reaches a handler taking an externally tagged
//! `enum Query { Get {} }`); [`Raw`] is the escape hatch for any other format.
//!
//! [`Raw`]: crate::Raw

use serde::de::DeserializeOwned;
use serde::Serialize;

/// A value that can be sent as message bytes: handler replies, host API payloads.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent as a message",
    note = "derive `serde::Serialize` for `{Self}` to send it as JSON, or wrap bytes in `theater_sdk::Raw`"
)]
pub trait Encode {
    /// The wire bytes of `self`.
    fn encode(&self) -> Result<Vec<u8>, String>;
}

/// A value that can be read from message bytes: handler parameters, host API replies.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be received as a message",
    note = "derive `serde::Deserialize` for `{Self}` to receive it as JSON, or take `theater_sdk::Raw` for the bytes"
)]
pub trait Decode: Sized {
    /// Reads a value from wire bytes; the error says what did not match.
    fn decode(bytes: Vec<u8>) -> Result<Self, String>;
}

impl<T: Serialize> Encode for T {
    fn encode(&self) -> Result<Vec<u8>, String> {
        serde_json::to_vec(self).map_err(|e| format!("cannot encode as JSON: {e}"))
    }
}

impl<T: DeserializeOwned> Decode for T {
    fn decode(bytes: Vec<u8>) -> Result<Self, String> {
        serde_json::from_slice(&bytes).map_err(|e| format!("not the expected JSON ({e})"))
    }
}

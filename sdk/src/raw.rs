//! [`Raw`]: message bytes passed through untouched, for actors that do not speak JSON.

use crate::codec::{Decode, Encode};

/// Message bytes the SDK neither parses nor produces as JSON.
///
/// Take `Raw` as a handler's message type to receive the bytes as they arrived; return it
/// or pass it to the host API to send bytes as they are. (A `Vec<u8>` is a serde type and
/// travels as a JSON array of numbers; `Raw` is how to say "bytes".)
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Raw(pub Vec<u8>);

impl Encode for Raw {
    fn encode(&self) -> Result<Vec<u8>, String> {
        Ok(self.0.clone())
    }
}

impl Decode for Raw {
    fn decode(bytes: Vec<u8>) -> Result<Self, String> {
        Ok(Raw(bytes))
    }
}

impl From<Vec<u8>> for Raw {
    fn from(bytes: Vec<u8>) -> Self {
        Raw(bytes)
    }
}

impl From<&[u8]> for Raw {
    fn from(bytes: &[u8]) -> Self {
        Raw(bytes.to_vec())
    }
}

impl From<Raw> for Vec<u8> {
    fn from(raw: Raw) -> Self {
        raw.0
    }
}

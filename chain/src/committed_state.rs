//! An actor's last committed state read back from its chain: every `wasm/result` event
//! names the state the actor holds after the call (its SHA-256; the bytes are in the blob
//! table), so the last one is what a restart would start from. This is how the state of an
//! actor that has stopped, failed or been interrupted is still shown.

use super::payload::{decode, Fields};
use super::{ChainError, ChainReader, Hash};
use ciborium::Value;

impl ChainReader {
    /// The state recorded by the last `wasm/result` of actor `id`: `None` when the actor
    /// never held state (or never ran a call).
    pub fn last_state(&self, id: &str) -> Result<Option<Vec<u8>>, ChainError> {
        let mut last: Option<Hash> = None;
        self.scan(id, 0, |event| -> Result<bool, ChainError> {
            if event.event_type == "wasm/result" {
                last = state_hash(&event.payload);
            }
            Ok(true)
        })?;
        match last {
            Some(hash) => self.blob(&hash),
            None => Ok(None),
        }
    }
}

/// The `state` hash of a `wasm/result` payload (`None` for no state or an unreadable one).
pub fn state_hash(payload: &[u8]) -> Option<Hash> {
    let mut fields = Fields::new(decode(payload).ok()?).ok()?;
    match fields.take_opt("state")? {
        Value::Bytes(bytes) => bytes.try_into().ok(),
        _ => None,
    }
}

//! The causal link a message carries from its sender's chain into its receiver's.

use ciborium::value::Value;

use crate::chain::payload::map;
use crate::chain::Hash;

/// The causal link a message carries: its sender, and the hash of the sender's event that
/// sent it (`message/outgoing`, recorded before the message left; for a reply, the replier's
/// `wasm/result`). Recorded in the receiver's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    pub actor_id: String,
    pub event: Hash,
}

impl Cause {
    pub(crate) fn to_value(&self) -> Value {
        map(vec![
            ("actor", Value::Text(self.actor_id.clone())),
            ("event", Value::Bytes(self.event.to_vec())),
        ])
    }
}

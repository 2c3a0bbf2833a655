//! One link of an actor's chain and its canonical hash. The byte layout hashed here is
//! specified in docs/chain-format.md; change one and you must change the other.

use sha2::{Digest, Sha256};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// Domain separator that starts every hashed event, so a chain hash can never be
/// confused with the hash of some other structure.
pub const HASH_DOMAIN: &[u8; 16] = b"theater-chain-v1";

/// A recorded event: something that entered or left an actor's sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Position in the actor's chain, from 0.
    pub seq: u64,
    /// Hash of the previous event; `None` only for the first event.
    pub parent: Option<Hash>,
    /// What happened, e.g. `wasm/call` or `theater:simple/runtime/log`.
    pub event_type: String,
    /// Milliseconds since the Unix epoch when it was recorded.
    pub timestamp_ms: u64,
    /// Compact binary (CBOR) description of what happened.
    pub payload: Vec<u8>,
    /// SHA-256 of the canonical layout of all the fields above.
    pub hash: Hash,
}

impl Event {
    /// Build an event and compute its hash.
    pub fn new(
        seq: u64,
        parent: Option<Hash>,
        event_type: String,
        timestamp_ms: u64,
        payload: Vec<u8>,
    ) -> Event {
        let hash = compute_hash(seq, parent.as_ref(), &event_type, timestamp_ms, &payload);
        Event {
            seq,
            parent,
            event_type,
            timestamp_ms,
            payload,
            hash,
        }
    }

    /// Recompute the hash from the fields (for verification).
    pub fn recompute_hash(&self) -> Hash {
        compute_hash(
            self.seq,
            self.parent.as_ref(),
            &self.event_type,
            self.timestamp_ms,
            &self.payload,
        )
    }
}

/// SHA-256 over: domain (16 bytes) ‖ seq (u64 BE) ‖ parent flag (u8) [‖ parent (32)] ‖
/// type length (u32 BE) ‖ type (UTF-8) ‖ timestamp (u64 BE) ‖ payload length (u64 BE) ‖ payload.
pub fn compute_hash(
    seq: u64,
    parent: Option<&Hash>,
    event_type: &str,
    timestamp_ms: u64,
    payload: &[u8],
) -> Hash {
    let mut h = Sha256::new();
    h.update(HASH_DOMAIN);
    h.update(seq.to_be_bytes());
    match parent {
        Some(p) => {
            h.update([1u8]);
            h.update(p);
        }
        None => h.update([0u8]),
    }
    h.update((event_type.len() as u32).to_be_bytes());
    h.update(event_type.as_bytes());
    h.update(timestamp_ms.to_be_bytes());
    h.update((payload.len() as u64).to_be_bytes());
    h.update(payload);
    h.finalize().into()
}

/// SHA-256 of arbitrary bytes (state values, store content).
pub fn sha256(bytes: &[u8]) -> Hash {
    Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_covers_every_field() {
        let base = Event::new(3, Some([7; 32]), "t".into(), 10, vec![1, 2]);
        let variants = [
            Event::new(4, Some([7; 32]), "t".into(), 10, vec![1, 2]),
            Event::new(3, Some([8; 32]), "t".into(), 10, vec![1, 2]),
            Event::new(3, None, "t".into(), 10, vec![1, 2]),
            Event::new(3, Some([7; 32]), "u".into(), 10, vec![1, 2]),
            Event::new(3, Some([7; 32]), "t".into(), 11, vec![1, 2]),
            Event::new(3, Some([7; 32]), "t".into(), 10, vec![1, 3]),
        ];
        for v in variants {
            assert_ne!(v.hash, base.hash, "{v:?}");
        }
    }

    #[test]
    fn length_prefixes_prevent_field_shifting() {
        // "ab" + payload [c] must differ from "a" + payload [b, c].
        let a = compute_hash(0, None, "ab", 0, b"c");
        let b = compute_hash(0, None, "a", 0, b"bc");
        assert_ne!(a, b);
    }

    #[test]
    fn known_vector_matches_the_documented_layout() {
        // The same bytes docs/chain-format.md walks through, hashed independently.
        let mut layout = Vec::new();
        layout.extend_from_slice(b"theater-chain-v1");
        layout.extend_from_slice(&0u64.to_be_bytes());
        layout.push(0);
        layout.extend_from_slice(&(9u32).to_be_bytes());
        layout.extend_from_slice(b"wasm/call");
        layout.extend_from_slice(&1_700_000_000_000u64.to_be_bytes());
        layout.extend_from_slice(&3u64.to_be_bytes());
        layout.extend_from_slice(&[0xa0, 0x01, 0x02]);
        let hash = compute_hash(0, None, "wasm/call", 1_700_000_000_000, &[0xa0, 1, 2]);
        assert_eq!(hash, sha256(&layout));
        // The value docs/chain-format.md states, computed independently (Python hashlib).
        assert_eq!(
            hex::encode(hash),
            "deb45bfbc08e84e6c06a77304aa6e7e83a47be477c1c85ce1e74e0757634e15d"
        );
    }
}

//! Chain verification: recompute every hash and every parent link. A chain verifies when
//! each event's stored hash equals the hash of its fields and each event names the previous
//! event's hash as its parent. The first event that does not is reported by index.

use super::Event;

/// Why a chain failed verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("event {index}: stored hash {stored} does not match the hash of its contents {computed} (the event was altered)")]
    HashMismatch { index: u64, stored: String, computed: String },
    #[error("event {index}: parent {found} does not match the previous event's hash {expected} (the chain was cut or reordered)")]
    BrokenLink { index: u64, expected: String, found: String },
    #[error("event {index}: sequence number {found} where {index} was expected (an event is missing or duplicated)")]
    BadSequence { index: u64, found: u64 },
}

/// Verify a whole chain, first event first. Returns the number of events.
pub fn verify(events: &[Event]) -> Result<u64, VerifyError> {
    let mut expected_parent = None;
    for (index, event) in events.iter().enumerate() {
        let index = index as u64;
        if event.seq != index {
            return Err(VerifyError::BadSequence { index, found: event.seq });
        }
        if event.parent != expected_parent {
            return Err(VerifyError::BrokenLink {
                index,
                expected: expected_parent.map(hex::encode).unwrap_or_else(|| "none".into()),
                found: event.parent.map(hex::encode).unwrap_or_else(|| "none".into()),
            });
        }
        let computed = event.recompute_hash();
        if computed != event.hash {
            return Err(VerifyError::HashMismatch { index, stored: hex::encode(event.hash), computed: hex::encode(computed) });
        }
        expected_parent = Some(event.hash);
    }
    Ok(events.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u64) -> Vec<Event> {
        let mut out: Vec<Event> = Vec::new();
        for i in 0..n {
            out.push(Event::new(i, out.last().map(|e| e.hash), "t".into(), i, vec![i as u8]));
        }
        out
    }

    #[test]
    fn good_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
        assert_eq!(verify(&[]), Ok(0));
    }

    #[test]
    fn altered_payload_names_index() {
        let mut c = chain(5);
        c[3].payload[0] ^= 1;
        assert!(matches!(verify(&c), Err(VerifyError::HashMismatch { index: 3, .. })));
    }

    #[test]
    fn removed_event_is_a_sequence_error() {
        let mut c = chain(5);
        c.remove(2);
        assert!(matches!(verify(&c), Err(VerifyError::BadSequence { index: 2, found: 3 })));
    }

    #[test]
    fn relinked_event_is_a_broken_link() {
        let mut c = chain(3);
        c[2].parent = Some([0; 32]);
        assert!(matches!(verify(&c), Err(VerifyError::BrokenLink { index: 2, .. })));
    }
}

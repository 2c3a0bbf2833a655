//! Chain verification: recompute every hash and every parent link, then check the latest
//! signed head. A chain verifies when each event's stored hash equals the hash of its
//! fields, each event names the previous event's hash as its parent, and the signed head's
//! signature is valid and names an event the chain holds with exactly that hash. The first
//! event that does not fit is reported by index.
//!
//! Verification streams: [`Verifier`] takes one event at a time and keeps only the last
//! hash, so memory stays flat whatever the chain's length.

use super::payload::{decode, Fields};
use super::signing::{verify_head, SignedHead, SigningError};
use super::{Event, Hash};

/// Why a chain failed verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("event {index}: stored hash {stored} does not match the hash of its contents {computed} (the event was altered)")]
    HashMismatch {
        index: u64,
        stored: String,
        computed: String,
    },
    #[error("event {index}: parent {found} does not match the previous event's hash {expected} (the chain was cut or reordered)")]
    BrokenLink {
        index: u64,
        expected: String,
        found: String,
    },
    #[error("event {index}: sequence number {found} where {index} was expected (an event is missing or duplicated)")]
    BadSequence { index: u64, found: u64 },
    #[error("the chain ends at {events} events but a head at seq {signed_seq} was signed (the chain was truncated)")]
    Truncated { events: u64, signed_seq: u64 },
    #[error("event {seq}: hash {found} differs from the signed head's {signed} (the chain was re-hashed after the head was signed)")]
    HeadMismatch {
        seq: u64,
        signed: String,
        found: String,
    },
    #[error("{0}")]
    Signature(String),
    #[error("the head is signed by {found}, not by the expected key {expected}")]
    WrongSigner { expected: String, found: String },
    #[error("the signed head names actor {signed}, but the chain is actor {found}'s")]
    WrongActor { signed: String, found: String },
    #[error("{events} events link correctly but no signed head vouches for them, so a cut cannot be ruled out")]
    Unsigned { events: u64 },
}

/// A chain that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub events: u64,
    /// Hash of the last event.
    pub head: Option<Hash>,
    /// The signed head that vouches for the chain up to its `seq`.
    pub signed: SignedHead,
}

impl Verified {
    /// Events after the signed head (recorded since it was signed, or never signed).
    pub fn unsigned_tail(&self) -> u64 {
        self.events
            .saturating_sub(self.signed.seq.saturating_add(1))
    }
}

/// Checks a chain one event at a time, first event first.
pub struct Verifier {
    count: u64,
    parent: Option<Hash>,
    signed: Option<SignedHead>,
    /// The actor id found in the first event (`lifecycle/started`), if it names one.
    started_as: Option<String>,
}

impl Verifier {
    /// A verifier that will check the chain against `signed` (its latest signed head).
    pub fn new(signed: Option<SignedHead>) -> Verifier {
        Verifier {
            count: 0,
            parent: None,
            signed,
            started_as: None,
        }
    }

    /// Check the next event.
    pub fn push(&mut self, event: &Event) -> Result<(), VerifyError> {
        let index = self.count;
        if event.seq != index {
            return Err(VerifyError::BadSequence {
                index,
                found: event.seq,
            });
        }
        if event.parent != self.parent {
            return Err(VerifyError::BrokenLink {
                index,
                expected: hex_or_none(self.parent),
                found: hex_or_none(event.parent),
            });
        }
        let computed = event.recompute_hash();
        if computed != event.hash {
            return Err(VerifyError::HashMismatch {
                index,
                stored: hex::encode(event.hash),
                computed: hex::encode(computed),
            });
        }
        if let Some(signed) = self
            .signed
            .as_ref()
            .filter(|s| s.seq == index && s.hash != event.hash)
        {
            return Err(VerifyError::HeadMismatch {
                seq: index,
                signed: hex::encode(signed.hash),
                found: hex::encode(event.hash),
            });
        }
        if index == 0 {
            self.started_as = started_actor(event);
        }
        self.parent = Some(event.hash);
        self.count += 1;
        Ok(())
    }

    /// Every event is in: check the signed head against the chain's end and its signature
    /// for `actor_id`, and (with `key`) that the expected key made it.
    pub fn finish(self, actor_id: &str, key: Option<&[u8; 32]>) -> Result<Verified, VerifyError> {
        let Some(signed) = self.signed else {
            return Err(VerifyError::Unsigned { events: self.count });
        };
        if signed.seq >= self.count {
            return Err(VerifyError::Truncated {
                events: self.count,
                signed_seq: signed.seq,
            });
        }
        if let Some(started) = self.started_as.filter(|s| s != actor_id) {
            return Err(VerifyError::WrongActor {
                signed: actor_id.to_string(),
                found: started,
            });
        }
        verify_head(actor_id, &signed)
            .map_err(|e: SigningError| VerifyError::Signature(e.to_string()))?;
        if let Some(expected) = key.filter(|k| **k != signed.public_key) {
            return Err(VerifyError::WrongSigner {
                expected: hex::encode(expected),
                found: hex::encode(signed.public_key),
            });
        }
        Ok(Verified {
            events: self.count,
            head: self.parent,
            signed,
        })
    }

    /// Events checked so far, and the last one's hash.
    pub fn progress(&self) -> (u64, Option<Hash>) {
        (self.count, self.parent)
    }
}

/// The `actor` a `lifecycle/started` event names.
fn started_actor(event: &Event) -> Option<String> {
    if event.event_type != "lifecycle/started" {
        return None;
    }
    Fields::new(decode(&event.payload).ok()?)
        .ok()?
        .get::<String>("actor")
        .ok()
}

fn hex_or_none(h: Option<Hash>) -> String {
    h.map(hex::encode).unwrap_or_else(|| "none".into())
}

/// Check the links and hashes of a whole chain in memory (no signed head). Returns the
/// number of events.
pub fn verify_links(events: &[Event]) -> Result<u64, VerifyError> {
    let mut verifier = Verifier::new(None);
    events.iter().try_for_each(|e| verifier.push(e))?;
    Ok(verifier.progress().0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::Signer;

    fn chain(n: u64) -> Vec<Event> {
        let mut out: Vec<Event> = Vec::new();
        for i in 0..n {
            out.push(Event::new(
                i,
                out.last().map(|e| e.hash),
                "t".into(),
                i,
                vec![i as u8],
            ));
        }
        out
    }

    fn run(
        events: &[Event],
        signed: Option<SignedHead>,
        key: Option<&[u8; 32]>,
    ) -> Result<Verified, VerifyError> {
        let mut v = Verifier::new(signed);
        events.iter().try_for_each(|e| v.push(e))?;
        v.finish("a", key)
    }

    #[test]
    fn good_chain_verifies() {
        assert_eq!(verify_links(&chain(5)), Ok(5));
        assert_eq!(verify_links(&[]), Ok(0));
    }

    #[test]
    fn altered_payload_names_index() {
        let mut c = chain(5);
        c[3].payload[0] ^= 1;
        assert!(matches!(
            verify_links(&c),
            Err(VerifyError::HashMismatch { index: 3, .. })
        ));
    }

    #[test]
    fn removed_event_is_a_sequence_error() {
        let mut c = chain(5);
        c.remove(2);
        assert!(matches!(
            verify_links(&c),
            Err(VerifyError::BadSequence { index: 2, found: 3 })
        ));
    }

    #[test]
    fn relinked_event_is_a_broken_link() {
        let mut c = chain(3);
        c[2].parent = Some([0; 32]);
        assert!(matches!(
            verify_links(&c),
            Err(VerifyError::BrokenLink { index: 2, .. })
        ));
    }

    #[test]
    fn signed_heads_catch_cuts_rehashing_and_other_signers() {
        let dir = tempfile::tempdir().unwrap();
        let signer = Signer::load_or_create(dir.path()).unwrap();
        let c = chain(6);
        let head = signer.sign("a", 3, &c[3].hash);
        let ok = run(&c, Some(head.clone()), Some(&signer.public_key())).unwrap();
        assert_eq!((ok.events, ok.signed.seq, ok.unsigned_tail()), (6, 3, 2));
        assert!(matches!(
            run(&c[..3], Some(head.clone()), None),
            Err(VerifyError::Truncated {
                events: 3,
                signed_seq: 3
            })
        ));
        // Edit event 1 and re-hash everything after it: links hold, the signed hash does not.
        let mut rehashed = c.clone();
        rehashed[1] = Event::new(1, Some(rehashed[0].hash), "t".into(), 1, vec![99]);
        for i in 2..rehashed.len() {
            rehashed[i] = Event::new(
                i as u64,
                Some(rehashed[i - 1].hash),
                "t".into(),
                i as u64,
                vec![i as u8],
            );
        }
        assert!(matches!(
            run(&rehashed, Some(head.clone()), None),
            Err(VerifyError::HeadMismatch { seq: 3, .. })
        ));
        // Re-signed by someone else: valid signature, wrong key.
        let other = Signer::load_or_create(tempfile::tempdir().unwrap().path()).unwrap();
        let forged = other.sign("a", 3, &rehashed[3].hash);
        assert!(
            run(&rehashed, Some(forged.clone()), None).is_ok(),
            "without --key any valid signer is reported"
        );
        assert!(matches!(
            run(&rehashed, Some(forged), Some(&signer.public_key())),
            Err(VerifyError::WrongSigner { .. })
        ));
        let mut bad = head;
        bad.signature[0] ^= 1;
        assert!(matches!(
            run(&c, Some(bad), None),
            Err(VerifyError::Signature(_))
        ));
        assert!(matches!(
            run(&[], None, None),
            Err(VerifyError::Unsigned { events: 0 })
        ));
    }
}

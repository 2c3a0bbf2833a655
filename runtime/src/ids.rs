//! Where actor and channel ids come from: random UUIDs, or — for tests that record chains
//! and compare them byte for byte, like `theater test`'s golden chains — UUIDs derived from
//! a seed and the order in which ids are handed out, so an unchanged run gets the same ids.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::chain::sha256;

/// How a runtime makes ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum IdScheme {
    /// Random (version 4) UUIDs: unique everywhere.
    #[default]
    Random,
    /// The n-th id is the UUID made of the first 16 bytes of SHA-256(`seed/n`): the same
    /// sequence on every run with this seed, distinct across seeds.
    Derived(String),
}

impl IdScheme {
    /// The scheme of a second, independent sequence (channel ids beside actor ids).
    pub fn sub(&self, name: &str) -> IdScheme {
        match self {
            IdScheme::Random => IdScheme::Random,
            IdScheme::Derived(seed) => IdScheme::Derived(format!("{seed}/{name}")),
        }
    }
}

/// The id maker of one runtime.
#[derive(Debug, Default)]
pub(crate) struct Ids {
    scheme: IdScheme,
    next: AtomicU64,
}

impl Ids {
    pub(crate) fn new(scheme: IdScheme) -> Ids {
        Ids {
            scheme,
            next: AtomicU64::new(0),
        }
    }

    /// The next id (a UUID in its hyphenated form).
    pub(crate) fn next(&self) -> String {
        match &self.scheme {
            IdScheme::Random => uuid::Uuid::new_v4().to_string(),
            IdScheme::Derived(seed) => {
                let n = self.next.fetch_add(1, Ordering::Relaxed);
                let digest = sha256(format!("{seed}/{n}").as_bytes());
                let mut bytes = [0u8; 16];
                bytes.copy_from_slice(&digest[..16]);
                uuid::Builder::from_random_bytes(bytes)
                    .into_uuid()
                    .to_string()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_repeat_per_seed_and_differ_across_seeds() {
        let ids = |seed: &str| {
            let maker = Ids::new(IdScheme::Derived(seed.into()));
            [maker.next(), maker.next()]
        };
        assert_eq!(ids("a"), ids("a"));
        assert_ne!(ids("a")[0], ids("a")[1]);
        assert_ne!(ids("a"), ids("b"));
        assert_eq!(ids("a")[0].len(), 36);
        let random = Ids::new(IdScheme::Random);
        assert_ne!(random.next(), random.next());
    }
}

//! Signed heads. Each data directory has one Ed25519 key pair (`keys/chain.ed25519`, the
//! 32-byte secret seed, mode 0600, created on first use). The runtime signs an actor's head
//! — its latest event's sequence number and hash, bound to the actor's id by a domain
//! string — when the actor starts and stops and periodically while it runs. A verifier
//! holding the public key can then tell a chain cut short (it ends before a signed head)
//! or re-hashed after an edit (the signed hash no longer matches) from a genuine one.
//! docs/chain-format.md gives the signed bytes exactly.

use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use rusqlite::{params, Connection, OptionalExtension};

use super::{now_ms, Hash};

/// Starts every signed message, so a head signature can never be mistaken for anything else.
pub const HEAD_DOMAIN: &[u8; 15] = b"theater-head-v1";

/// The key file inside a data directory.
pub fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("keys").join("chain.ed25519")
}

/// A signature over an actor's head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHead {
    pub seq: u64,
    pub hash: Hash,
    pub public_key: [u8; 32],
    pub signature: [u8; 64],
    /// When it was signed (not signed itself: informational).
    pub signed_ms: u64,
}

/// Why a key could not be loaded or a head does not verify.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error("chain key {path}: {reason}\n  hint: the file holds 32 bytes; remove it to make a new key (old signatures then name the old key)")]
    Key { path: String, reason: String },
    #[error("the signed head at seq {seq} has an invalid public key")]
    BadKey { seq: u64 },
    #[error("the signature of the head at seq {seq} does not match (the chain was re-hashed, or the head was edited)")]
    BadSignature { seq: u64 },
}

/// The bytes a head signature covers: domain ‖ id length (u32 BE) ‖ id ‖ seq (u64 BE) ‖ hash.
pub fn signed_bytes(actor_id: &str, seq: u64, hash: &Hash) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEAD_DOMAIN.len() + 4 + actor_id.len() + 8 + 32);
    out.extend_from_slice(HEAD_DOMAIN);
    out.extend_from_slice(&(actor_id.len() as u32).to_be_bytes());
    out.extend_from_slice(actor_id.as_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(hash);
    out
}

/// A data directory's signing key.
pub struct Signer {
    key: SigningKey,
}

impl Signer {
    /// Load the data directory's key, creating it on first use.
    pub fn load_or_create(data_dir: &Path) -> Result<Signer, SigningError> {
        let path = key_path(data_dir);
        let err = |reason: String| SigningError::Key {
            path: path.display().to_string(),
            reason,
        };
        if !path.exists() {
            create_key(&path).map_err(|e| err(e.to_string()))?;
        }
        let bytes = std::fs::read(&path).map_err(|e| err(e.to_string()))?;
        let seed: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| err(format!("{} bytes where 32 were expected", b.len())))?;
        Ok(Signer {
            key: SigningKey::from_bytes(&seed),
        })
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    pub fn sign(&self, actor_id: &str, seq: u64, hash: &Hash) -> SignedHead {
        let signature = self.key.sign(&signed_bytes(actor_id, seq, hash)).to_bytes();
        SignedHead {
            seq,
            hash: *hash,
            public_key: self.public_key(),
            signature,
            signed_ms: now_ms(),
        }
    }
}

/// Write a fresh key without ever exposing a partial file: write a private temporary file,
/// then link it into place (which fails, harmlessly, if another process got there first).
fn create_key(path: &Path) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut seed = [0u8; 32];
    rand::TryRng::try_fill_bytes(&mut rand::rngs::SysRng, &mut seed)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let tmp = dir.join(format!(".chain.ed25519.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    file.write_all(&seed)?;
    file.sync_all()?;
    drop(file);
    let linked = std::fs::hard_link(&tmp, path);
    std::fs::remove_file(&tmp)?;
    match linked {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

/// Check a head's signature for `actor_id`.
pub fn verify_head(actor_id: &str, head: &SignedHead) -> Result<(), SigningError> {
    let key = VerifyingKey::from_bytes(&head.public_key)
        .map_err(|_| SigningError::BadKey { seq: head.seq })?;
    let signature = Signature::from_bytes(&head.signature);
    key.verify_strict(&signed_bytes(actor_id, head.seq, &head.hash), &signature)
        .map_err(|_| SigningError::BadSignature { seq: head.seq })
}

/// Store a signed head of actor `key`.
pub fn store_head(conn: &Connection, key: i64, head: &SignedHead) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO heads (actor, seq, hash, public_key, signature, signed_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![key, head.seq as i64, &head.hash[..], &head.public_key[..], &head.signature[..], head.signed_ms as i64],
    )?;
    Ok(())
}

/// The latest signed head of actor `key`, if any. A malformed row is returned as an
/// all-zero field, which then fails verification instead of vanishing.
pub fn latest_head(conn: &Connection, key: i64) -> rusqlite::Result<Option<SignedHead>> {
    conn.query_row("SELECT seq, hash, public_key, signature, signed_ms FROM heads WHERE actor = ?1 ORDER BY seq DESC LIMIT 1", [key], |r| {
        Ok(SignedHead {
            seq: r.get::<_, i64>(0)? as u64,
            hash: fixed(r.get(1)?),
            public_key: fixed(r.get(2)?),
            signature: fixed(r.get(3)?),
            signed_ms: r.get::<_, i64>(4)? as u64,
        })
    })
    .optional()
}

fn fixed<const N: usize>(bytes: Vec<u8>) -> [u8; N] {
    bytes.try_into().unwrap_or([0; N])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_created_once_private_and_signatures_verify() {
        let dir = tempfile::tempdir().unwrap();
        let a = Signer::load_or_create(dir.path()).unwrap();
        let b = Signer::load_or_create(dir.path()).unwrap();
        assert_eq!(
            a.public_key(),
            b.public_key(),
            "the second load reads the same key"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(key_path(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let head = a.sign("actor-1", 5, &[9; 32]);
        verify_head("actor-1", &head).unwrap();
        assert!(
            verify_head("actor-2", &head).is_err(),
            "bound to the actor id"
        );
        let mut other = head.clone();
        other.hash[0] ^= 1;
        assert!(matches!(
            verify_head("actor-1", &other),
            Err(SigningError::BadSignature { seq: 5 })
        ));
        let mut later = head.clone();
        later.seq = 6;
        assert!(
            verify_head("actor-1", &later).is_err(),
            "bound to the sequence number"
        );
    }

    #[test]
    fn a_damaged_key_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("keys")).unwrap();
        std::fs::write(key_path(dir.path()), b"short").unwrap();
        let e = Signer::load_or_create(dir.path())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("5 bytes where 32 were expected"), "{e}");
    }

    #[test]
    fn signed_bytes_follow_the_documented_layout() {
        let bytes = signed_bytes("ab", 1, &[7; 32]);
        let mut expected = b"theater-head-v1".to_vec();
        expected.extend_from_slice(&[0, 0, 0, 2, b'a', b'b', 0, 0, 0, 0, 0, 0, 0, 1]);
        expected.extend_from_slice(&[7; 32]);
        assert_eq!(bytes, expected);
    }
}

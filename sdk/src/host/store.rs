//! `theater:simple/store`: a content-addressed store with labels, shared across actors
//! that know its id.
//!
//! ```
//! use theater_sdk::store::Store;
//! let store = Store::new()?;                       // or Store::open(saved_id)
//! let note = store.store_at_label("latest", &"hello")?;
//! let text: String = store.get(&note)?;
//! # Ok::<(), String>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::codec::{Decode, Encode};
use crate::sys::store as sys;

/// The address of stored content: the SHA-256 of its bytes, as lowercase hex (the native
/// test host uses a shorter stand-in hash). Equal content has one address in every store, so
/// a `ContentRef` can be kept in state, logged (it displays as its hash) or sent to another
/// actor that opens the same store.
///
/// ```
/// use theater_sdk::store::Store;
/// let store = Store::new()?;
/// let note = store.store(&"hello")?;
/// assert_eq!(note.to_string(), note.hash);
/// assert_eq!(store.get::<String>(&note)?, "hello");
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ContentRef {
    pub hash: String,
}

impl std::fmt::Display for ContentRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.hash)
    }
}

/// A handle on one store. Serializable (as its id), so an actor can keep it in its state.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Store {
    id: String,
}

impl Store {
    /// Creates a new, empty store.
    pub fn new() -> Result<Store, String> {
        sys::new().map(|id| Store { id })
    }

    /// A handle on an existing store (no host call; errors surface on use).
    pub fn open(id: impl Into<String>) -> Store {
        Store { id: id.into() }
    }

    /// The store's id, to save or hand to another actor.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Stores content (JSON, or bytes as-is for [`crate::Raw`]); returns its address.
    pub fn store(&self, content: &impl Encode) -> Result<ContentRef, String> {
        sys::store(&self.id, &content.encode()?)
    }

    /// Reads content, decoded as `T` (take [`crate::Raw`] for the bytes).
    pub fn get<T: Decode>(&self, content_ref: &ContentRef) -> Result<T, String> {
        let bytes = sys::get(&self.id, content_ref)?;
        T::decode(bytes).map_err(|e| format!("content {}: {e}", content_ref.hash))
    }

    /// Whether content with this address is stored.
    pub fn exists(&self, content_ref: &ContentRef) -> Result<bool, String> {
        sys::exists(&self.id, content_ref)
    }

    /// Adds content to a label.
    pub fn label(&self, label: &str, content_ref: &ContentRef) -> Result<(), String> {
        sys::label(&self.id, label, content_ref)
    }

    /// The content a label points to, if any.
    pub fn get_by_label(&self, label: &str) -> Result<Option<ContentRef>, String> {
        sys::get_by_label(&self.id, label)
    }

    /// Removes a label (the content stays).
    pub fn remove_label(&self, label: &str) -> Result<(), String> {
        sys::remove_label(&self.id, label)
    }

    /// Removes one content address from a label.
    pub fn remove_from_label(&self, label: &str, content_ref: &ContentRef) -> Result<(), String> {
        sys::remove_from_label(&self.id, label, content_ref)
    }

    /// Stores content and adds it to a label.
    pub fn store_at_label(&self, label: &str, content: &impl Encode) -> Result<ContentRef, String> {
        sys::store_at_label(&self.id, label, &content.encode()?)
    }

    /// Stores content and makes it the label's only content.
    pub fn replace_content_at_label(
        &self,
        label: &str,
        content: &impl Encode,
    ) -> Result<ContentRef, String> {
        sys::replace_content_at_label(&self.id, label, &content.encode()?)
    }

    /// Makes already stored content the label's only content.
    pub fn replace_at_label(&self, label: &str, content_ref: &ContentRef) -> Result<(), String> {
        sys::replace_at_label(&self.id, label, content_ref)
    }

    /// Every label in the store.
    pub fn list_labels(&self) -> Result<Vec<String>, String> {
        sys::list_labels(&self.id)
    }

    /// Every content address in the store.
    pub fn list_all_content(&self) -> Result<Vec<ContentRef>, String> {
        sys::list_all_content(&self.id)
    }

    /// The total size of the stored content, in bytes.
    pub fn calculate_total_size(&self) -> Result<u64, String> {
        sys::calculate_total_size(&self.id)
    }
}

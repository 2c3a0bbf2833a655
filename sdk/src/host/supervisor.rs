//! `theater:simple/supervisor`: spawn child actors and manage them. A supervising actor
//! also defines `handle_child_error` / `handle_child_exit` to hear about its children.

use crate::codec::{Decode, Encode};
use crate::sys::supervisor as sys;
use crate::types::ChainEvent;

/// Starts a child from a manifest (a path or the manifest's TOML text, as the runtime
/// accepts it); returns the child's id.
pub fn spawn(manifest: &str) -> Result<String, String> {
    sys::spawn(manifest, None)
}

/// Like [`spawn`], passing `init` as the child's initial state bytes.
pub fn spawn_with(manifest: &str, init: &impl Encode) -> Result<String, String> {
    sys::spawn(manifest, Some(&init.encode()?))
}

/// Starts a child from a saved state (e.g. one read with [`get_child_state`]).
pub fn resume(manifest: &str, state: &impl Encode) -> Result<String, String> {
    sys::resume(manifest, Some(&state.encode()?))
}

/// Ids of this actor's children.
pub fn list_children() -> Vec<String> {
    sys::list_children()
}

/// Stops a child.
pub fn stop_child(child_id: &str) -> Result<(), String> {
    sys::stop_child(child_id)
}

/// Restarts a child from its last committed state.
pub fn restart_child(child_id: &str) -> Result<(), String> {
    sys::restart_child(child_id)
}

/// A child's current state, decoded (`None` if it has none). Take [`crate::Raw`] to keep
/// the bytes, e.g. to [`resume`] from them later.
pub fn get_child_state<T: Decode>(child_id: &str) -> Result<Option<T>, String> {
    sys::get_child_state(child_id)?
        .map(|bytes| T::decode(bytes).map_err(|e| format!("state of child {child_id}: {e}")))
        .transpose()
}

/// A child's event chain.
pub fn get_child_events(child_id: &str) -> Result<Vec<ChainEvent>, String> {
    sys::get_child_events(child_id)
}

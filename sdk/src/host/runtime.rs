//! `theater:simple/runtime`: logging, the actor's own chain, shutdown. Always granted.

use crate::codec::Encode;
use crate::sys::runtime as sys;
use crate::types::Chain;

/// Writes a line to the actor's log (and its chain).
pub fn log(msg: impl AsRef<str>) {
    sys::log(msg.as_ref());
}

/// The actor's own event chain so far.
pub fn get_chain() -> Chain {
    sys::get_chain()
}

/// Asks the runtime to stop this actor after the current call.
pub fn shutdown() -> Result<(), String> {
    sys::shutdown(None)
}

/// Like [`shutdown`], handing `result` to the parent's `handle_child_exit`.
pub fn shutdown_with(result: &impl Encode) -> Result<(), String> {
    sys::shutdown(Some(&result.encode()?))
}

//! `theater:simple/runtime`: logging, the actor's own chain, shutdown. Always granted.
//! Log levels are a prefix on the line (`warn: …`): the runtime records one kind of log
//! line, so `grep` and `expect_log` find levels without a second host function.

use crate::codec::Encode;
use crate::sys::runtime as sys;
use crate::types::Chain;

/// Writes a line to the actor's log (and its chain).
pub fn log(msg: impl AsRef<str>) {
    sys::log(msg.as_ref());
}

/// Writes `debug: MSG` to the log: detail for whoever investigates.
pub fn debug(msg: impl AsRef<str>) {
    sys::log(&format!("debug: {}", msg.as_ref()));
}

/// Writes `info: MSG` to the log: what the actor did, worth seeing in normal operation.
pub fn info(msg: impl AsRef<str>) {
    sys::log(&format!("info: {}", msg.as_ref()));
}

/// Writes `warn: MSG` to the log: something unexpected the actor handled.
pub fn warn(msg: impl AsRef<str>) {
    sys::log(&format!("warn: {}", msg.as_ref()));
}

/// Writes `error: MSG` to the log: something failed. (Returning `Err` from a handler is what
/// fails the call; this only says so in the log.)
pub fn error(msg: impl AsRef<str>) {
    sys::log(&format!("error: {}", msg.as_ref()));
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

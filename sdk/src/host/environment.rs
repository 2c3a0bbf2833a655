//! `theater:simple/environment`: the environment variables the manifest allows the actor
//! to read. Variables outside the allow-list look unset.

use crate::sys::environment as sys;

/// A variable's value, `None` if unset or not allowed.
pub fn get_var(name: &str) -> Option<String> {
    sys::get_var(name)
}

/// Every allowed variable that is set, as `(name, value)`.
pub fn list_vars() -> Vec<(String, String)> {
    sys::list_vars()
}

/// Whether an allowed variable is set.
pub fn exists(name: &str) -> bool {
    sys::exists(name)
}

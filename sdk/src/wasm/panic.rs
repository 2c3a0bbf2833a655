//! Panics in actor code: written to the actor's log (message and location) before the
//! call traps, because on wasm32-unknown-unknown stderr goes nowhere.

use std::sync::Once;

/// Installs the hook once per instance; cheap enough to call at every export.
pub(crate) fn install() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| std::panic::set_hook(Box::new(log_panic)));
}

fn log_panic(info: &std::panic::PanicHookInfo<'_>) {
    let message = info.payload_as_str().unwrap_or("(no message)");
    let line = match info.location() {
        Some(at) => format!(
            "panic at {}:{}:{}: {message}",
            at.file(),
            at.line(),
            at.column()
        ),
        None => format!("panic: {message}"),
    };
    super::sys::runtime::log(&line);
}

//! Interrupting an actor from outside its task (the runtime's shutdown past its deadline).

use std::sync::Arc;

use tokio::sync::watch;

/// Interrupts one actor: its running call traps, its host waits end, its task ends.
#[derive(Clone)]
pub struct Interrupter(Arc<watch::Sender<bool>>);

impl Interrupter {
    /// A new interrupter and what its actor watches.
    pub(crate) fn new() -> (Interrupter, watch::Receiver<bool>) {
        let (tx, rx) = watch::channel(false);
        (Interrupter(Arc::new(tx)), rx)
    }

    pub fn interrupt(&self) {
        self.0.send_replace(true);
    }

    /// Clear an interruption before the actor runs again (a restart).
    pub(crate) fn clear(&self) {
        self.0.send_replace(false);
    }
}

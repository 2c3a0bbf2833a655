//! The signals that stop a long-running command (`theater server`, a `theater run` whose
//! actor serves HTTP): Ctrl-C, and SIGTERM on Unix.

/// Ctrl-C, and SIGTERM on Unix (registered once, so none is missed between two waits).
pub struct Signals {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    pub fn new() -> Signals {
        Signals {
            #[cfg(unix)]
            terminate: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .ok(),
        }
    }

    /// The next signal; false when signals cannot be received.
    pub async fn next(&mut self) -> bool {
        #[cfg(unix)]
        if let Some(terminate) = &mut self.terminate {
            return tokio::select! {
                interrupt = tokio::signal::ctrl_c() => interrupt.is_ok(),
                term = terminate.recv() => term.is_some(),
            };
        }
        tokio::signal::ctrl_c().await.is_ok()
    }
}

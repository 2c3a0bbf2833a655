//! Which actors listen where: the servers actors run through `http-framework`, by actor, so
//! a test, `theater inspect` or the API can find the port of an actor that asked for port 0.
//! A server is listed from the moment it listens until its [`Listening`] guard drops, which
//! its accept loop does once it has closed the socket (the server stopped, or its actor
//! ended): a restart waits for that ([`Listeners::wait_closed`]) before the new instance
//! binds the same port.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// One server an actor listens with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ListeningServer {
    /// The id `http-framework.create-server` gave the actor.
    pub server_id: u64,
    /// The local address it listens on.
    pub address: SocketAddr,
}

/// The listening servers of every actor of one runtime.
#[derive(Debug, Default)]
pub struct Listeners {
    by_actor: Mutex<BTreeMap<String, BTreeMap<u64, SocketAddr>>>,
    /// Woken whenever a server leaves the list (its socket has closed).
    closed: tokio::sync::Notify,
}

impl Listeners {
    fn table(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, BTreeMap<u64, SocketAddr>>> {
        // Nothing panics while holding the lock; keep serving regardless.
        self.by_actor.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// List server `server_id` of `actor` at `address` until the returned guard drops.
    pub fn listen(self: &Arc<Self>, actor: &str, server_id: u64, address: SocketAddr) -> Listening {
        self.table()
            .entry(actor.to_string())
            .or_default()
            .insert(server_id, address);
        Listening {
            listeners: self.clone(),
            actor: actor.to_string(),
            server_id,
        }
    }

    /// Wait, at most `limit`, until `actor` listens on nothing: its ports are free again.
    /// Whether it does.
    pub async fn wait_closed(&self, actor: &str, limit: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let closed = self.closed.notified();
            tokio::pin!(closed);
            closed.as_mut().enable();
            if self.of(actor).is_empty() {
                return true;
            }
            if tokio::time::timeout_at(deadline, closed).await.is_err() {
                return self.of(actor).is_empty();
            }
        }
    }

    /// The servers `actor` listens with, by server id.
    pub fn of(&self, actor: &str) -> Vec<ListeningServer> {
        self.table()
            .get(actor)
            .map(|servers| {
                servers
                    .iter()
                    .map(|(&server_id, &address)| ListeningServer { server_id, address })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A listed server; dropping it takes the server off the list.
#[derive(Debug)]
pub struct Listening {
    listeners: Arc<Listeners>,
    actor: String,
    server_id: u64,
}

impl Drop for Listening {
    fn drop(&mut self) {
        {
            let mut table = self.listeners.table();
            if let Some(servers) = table.get_mut(&self.actor) {
                servers.remove(&self.server_id);
                if servers.is_empty() {
                    table.remove(&self.actor);
                }
            }
        }
        self.listeners.closed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_is_listed_while_its_guard_lives() {
        let listeners = Arc::new(Listeners::default());
        let addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let one = listeners.listen("a", 1, addr);
        let two = listeners.listen("a", 2, addr);
        assert_eq!(listeners.of("a").len(), 2);
        assert!(listeners.of("b").is_empty());
        drop(one);
        assert_eq!(
            listeners.of("a"),
            [ListeningServer {
                server_id: 2,
                address: addr
            }]
        );
        drop(two);
        assert!(
            listeners.table().is_empty(),
            "no empty entry is left behind"
        );
    }

    #[tokio::test]
    async fn waiting_for_an_actor_to_close_its_servers() {
        let listeners = Arc::new(Listeners::default());
        let addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let limit = std::time::Duration::from_secs(30);
        assert!(
            listeners.wait_closed("a", limit).await,
            "nothing to wait for"
        );
        let guard = listeners.listen("a", 1, addr);
        let closing = tokio::spawn(async move { drop(guard) });
        assert!(listeners.wait_closed("a", limit).await);
        closing.await.unwrap();
        let _kept = listeners.listen("b", 1, addr);
        let short = std::time::Duration::from_millis(1);
        assert!(!listeners.wait_closed("b", short).await, "still listening");
    }
}

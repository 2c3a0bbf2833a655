//! The wait-for graph: who waits for whose answer right now (requests, channel opens, a
//! parent reading a child's state). A wait that would close a cycle is refused at once, so
//! a request cycle is an error instead of a deadlock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// `from -> to` edges: `from` waits for `to`'s answer (an actor waits for one at a time).
type Edges = Arc<Mutex<HashMap<String, String>>>;

/// Every wait under way in one runtime.
#[derive(Default)]
pub(crate) struct WaitForGraph {
    waiting: Edges,
}

/// Removes a wait-for edge when the wait ends, however it ends.
pub struct WaitGuard {
    waiting: Edges,
    from: String,
}

impl Drop for WaitGuard {
    fn drop(&mut self) {
        if let Ok(mut w) = self.waiting.lock() {
            w.remove(&self.from);
        }
    }
}

impl WaitForGraph {
    /// Record that `from` waits for `to`'s answer, refusing if `to` (transitively) waits for
    /// `from`: that wait could never end.
    pub(crate) fn begin(&self, from: &str, to: &str) -> Result<WaitGuard, String> {
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        let mut path = vec![from.to_string(), to.to_string()];
        let mut current = to.to_string();
        while current != from {
            match waiting.get(&current) {
                Some(next) if path.len() <= waiting.len() + 2 => {
                    path.push(next.clone());
                    current = next.clone();
                }
                _ => {
                    waiting.insert(from.to_string(), to.to_string());
                    return Ok(WaitGuard {
                        waiting: self.waiting.clone(),
                        from: from.to_string(),
                    });
                }
            }
        }
        Err(format!(
            "request cycle: {} — {to} is itself waiting for {from}'s answer, so neither could ever reply",
            path.join(" → ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_that_closes_a_cycle_is_refused_naming_it() {
        let graph = WaitForGraph::default();
        let _ab = graph.begin("a", "b").expect("a waits for b");
        let _bc = graph.begin("b", "c").expect("b waits for c");
        let refused = graph
            .begin("c", "a")
            .err()
            .expect("c -> a closes a -> b -> c -> a");
        assert!(refused.contains("a → b → c"), "{refused}");
        assert!(
            graph.begin("a", "a").is_err(),
            "an actor cannot wait for itself"
        );
    }

    #[test]
    fn an_ended_wait_no_longer_counts() {
        let graph = WaitForGraph::default();
        let ab = graph.begin("a", "b").expect("a waits for b");
        assert!(graph.begin("b", "a").is_err());
        drop(ab);
        assert!(graph.begin("b", "a").is_ok(), "the guard removed a -> b");
    }
}

//! How many actors may run: at most `EngineConfig::max_actors` in one runtime, and at
//! most `[limits] max_tree_actors` in the tree under each actor (itself included), so one
//! tree can never take the whole instance pool from the others. Decided before a spawn
//! instantiates anything, from the registry's current picture (running actors plus spawns
//! already under way).

use std::collections::HashMap;

/// A spawn that would pass a cap.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapacityError {
    #[error("the runtime already runs {running} actors, its limit (max_actors); stop some or raise the limit")]
    Runtime { running: usize },
    #[error("the tree under actor {ancestor} already holds {count} actors, its limit ([limits] max_tree_actors = {limit})")]
    Tree {
        ancestor: String,
        count: u64,
        limit: u64,
    },
}

/// Whether one more actor, child of `ancestors[0]` (ancestors listed from the parent up to
/// the root, each with its `max_tree_actors`), fits beside the `live` ones. `parents` maps
/// every known actor to its parent, to find which trees each live actor belongs to.
pub fn check(
    live: &[&str],
    parents: &HashMap<&str, Option<&str>>,
    ancestors: &[(String, u64)],
    max_actors: usize,
) -> Result<(), CapacityError> {
    if live.len() >= max_actors {
        return Err(CapacityError::Runtime {
            running: live.len(),
        });
    }
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for actor in live {
        // Walk up from the actor itself; the hop bound guards against a corrupt cycle.
        let mut current = Some(*actor);
        for _ in 0..=parents.len() {
            let Some(id) = current else { break };
            if ancestors.iter().any(|(a, _)| a == id) {
                *counts.entry(id).or_default() += 1;
            }
            current = parents.get(id).copied().flatten();
        }
    }
    for (ancestor, limit) in ancestors {
        let count = counts.get(ancestor.as_str()).copied().unwrap_or(0);
        if count >= *limit {
            return Err(CapacityError::Tree {
                ancestor: ancestor.clone(),
                count,
                limit: *limit,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live<'a>(
        pairs: &[(&'a str, Option<&'a str>)],
    ) -> (Vec<&'a str>, HashMap<&'a str, Option<&'a str>>) {
        (
            pairs.iter().map(|(id, _)| *id).collect(),
            pairs.iter().copied().collect(),
        )
    }

    #[test]
    fn trees_are_counted_per_ancestor_and_the_runtime_as_a_whole() {
        let (l, p) = live(&[
            ("root", None),
            ("a", Some("root")),
            ("a1", Some("a")),
            ("other", None),
        ]);
        let chain = |limits: &[(&str, u64)]| {
            limits
                .iter()
                .map(|(a, n)| (a.to_string(), *n))
                .collect::<Vec<_>>()
        };
        assert_eq!(check(&l, &p, &chain(&[("a", 3), ("root", 4)]), 10), Ok(()));
        assert_eq!(
            check(&l, &p, &chain(&[("a", 2), ("root", 4)]), 10),
            Err(CapacityError::Tree {
                ancestor: "a".into(),
                count: 2,
                limit: 2
            })
        );
        assert_eq!(
            check(&l, &p, &chain(&[("a", 5), ("root", 3)]), 10),
            Err(CapacityError::Tree {
                ancestor: "root".into(),
                count: 3,
                limit: 3
            })
        );
        assert_eq!(
            check(&l, &p, &[], 4),
            Err(CapacityError::Runtime { running: 4 })
        );
        assert_eq!(
            check(&l, &p, &[], 5),
            Ok(()),
            "a top-level actor is bound only by the runtime cap"
        );
    }
}

//! Actor names: a service is addressed by a stable name (`queue`) instead of an id, by
//! clients (`theater request queue …`) and by actors (`message-server-host.lookup-name`).
//! A name is unique on one runtime and belongs to its actor while that actor runs; once the
//! actor has ended (and is not running again after a restart) the name is free, so a dead
//! actor never blocks it. Restarts and server resumes keep an actor's id, so its names stay.

use std::collections::HashMap;
use std::sync::Mutex;

/// Longest name accepted.
pub const MAX_NAME_LEN: usize = 64;
/// Most names one actor may hold (a guest cannot grow the table without bound).
pub const MAX_NAMES_PER_ACTOR: usize = 16;

/// Why a name could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("{name:?} is not a valid actor name: {why}\n  hint: use 1 to {MAX_NAME_LEN} letters, digits, '-', '_' or '.', starting with a letter")]
    Invalid { name: String, why: &'static str },
    #[error("the name {name:?} belongs to actor {holder}, which is running\n  hint: stop that actor first, or choose another name")]
    Taken { name: String, holder: String },
    #[error("actor {id} already holds {MAX_NAMES_PER_ACTOR} names, the most one actor may hold")]
    TooMany { id: String },
}

/// Check a name's form: 1 to 64 ASCII letters, digits, `-`, `_`, `.`, starting with a
/// letter (safe in URLs, shells and logs). Lookups try a full id before a name.
pub fn validate(name: &str) -> Result<(), NameError> {
    let invalid = |why| {
        Err(NameError::Invalid {
            name: name.chars().take(MAX_NAME_LEN + 8).collect(),
            why,
        })
    };
    let Some(first) = name.chars().next() else {
        return invalid("it is empty");
    };
    if name.len() > MAX_NAME_LEN {
        return invalid("it is too long");
    }
    if !first.is_ascii_alphabetic() {
        return invalid("it does not start with a letter");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return invalid("it holds a character other than a letter, digit, '-', '_' or '.'");
    }
    Ok(())
}

/// The name table of one runtime: name → actor id.
#[derive(Default)]
pub(crate) struct Names {
    table: Mutex<HashMap<String, String>>,
}

impl Names {
    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Give `name` to actor `id`, unless another actor that `running` says is running holds
    /// it. Registering a name an actor already holds is a no-op.
    pub(crate) fn register(
        &self,
        name: &str,
        id: &str,
        running: impl Fn(&str) -> bool,
    ) -> Result<(), NameError> {
        validate(name)?;
        let mut table = self.table();
        match table.get(name) {
            Some(holder) if holder == id => return Ok(()),
            Some(holder) if running(holder) => {
                return Err(NameError::Taken {
                    name: name.to_string(),
                    holder: holder.clone(),
                });
            }
            _ => {}
        }
        if table.values().filter(|holder| *holder == id).count() >= MAX_NAMES_PER_ACTOR {
            return Err(NameError::TooMany { id: id.to_string() });
        }
        table.insert(name.to_string(), id.to_string());
        Ok(())
    }

    /// The id holding `name`, whether or not it runs (the caller decides).
    pub(crate) fn holder(&self, name: &str) -> Option<String> {
        self.table().get(name).cloned()
    }

    /// Free every name `id` holds (it never started).
    pub(crate) fn release(&self, id: &str) {
        self.table().retain(|_, holder| holder != id);
    }

    /// The names `id` holds, sorted.
    pub(crate) fn of(&self, id: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .table()
            .iter()
            .filter(|(_, holder)| *holder == id)
            .map(|(n, _)| n.clone())
            .collect();
        names.sort();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_for_form() {
        for good in ["queue", "q", "worker-1", "a.b_c", &"x".repeat(MAX_NAME_LEN)] {
            assert_eq!(validate(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "1queue",
            "-q",
            "que ue",
            "q/../x",
            "名前",
            &"x".repeat(MAX_NAME_LEN + 1),
        ] {
            assert!(
                matches!(validate(bad), Err(NameError::Invalid { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_name_is_unique_while_its_holder_runs_and_free_once_it_ended() {
        let names = Names::default();
        names.register("queue", "a", |_| true).unwrap();
        names.register("queue", "a", |_| true).unwrap();
        let taken = names.register("queue", "b", |id| id == "a").unwrap_err();
        assert_eq!(
            taken,
            NameError::Taken {
                name: "queue".into(),
                holder: "a".into()
            }
        );
        assert_eq!(names.holder("queue").as_deref(), Some("a"));
        names.register("queue", "b", |_| false).unwrap();
        assert_eq!(names.holder("queue").as_deref(), Some("b"));
        assert!(names.of("a").is_empty());
    }

    #[test]
    fn one_actor_cannot_hoard_names() {
        let names = Names::default();
        for i in 0..MAX_NAMES_PER_ACTOR {
            names.register(&format!("n{i}"), "a", |_| true).unwrap();
        }
        assert_eq!(
            names.register("one-more", "a", |_| true),
            Err(NameError::TooMany { id: "a".into() })
        );
        names.register("one-more", "b", |_| true).unwrap();
    }
}

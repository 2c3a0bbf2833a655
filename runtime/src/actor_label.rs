//! How an actor is named in log lines: its name and the first characters of its id
//! (`[worker 1a2b3c4d] line`), so identical actors of one tree can be told apart while the
//! line stays short. The short id is as long as the shortest prefix the CLI accepts.

use std::fmt;

use crate::chain::MIN_ID_PREFIX;
use crate::LogLine;

/// The first [`MIN_ID_PREFIX`] characters of an actor id (all of a shorter id).
pub fn short_id(id: &str) -> &str {
    id.char_indices()
        .nth(MIN_ID_PREFIX)
        .map_or(id, |(end, _)| &id[..end])
}

/// `name 1a2b3c4d`: an actor as log lines name it.
pub struct ActorLabel<'a> {
    pub name: &'a str,
    pub id: &'a str,
}

impl fmt::Display for ActorLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, short_id(self.id))
    }
}

/// `[name 1a2b3c4d] message`: how `theater run` and `theater server` print an actor's line.
impl fmt::Display for LogLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}] {}",
            ActorLabel {
                name: &self.actor_name,
                id: &self.actor_id
            },
            self.message
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_names_its_actor_and_short_id() {
        let line = LogLine {
            actor_id: "1a2b3c4d-5e6f".into(),
            actor_name: "worker".into(),
            message: "hi".into(),
        };
        assert_eq!(line.to_string(), "[worker 1a2b3c4d] hi");
        assert_eq!(short_id("d0"), "d0");
        assert_eq!(short_id("ééééééééé"), "éééééééé");
    }
}

//! The open channels of one runtime: each id names the two actors it joins.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::ids::Ids;

/// The two participants of an open channel.
struct Ends {
    opener: String,
    acceptor: String,
}

/// Open channels by id.
#[derive(Default)]
pub(crate) struct ChannelTable {
    channels: Mutex<HashMap<String, Ends>>,
    ids: Ids,
}

impl ChannelTable {
    /// A table whose channel ids come from `ids` (random by default).
    pub(crate) fn with_ids(ids: Ids) -> ChannelTable {
        ChannelTable {
            channels: Mutex::default(),
            ids,
        }
    }

    /// Register an open channel from `opener` to `acceptor`; returns its id.
    pub(crate) fn open(&self, opener: &str, acceptor: &str) -> String {
        let id = format!("ch-{}", self.ids.next());
        let ends = Ends {
            opener: opener.to_string(),
            acceptor: acceptor.to_string(),
        };
        self.lock().insert(id.clone(), ends);
        id
    }

    /// The other participant of a channel `me` is part of.
    pub(crate) fn peer(&self, channel: &str, me: &str) -> Result<String, String> {
        match self.lock().get(channel) {
            Some(ends) if ends.opener == me => Ok(ends.acceptor.clone()),
            Some(ends) if ends.acceptor == me => Ok(ends.opener.clone()),
            Some(_) => Err(format!("channel {channel} belongs to other actors")),
            None => Err(format!("no open channel {channel}")),
        }
    }

    pub(crate) fn close(&self, channel: &str) {
        self.lock().remove(channel);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Ends>> {
        self.channels.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_two_ends_reach_each_other_until_it_closes() {
        let table = ChannelTable::default();
        let id = table.open("a", "b");
        assert_eq!(table.peer(&id, "a").as_deref(), Ok("b"));
        assert_eq!(table.peer(&id, "b").as_deref(), Ok("a"));
        assert!(table.peer(&id, "c").unwrap_err().contains("other actors"));
        table.close(&id);
        assert!(table
            .peer(&id, "a")
            .unwrap_err()
            .contains("no open channel"));
    }
}

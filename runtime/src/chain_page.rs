//! `runtime.get-chain` and `supervisor.get-child-events` hand a guest part of a chain. Two
//! rules keep that bounded: the answer is a page — the chain's most recent events, at most
//! [`PAGE_EVENTS`] of them and at most [`PAGE_BYTES`] of payload — and the chain records
//! only a summary of the page (how many events, the first one's sequence number, the last
//! one's hash), not the page itself, so reading a chain never makes it grow by its own size.
//! A replay rebuilds the same page from the real chain and checks it against the summary.

use ciborium::value::Value;

use crate::chain::payload::{map, Fields};
use crate::chain::{ChainError, ChainReader, Event, EventFilter, Hash};

/// Most events one answer holds.
pub const PAGE_EVENTS: u64 = 256;
/// Most payload bytes one answer holds (the oldest events of a page are left out first).
pub const PAGE_BYTES: usize = 8 << 20;

/// What the chain records about an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSummary {
    pub events: u64,
    pub from: u64,
    pub head: Option<Hash>,
}

impl PageSummary {
    pub fn of(page: &[Event]) -> PageSummary {
        PageSummary {
            events: page.len() as u64,
            from: page.first().map_or(0, |e| e.seq),
            head: page.last().map(|e| e.hash),
        }
    }

    pub fn to_value(self) -> Value {
        map(vec![
            ("events", Value::Integer(self.events.into())),
            ("from", Value::Integer(self.from.into())),
            (
                "head",
                self.head.map_or(Value::Null, |h| Value::Bytes(h.to_vec())),
            ),
        ])
    }

    pub fn from_value(v: Value) -> Option<PageSummary> {
        let mut f = Fields::new(v).ok()?;
        let head: Option<Vec<u8>> = f.get("head").ok()?;
        Some(PageSummary {
            events: f.get("events").ok()?,
            from: f.get("from").ok()?,
            head: head.and_then(|h| h.try_into().ok()),
        })
    }
}

/// The tail of `events` (in chain order) that fits in a page.
pub fn last_page(events: &[Event]) -> &[Event] {
    let mut start = events.len().saturating_sub(PAGE_EVENTS as usize);
    let mut bytes: usize = events
        .get(start..)
        .unwrap_or_default()
        .iter()
        .map(|e| e.payload.len())
        .sum();
    while bytes > PAGE_BYTES {
        bytes -= events.get(start).map_or(0, |e| e.payload.len());
        start += 1;
    }
    events.get(start..).unwrap_or_default()
}

/// The last page of actor `id`'s chain, of its first `len` events, as stored now.
pub fn read_last_page(reader: &ChainReader, id: &str, len: u64) -> Result<Vec<Event>, ChainError> {
    let from = len.saturating_sub(PAGE_EVENTS);
    let events = reader.events(
        id,
        &EventFilter {
            from_seq: from,
            limit: Some(len - from),
            type_prefix: None,
        },
    )?;
    Ok(last_page(&events).to_vec())
}

/// The page a summary describes, read again from actor `id`'s stored chain (a replay's
/// answer), if the stored chain still holds exactly those events.
pub fn reread(reader: &ChainReader, id: &str, summary: PageSummary) -> Result<Vec<Event>, String> {
    let events = reader
        .events(
            id,
            &EventFilter {
                from_seq: summary.from,
                limit: Some(summary.events),
                type_prefix: None,
            },
        )
        .map_err(|e| e.to_string())?;
    if PageSummary::of(&events) == summary || (summary.events == 0 && events.is_empty()) {
        Ok(events)
    } else {
        Err(format!(
            "the stored chain of {id} no longer holds the events this answer was read from"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: u64, size: usize) -> Event {
        Event::new(seq, None, "t".into(), 0, vec![0; size])
    }

    #[test]
    fn a_page_keeps_the_newest_events_within_both_caps() {
        let many: Vec<Event> = (0..PAGE_EVENTS + 5).map(|i| event(i, 1)).collect();
        let page = last_page(&many);
        assert_eq!((page.len() as u64, page[0].seq), (PAGE_EVENTS, 5));
        let big: Vec<Event> = (0..4).map(|i| event(i, 3 << 20)).collect();
        let page = last_page(&big);
        assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2, 3]);
        assert!(last_page(&[]).is_empty());
    }

    #[test]
    fn the_summary_round_trips() {
        let events: Vec<Event> = (0..3).map(|i| event(i, 1)).collect();
        let s = PageSummary::of(&events[1..]);
        assert_eq!((s.events, s.from, s.head), (2, 1, Some(events[2].hash)));
        assert_eq!(PageSummary::from_value(s.to_value()), Some(s));
        let empty = PageSummary::of(&[]);
        assert_eq!(PageSummary::from_value(empty.to_value()), Some(empty));
    }
}

//! Events printed one at a time, as table rows or JSON lines: `theater events` (history)
//! and `theater subscribe` / `events --follow` (live streams) print alike.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use serde_json::Value;

use crate::table::Layout;

/// Longest detail column on a terminal before it is cut.
const DETAIL_WIDTH: usize = 100;
/// Column widths of event rows on a terminal: actor, seq, time, type.
const WIDTHS: [usize; 4] = [36, 5, 24, 40];

/// Prints events one at a time as rows (or JSON lines), for history and live streams.
pub struct EventPrinter {
    layout: Layout,
    json: bool,
    /// Whether rows start with the actor's id (streams of several actors).
    actor_column: bool,
    header_printed: AtomicBool,
}

impl EventPrinter {
    pub fn new(json: bool, actor_column: bool) -> EventPrinter {
        EventPrinter {
            layout: Layout::detect(),
            json,
            actor_column,
            header_printed: AtomicBool::new(false),
        }
    }

    /// Print one event as `event_json` shapes it (plus `actor` in streams).
    pub fn print(&self, event: &Value) {
        if self.json {
            println!("{event}");
            return;
        }
        let (widths, mut row, mut header) = if self.actor_column {
            (
                &WIDTHS[..],
                vec![event["actor"].as_str().unwrap_or("-").to_string()],
                vec!["ACTOR".to_string()],
            )
        } else {
            (&WIDTHS[1..], Vec::new(), Vec::new())
        };
        let time = event["timestamp_ms"]
            .as_u64()
            .map(|ms| {
                humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
            })
            .unwrap_or_default();
        row.extend([
            event["seq"].to_string(),
            time,
            event["type"].as_str().unwrap_or_default().to_string(),
            self.layout.fit(detail(event), DETAIL_WIDTH),
        ]);
        if self.layout == Layout::Aligned && !self.header_printed.swap(true, Ordering::Relaxed) {
            header.extend(["SEQ", "TIME (UTC)", "TYPE", "DETAIL"].map(String::from));
            self.layout.print_row(&header, widths);
        }
        self.layout.print_row(&row, widths);
    }
}

/// The DETAIL column: the decoded payload, then the state it names, decoded, when known.
fn detail(event: &Value) -> String {
    let view = event.get("view").unwrap_or(&Value::Null);
    match event.get("state") {
        Some(state) => format!("{view} state: {state}"),
        None => view.to_string(),
    }
}

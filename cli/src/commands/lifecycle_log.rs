//! The server's account of its actors' lives: one `info:` line on stderr whenever an actor
//! fails, is restarted, is resumed or interrupted, or a supervisor gives up on a child, so
//! whoever watches the server sees a tree falling apart without asking. Read from the
//! runtime's stream of appended events, so it says exactly what the chains record.

use serde_json::Value;
use theater_runtime::actor_label::ActorLabel;
use theater_runtime::chain::payload;
use theater_runtime::chain::ChainUpdate;
use theater_runtime::Theater;
use tokio::sync::broadcast::error::RecvError;

/// Print the lifecycle lines of every actor of `theater` until it is dropped.
pub fn spawn(theater: &Theater) {
    let mut updates = theater.subscribe();
    let theater = theater.clone();
    tokio::spawn(async move {
        loop {
            match updates.recv().await {
                Ok(update) => {
                    if let Some(line) = describe(&theater, &update) {
                        eprintln!("info: {line}");
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    eprintln!("warning: the lifecycle log fell behind; {missed} events were not looked at")
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
}

/// `[worker 1a2b3c4d] failed: trap …` for a lifecycle event; `None` for any other event.
fn describe(theater: &Theater, update: &ChainUpdate) -> Option<String> {
    let event = &update.event;
    let what = match event.event_type.as_str() {
        "lifecycle/failed" => "failed",
        "lifecycle/restarted" => "restarted",
        "lifecycle/resumed" => "resumed",
        "lifecycle/interrupted" => "interrupted",
        "supervision/gave-up" => "gave up",
        _ => return None,
    };
    let fields = payload::decode(&event.payload)
        .map(|v| payload::to_json(&v))
        .unwrap_or(Value::Null);
    let text = |key: &str| fields.get(key).and_then(Value::as_str).map(str::to_string);
    let name = theater
        .actor(&update.actor_id)
        .map(|a| a.manifest.name.clone())
        .unwrap_or_else(|_| "?".into());
    let label = ActorLabel {
        name: &name,
        id: &update.actor_id,
    };
    let child = text("child")
        .map(|c| format!(" on child {c}"))
        .unwrap_or_default();
    let reason = text("reason").map(|r| format!(": {r}")).unwrap_or_default();
    Some(format!("[{label}] {what}{child}{reason}"))
}

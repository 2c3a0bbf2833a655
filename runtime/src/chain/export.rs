//! Chain export and import as JSON Lines: one event a line, with every hashed field in a
//! form that reproduces the exact bytes (hex for hashes and payload), plus a decoded `view`
//! of the payload for people. The `view` is not hashed and is ignored on import.
//!
//! State is recorded by hash; so that an exported chain can be replayed on its own, the line
//! of each `init` call also carries the initial state's bytes (`state_bytes`), which a reader
//! checks against the recorded hash.

use std::collections::HashMap;
use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use super::{payload, ChainError, Event, Hash};

#[derive(Serialize, Deserialize)]
struct Line {
    seq: u64,
    #[serde(rename = "type")]
    event_type: String,
    timestamp_ms: u64,
    parent: Option<String>,
    hash: String,
    payload: String,
    #[serde(default)]
    state_bytes: Option<String>,
    #[serde(default, skip_deserializing)]
    view: serde_json::Value,
}

/// A chain read back from an export, with the state values it carried.
pub struct Exported {
    pub events: Vec<Event>,
    pub blobs: HashMap<Hash, Vec<u8>>,
}

/// The state hash passed to an `init` call, if the event is one.
fn init_state(event: &Event) -> Option<Hash> {
    if event.event_type != "wasm/call" {
        return None;
    }
    let mut fields = payload::Fields::new(payload::decode(&event.payload).ok()?).ok()?;
    if fields.get::<String>("export").ok()? != "init" {
        return None;
    }
    fields.get::<Option<Vec<u8>>>("state").ok()??.try_into().ok()
}

/// The JSON object of one event, as exported and as shown by `--json` outputs.
pub fn event_json(event: &Event) -> serde_json::Value {
    serde_json::json!({
        "seq": event.seq,
        "type": event.event_type,
        "timestamp_ms": event.timestamp_ms,
        "parent": event.parent.map(hex::encode),
        "hash": hex::encode(event.hash),
        "payload": hex::encode(&event.payload),
        "view": payload::bytes_to_json(&event.payload),
    })
}

/// Write events as JSON Lines; `blob` looks up stored state values by hash.
pub fn write_jsonl(events: &[Event], blob: impl Fn(&Hash) -> Option<Vec<u8>>, mut out: impl Write) -> std::io::Result<()> {
    for e in events {
        let mut line = event_json(e);
        if let Some(bytes) = init_state(e).and_then(|h| blob(&h)) {
            line["state_bytes"] = serde_json::Value::String(hex::encode(bytes));
        }
        serde_json::to_writer(&mut out, &line)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// Read events from JSON Lines; errors name the line.
pub fn read_jsonl(input: impl BufRead, origin: &str) -> Result<Exported, ChainError> {
    let mut events = Vec::new();
    let mut blobs = HashMap::new();
    for (i, line) in input.lines().enumerate() {
        let bad = |reason: String| ChainError::File { path: origin.to_string(), reason: format!("line {}: {reason}", i + 1) };
        let line = line.map_err(|e| bad(e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let l: Line = serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
        let hash = parse_hash(&l.hash).map_err(|e| bad(format!("hash: {e}")))?;
        let parent = l.parent.as_deref().map(parse_hash).transpose().map_err(|e| bad(format!("parent: {e}")))?;
        let payload = hex::decode(&l.payload).map_err(|e| bad(format!("payload: {e}")))?;
        let event = Event { seq: l.seq, parent, event_type: l.event_type, timestamp_ms: l.timestamp_ms, payload, hash };
        if let Some(text) = &l.state_bytes {
            let bytes = hex::decode(text).map_err(|e| bad(format!("state_bytes: {e}")))?;
            // Only a value that matches the hash the chain recorded is believed.
            if let Some(hash) = init_state(&event).filter(|h| *h == super::sha256(&bytes)) {
                blobs.insert(hash, bytes);
            }
        }
        events.push(event);
    }
    Ok(Exported { events, blobs })
}

fn parse_hash(s: &str) -> Result<Hash, String> {
    let bytes = hex::decode(s).map_err(|e| e.to_string())?;
    bytes.try_into().map_err(|_| "a hash is 32 bytes (64 hex digits)".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_then_import_is_identity() {
        let a = Event::new(0, None, "a".into(), 1, vec![0xa0]);
        let b = Event::new(1, Some(a.hash), "b".into(), 2, vec![]);
        let mut buf = Vec::new();
        write_jsonl(&[a.clone(), b.clone()], |_| None, &mut buf).unwrap();
        assert_eq!(String::from_utf8_lossy(&buf).lines().count(), 2);
        let back = read_jsonl(&buf[..], "x").unwrap();
        assert_eq!(back.events, vec![a, b]);
    }

    #[test]
    fn bad_line_is_named() {
        let e = read_jsonl(&b"\n{\"seq\":0}\n"[..], "f.jsonl").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("f.jsonl") && e.contains("line 2"), "{e}");
    }
}

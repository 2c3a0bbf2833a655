//! Chain export and import as JSON Lines: one event a line, with every hashed field in a
//! form that reproduces the exact bytes (hex for hashes and payload), plus a decoded `view`
//! of the payload for people. The `view` is not hashed and is ignored on import.

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
    #[serde(default, skip_deserializing)]
    view: serde_json::Value,
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

/// Write events as JSON Lines.
pub fn write_jsonl(events: &[Event], mut out: impl Write) -> std::io::Result<()> {
    for e in events {
        serde_json::to_writer(&mut out, &event_json(e))?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// Read events from JSON Lines; errors name the line.
pub fn read_jsonl(input: impl BufRead, origin: &str) -> Result<Vec<Event>, ChainError> {
    let mut events = Vec::new();
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
        events.push(Event { seq: l.seq, parent, event_type: l.event_type, timestamp_ms: l.timestamp_ms, payload, hash });
    }
    Ok(events)
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
        write_jsonl(&[a.clone(), b.clone()], &mut buf).unwrap();
        assert_eq!(String::from_utf8_lossy(&buf).lines().count(), 2);
        let back = read_jsonl(&buf[..], "x").unwrap();
        assert_eq!(back, vec![a, b]);
    }

    #[test]
    fn bad_line_is_named() {
        let e = read_jsonl(&b"\n{\"seq\":0}\n"[..], "f.jsonl").unwrap_err().to_string();
        assert!(e.contains("f.jsonl") && e.contains("line 2"), "{e}");
    }
}

//! Chain export and import as JSON Lines: an optional first line carrying the latest signed
//! head, then one event a line with every hashed field in a form that reproduces the exact
//! bytes (lowercase hex for hashes and payload), plus a decoded `view` of the payload for
//! people. The `view` is not hashed and is ignored on import. Lines are written and read
//! one at a time, so exporting or verifying a chain takes constant memory.
//!
//! State is recorded by hash; so that an exported chain can be replayed on its own, the line
//! of each `init` call also carries the initial state's bytes (`state_bytes`), which a reader
//! checks against the recorded hash.

use std::collections::HashMap;
use std::io::{BufRead, Write};

use serde_json::{json, Map, Value};

use super::signing::SignedHead;
use super::{payload, ChainError, ChainReader, Event, Hash};

/// A chain read back from an export, with the state values it carried.
pub struct Exported {
    pub events: Vec<Event>,
    pub blobs: HashMap<Hash, Vec<u8>>,
    pub head: Option<HeadLine>,
}

/// The signed head an export carries, with the actor it was signed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadLine {
    pub actor_id: String,
    pub head: SignedHead,
}

/// One line of an export.
pub enum Line {
    Head(HeadLine),
    /// An event, and the initial state it carries if it is an `init` call.
    Event(Event, Option<Vec<u8>>),
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
    fields
        .get::<Option<Vec<u8>>>("state")
        .ok()??
        .try_into()
        .ok()
}

/// The JSON object of one event, as exported and as shown by `--json` outputs.
pub fn event_json(event: &Event) -> Value {
    json!({
        "seq": event.seq,
        "type": event.event_type,
        "timestamp_ms": event.timestamp_ms,
        "parent": event.parent.map(hex::encode),
        "hash": hex::encode(event.hash),
        "payload": hex::encode(&event.payload),
        "view": payload::bytes_to_json(&event.payload),
    })
}

/// The JSON object of a signed head line.
pub fn head_json(line: &HeadLine) -> Value {
    let h = &line.head;
    json!({"signed_head": {
        "actor": line.actor_id,
        "seq": h.seq,
        "hash": hex::encode(h.hash),
        "public_key": hex::encode(h.public_key),
        "signature": hex::encode(h.signature),
        "signed_ms": h.signed_ms,
    }})
}

/// Writes an export line by line.
pub struct JsonlWriter<W: Write> {
    out: W,
}

impl<W: Write> JsonlWriter<W> {
    pub fn new(out: W) -> JsonlWriter<W> {
        JsonlWriter { out }
    }

    /// The signed head line; it must come first, so a streaming verifier knows it in time.
    pub fn head(&mut self, line: &HeadLine) -> std::io::Result<()> {
        self.line(&head_json(line))
    }

    /// One event; `blob` looks up stored state values by hash.
    pub fn event(
        &mut self,
        event: &Event,
        blob: impl Fn(&Hash) -> Option<Vec<u8>>,
    ) -> std::io::Result<()> {
        let mut line = event_json(event);
        if let Some(bytes) = init_state(event).and_then(|h| blob(&h)) {
            line["state_bytes"] = Value::String(hex::encode(bytes));
        }
        self.line(&line)
    }

    fn line(&mut self, value: &Value) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, value)?;
        self.out.write_all(b"\n")
    }

    pub fn finish(mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
}

/// Export actor `id` from the database: its latest signed head (if any), then every event,
/// one row at a time. Returns the number of events written.
pub fn export_actor(reader: &ChainReader, id: &str, out: impl Write) -> Result<u64, ExportError> {
    let actor_id = reader.actor(id)?.actor_id;
    let mut writer = JsonlWriter::new(out);
    if let Some(head) = reader.signed_head(&actor_id)? {
        writer.head(&HeadLine {
            actor_id: actor_id.clone(),
            head,
        })?;
    }
    let mut count = 0u64;
    reader.scan(&actor_id, 0, |event| -> Result<bool, ExportError> {
        writer.event(&event, |h| reader.blob(h).ok().flatten())?;
        count += 1;
        Ok(true)
    })?;
    writer.finish()?;
    Ok(count)
}

/// Read an export one line at a time; errors name the line. A signed head is accepted only
/// on the first line.
pub fn for_each_line<E>(
    input: impl BufRead,
    origin: &str,
    mut visit: impl FnMut(Line) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<ChainError>,
{
    for (i, line) in input.lines().enumerate() {
        let bad = |reason: String| ChainError::File {
            path: origin.to_string(),
            reason: format!("line {}: {reason}", i + 1),
        };
        let line = line.map_err(|e| bad(e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
        let Value::Object(object) = value else {
            return Err(bad("expected a JSON object".into()).into());
        };
        let parsed = match object.get("signed_head") {
            Some(head) if i == 0 => Line::Head(parse_head(head).map_err(bad)?),
            Some(_) => {
                return Err(bad("a signed head is only valid on the first line".into()).into())
            }
            None => parse_event(&object).map_err(bad)?,
        };
        visit(parsed)?;
    }
    Ok(())
}

/// Read a whole export (for replay, which needs every event at hand).
pub fn read_jsonl(input: impl BufRead, origin: &str) -> Result<Exported, ChainError> {
    let mut exported = Exported {
        events: Vec::new(),
        blobs: HashMap::new(),
        head: None,
    };
    for_each_line(input, origin, |line| -> Result<(), ChainError> {
        match line {
            Line::Head(head) => exported.head = Some(head),
            Line::Event(event, state) => {
                if let Some((hash, bytes)) = state.and_then(|b| init_state(&event).map(|h| (h, b)))
                {
                    exported.blobs.insert(hash, bytes);
                }
                exported.events.push(event);
            }
        }
        Ok(())
    })?;
    Ok(exported)
}

fn parse_event(object: &Map<String, Value>) -> Result<Line, String> {
    let parent = match required(object, "parent")? {
        Value::Null => None,
        other => Some(fixed_hex(other, "parent")?),
    };
    let event = Event {
        seq: number(object, "seq")?,
        parent,
        event_type: text(object, "type")?.to_string(),
        timestamp_ms: number(object, "timestamp_ms")?,
        payload: lower_hex(text(object, "payload")?, "payload")?,
        hash: fixed_hex(required(object, "hash")?, "hash")?,
    };
    let state = match object.get("state_bytes") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let bytes = lower_hex(
                v.as_str().ok_or("state_bytes: expected a string")?,
                "state_bytes",
            )?;
            // Only a value that matches the hash the chain recorded is believed.
            Some(bytes).filter(|b| init_state(&event) == Some(super::sha256(b)))
        }
    };
    Ok(Line::Event(event, state))
}

fn parse_head(value: &Value) -> Result<HeadLine, String> {
    let Value::Object(o) = value else {
        return Err("signed_head: expected an object".into());
    };
    Ok(HeadLine {
        actor_id: text(o, "actor")?.to_string(),
        head: SignedHead {
            seq: number(o, "seq")?,
            hash: fixed_hex(required(o, "hash")?, "hash")?,
            public_key: fixed_hex(required(o, "public_key")?, "public_key")?,
            signature: fixed_hex(required(o, "signature")?, "signature")?,
            signed_ms: number(o, "signed_ms")?,
        },
    })
}

fn required<'a>(object: &'a Map<String, Value>, key: &str) -> Result<&'a Value, String> {
    object
        .get(key)
        .ok_or_else(|| format!("missing key `{key}`"))
}

fn number(object: &Map<String, Value>, key: &str) -> Result<u64, String> {
    required(object, key)?
        .as_u64()
        .ok_or_else(|| format!("{key}: expected a non-negative integer"))
}

fn text<'a>(object: &'a Map<String, Value>, key: &str) -> Result<&'a str, String> {
    required(object, key)?
        .as_str()
        .ok_or_else(|| format!("{key}: expected a string"))
}

/// Hex as the format writes it: lowercase only, so every value has exactly one spelling.
fn lower_hex(s: &str, key: &str) -> Result<Vec<u8>, String> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(format!(
            "{key}: uppercase hex (the format is lowercase hex)"
        ));
    }
    hex::decode(s).map_err(|e| format!("{key}: {e}"))
}

fn fixed_hex<const N: usize>(value: &Value, key: &str) -> Result<[u8; N], String> {
    let bytes = lower_hex(
        value
            .as_str()
            .ok_or_else(|| format!("{key}: expected a string"))?,
        key,
    )?;
    bytes
        .try_into()
        .map_err(|_| format!("{key}: expected {N} bytes ({} hex digits)", N * 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn export(events: &[Event], head: Option<&HeadLine>) -> Vec<u8> {
        let mut w = JsonlWriter::new(Vec::new());
        if let Some(h) = head {
            w.head(h).unwrap();
        }
        for e in events {
            w.event(e, |_| None).unwrap();
        }
        w.out
    }

    #[test]
    fn export_then_import_is_identity() {
        let a = Event::new(0, None, "a".into(), 1, vec![0xa0]);
        let b = Event::new(1, Some(a.hash), "b".into(), 2, vec![]);
        let head = HeadLine {
            actor_id: "x".into(),
            head: SignedHead {
                seq: 1,
                hash: b.hash,
                public_key: [1; 32],
                signature: [2; 64],
                signed_ms: 3,
            },
        };
        let buf = export(&[a.clone(), b.clone()], Some(&head));
        assert_eq!(String::from_utf8_lossy(&buf).lines().count(), 3);
        let back = read_jsonl(&buf[..], "x").unwrap();
        assert_eq!(back.events, vec![a, b]);
        assert_eq!(back.head, Some(head));
    }

    #[test]
    fn bad_lines_are_named_and_non_canonical_ones_refused() {
        let e = read_jsonl(&b"\n{\"seq\":0}\n"[..], "f.jsonl")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("f.jsonl") && e.contains("line 2"), "{e}");
        let a = Event::new(0, None, "a".into(), 1, vec![0xab]);
        let line = String::from_utf8(export(&[a], None)).unwrap();
        let refused = |text: String, what: &str| {
            let e = read_jsonl(text.as_bytes(), "f")
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(e.contains(what), "{what}: {e}");
        };
        refused(line.replace("\"ab\"", "\"AB\""), "uppercase hex");
        refused(line.replace("\"parent\":null,", ""), "missing key `parent`");
        refused(
            format!("{line}{{\"signed_head\":{{}}}}\n"),
            "only valid on the first line",
        );
    }
}

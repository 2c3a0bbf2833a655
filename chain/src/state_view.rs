//! A state value as people read it. Chains name states by hash; wherever a hash is shown
//! (events, replay divergences, inspect), the state itself is shown beside it, decoded: its
//! JSON when it is JSON (what SDK actors keep), else its text, else `0x…` hex.

use crate::export::event_json;
use crate::{state_hash, ChainReader, Event};

/// `event_json(event)` plus `"state"`: the state its payload names by hash, decoded, when
/// the database holds it (calls and results name the actor's state; other events none).
pub fn event_json_with_state(event: &Event, reader: &ChainReader) -> serde_json::Value {
    let mut json = event_json(event);
    let state = state_hash(&event.payload).and_then(|hash| reader.blob(&hash).ok().flatten());
    if let (Some(bytes), Some(object)) = (state, json.as_object_mut()) {
        object.insert("state".into(), decoded_state(&bytes));
    }
    json
}

/// The state `bytes` as a JSON value for display.
pub fn decoded_state(bytes: &[u8]) -> serde_json::Value {
    if let Ok(json) = serde_json::from_slice(bytes) {
        return json;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::Value::String(text.to_string()),
        Err(_) => serde_json::Value::String(format!("0x{}", hex::encode(bytes))),
    }
}

#[cfg(test)]
mod tests {
    use super::decoded_state;
    use serde_json::json;

    #[test]
    fn json_text_and_bytes_each_read_as_themselves() {
        assert_eq!(decoded_state(br#"{"count":2}"#), json!({"count": 2}));
        assert_eq!(decoded_state(b"3\nhello"), json!("3\nhello"));
        assert_eq!(decoded_state(&[0xff, 0x00]), json!("0xff00"));
    }
}

//! The JSON shapes of the management API: request bodies and responses. The server
//! serialises them and the `theater` CLI deserialises them, so both sides share one
//! definition. docs/api.md and openapi.json describe the same shapes for other clients.
//!
//! Plain serde types, no runtime: a client of the API depends on this crate alone.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// Message or state bytes in JSON. In a request, give exactly one of `text` (the bytes are
/// its UTF-8 encoding) or `base64` (standard alphabet, padded). In a response, `base64` is
/// always there and `text` too when the bytes are valid UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bytes {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base64: Option<String>,
}

impl Bytes {
    /// The response form of `bytes`.
    pub fn of(bytes: &[u8]) -> Bytes {
        Bytes {
            text: std::str::from_utf8(bytes).ok().map(str::to_string),
            base64: Some(base64::engine::general_purpose::STANDARD.encode(bytes)),
        }
    }

    /// A request carrying `text` as its UTF-8 bytes.
    pub fn text(text: impl Into<String>) -> Bytes {
        Bytes {
            text: Some(text.into()),
            base64: None,
        }
    }

    /// The bytes meant: `base64` decoded, else `text` encoded. Both may be given (a response
    /// passed back as is) if they agree. An error says what is wrong.
    pub fn decode(&self) -> Result<Vec<u8>, String> {
        let decoded = self
            .base64
            .as_deref()
            .map(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .map_err(|e| format!("\"base64\" is not valid base64: {e}"))
            })
            .transpose()?;
        match (&self.text, decoded) {
            (Some(text), Some(bytes)) if text.as_bytes() != bytes => {
                Err("\"text\" and \"base64\" disagree; give one of them".into())
            }
            (_, Some(bytes)) => Ok(bytes),
            (Some(text), None) => Ok(text.clone().into_bytes()),
            (None, None) => {
                Err("give the bytes as {\"text\": \"...\"} or {\"base64\": \"...\"}".into())
            }
        }
    }
}

/// `POST /v1/actors`: start a top-level actor.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// Absolute path of the manifest on the server's machine; the server reads it and
    /// resolves the paths inside it against the manifest's directory.
    pub manifest: String,
    /// Overrides the manifest's `init_state`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_state: Option<Bytes>,
    /// A name for the actor, unique on the server; usable wherever the API takes an id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Absolute directory a manifest in the original Theater's format resolves a relative
    /// filesystem `path` against (`theater start` sends its own); default: the server's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
}

/// An actor as the server reports it (start, inspect, list, stop, restart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorView {
    pub id: String,
    pub name: String,
    /// Names it is addressed by on this server (`theater start --name`, `register-name`).
    #[serde(default)]
    pub names: Vec<String>,
    pub version: String,
    /// Where its manifest came from (the path the server read).
    pub manifest: String,
    /// `running`, `stopped` or `failed`.
    pub status: String,
    /// Why it failed, when it did.
    pub reason: Option<String>,
    pub parent: Option<String>,
    pub children: Vec<String>,
    /// Times it was restarted (by its supervisor or by request).
    pub restarts: u32,
    /// Events in its chain.
    pub events: u64,
    /// Hash of its last event (hex), the head of its chain.
    pub head: Option<String>,
    /// Start only: the note on a manifest in the original Theater's format (keys with no
    /// effect, entries kept wider than Theater's defaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The servers it listens with through `http-framework`, by server id (a test finds
    /// the port of an actor that asked for port 0 here).
    #[serde(default)]
    pub listening: Vec<ListeningServer>,
}

/// A server an actor listens with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListeningServer {
    /// The id `http-framework.create-server` gave the actor.
    pub server_id: u64,
    /// The local address, e.g. `127.0.0.1:41234`.
    pub address: String,
}

/// `GET /v1/actors`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActorList {
    pub actors: Vec<ActorView>,
}

/// One node of `GET /v1/tree`: an actor and its children.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeNode {
    pub id: String,
    pub name: String,
    pub status: String,
    pub reason: Option<String>,
    pub restarts: u32,
    pub children: Vec<TreeNode>,
}

/// `GET /v1/tree`: the top-level actors, each with its descendants.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tree {
    pub roots: Vec<TreeNode>,
}

/// `GET /v1/actors/{id}/events`: one page of events, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventPage {
    /// Each as `theater export` writes it: seq, type, timestamp_ms, parent, hash, payload
    /// (hex) and `view`, the decoded payload.
    pub events: Vec<serde_json::Value>,
    /// Pass as `from` for the next page; absent when this page is the last one.
    pub next_from: Option<u64>,
}

/// `GET /v1/actors/{id}/state`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StateView {
    /// The committed state, or null when the actor has none.
    pub state: Option<Bytes>,
}

/// `POST /v1/actors/{id}/request`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reply {
    pub reply: Bytes,
}

/// `POST /v1/actors/{id}/send`: the message was handled.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Handled {
    pub handled: bool,
}

/// `GET /v1/health`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub version: String,
    /// Actors this server knows (running or ended).
    pub actors: usize,
}

/// The `end` event of an event stream: the actor stopped or failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamEnd {
    pub actor: String,
    pub status: String,
    pub reason: Option<String>,
}

/// Every error response: `{"error": "..."}` with a 4xx or 5xx status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_text_and_binary() {
        assert_eq!(Bytes::of(b"inc").decode().unwrap(), b"inc");
        assert_eq!(Bytes::of(&[0xff, 0]).text, None);
        assert_eq!(Bytes::of(&[0xff, 0]).decode().unwrap(), vec![0xff, 0]);
        assert_eq!(Bytes::text("add 2").decode().unwrap(), b"add 2");
    }

    #[test]
    fn bytes_errors_say_what_to_send() {
        assert!(Bytes::default().decode().unwrap_err().contains("\"text\""));
        let both = Bytes {
            text: Some("a".into()),
            base64: Some("Yg==".into()),
        };
        assert!(both.decode().unwrap_err().contains("disagree"));
        let agreeing = Bytes::of(b"b");
        assert_eq!(
            agreeing.decode().unwrap(),
            b"b",
            "a response can be sent back as it is"
        );
        let bad = Bytes {
            text: None,
            base64: Some("!!".into()),
        };
        assert!(bad.decode().unwrap_err().contains("not valid base64"));
        assert!(
            serde_json::from_str::<Bytes>(r#"{"txt": "a"}"#).is_err(),
            "unknown fields are refused"
        );
    }
}

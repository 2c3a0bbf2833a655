//! Kitchen sink: every host interface the SDK wraps, each behind a request that answers
//! with JSON, plus every handler, so end-to-end tests can check the SDK against the runtime.
//!
//! Requests (externally tagged JSON, e.g. `{"env":{"name":"HOME"}}`) are the variants of
//! [`Ask`]. Sends, channel traffic and child notifications are recorded in the state,
//! which `{"state":{}}` returns.

use serde::{Deserialize, Serialize};
use theater_sdk::serde_json::{json, Value};
use theater_sdk::store::Store;
use theater_sdk::{
    actor, environment, filesystem, http, log, messages, random, runtime, supervisor, timing,
    ChannelAccept, ChildError, Raw, Reply,
};

#[derive(Serialize, Deserialize)]
pub struct Kitchen {
    id: String,
    received: Vec<Value>,
    channels: Vec<String>,
    channel_messages: Vec<Value>,
    children: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ask {
    /// Bytes, a range, a float and a UUID from `random`.
    Random {},
    /// `timing::now`.
    Now {},
    /// `timing::sleep`, with the clock before and after.
    Sleep {
        ms: u64,
    },
    /// One variable and the whole allowed environment.
    Env {
        name: String,
    },
    /// A store created, written (JSON and raw), labelled and read back.
    StoreRoundtrip {},
    /// A file written under a new directory, listed, read, measured and deleted.
    FsRoundtrip {},
    /// `http::get`: the status, a header and the body as text.
    HttpGet {
        url: String,
    },
    /// Panics (the panic reaches the log, then the call traps).
    Panic {},
    /// Fails with this error.
    Fail {
        error: String,
    },
    /// Writes a log line.
    Log {
        line: String,
    },
    /// The number of events in the actor's own chain.
    Chain {},
    Send {
        to: String,
        msg: Value,
    },
    Request {
        to: String,
        msg: Value,
    },
    /// Opens a channel, sends `msg` on it and closes it.
    Channel {
        to: String,
        msg: Value,
    },
    Spawn {
        manifest: String,
        init: Option<Value>,
    },
    Children {},
    StopChild {
        id: String,
    },
    RestartChild {
        id: String,
    },
    ChildState {
        id: String,
    },
    /// Defers the reply until an `answer`.
    Defer {},
    /// Answers every deferred request with `value`.
    Answer {
        value: Value,
    },
    Shutdown {},
    State {},
}

#[actor]
impl Kitchen {
    fn init(id: String) -> Self {
        log(format!("kitchen {id} ready"));
        Kitchen {
            id,
            received: vec![],
            channels: vec![],
            channel_messages: vec![],
            children: vec![],
        }
    }

    fn handle_request(&mut self, ask: Ask) -> Result<Reply<Value>, String> {
        let reply = match ask {
            Ask::Random {} => json!({
                "bytes": random::random_bytes(8)?,
                "range": random::random_range(10, 20)?,
                "float": random::random_float()?,
                "uuid": random::generate_uuid()?,
            }),
            Ask::Now {} => json!({ "now": timing::now() }),
            Ask::Sleep { ms } => {
                let before = timing::now();
                timing::sleep(ms)?;
                json!({ "before": before, "after": timing::now() })
            }
            Ask::Env { name } => json!({
                "value": environment::get_var(&name),
                "exists": environment::exists(&name),
                "vars": environment::list_vars(),
            }),
            Ask::StoreRoundtrip {} => store_roundtrip()?,
            Ask::FsRoundtrip {} => fs_roundtrip()?,
            Ask::HttpGet { url } => {
                let response = http::get(&url)?;
                json!({
                    "status": response.status,
                    "x_test": response.header("x-test"),
                    "body": response.text()?,
                })
            }
            Ask::Panic {} => panic!("kitchen panic requested"),
            Ask::Fail { error } => return Err(error),
            Ask::Log { line } => {
                log(&line);
                json!({ "logged": line })
            }
            Ask::Chain {} => json!({ "events": runtime::get_chain().events.len() }),
            Ask::Send { to, msg } => {
                messages::send(&to, &msg)?;
                json!({ "sent": true })
            }
            Ask::Request { to, msg } => json!({ "reply": messages::request::<Value>(&to, &msg)? }),
            Ask::Channel { to, msg } => {
                let channel_id = messages::open_channel(&to, &msg)?;
                messages::send_on_channel(&channel_id, &msg)?;
                messages::close_channel(&channel_id)?;
                json!({ "channel": channel_id })
            }
            Ask::Spawn { manifest, init } => {
                let child = match init {
                    Some(init) => supervisor::spawn_with(&manifest, &init)?,
                    None => supervisor::spawn(&manifest)?,
                };
                self.children.push(child.clone());
                json!({ "child": child })
            }
            Ask::Children {} => json!({ "children": supervisor::list_children() }),
            Ask::StopChild { id } => json!({ "stopped": supervisor::stop_child(&id).is_ok() }),
            Ask::RestartChild { id } => {
                json!({ "restarted": supervisor::restart_child(&id).is_ok() })
            }
            Ask::ChildState { id } => {
                json!({ "state": supervisor::get_child_state::<Value>(&id)? })
            }
            Ask::Defer {} => return Ok(Reply::Deferred),
            Ask::Answer { value } => {
                let pending = messages::list_outstanding_requests();
                for request_id in &pending {
                    messages::respond_to_request(request_id, &value)?;
                }
                json!({ "answered": pending.len() })
            }
            Ask::Shutdown {} => {
                runtime::shutdown()?;
                json!({ "shutting_down": true })
            }
            Ask::State {} => {
                theater_sdk::serde_json::to_value(&*self).map_err(|e| e.to_string())?
            }
        };
        Ok(Reply::Now(reply))
    }

    fn handle_send(&mut self, msg: Value) {
        log(format!("kitchen received {msg}"));
        self.received.push(msg);
    }

    fn handle_channel_open(
        &mut self,
        channel_id: String,
        msg: Value,
    ) -> Result<ChannelAccept, String> {
        self.channels.push(channel_id);
        self.channel_messages.push(msg);
        ChannelAccept::accept().with_message(&"welcome")
    }

    fn handle_channel_message(&mut self, _channel_id: String, msg: Value) {
        self.channel_messages.push(msg);
    }

    fn handle_channel_close(&mut self, channel_id: String) {
        self.channels.retain(|c| *c != channel_id);
    }

    fn handle_child_error(&mut self, child_id: String, error: ChildError) {
        let detail = error
            .data
            .map(|d| String::from_utf8_lossy(&d).into_owned())
            .unwrap_or_default();
        log(format!(
            "child {child_id} failed: {:?} {detail}",
            error.kind
        ));
    }

    fn handle_child_exit(&mut self, child_id: String, result: Option<Raw>) {
        log(format!(
            "child {child_id} exited ({} result bytes)",
            result.map_or(0, |r| r.0.len())
        ));
        self.children.retain(|c| *c != child_id);
    }
}

/// Every store call once: JSON content by label, raw bytes by address.
fn store_roundtrip() -> Result<Value, String> {
    let store = Store::new()?;
    let greeting = store.store_at_label("greeting", &"hello")?;
    let text: String = store.get(&greeting)?;
    let raw = store.store(&Raw(vec![1, 2, 3]))?;
    let bytes: Raw = store.get(&raw)?;
    store.label("raw", &raw)?;
    let replaced = store.replace_content_at_label("greeting", &"hello again")?;
    store.replace_at_label("raw", &raw)?;
    store.remove_from_label("raw", &raw)?;
    store.remove_label("raw")?;
    Ok(json!({
        "store": store.id(),
        "text": text,
        "bytes": bytes.0,
        "exists": store.exists(&greeting)?,
        "by_label": store.get_by_label("greeting")?.map(|r| r.hash),
        "replaced": replaced.hash,
        "labels": store.list_labels()?,
        "content": store.list_all_content()?.len(),
        "size": store.calculate_total_size()?,
    }))
}

/// Every filesystem call once, leaving the root as it was.
fn fs_roundtrip() -> Result<Value, String> {
    filesystem::create_dir("kitchen")?;
    filesystem::write_file("kitchen/note.txt", "hello file")?;
    let listed = filesystem::list_files("kitchen")?;
    let text =
        String::from_utf8(filesystem::read_file("kitchen/note.txt")?).map_err(|e| e.to_string())?;
    let metadata = filesystem::metadata("kitchen/note.txt")?;
    filesystem::delete_file("kitchen/note.txt")?;
    let exists_after = filesystem::path_exists("kitchen/note.txt")?;
    filesystem::delete_dir("kitchen")?;
    Ok(json!({
        "listed": listed,
        "text": text,
        "metadata": metadata,
        "exists_after": exists_after,
        "root": filesystem::list_files("")?,
    }))
}

#[cfg(test)]
mod tests;

//! A counter written directly against the theater:simple WIT with wit-bindgen (no SDK).
//! State: the count as decimal text. send `inc` or `add N`; request `get` replies the
//! count, `chain` replies how many events get-chain returned, `stop` asks to shut down.

wit_bindgen::generate!({ path: "../../../wit", world: "theater:simple/message-server-actor" });

use exports::theater::simple::actor::Guest as Actor;
use exports::theater::simple::message_server_client::{ChannelAccept, Guest as MessageServer};
use theater::simple::runtime::{get_chain, log, shutdown};

struct Counter;

/// What `inc` adds. The `step-two` feature builds the "one line changed" variant the replay
/// tests compare against.
const STEP: u64 = if cfg!(feature = "step-two") { 2 } else { 1 };

type State = Option<Vec<u8>>;

fn count(state: &State) -> u64 {
    state.as_deref().and_then(|b| std::str::from_utf8(b).ok()).and_then(|s| s.trim().parse().ok()).unwrap_or(0)
}

fn save(n: u64) -> State {
    Some(n.to_string().into_bytes())
}

impl Actor for Counter {
    fn init(state: State, (id,): (String,)) -> Result<(State,), String> {
        std::panic::set_hook(Box::new(|info| log(&format!("panic: {info}"))));
        log(&format!("counter {id} starting at {}", count(&state)));
        Ok((save(count(&state)),))
    }
}

impl MessageServer for Counter {
    fn handle_send(state: State, (msg,): (Vec<u8>,)) -> Result<(State,), String> {
        let msg = String::from_utf8_lossy(&msg);
        let n = count(&state);
        match msg.split_once(' ') {
            None if msg == "inc" => Ok((save(n + STEP),)),
            Some(("add", k)) => k.parse::<u64>().map(|k| (save(n + k),)).map_err(|e| format!("bad number {k:?}: {e}")),
            _ => Err(format!("unknown message {msg:?}; send `inc` or `add N`")),
        }
    }

    fn handle_request(state: State, (_id, msg): (String, Vec<u8>)) -> Result<(State, (Option<Vec<u8>>,)), String> {
        let reply = match msg.as_slice() {
            b"get" => count(&state).to_string(),
            b"chain" => get_chain().events.len().to_string(),
            b"stop" => {
                shutdown(None)?;
                "bye".to_string()
            }
            other => return Err(format!("unknown request {:?}", String::from_utf8_lossy(other))),
        };
        log(&format!("request {} -> {reply}", String::from_utf8_lossy(&msg)));
        Ok((state, (Some(reply.into_bytes()),)))
    }

    fn handle_channel_open(state: State, _: (String, Vec<u8>)) -> Result<(State, (ChannelAccept,)), String> {
        Ok((state, (ChannelAccept { accepted: false, message: None },)))
    }

    fn handle_channel_message(state: State, _: (String, Vec<u8>)) -> Result<(State,), String> {
        Ok((state,))
    }

    fn handle_channel_close(state: State, _: (String,)) -> Result<(State,), String> {
        Ok((state,))
    }
}

export!(Counter);

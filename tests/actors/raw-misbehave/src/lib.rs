//! An actor that misbehaves on request, to show the host contains it. Requests: `loop`
//! (never returns), `alloc N` (allocates N MiB), `panic` (panics), `err` (returns an error),
//! `spam N SIZE` (logs N lines of SIZE bytes as fast as it can), anything else is echoed. A send of `count` bumps a counter kept in the state, so tests
//! can see the committed state survive a failed call.

wit_bindgen::generate!({ path: "../../../wit", world: "theater:simple/message-server-actor" });

use exports::theater::simple::actor::Guest as Actor;
use exports::theater::simple::message_server_client::{ChannelAccept, Guest as MessageServer};
use theater::simple::runtime::log;

struct Misbehave;

type State = Option<Vec<u8>>;

impl Actor for Misbehave {
    fn init(state: State, _: (String,)) -> Result<(State,), String> {
        std::panic::set_hook(Box::new(|info| log(&format!("panic: {info}"))));
        Ok((state.or_else(|| Some(vec![0])),))
    }
}

impl MessageServer for Misbehave {
    fn handle_send(state: State, (msg,): (Vec<u8>,)) -> Result<(State,), String> {
        let mut s = state.unwrap_or_default();
        if msg == b"count" {
            s.push(1);
        }
        Ok((Some(s),))
    }

    fn handle_request(state: State, (_id, msg): (String, Vec<u8>)) -> Result<(State, (Option<Vec<u8>>,)), String> {
        let text = String::from_utf8_lossy(&msg).to_string();
        match text.split_once(' ').unwrap_or((text.as_str(), "")) {
            ("loop", _) => {
                let mut i = 0u64;
                loop {
                    i = std::hint::black_box(i.wrapping_add(1));
                }
            }
            ("alloc", mb) => {
                let mb: usize = mb.parse().map_err(|_| "alloc needs a size in MiB".to_string())?;
                let block = vec![1u8; mb << 20];
                let sum: u64 = block.iter().step_by(4096).map(|b| *b as u64).sum();
                Ok((state, (Some(sum.to_string().into_bytes()),)))
            }
            ("spam", args) => {
                let (n, size) = args.split_once(' ').unwrap_or((args, "0"));
                let n: u64 = n.parse().map_err(|_| "spam needs a count".to_string())?;
                let line = "x".repeat(size.parse().map_err(|_| "spam needs a line size".to_string())?);
                (0..n).for_each(|_| log(&line));
                Ok((state, (Some(n.to_string().into_bytes()),)))
            }
            ("panic", _) => panic!("deliberate panic for the test"),
            ("err", _) => Err("refused on purpose".to_string()),
            ("len", _) => Ok((state.clone(), (Some(state.map_or(0, |s| s.len()).to_string().into_bytes()),))),
            _ => Ok((state, (Some(msg),))),
        }
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

export!(Misbehave);

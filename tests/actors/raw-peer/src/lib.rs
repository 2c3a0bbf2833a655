//! A peer for messaging and supervision tests, written directly with wit-bindgen. Requests
//! are words separated by spaces; the reply is text. State is the count on the first line
//! and a log of what the actor received on the following lines.
//!
//! Messaging: `ping N` → `pong N`; `ask ID MSG…` requests ID and replies its answer (or
//! `error: …`); `pingpong ID N` does N ping requests to ID and replies `ok N`; `send ID MSG`;
//! `flood ID N` sends N messages and replies how many were refused and the first error;
//! `defer` leaves its reply for later; `outstanding`; `respond REQ TEXT`; `open ID MSG`;
//! `chsend CH MSG`; `chclose CH`; `log`; `spin` never returns; `fail` panics; `exit` shuts
//! down. Supervision: `spawn MANIFEST`, `children`, `stop-child ID`, `restart-child ID`,
//! `child-state ID`, `child-events ID`. Names: `register NAME`, `lookup NAME` (the id or
//! `none`); `sender`: who sent it (`none` from outside). Sends: `inc` bumps the count;
//! anything else is logged.

wit_bindgen::generate!({
    path: "../../../wit",
    inline: "
        package fixture:peer;
        world peer {
            import theater:simple/runtime;
            import theater:simple/message-server-host;
            import theater:simple/supervisor;
            export theater:simple/actor;
            export theater:simple/message-server-client;
            export theater:simple/supervisor-handlers;
        }
    ",
    world: "fixture:peer/peer",
    generate_all,
});

use exports::theater::simple::actor::Guest as Actor;
use exports::theater::simple::message_server_client::{ChannelAccept, Guest as MessageServer};
use exports::theater::simple::supervisor_handlers::{Guest as SupervisorHandlers, WitActorError};
use theater::simple::message_server_host as msg;
use theater::simple::runtime::{log, shutdown};
use theater::simple::supervisor as sup;

struct Peer;

type State = Option<Vec<u8>>;

/// The decoded state: a count and a log.
struct Book {
    count: u64,
    lines: Vec<String>,
}

impl Book {
    fn load(state: &State) -> Book {
        let text = state.as_deref().map(String::from_utf8_lossy).unwrap_or_default().to_string();
        let mut lines = text.lines().map(str::to_string);
        let count = lines.next().and_then(|l| l.parse().ok()).unwrap_or(0);
        Book { count, lines: lines.collect() }
    }

    fn save(&self) -> State {
        let mut text = self.count.to_string();
        for l in &self.lines {
            text.push('\n');
            text.push_str(l);
        }
        Some(text.into_bytes())
    }

    fn note(state: State, line: String) -> State {
        let mut book = Book::load(&state);
        book.lines.push(line);
        book.save()
    }
}

fn outcome<T>(r: Result<T, String>, ok: impl FnOnce(T) -> String) -> String {
    match r {
        Ok(v) => ok(v),
        Err(e) => format!("error: {e}"),
    }
}

impl Actor for Peer {
    fn init(state: State, _: (String,)) -> Result<(State,), String> {
        std::panic::set_hook(Box::new(|info| log(&format!("panic: {info}"))));
        Ok((Some(Book::load(&state).save().unwrap_or_default()),))
    }
}

impl MessageServer for Peer {
    fn handle_send(state: State, (m,): (Vec<u8>,)) -> Result<(State,), String> {
        if m == b"inc" {
            let mut book = Book::load(&state);
            book.count += 1;
            return Ok((book.save(),));
        }
        Ok((Book::note(state, format!("send {}", String::from_utf8_lossy(&m))),))
    }

    fn handle_request(state: State, (_id, m): (String, Vec<u8>)) -> Result<(State, (Option<Vec<u8>>,)), String> {
        let text = String::from_utf8_lossy(&m).to_string();
        let words: Vec<&str> = text.split(' ').collect();
        let rest = |n: usize| words.get(n..).map(|w| w.join(" ")).unwrap_or_default();
        let arg = |n: usize| words.get(n).copied().unwrap_or("").to_string();
        let reply = match words[0] {
            "ping" => format!("pong {}", arg(1)),
            "get" => Book::load(&state).count.to_string(),
            "log" => Book::load(&state).lines.join("|"),
            "ask" => outcome(msg::request(&arg(1), rest(2).as_bytes()), |r| String::from_utf8_lossy(&r).to_string()),
            "pingpong" => {
                let n: u64 = arg(2).parse().map_err(|_| "pingpong needs a count".to_string())?;
                for i in 0..n {
                    let answer = msg::request(&arg(1), format!("ping {i}").as_bytes())?;
                    if answer != format!("pong {i}").into_bytes() {
                        return Err(format!("wrong answer to ping {i}: {}", String::from_utf8_lossy(&answer)));
                    }
                }
                format!("ok {n}")
            }
            "send" => outcome(msg::send(&arg(1), rest(2).as_bytes()), |()| "sent".into()),
            "flood" => {
                let n: u32 = arg(2).parse().map_err(|_| "flood needs a count".to_string())?;
                let errors: Vec<String> = (0..n).filter_map(|i| msg::send(&arg(1), format!("flood {i}").as_bytes()).err()).collect();
                format!("refused {} first {}", errors.len(), errors.first().cloned().unwrap_or_default())
            }
            "defer" => return Ok((state, (None,))),
            "outstanding" => msg::list_outstanding_requests().join(","),
            "respond" => outcome(msg::respond_to_request(&arg(1), rest(2).as_bytes()), |()| "responded".into()),
            "cancel" => outcome(msg::cancel_request(&arg(1)), |()| "cancelled".into()),
            "open" => outcome(msg::open_channel(&arg(1), rest(2).as_bytes()), |ch| ch),
            "chsend" => outcome(msg::send_on_channel(&arg(1), rest(2).as_bytes()), |()| "sent".into()),
            "chclose" => outcome(msg::close_channel(&arg(1)), |()| "closed".into()),
            "spin" => {
                let mut i = 0u64;
                loop {
                    i = std::hint::black_box(i.wrapping_add(1));
                }
            }
            "fail" => panic!("asked to fail"),
            "exit" => {
                shutdown(None)?;
                "exiting".into()
            }
            "register" => outcome(msg::register_name(&arg(1)), |()| "registered".into()),
            "lookup" => msg::lookup_name(&arg(1)).unwrap_or_else(|| "none".into()),
            "sender" => msg::current_sender().unwrap_or_else(|| "none".into()),
            "spawn" => outcome(sup::spawn(&rest(1), None), |id| id),
            "children" => sup::list_children().join(","),
            "stop-child" => outcome(sup::stop_child(&arg(1)), |()| "stopped".into()),
            "restart-child" => outcome(sup::restart_child(&arg(1)), |()| "restarted".into()),
            "child-state" => outcome(sup::get_child_state(&arg(1)), |s| s.map(|b| String::from_utf8_lossy(&b).to_string()).unwrap_or_default()),
            "child-events" => outcome(sup::get_child_events(&arg(1)), |e| e.len().to_string()),
            other => return Err(format!("unknown request {other:?}")),
        };
        Ok((state, (Some(reply.into_bytes()),)))
    }

    fn handle_channel_open(state: State, (channel, m): (String, Vec<u8>)) -> Result<(State, (ChannelAccept,)), String> {
        let accepted = m != b"reject";
        let state = Book::note(state, format!("open {channel} {}", String::from_utf8_lossy(&m)));
        Ok((state, (ChannelAccept { accepted, message: accepted.then(|| b"welcome".to_vec()) },)))
    }

    fn handle_channel_message(state: State, (channel, m): (String, Vec<u8>)) -> Result<(State,), String> {
        Ok((Book::note(state, format!("chmsg {channel} {}", String::from_utf8_lossy(&m))),))
    }

    fn handle_channel_close(state: State, (channel,): (String,)) -> Result<(State,), String> {
        Ok((Book::note(state, format!("closed {channel}")),))
    }
}

impl SupervisorHandlers for Peer {
    fn handle_child_error(state: State, (child, error): (String, WitActorError)) -> Result<(State,), String> {
        let why = error.data.map(|d| String::from_utf8_lossy(&d).to_string()).unwrap_or_default();
        log(&format!("child {child} failed: {why}"));
        Ok((Book::note(state, format!("child-error {child}")),))
    }

    fn handle_child_exit(state: State, (child, _): (String, Option<Vec<u8>>)) -> Result<(State,), String> {
        Ok((Book::note(state, format!("child-exit {child}")),))
    }

    fn handle_child_external_stop(state: State, (child,): (String,)) -> Result<(State,), String> {
        Ok((Book::note(state, format!("child-stopped {child}")),))
    }
}

export!(Peer);

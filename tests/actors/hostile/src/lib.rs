//! A hostile actor for the sandbox tests, written directly with wit-bindgen: it does, on
//! request, what an attacker would try against the host through `runtime` and `supervisor`.
//! Requests are words separated by spaces; the reply is text (`error: …` for a refusal).
//!
//! `spawn SPEC…` spawns a child from a manifest path or inline TOML (the rest of the line);
//! `spawn-loop N SPEC…` spawns up to N children and replies `spawned K` plus the first
//! refusal; `log N BYTES` logs N lines of BYTES bytes each; `get-chain N` calls `get-chain`
//! N times and replies how many events the last answer held; `child-events ID N` does the
//! same with `get-child-events`; `children`; `stop-child ID`; `notes` (what the supervisor
//! callbacks saw); `fail` traps. A child's failure makes it stop every *other* child from
//! inside `handle-child-error` (the callback that stops a sibling). Started with the
//! initial state `shutdown-in-init`, it calls `shutdown` inside `init`.

wit_bindgen::generate!({
    path: "../../../wit",
    inline: "
        package fixture:hostile;
        world hostile {
            import theater:simple/runtime;
            import theater:simple/supervisor;
            export theater:simple/actor;
            export theater:simple/message-server-client;
            export theater:simple/supervisor-handlers;
        }
    ",
    world: "fixture:hostile/hostile",
    generate_all,
});

use exports::theater::simple::actor::Guest as Actor;
use exports::theater::simple::message_server_client::{ChannelAccept, Guest as MessageServer};
use exports::theater::simple::supervisor_handlers::{Guest as SupervisorHandlers, WitActorError};
use theater::simple::runtime::{get_chain, log, shutdown};
use theater::simple::supervisor as sup;

struct Hostile;

type State = Option<Vec<u8>>;

/// Append a line to the notes kept in the state.
fn note(state: State, line: &str) -> State {
    let mut notes = state.unwrap_or_default();
    if !notes.is_empty() {
        notes.push(b'\n');
    }
    notes.extend_from_slice(line.as_bytes());
    Some(notes)
}

fn number(word: Option<&&str>) -> Result<usize, String> {
    word.and_then(|w| w.parse().ok()).ok_or_else(|| "expected a number".to_string())
}

fn outcome(r: Result<String, String>) -> String {
    r.unwrap_or_else(|e| format!("error: {e}"))
}

fn spawn_loop(n: usize, spec: &str) -> String {
    for spawned in 0..n {
        if let Err(e) = sup::spawn(spec, None) {
            return format!("spawned {spawned}; error: {e}");
        }
    }
    format!("spawned {n}")
}

fn command(text: &str) -> Result<String, String> {
    let words: Vec<&str> = text.split(' ').collect();
    let rest = |n: usize| words.get(n..).map(|w| w.join(" ")).unwrap_or_default();
    match words.first().copied().unwrap_or_default() {
        "spawn" => Ok(outcome(sup::spawn(&rest(1), None))),
        "spawn-loop" => Ok(spawn_loop(number(words.get(1))?, &rest(2))),
        "log" => {
            let line = "x".repeat(number(words.get(2))?);
            for _ in 0..number(words.get(1))? {
                log(&line);
            }
            Ok("logged".into())
        }
        "get-chain" => {
            let mut last = 0;
            for _ in 0..number(words.get(1))? {
                last = get_chain().events.len();
            }
            Ok(last.to_string())
        }
        "child-events" => {
            let mut last = Ok(0);
            for _ in 0..number(words.get(2))? {
                last = sup::get_child_events(words.get(1).copied().unwrap_or_default()).map(|e| e.len());
            }
            Ok(outcome(last.map(|n| n.to_string())))
        }
        "children" => Ok(sup::list_children().join(",")),
        "stop-child" => Ok(outcome(sup::stop_child(&rest(1)).map(|()| "stopped".into()))),
        "fail" => panic!("asked to fail"),
        other => Err(format!("unknown command {other:?}")),
    }
}

impl Actor for Hostile {
    fn init(state: State, _: (String,)) -> Result<(State,), String> {
        std::panic::set_hook(Box::new(|info| log(&format!("panic: {info}"))));
        if state.as_deref() == Some(b"shutdown-in-init") {
            shutdown(Some(b"bye from init"))?;
        }
        Ok((state,))
    }
}

impl MessageServer for Hostile {
    fn handle_send(state: State, _: (Vec<u8>,)) -> Result<(State,), String> {
        Ok((state,))
    }

    fn handle_request(state: State, (_id, m): (String, Vec<u8>)) -> Result<(State, (Option<Vec<u8>>,)), String> {
        let text = String::from_utf8_lossy(&m).to_string();
        if text == "notes" {
            let notes = state.clone().unwrap_or_default();
            return Ok((state, (Some(notes),)));
        }
        let reply = outcome(command(&text));
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

impl SupervisorHandlers for Hostile {
    fn handle_child_error(state: State, (child, _): (String, WitActorError)) -> Result<(State,), String> {
        let mut state = note(state, &format!("child-error {child}"));
        for sibling in sup::list_children().into_iter().filter(|c| *c != child) {
            let stopped = sup::stop_child(&sibling).is_ok();
            state = note(state, &format!("stopped-sibling {sibling} {stopped}"));
        }
        Ok((state,))
    }

    fn handle_child_exit(state: State, (child, _): (String, Option<Vec<u8>>)) -> Result<(State,), String> {
        Ok((note(state, &format!("child-exit {child}")),))
    }

    fn handle_child_external_stop(state: State, (child,): (String,)) -> Result<(State,), String> {
        Ok((note(state, &format!("child-stopped {child}")),))
    }
}

export!(Hostile);

//! A timer-driven actor, written directly against the WIT with wit-bindgen (no SDK).
//!
//! Requests: `start N MS` sets an interval of MS ms delivering `tick`, and after the Nth
//! tick the actor cancels it and shuts itself down; `timeout MS` and `interval MS` set a
//! timer delivering `noop`; `cancel ID`; `count` (ticks so far). Each replies `ok VALUE` or
//! `err MESSAGE` (the host's refusal). Sends: `tick` counts; `noop` works for a moment (a
//! slow actor, to fill its mailbox). The state is `count target timer` as text.

wit_bindgen::generate!({
    path: "../../../wit",
    inline: "
        package fixture:timers;
        world timers-actor {
            import theater:simple/runtime;
            import theater:simple/timers;
            export theater:simple/actor;
            export theater:simple/message-server-client;
        }
    ",
    world: "fixture:timers/timers-actor",
    generate_all,
});

use exports::theater::simple::actor::Guest as Actor;
use exports::theater::simple::message_server_client::{ChannelAccept, Guest as MessageServer};
use theater::simple::runtime::{log, shutdown};
use theater::simple::timers;

struct Ticker;

type State = Option<Vec<u8>>;

/// Ticks counted, ticks wanted (0: no target), and the interval timer's id.
#[derive(Default, Clone, Copy)]
struct Counts {
    count: u64,
    target: u64,
    timer: u64,
}

impl Counts {
    fn of(state: &State) -> Counts {
        let text = state.as_deref().and_then(|s| std::str::from_utf8(s).ok()).unwrap_or("");
        let mut n = text.split(' ').map(|v| v.parse().unwrap_or(0));
        Counts {
            count: n.next().unwrap_or(0),
            target: n.next().unwrap_or(0),
            timer: n.next().unwrap_or(0),
        }
    }

    fn state(self) -> State {
        Some(format!("{} {} {}", self.count, self.target, self.timer).into_bytes())
    }
}

fn number(arg: Option<&str>) -> Result<u64, String> {
    arg.and_then(|a| a.parse().ok()).ok_or_else(|| "missing number".to_string())
}

fn run(counts: &mut Counts, line: &str) -> Result<String, String> {
    let mut words = line.split(' ');
    match words.next().unwrap_or("") {
        "start" => {
            let target = number(words.next())?;
            let every = number(words.next())?;
            let id = timers::set_interval(every, b"tick")?;
            *counts = Counts { count: 0, target, timer: id };
            Ok(id.to_string())
        }
        "timeout" => timers::set_timeout(number(words.next())?, b"noop").map(|id| id.to_string()),
        "interval" => timers::set_interval(number(words.next())?, b"noop").map(|id| id.to_string()),
        "cancel" => timers::cancel(number(words.next())?).map(|()| "cancelled".into()),
        "count" => Ok(counts.count.to_string()),
        other => Err(format!("unknown command {other:?}")),
    }
}

/// A moment of work, so a fast interval fills the mailbox.
fn busy() -> u64 {
    (0..2_000_000u64).fold(0u64, |acc, i| acc.wrapping_mul(31).wrapping_add(i))
}

impl Actor for Ticker {
    fn init(state: State, _: (String,)) -> Result<(State,), String> {
        Ok((state,))
    }
}

impl MessageServer for Ticker {
    fn handle_send(state: State, (msg,): (Vec<u8>,)) -> Result<(State,), String> {
        let mut counts = Counts::of(&state);
        match msg.as_slice() {
            b"tick" => {
                counts.count += 1;
                log(&format!("tick {}", counts.count));
                if counts.target > 0 && counts.count == counts.target {
                    timers::cancel(counts.timer)?;
                    shutdown(None)?;
                }
            }
            b"noop" => log(&format!("noop {}", busy() % 2)),
            _ => {}
        }
        Ok((counts.state(),))
    }

    fn handle_request(
        state: State,
        (_id, msg): (String, Vec<u8>),
    ) -> Result<(State, (Option<Vec<u8>>,)), String> {
        let mut counts = Counts::of(&state);
        let reply = match run(&mut counts, &String::from_utf8_lossy(&msg)) {
            Ok(v) => format!("ok {v}"),
            Err(e) => format!("err {e}"),
        };
        Ok((counts.state(), (Some(reply.into_bytes()),)))
    }

    fn handle_channel_open(
        state: State,
        _: (String, Vec<u8>),
    ) -> Result<(State, (ChannelAccept,)), String> {
        Ok((state, (ChannelAccept { accepted: false, message: None },)))
    }

    fn handle_channel_message(state: State, _: (String, Vec<u8>)) -> Result<(State,), String> {
        Ok((state,))
    }

    fn handle_channel_close(state: State, _: (String,)) -> Result<(State,), String> {
        Ok((state,))
    }
}

export!(Ticker);

//! An SDK worker configured by `init(id, config)` (`{"step":N}`, default 1) that counts:
//! `{"work":{}}` (send) adds its step, `{"get":{}}` (request) replies the count. `init`
//! logs `init step N`; `resume` logs `resumed at COUNT` — so a test sees which path a
//! restart took and that the count survived it.
use serde::{Deserialize, Serialize};
use theater_sdk::{actor, log};

#[derive(Serialize, Deserialize)]
pub struct Worker {
    step: u64,
    count: u64,
}

#[derive(Serialize, Deserialize)]
pub struct Config {
    step: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Msg {
    Work {},
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Query {
    Get {},
}

#[actor]
impl Worker {
    fn init(_id: String, config: Option<Config>) -> Worker {
        let step = config.map_or(1, |c| c.step);
        log(format!("init step {step}"));
        Worker { step, count: 0 }
    }

    fn resume(_id: String, state: Self) -> Worker {
        log(format!("resumed at {}", state.count));
        state
    }

    fn handle_send(&mut self, Msg::Work {}: Msg) {
        self.count += self.step;
    }

    fn handle_request(&self, Query::Get {}: Query) -> u64 {
        self.count
    }
}

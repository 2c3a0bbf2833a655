use serde::{Deserialize, Serialize};
use theater_sdk::actor;

#[derive(Serialize, Deserialize)]
struct Counter {
    count: u64,
}

#[derive(Serialize, Deserialize)]
struct Config {
    step: u64,
}

#[actor]
impl Counter {
    fn init(_id: String) -> Self {
        Counter { count: 0 }
    }

    fn resume(_id: String, config: Config) -> Self {
        Counter { count: config.step }
    }
}

fn main() {}

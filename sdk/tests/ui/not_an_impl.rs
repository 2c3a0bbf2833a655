use serde::{Deserialize, Serialize};
use theater_sdk::actor;

#[actor]
#[derive(Serialize, Deserialize)]
struct Counter {
    count: u64,
}

fn main() {}

use serde::{Deserialize, Serialize};
use theater_sdk::actor;

#[derive(Serialize, Deserialize)]
struct Counter {
    count: u64,
}

#[actor]
impl Counter {
    fn init(_id: String, start: u64) -> Result<Self, String> {
        Ok(Counter { count: start })
    }
}

fn main() {}

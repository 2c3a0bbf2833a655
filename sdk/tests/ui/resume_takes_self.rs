use serde::{Deserialize, Serialize};
use theater_sdk::actor;

#[derive(Serialize, Deserialize)]
struct Counter {
    count: u64,
}

#[actor]
impl Counter {
    fn init(_id: String) -> Self {
        Counter { count: 0 }
    }

    fn resume(&mut self, _id: String) -> Result<(), String> {
        Ok(())
    }
}

fn main() {}

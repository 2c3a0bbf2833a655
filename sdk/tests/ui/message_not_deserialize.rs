use serde::{Deserialize, Serialize};
use theater_sdk::actor;

#[derive(Serialize, Deserialize)]
struct Counter {
    count: u64,
}

struct Add(u64);

#[actor]
impl Counter {
    fn init(_id: String) -> Result<Self, String> {
        Ok(Counter { count: 0 })
    }

    fn handle_send(&mut self, msg: Add) {
        self.count += msg.0;
    }
}

fn main() {}

use serde::{Deserialize, Serialize};
use theater_sdk::actor;

#[derive(Serialize, Deserialize)]
struct Counter {
    count: u64,
}

#[actor]
impl Counter {
    fn init(_id: String) -> Result<Self, String> {
        Ok(Counter { count: 0 })
    }

    fn handle_send(&mut self, a: u64, b: u64) {
        self.count += a + b;
    }
}

fn main() {}

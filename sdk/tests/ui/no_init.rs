use serde::{Deserialize, Serialize};
use theater_sdk::actor;

#[derive(Serialize, Deserialize)]
struct Counter {
    count: u64,
}

#[actor]
impl Counter {
    fn handle_send(&mut self, n: u64) {
        self.count += n;
    }
}

fn main() {}

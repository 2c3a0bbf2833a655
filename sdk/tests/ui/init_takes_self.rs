use serde::{Deserialize, Serialize};
use theater_sdk::actor;

#[derive(Serialize, Deserialize)]
struct Counter {
    count: u64,
}

#[actor]
impl Counter {
    fn init(&mut self, _id: String) -> Result<(), String> {
        self.count = 0;
        Ok(())
    }
}

fn main() {}

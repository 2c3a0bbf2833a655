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

    async fn handle_send(&mut self, n: u64) {
        self.count += n;
    }
}

fn main() {}

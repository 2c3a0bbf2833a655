use serde::{Deserialize, Serialize};
use theater_sdk::actor;

#[derive(Serialize, Deserialize)]
struct Counter {
    count: u64,
}

struct Count(u64);

#[actor]
impl Counter {
    fn init(_id: String) -> Result<Self, String> {
        Ok(Counter { count: 0 })
    }

    fn handle_request(&self, _query: String) -> Result<Count, String> {
        Ok(Count(self.count))
    }
}

fn main() {}

use theater_sdk::actor;

struct Counter {
    count: u64,
}

#[actor]
impl Counter {
    fn init(_id: String) -> Result<Self, String> {
        Ok(Counter { count: 0 })
    }

    fn handle_send(&mut self, n: u64) {
        self.count += n;
    }
}

fn main() {}

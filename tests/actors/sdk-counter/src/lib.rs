//! The SDK counter: `{"add":N}` (send) adds N, `{"get":{}}` (request) replies the count.
use serde::{Deserialize, Serialize};
use theater_sdk::{actor, log};

#[derive(Serialize, Deserialize)]
pub struct Counter { count: u64 }

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Msg { Add(u64) }

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Query { Get {} }

#[actor]
impl Counter {
    fn init(id: String) -> Result<Self, String> {
        log(format!("counter {id} started"));
        Ok(Counter { count: 0 })
    }
    fn handle_send(&mut self, Msg::Add(n): Msg) {
        self.count += n;
    }
    fn handle_request(&self, Query::Get {}: Query) -> u64 {
        self.count
    }
}
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use theater_sdk::actor;
use theater_sdk::http_server::{ConnectionId, WsMessage};

#[derive(Serialize, Deserialize)]
struct Echo;

#[actor]
impl Echo {
    fn init(_id: String) -> Result<Self, String> {
        Ok(Echo)
    }

    fn handle_ws(&mut self, _conn: ConnectionId, msg: WsMessage) -> String {
        format!("{msg:?}")
    }
}

fn main() {}

use serde::{Deserialize, Serialize};
use theater_sdk::actor;
use theater_sdk::http_server::HttpResponse;

#[derive(Serialize, Deserialize)]
struct Api;

#[actor]
impl Api {
    fn init(_id: String) -> Result<Self, String> {
        Ok(Api)
    }

    fn handle_http(&mut self, path: String) -> HttpResponse {
        HttpResponse::plain(path)
    }
}

fn main() {}

//! An actor built for wasm32-wasip2 by mistake: std's I/O pulls in WASI imports
//! (`wasi:cli/...`, `wasi:io/...`). Theater must refuse it before it runs.

wit_bindgen::generate!({ path: "../../../wit", world: "theater:simple/actor-base" });

use exports::theater::simple::actor::Guest;

struct UsesWasi;

impl Guest for UsesWasi {
    fn init(state: Option<Vec<u8>>, _: (String,)) -> Result<(Option<Vec<u8>>,), String> {
        println!("printing needs wasi:cli/stdout");
        let home = std::env::var("HOME").unwrap_or_default();
        Ok((state.or(Some(home.into_bytes())),))
    }
}

export!(UsesWasi);

//! An actor as it was written for the original Theater (mid-2025), directly against the
//! upstream signatures with wit-bindgen (no SDK): it writes a file with the string
//! `write-file`, reads it back, and posts what it read to an HTTP server through
//! `http-client`, whose records come from the type-only `http-types` interface.
//!
//! A request's payload is the URL to post to; the reply is
//! `file=<what was read> status=<status> body=<response body>`, or `error: <why>` when a
//! host call was refused. Each reply also counts the requests served, kept in the state.

wit_bindgen::generate!({
    path: "../../../wit",
    inline: "
        package fixture:upstream-files;
        world upstream-files {
            import theater:simple/runtime;
            import theater:simple/filesystem;
            import theater:simple/http-types;
            import theater:simple/http-client;
            export theater:simple/actor;
            export theater:simple/message-server-client;
        }
    ",
    world: "fixture:upstream-files/upstream-files",
    generate_all,
});

use exports::theater::simple::actor::Guest as Actor;
use exports::theater::simple::message_server_client::{ChannelAccept, Guest as MessageServer};
use theater::simple::filesystem::{read_file, write_file};
use theater::simple::http_client::send_http;
use theater::simple::http_types::HttpRequest;
use theater::simple::runtime::log;

struct UpstreamFiles;

type State = Option<Vec<u8>>;

/// The file the actor writes and reads, relative to its filesystem root.
const FILE: &str = "greeting.txt";

/// Write, read back, post what was read to `url`.
fn round_trip(url: &str, served: u64) -> Result<String, String> {
    let text = format!("hello from an upstream actor, request {served}");
    write_file(FILE, &text)?;
    let read = String::from_utf8(read_file(FILE)?).map_err(|_| "the file is not UTF-8")?;
    log(&format!("wrote and read {FILE}: {read}"));
    let response = send_http(&HttpRequest {
        method: "POST".into(),
        uri: url.into(),
        headers: vec![("content-type".into(), "text/plain".into())],
        body: Some(read.clone().into_bytes()),
    })?;
    let body = String::from_utf8_lossy(&response.body.unwrap_or_default()).into_owned();
    Ok(format!("file={read} status={} body={body}", response.status))
}

fn served(state: &State) -> u64 {
    state
        .as_deref()
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

impl Actor for UpstreamFiles {
    fn init(state: State, (id,): (String,)) -> Result<(State,), String> {
        log(&format!("upstream-files {id} started"));
        Ok((state,))
    }
}

impl MessageServer for UpstreamFiles {
    fn handle_send(state: State, _: (Vec<u8>,)) -> Result<(State,), String> {
        Ok((state,))
    }

    fn handle_request(
        state: State,
        (_id, msg): (String, Vec<u8>),
    ) -> Result<(State, (Option<Vec<u8>>,)), String> {
        let served = served(&state) + 1;
        let url = String::from_utf8_lossy(&msg).into_owned();
        let reply = round_trip(url.trim(), served).unwrap_or_else(|e| format!("error: {e}"));
        Ok((Some(served.to_string().into_bytes()), (Some(reply.into_bytes()),)))
    }

    fn handle_channel_open(
        state: State,
        _: (String, Vec<u8>),
    ) -> Result<(State, (ChannelAccept,)), String> {
        Ok((state, (ChannelAccept { accepted: false, message: None },)))
    }

    fn handle_channel_message(state: State, _: (String, Vec<u8>)) -> Result<(State,), String> {
        Ok((state,))
    }

    fn handle_channel_close(state: State, _: (String,)) -> Result<(State,), String> {
        Ok((state,))
    }
}

export!(UpstreamFiles);

//! Exercises the capability interfaces — store, timing, random, environment, filesystem and
//! http-client — written directly against the WIT with wit-bindgen (no SDK).
//!
//! A request is a line of text, `<interface>.<function> ARGS...`, arguments separated by
//! single spaces (the last one takes the rest of the line). The reply is `ok VALUE` or
//! `err MESSAGE`, where MESSAGE is exactly what the host answered. Sends are ignored.

wit_bindgen::generate!({
    path: "../../../wit",
    inline: "
        package fixture:caps;
        world caps {
            import theater:simple/runtime;
            import theater:simple/store;
            import theater:simple/timing;
            import theater:simple/random;
            import theater:simple/environment;
            import theater:simple/filesystem;
            import theater:simple/http-client;
            export theater:simple/actor;
            export theater:simple/message-server-client;
        }
    ",
    world: "fixture:caps/caps",
    generate_all,
});

use exports::theater::simple::actor::Guest as Actor;
use exports::theater::simple::message_server_client::{ChannelAccept, Guest as MessageServer};
use theater::simple::filesystem::{self as fs, FileKind};
use theater::simple::http_client::{send_http, HttpRequest};
use theater::simple::store::{self, ContentRef};
use theater::simple::{environment as env, random, timing};

struct Caps;

type State = Option<Vec<u8>>;

/// The request's arguments, taken one at a time.
struct Args<'a>(Option<&'a str>);

impl<'a> Args<'a> {
    /// The next space-separated argument.
    fn next(&mut self) -> Result<&'a str, String> {
        let rest = self.0.take().ok_or("missing argument")?;
        match rest.split_once(' ') {
            Some((arg, tail)) => {
                self.0 = Some(tail);
                Ok(arg)
            }
            None => Ok(rest),
        }
    }

    /// Everything left (possibly empty).
    fn rest(&mut self) -> &'a str {
        self.0.take().unwrap_or("")
    }

    fn number<T: std::str::FromStr>(&mut self) -> Result<T, String> {
        let arg = self.next()?;
        arg.parse().map_err(|_| format!("not a number: {arg:?}"))
    }

    fn content_ref(&mut self) -> Result<ContentRef, String> {
        Ok(ContentRef { hash: self.next()?.to_string() })
    }
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).into_owned()
}

fn unit(r: Result<(), String>) -> Result<String, String> {
    r.map(|()| "done".to_string())
}

/// Run one command; `Err` is the host's refusal (or a malformed command).
fn run(line: &str) -> Result<String, String> {
    let (command, rest) = match line.split_once(' ') {
        Some((c, r)) => (c, Some(r)),
        None => (line, None),
    };
    let mut a = Args(rest);
    match command {
        "env.get-var" => Ok(env::get_var(a.next()?).map_or("none".to_string(), |v| format!("some {v}"))),
        "env.exists" => Ok(env::exists(a.next()?).to_string()),
        "env.list-vars" => Ok(env::list_vars().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")),

        "timing.now" => Ok(timing::now().to_string()),
        "timing.sleep" => unit(timing::sleep(a.number()?)),
        // Waits until now + MS, by the host's clock.
        "timing.deadline-in" => unit(timing::deadline(timing::now().saturating_add(a.number()?))),

        "random.random-bytes" => random::random_bytes(a.number()?).map(|b| b.iter().map(|x| format!("{x:02x}")).collect()),
        "random.random-range" => random::random_range(a.number()?, a.number()?).map(|v| v.to_string()),
        "random.random-float" => random::random_float().map(|v| v.to_string()),
        "random.generate-uuid" => random::generate_uuid(),

        "store.new" => store::new(),
        "store.store" => store::store(a.next()?, a.rest().as_bytes()).map(|r| r.hash),
        "store.get" => store::get(a.next()?, &a.content_ref()?).map(text),
        "store.exists" => store::exists(a.next()?, &a.content_ref()?).map(|b| b.to_string()),
        "store.label" => unit(store::label(a.next()?, a.next()?, &a.content_ref()?)),
        "store.get-by-label" => store::get_by_label(a.next()?, a.next()?).map(|r| r.map_or("none".to_string(), |r| r.hash)),
        "store.remove-label" => unit(store::remove_label(a.next()?, a.next()?)),
        "store.remove-from-label" => unit(store::remove_from_label(a.next()?, a.next()?, &a.content_ref()?)),
        "store.store-at-label" => store::store_at_label(a.next()?, a.next()?, a.rest().as_bytes()).map(|r| r.hash),
        "store.replace-content-at-label" => store::replace_content_at_label(a.next()?, a.next()?, a.rest().as_bytes()).map(|r| r.hash),
        "store.replace-at-label" => unit(store::replace_at_label(a.next()?, a.next()?, &a.content_ref()?)),
        "store.list-labels" => store::list_labels(a.next()?).map(|l| l.join(",")),
        "store.list-all-content" => store::list_all_content(a.next()?).map(|l| l.into_iter().map(|r| r.hash).collect::<Vec<_>>().join(",")),
        "store.calculate-total-size" => store::calculate_total_size(a.next()?).map(|n| n.to_string()),
        // Reads the content a label points at, in one request.
        "store.read-label" => {
            let (id, label) = (a.next()?, a.next()?);
            match store::get_by_label(id, label)? {
                Some(r) => store::get(id, &r).map(text),
                None => Ok("none".to_string()),
            }
        }

        "fs.read-file" => fs::read_file(a.next()?).map(text),
        "fs.write-file" => unit(fs::write_file(a.next()?, a.rest())),
        // Writes N bytes of `x`, to test the write limit without a large message.
        "fs.write-n" => {
            let path = a.next()?;
            unit(fs::write_file(path, &"x".repeat(a.number()?)))
        }
        "fs.write-bytes" => unit(fs::write_file_bytes(a.next()?, &[0xff, 0x00, 0xfe])),
        // Upstream's command functions: the host must refuse them.
        "fs.exec" => fs::execute_command(".", a.next()?, &[]).map(|r| format!("{r:?}")),
        "fs.exec-nix" => fs::execute_nix_command(".", a.rest()).map(|r| format!("{r:?}")),
        "fs.list-files" => fs::list_files(a.next()?).map(|l| l.join(",")),
        "fs.delete-file" => unit(fs::delete_file(a.next()?)),
        "fs.create-dir" => unit(fs::create_dir(a.next()?)),
        "fs.delete-dir" => unit(fs::delete_dir(a.next()?)),
        "fs.path-exists" => fs::path_exists(a.next()?).map(|b| b.to_string()),
        "fs.metadata" => fs::metadata(a.next()?).map(|m| {
            let kind = match m.kind {
                FileKind::File => "file",
                FileKind::Directory => "directory",
            };
            format!("{kind} {}", m.size)
        }),

        // `http METHOD URI BODY...`; sends header `x-fixture: raw-caps`; replies the status,
        // then the body on the next line.
        "http" => {
            let (method, uri, body) = (a.next()?, a.next()?, a.rest());
            let req = HttpRequest {
                method: method.to_string(),
                uri: uri.to_string(),
                headers: vec![("x-fixture".to_string(), "raw-caps".to_string())],
                body: (!body.is_empty()).then(|| body.as_bytes().to_vec()),
            };
            send_http(&req).map(|r| format!("{}\n{}", r.status, text(r.body.unwrap_or_default())))
        }
        other => Err(format!("unknown command {other:?}")),
    }
}

impl Actor for Caps {
    fn init(state: State, _: (String,)) -> Result<(State,), String> {
        Ok((state,))
    }
}

impl MessageServer for Caps {
    fn handle_send(state: State, _: (Vec<u8>,)) -> Result<(State,), String> {
        Ok((state,))
    }

    fn handle_request(state: State, (_id, msg): (String, Vec<u8>)) -> Result<(State, (Option<Vec<u8>>,)), String> {
        let reply = match run(&String::from_utf8_lossy(&msg)) {
            Ok(v) => format!("ok {v}"),
            Err(e) => format!("err {e}"),
        };
        Ok((state, (Some(reply.into_bytes()),)))
    }

    fn handle_channel_open(state: State, _: (String, Vec<u8>)) -> Result<(State, (ChannelAccept,)), String> {
        Ok((state, (ChannelAccept { accepted: false, message: None },)))
    }

    fn handle_channel_message(state: State, _: (String, Vec<u8>)) -> Result<(State,), String> {
        Ok((state,))
    }

    fn handle_channel_close(state: State, _: (String,)) -> Result<(State,), String> {
        Ok((state,))
    }
}

export!(Caps);

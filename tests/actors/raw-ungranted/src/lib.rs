//! An actor that imports `theater:simple/message-server-host` (and sends a message from
//! `init`). Its manifest in the tests does not grant it, so it must never run.

wit_bindgen::generate!({
    path: "../../../wit",
    inline: "
        package fixture:ungranted;
        world ungranted {
            import theater:simple/runtime;
            import theater:simple/message-server-host;
            export theater:simple/actor;
        }
    ",
    world: "fixture:ungranted/ungranted",
    generate_all,
});

use exports::theater::simple::actor::Guest;
use theater::simple::message_server_host::send;
use theater::simple::runtime::log;

struct Ungranted;

impl Guest for Ungranted {
    fn init(state: Option<Vec<u8>>, (id,): (String,)) -> Result<(Option<Vec<u8>>,), String> {
        log("ungranted actor is running: the sandbox failed");
        send(&id, b"escape")?;
        Ok((state,))
    }
}

export!(Ungranted);

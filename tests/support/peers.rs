//! A runtime in a scratch directory running `raw-peer` actors from manifests: the rig the
//! supervision and fault-tolerance tests build their trees with.

use theater_runtime::{LogSink, Manifest, Theater, TheaterConfig};

use crate::{fixtures, Scratch};

/// The grants every raw-peer actor in these tests gets: messaging and supervision.
pub const PEER_GRANTS: &str =
    "[[handler]]\ntype = \"message-server\"\n[[handler]]\ntype = \"supervisor\"\n";

/// A scratch directory and a runtime whose actors' log lines go to `logs`.
pub struct PeerRig {
    pub s: Scratch,
    pub theater: Theater,
}

impl PeerRig {
    pub fn new(logs: LogSink) -> PeerRig {
        let s = Scratch::new();
        let mut config = TheaterConfig::new(Some(s.home()));
        config.logs = logs;
        PeerRig {
            theater: Theater::new(config).expect("start a runtime"),
            s,
        }
    }

    /// Write a raw-peer manifest `name.toml` with `extra` TOML and [`PEER_GRANTS`].
    pub fn peer(&self, name: &str, extra: &str) {
        self.s.manifest(
            name,
            &fixtures().component("raw-peer"),
            &format!("{extra}\n{PEER_GRANTS}"),
        );
    }

    /// Start the actor of manifest `name.toml` as a top-level actor; returns its id.
    pub async fn start(&self, name: &str) -> String {
        let m =
            Manifest::load(&self.s.path().join(format!("{name}.toml"))).expect("load the manifest");
        self.theater
            .spawn(m, None, None)
            .await
            .expect("start the actor")
    }

    /// Request `msg` of `id`: the reply as text, or `error: …`.
    pub async fn ask(&self, id: &str, msg: &str) -> String {
        match self.theater.request(id, msg.as_bytes().to_vec()).await {
            Ok(bytes) => String::from_utf8(bytes).expect("a text reply"),
            Err(e) => format!("error: {e}"),
        }
    }
}

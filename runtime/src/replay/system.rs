//! What a replayed actor sees of the runtime: no other actors (every host call is answered
//! from the recording, so none is reached), and the chain database the recording came from,
//! which a summarised call (`get-chain`, `get-child-events`) reads its page from again.

use std::path::PathBuf;
use std::sync::Arc;

use crate::actor::ActorError;
use crate::chain::{ChainError, ChainReader};
use crate::channels::ChannelTable;
use crate::error::RuntimeError;
use crate::listeners::Listeners;
use crate::manifest::Manifest;
use crate::system::{ActorInfo, ActorSystem, BoxFuture};
use crate::wait_for::{WaitForGraph, WaitGuard};

/// An empty runtime over one chain database.
pub(super) struct ReplaySystem {
    chain_db: PathBuf,
    waits: WaitForGraph,
    channels: ChannelTable,
    /// Always empty: a replay opens no socket.
    listeners: Arc<Listeners>,
}

impl ReplaySystem {
    pub(super) fn new(chain_db: PathBuf) -> ReplaySystem {
        ReplaySystem {
            chain_db,
            waits: WaitForGraph::default(),
            channels: ChannelTable::default(),
            listeners: Arc::default(),
        }
    }
}

impl ActorSystem for ReplaySystem {
    fn actor(&self, id: &str) -> Result<ActorInfo, ActorError> {
        Err(ActorError::NoSuchActor(id.to_string()))
    }

    fn register_name(&self, _name: &str, _id: &str) -> Result<(), String> {
        Err(RuntimeError::NotLive("registering a name").to_string())
    }

    fn lookup_name(&self, _name: &str) -> Option<ActorInfo> {
        None
    }

    fn begin_wait(&self, from: &str, to: &str) -> Result<WaitGuard, String> {
        self.waits.begin(from, to)
    }

    fn open_channel(&self, opener: &str, acceptor: &str) -> String {
        self.channels.open(opener, acceptor)
    }

    fn channel_peer(&self, channel: &str, me: &str) -> Result<String, String> {
        self.channels.peer(channel, me)
    }

    fn close_channel(&self, channel: &str) {
        self.channels.close(channel);
    }

    fn spawn<'a>(
        &'a self,
        _: Manifest,
        _: Option<Vec<u8>>,
        _: Option<String>,
    ) -> BoxFuture<'a, Result<String, RuntimeError>> {
        Box::pin(async { Err(RuntimeError::NotLive("starting an actor")) })
    }

    fn stop_quietly<'a>(&'a self, _id: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    fn restart<'a>(
        &'a self,
        _id: &'a str,
        _reason: &'a str,
    ) -> BoxFuture<'a, Result<(), RuntimeError>> {
        Box::pin(async { Err(RuntimeError::NotLive("restarting an actor")) })
    }

    fn chain_reader(&self) -> Result<ChainReader, ChainError> {
        ChainReader::open(&self.chain_db)
    }

    fn listeners(&self) -> Arc<Listeners> {
        self.listeners.clone()
    }
}

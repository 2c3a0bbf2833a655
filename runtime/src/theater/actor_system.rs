//! The registry as its actors see it: [`ActorSystem`] for the runtime's shared state. The
//! calls that start or stop tasks act through the [`Theater`] this state belongs to.

use std::collections::HashMap;
use std::sync::{Arc, MutexGuard};

use crate::actor::{ActorError, ActorStatus};
use crate::chain::{ChainError, ChainReader};
use crate::error::RuntimeError;
use crate::listeners::Listeners;
use crate::manifest::Manifest;
use crate::names::NameError;
use crate::system::{ActorInfo, ActorSystem, BoxFuture};
use crate::wait_for::WaitGuard;

use super::{Entry, Inner, Theater};

impl Inner {
    /// The runtime this state belongs to; gone only once the last handle has dropped.
    fn theater(&self) -> Option<Theater> {
        self.me.upgrade().map(|inner| Theater { inner })
    }

    pub(super) fn entries(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding this lock would be a runtime bug; keep serving regardless.
        self.actors.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Give actor `id` the name `name`, unless another actor that is running (or still
    /// starting) holds it.
    pub(super) fn register(&self, name: &str, id: &str) -> Result<(), NameError> {
        self.names
            .register(name, id, |holder| match self.entries().get(holder) {
                Some(entry) => entry.info.handle.status() == ActorStatus::Running,
                None => true,
            })
    }
}

impl ActorSystem for Inner {
    fn actor(&self, id: &str) -> Result<ActorInfo, ActorError> {
        self.entries()
            .get(id)
            .map(|e| e.info.clone())
            .ok_or_else(|| ActorError::NoSuchActor(id.to_string()))
    }

    fn register_name(&self, name: &str, id: &str) -> Result<(), String> {
        self.register(name, id).map_err(|e| e.to_string())
    }

    fn lookup_name(&self, name: &str) -> Option<ActorInfo> {
        let holder = self.names.holder(name)?;
        self.actor(&holder)
            .ok()
            .filter(|a| a.handle.status() == ActorStatus::Running)
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
        manifest: Manifest,
        init_state: Option<Vec<u8>>,
        parent: Option<String>,
    ) -> BoxFuture<'a, Result<String, RuntimeError>> {
        Box::pin(async move {
            let theater = self.theater().ok_or(RuntimeError::ShuttingDown)?;
            theater.spawn(manifest, init_state, parent).await
        })
    }

    fn stop_quietly<'a>(&'a self, id: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Some(theater) = self.theater() {
                theater.stop_quietly(id).await;
            }
        })
    }

    fn restart<'a>(
        &'a self,
        id: &'a str,
        reason: &'a str,
    ) -> BoxFuture<'a, Result<(), RuntimeError>> {
        Box::pin(async move {
            let theater = self.theater().ok_or(RuntimeError::ShuttingDown)?;
            theater.restart(id, reason).await
        })
    }

    fn chain_reader(&self) -> Result<ChainReader, ChainError> {
        self.db.reader()
    }

    fn listeners(&self) -> Arc<Listeners> {
        self.listeners.clone()
    }
}

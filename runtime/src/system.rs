//! The narrow view of the runtime that host-function handlers, supervision and an actor's
//! own task get: look actors and names up, wait for another actor with wait-for tracking,
//! channels, spawn, stop and restart children, read chains. [`Theater`](crate::Theater)
//! implements it; a replay passes an implementation that only reads the chain database.
//! Nothing outside the registry sees the registry itself, so it can change (or route to
//! another machine) behind this trait.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::actor::{ActorError, ActorHandle};
use crate::chain::{ChainError, ChainReader};
use crate::error::RuntimeError;
use crate::listeners::Listeners;
use crate::manifest::Manifest;
use crate::wait_for::WaitGuard;

/// A boxed, sendable future: what an object-safe trait can return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An actor as the registry knows it.
#[derive(Clone)]
pub struct ActorInfo {
    pub id: String,
    pub handle: ActorHandle,
    pub manifest: Arc<Manifest>,
    pub parent: Option<String>,
    /// Times the actor was restarted by its supervisor.
    pub restarts: u32,
}

/// What the actors of one runtime may ask of it.
pub trait ActorSystem: Send + Sync {
    /// The actor with this id (running, or ended and not forgotten).
    fn actor(&self, id: &str) -> Result<ActorInfo, ActorError>;
    /// Give actor `id` the name `name`, unless a running actor holds it; the error says why
    /// not, for the guest.
    fn register_name(&self, name: &str, id: &str) -> Result<(), String>;
    /// The running actor named `name`.
    fn lookup_name(&self, name: &str) -> Option<ActorInfo>;
    /// Record that `from` waits for `to`'s answer until the guard drops; refused if that
    /// would close a cycle.
    fn begin_wait(&self, from: &str, to: &str) -> Result<WaitGuard, String>;
    /// Register a channel from `opener` to `acceptor`; returns its id.
    fn open_channel(&self, opener: &str, acceptor: &str) -> String;
    /// The other participant of a channel `me` is part of.
    fn channel_peer(&self, channel: &str, me: &str) -> Result<String, String>;
    fn close_channel(&self, channel: &str);
    /// Start an actor (the child of `parent`, when given); its id once `init` succeeded.
    fn spawn<'a>(
        &'a self,
        manifest: Manifest,
        init_state: Option<Vec<u8>>,
        parent: Option<String>,
    ) -> BoxFuture<'a, Result<String, RuntimeError>>;
    /// Stop an actor without reporting the exit to its parent (the parent asked for it).
    fn stop_quietly<'a>(&'a self, id: &'a str) -> BoxFuture<'a, ()>;
    /// Start an ended actor again under its id, from its last committed state.
    fn restart<'a>(
        &'a self,
        id: &'a str,
        reason: &'a str,
    ) -> BoxFuture<'a, Result<(), RuntimeError>>;
    /// A reader of the chain database (the caller flushes its own chain first).
    fn chain_reader(&self) -> Result<ChainReader, ChainError>;
    /// Where actors' `http-framework` servers listen.
    fn listeners(&self) -> Arc<Listeners>;
}

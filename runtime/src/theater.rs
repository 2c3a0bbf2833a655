//! The registry of actors: spawns them (sandbox check, compile or load, link only what is
//! granted, instantiate, `init`), routes messages, restarts and stops them, and keeps the
//! supervision tree and the root supervisor. Its parts live beside it: the component cache
//! (`component_cache`), the open channels (`channels`) and the wait-for graph that turns
//! request cycles into errors instead of deadlocks (`wait_for`). Actors and handlers see it
//! only as an [`ActorSystem`]. One `Theater` owns one engine and one chain database.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use crate::actor::{self, ActorCtx, ActorError, ActorStatus, LogSink};
use crate::chain::{ChainDb, ChainOptions};
use crate::channels::ChannelTable;
use crate::component_cache::ComponentCache;
use crate::component_store::ComponentStore;
use crate::engine::{EngineConfig, LoadedComponent, TheaterEngine};
use crate::error::RuntimeError;
use crate::handlers::{self, Handler};
use crate::ids::{IdScheme, Ids};
use crate::listeners::{Listeners, ListeningServer};
use crate::names::{NameError, Names};
use crate::paths;
use crate::replay::{ReplayError, ReplayInput, ReplayReport, Replayer};
use crate::supervision::RestartWindow;
use crate::system::{ActorInfo, ActorSystem};
use crate::wait_for::WaitForGraph;

/// How to build a [`Theater`].
#[derive(Clone)]
pub struct TheaterConfig {
    /// Holds `chains.db` and the compiled-component cache.
    pub data_dir: PathBuf,
    pub engine: EngineConfig,
    /// Where actors' log lines go.
    pub logs: LogSink,
    /// Supervise top-level actors as children of a root supervisor (one-for-one, default
    /// intensity), honouring their manifests' `restart`. The server sets this; `theater run`
    /// does not, so a failure there ends the run instead.
    pub supervise_top_level: bool,
    /// How the chain database is written (durability, queue bounds, clock).
    pub chain: ChainOptions,
    /// Handlers added to the built-in ones; each replaces the built-in serving its
    /// interface, if any.
    pub handlers: Vec<Arc<dyn Handler>>,
    /// How actor and channel ids are made (random, or derived for reproducible recordings).
    pub ids: IdScheme,
}

impl TheaterConfig {
    /// Defaults: `$THEATER_HOME`, logs to stderr as `[name 1a2b3c4d] line`.
    pub fn new(data_dir: Option<PathBuf>) -> TheaterConfig {
        TheaterConfig {
            data_dir: data_dir.unwrap_or_else(paths::theater_home),
            engine: EngineConfig::default(),
            logs: Arc::new(|line| eprintln!("{line}")),
            supervise_top_level: false,
            chain: ChainOptions::default(),
            handlers: Vec::new(),
            ids: IdScheme::Random,
        }
    }
}

struct Entry {
    info: ActorInfo,
    /// The exact component the actor runs: restarts run it again, whatever the manifest's
    /// file holds by then.
    component: LoadedComponent,
    /// What a restart needs, kept after the actor's task ends.
    remains: Option<Remains>,
    /// Stopped on purpose by its supervisor or the runtime: do not report the exit upward.
    quiet: bool,
}

/// What a restart needs of an ended actor: its context (identity, chain), its last
/// committed state and the exact component it ran.
struct Remains {
    ctx: ActorCtx,
    state: Option<Vec<u8>>,
    component: LoadedComponent,
    /// Loaded from the chain of a previous server, not left by a run of this one: the
    /// next start is a resume (`lifecycle/resumed`).
    dormant: bool,
}

mod actor_system;
mod lifecycle;
mod spawn;

pub(crate) struct Inner {
    /// This runtime itself, for the [`ActorSystem`] calls that start tasks.
    me: Weak<Inner>,
    /// The engine, the handlers and what is linked: shared by spawn, restart and replay.
    cache: ComponentCache,
    components: ComponentStore,
    db: ChainDb,
    data_dir: PathBuf,
    logs: LogSink,
    actors: Mutex<HashMap<String, Entry>>,
    names: Names,
    /// Signalled whenever an ended actor's remains are stored (a restart waits for them).
    exited: tokio::sync::Notify,
    channels: ChannelTable,
    waits: WaitForGraph,
    /// The root supervisor's restart-intensity window, when it supervises top-level actors.
    root: Option<Mutex<RestartWindow>>,
    /// Set when shutdown begins: no new actor starts after it.
    closing: std::sync::atomic::AtomicBool,
    /// Most actors running at once (`EngineConfig::max_actors`, which also sizes the
    /// engine's instance pool, the hard stop for starts racing past this check).
    max_actors: usize,
    /// Spawns under way (reservation -> parent), counted against the caps until registered.
    pending: Mutex<HashMap<u64, Option<String>>>,
    next_reservation: std::sync::atomic::AtomicU64,
    ids: Ids,
    /// Where actors' `http-framework` servers listen.
    listeners: Arc<Listeners>,
}

/// The actor runtime. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Theater {
    inner: Arc<Inner>,
}

impl Theater {
    /// Open the data directory (creating it) and start the engine and chain writer.
    pub fn new(config: TheaterConfig) -> Result<Theater, RuntimeError> {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| RuntimeError::io(&config.data_dir, e))?;
        let engine = TheaterEngine::new(&config.engine, &paths::component_cache(&config.data_dir))?;
        let db = ChainDb::open_with(&paths::chain_db(&config.data_dir), config.chain)?;
        Ok(Theater {
            inner: Arc::new_cyclic(|me| Inner {
                me: me.clone(),
                cache: ComponentCache::new(
                    engine,
                    handlers::extend(handlers::builtin(&config.data_dir), &config.handlers),
                ),
                components: ComponentStore::new(&paths::component_store(&config.data_dir)),
                db,
                data_dir: config.data_dir,
                logs: config.logs,
                actors: Mutex::new(HashMap::new()),
                names: Names::default(),
                exited: tokio::sync::Notify::new(),
                channels: ChannelTable::with_ids(Ids::new(config.ids.sub("channels"))),
                waits: WaitForGraph::default(),
                root: config
                    .supervise_top_level
                    .then(|| Mutex::new(RestartWindow::default())),
                closing: std::sync::atomic::AtomicBool::new(false),
                max_actors: usize::try_from(config.engine.max_actors).unwrap_or(usize::MAX),
                pending: Mutex::new(HashMap::new()),
                next_reservation: std::sync::atomic::AtomicU64::new(0),
                ids: Ids::new(config.ids),
                listeners: Arc::default(),
            }),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// Every component an actor of this data directory ran, by hash.
    pub fn components(&self) -> &ComponentStore {
        &self.inner.components
    }

    pub fn db(&self) -> &ChainDb {
        &self.inner.db
    }

    /// The servers actor `id` listens with through `http-framework` (none when it runs
    /// none, has ended, or is unknown), by server id.
    pub fn listening_servers(&self, id: &str) -> Vec<ListeningServer> {
        self.inner.listeners.of(id)
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.inner.entries()
    }

    fn is_closing(&self) -> bool {
        self.inner.closing.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Begin shutting down: no actor starts from now on, no ending actor is reported to
    /// its supervisor (so none is restarted). Returns every actor.
    pub(crate) fn begin_shutdown(&self) -> Vec<ActorInfo> {
        let mut entries = self.entries();
        self.inner
            .closing
            .store(true, std::sync::atomic::Ordering::SeqCst);
        entries
            .values_mut()
            .map(|entry| {
                entry.quiet = true;
                entry.info.clone()
            })
            .collect()
    }

    /// The channel new actors' chains write to, where their log lines go, and how they reach
    /// this runtime: what a resumed actor's context needs.
    pub(crate) fn actor_links(&self) -> (crate::chain::ChainSink, LogSink, Weak<dyn ActorSystem>) {
        let system: Weak<dyn ActorSystem> = Arc::downgrade(&self.inner) as Weak<dyn ActorSystem>;
        (self.inner.db.sink(), self.inner.logs.clone(), system)
    }

    /// The engine's component cache (compiled components, linkers).
    pub(crate) fn cache(&self) -> &ComponentCache {
        &self.inner.cache
    }

    /// Register an actor loaded from a previous server's chain, ended, with what its resume
    /// needs (see `resume`); [`restart`](Self::restart) brings it back.
    pub(crate) fn adopt(
        &self,
        info: ActorInfo,
        component: LoadedComponent,
        ctx: ActorCtx,
        state: Option<Vec<u8>>,
    ) {
        let id = info.id.clone();
        let remains = Remains {
            ctx,
            state,
            component: component.clone(),
            dormant: true,
        };
        self.entries().insert(
            id,
            Entry {
                info,
                component,
                remains: Some(remains),
                quiet: true,
            },
        );
    }

    /// Stop an actor without reporting the exit to its parent (the parent asked for it, or
    /// is restarting it as part of a group).
    pub(crate) async fn stop_quietly(&self, id: &str) {
        let handle = {
            let mut entries = self.entries();
            match entries.get_mut(id) {
                Some(entry) => {
                    entry.quiet = true;
                    entry.info.handle.clone()
                }
                None => return,
            }
        };
        handle.stop().await;
    }

    /// Replay a recorded chain against its component (or `input.component`), every host
    /// call answered from the recording. Refuses a chain that does not verify.
    pub async fn replay(&self, input: ReplayInput) -> Result<ReplayReport, ReplayError> {
        let replayer = Replayer {
            cache: &self.inner.cache,
            components: &self.inner.components,
            chain_db: paths::chain_db(&self.inner.data_dir),
        };
        replayer.replay(input).await
    }

    /// The actor with this id (running, or ended and not forgotten).
    pub fn actor(&self, id: &str) -> Result<ActorInfo, ActorError> {
        ActorSystem::actor(&*self.inner, id)
    }

    /// Give actor `id` the name `name`, unless another actor that is running (or still
    /// starting) holds it.
    pub fn register_name(&self, name: &str, id: &str) -> Result<(), NameError> {
        self.inner.register(name, id)
    }

    /// The running actor named `name`.
    pub fn lookup_name(&self, name: &str) -> Option<ActorInfo> {
        ActorSystem::lookup_name(&*self.inner, name)
    }

    /// The names actor `id` holds.
    pub fn names_of(&self, id: &str) -> Vec<String> {
        self.inner.names.of(id)
    }

    /// Every actor this runtime started, in no particular order.
    pub fn actors(&self) -> Vec<ActorInfo> {
        self.entries().values().map(|e| e.info.clone()).collect()
    }

    /// Send a message and wait until it is handled.
    pub async fn send(&self, id: &str, msg: Vec<u8>) -> Result<(), ActorError> {
        self.actor(id)?.handle.send(msg).await
    }

    /// Send a request and wait for the reply.
    pub async fn request(&self, id: &str, msg: Vec<u8>) -> Result<Vec<u8>, ActorError> {
        self.actor(id)?.handle.request(msg).await
    }

    /// Restart an actor by hand: stop it if it runs (without reporting to its supervisor)
    /// and start it again from its last committed state, keeping its id and chain.
    pub async fn restart_actor(&self, id: &str) -> Result<(), RuntimeError> {
        self.actor(id)
            .map_err(|_| RuntimeError::NotFound(id.to_string()))?;
        self.stop_quietly(id).await;
        self.restart(id, "restarted by request").await
    }

    /// Every event appended from now on (filter by `actor_id` for one actor).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<crate::chain::ChainUpdate> {
        self.inner.db.sink().subscribe()
    }

    /// Stop an actor (and its children) after the messages already in its mailbox. Asked
    /// for, so no supervisor restarts it; a running child's parent is told
    /// (`handle-child-external-stop`, `supervision/child-stopped`).
    pub async fn stop(&self, id: &str) -> Result<ActorStatus, ActorError> {
        let info = self.actor(id)?;
        let was_running = info.handle.status() == ActorStatus::Running;
        self.stop_quietly(id).await;
        if let Some(parent) = info
            .parent
            .as_deref()
            .filter(|_| was_running)
            .and_then(|p| self.actor(p).ok())
        {
            // A parent that has ended has nothing to be told.
            let _ = parent
                .handle
                .deliver(actor::Envelope::ChildStopped {
                    child: id.to_string(),
                })
                .await;
        }
        Ok(info.handle.status())
    }

    /// Stop every actor, children before parents, flush the chain database and checkpoint it.
    pub async fn shutdown(&self) -> Result<(), RuntimeError> {
        let roots: Vec<String> = self
            .actors()
            .into_iter()
            .filter(|a| a.parent.is_none())
            .map(|a| a.id)
            .collect();
        for id in roots {
            self.stop_quietly(&id).await;
        }
        self.finish_chains().await
    }
}

//! The registry of actors: spawns them (sandbox check, compile or load, link only what is
//! granted, instantiate, `init`), routes messages, restarts and stops them, and keeps the
//! supervision tree and the root supervisor. Its parts live beside it: the component cache
//! (`component_cache`), the open channels (`channels`) and the wait-for graph that turns
//! request cycles into errors instead of deadlocks (`wait_for`). Actors and handlers see it
//! only as an [`ActorSystem`]. One `Theater` owns one engine and one chain database.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use ciborium::value::Value;

use crate::actor::{self, ActorCtx, ActorError, ActorHandle, ActorInstance, ActorStatus, Exit, LogSink};
use crate::channels::ChannelTable;
use crate::component_store::ComponentStore;
use crate::chain::payload::{encode, map};
use crate::chain::{now_ms, ActorChain, ActorRecord, ChainDb, ChainOptions};
use crate::component_cache::ComponentCache;
use crate::engine::{EngineConfig, LoadedComponent, TheaterEngine};
use crate::error::RuntimeError;
use crate::handlers::{self, Handler};
use crate::ids::{IdScheme, Ids};
use crate::replay::{ReplayError, ReplayInput, ReplayReport, Replayer};
use crate::manifest::{Manifest, RestartPolicy, Supervision};
use crate::supervision::{self, ChildExit, Decision, RestartWindow};
use crate::names::{NameError, Names};
use crate::system::{ActorInfo, ActorSystem, BoxFuture};
use crate::wait_for::WaitForGraph;
use crate::manifest_files::{read_regular, MAX_COMPONENT_BYTES, MAX_INIT_STATE_BYTES};
use crate::{capacity, paths, sandbox};

/// Which export starts an instance: `init` for a new actor; for a restart or resume, the
/// optional `actor-resume.resume` export when the component has it (else `init`, as the
/// contract always did), and then the actor's subtree comes back too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StartMode {
    Init,
    Resume,
}

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

mod actor_system;

/// Longest a restart waits for an ended actor's remains (they follow its end at once).
const REMAINS_WAIT: Duration = Duration::from_secs(10);

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

/// A spawn under way: holds its place against the caps until the actor is registered.
struct Reservation {
    inner: Arc<Inner>,
    key: u64,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.inner.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.key);
    }
}

/// Called once a started actor has its handle, before its task runs, so that however
/// fast the actor ends, its end finds it registered.
type Register<'a> = Box<dyn FnOnce(ActorHandle) + Send + 'a>;

/// The actor runtime. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Theater {
    inner: Arc<Inner>,
}

impl Theater {
    /// Open the data directory (creating it) and start the engine and chain writer.
    pub fn new(config: TheaterConfig) -> Result<Theater, RuntimeError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| RuntimeError::io(&config.data_dir, e))?;
        let engine = TheaterEngine::new(&config.engine, &paths::component_cache(&config.data_dir))?;
        let db = ChainDb::open_with(&paths::chain_db(&config.data_dir), config.chain)?;
        Ok(Theater {
            inner: Arc::new_cyclic(|me| Inner {
                me: me.clone(),
                cache: ComponentCache::new(engine, handlers::extend(handlers::builtin(&config.data_dir), &config.handlers)),
                components: ComponentStore::new(&paths::component_store(&config.data_dir)),
                db,
                data_dir: config.data_dir,
                logs: config.logs,
                actors: Mutex::new(HashMap::new()),
                names: Names::default(),
                exited: tokio::sync::Notify::new(),
                channels: ChannelTable::with_ids(Ids::new(config.ids.sub("channels"))),
                waits: WaitForGraph::default(),
                root: config.supervise_top_level.then(|| Mutex::new(RestartWindow::default())),
                closing: std::sync::atomic::AtomicBool::new(false),
                max_actors: usize::try_from(config.engine.max_actors).unwrap_or(usize::MAX),
                pending: Mutex::new(HashMap::new()),
                next_reservation: std::sync::atomic::AtomicU64::new(0),
                ids: Ids::new(config.ids),
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

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.inner.entries()
    }

    /// Start an actor: check its imports against its grants, instantiate it and run `init`.
    /// Returns its id once `init` has succeeded. `init_state` overrides the manifest's.
    /// With a `parent`, the actor is that actor's child.
    pub async fn spawn(&self, manifest: Manifest, init_state: Option<Vec<u8>>, parent: Option<String>) -> Result<String, RuntimeError> {
        self.spawn_named(manifest, init_state, parent, None).await
    }

    /// [`spawn`](Self::spawn), giving the actor `name` (unique on this runtime) before
    /// `init` runs; the name is recorded in its `lifecycle/started` event.
    pub async fn spawn_named(
        &self,
        manifest: Manifest,
        init_state: Option<Vec<u8>>,
        parent: Option<String>,
        name: Option<String>,
    ) -> Result<String, RuntimeError> {
        if self.is_closing() {
            return Err(RuntimeError::ShuttingDown);
        }
        let reservation = self.reserve(parent.as_deref())?;
        if let Some(name) = &name {
            crate::names::validate(name)?;
        }
        let manifest = Arc::new(manifest);
        let granted = manifest.granted_interfaces();
        let bytes = read_regular(&manifest.component, MAX_COMPONENT_BYTES, "component")?;
        let imports = sandbox::component_imports(&bytes, &manifest.component.display().to_string())?;
        sandbox::check_imports(&imports, &granted, &manifest.name, &manifest.origin)?;
        self.inner.cache.check_served(&imports)?;
        let loaded = self.inner.cache.load(&bytes, &manifest.component)?;
        self.inner.components.put(&loaded.hash, &bytes)?;
        let init_state = match init_state {
            Some(s) => Some(s),
            None => match &manifest.init_state {
                Some(path) => Some(read_regular(path, MAX_INIT_STATE_BYTES, "initial state")?),
                None => None,
            },
        };

        let id = self.inner.ids.next();
        if let Some(name) = &name {
            self.register_name(name, &id)?;
        }
        let sink = self.inner.db.sink();
        let registered = sink
            .register_actor(ActorRecord {
                actor_id: id.clone(),
                name: manifest.name.clone(),
                parent_id: parent.clone(),
                manifest: manifest.origin.clone(),
                created_ms: now_ms(),
                status: "running".into(),
                events: 0,
            })
            .await;
        let key = match registered {
            Ok(key) => key,
            Err(e) => {
                self.inner.names.release(&id);
                return Err(e.into());
            }
        };
        let mut chain = ActorChain::new(sink, key, &id);
        let mut started = vec![
            ("actor", Value::Text(id.clone())),
            ("name", Value::Text(manifest.name.clone())),
            ("version", Value::Text(manifest.version.clone())),
            ("component", Value::Bytes(loaded.hash.to_vec())),
            ("manifest", Value::Text(manifest.source.clone())),
            ("origin", Value::Text(manifest.origin.clone())),
            ("base_dir", Value::Text(manifest.base_dir.display().to_string())),
            ("parent", parent.clone().map_or(Value::Null, Value::Text)),
        ];
        if let Some(name) = name {
            started.push(("registered_name", Value::Text(name)));
        }
        chain.record("lifecycle/started", encode(&map(started)));
        let system: Weak<dyn ActorSystem> = Arc::downgrade(&self.inner) as Weak<dyn ActorSystem>;
        let ctx = ActorCtx::new(id.clone(), manifest.clone(), chain, self.inner.logs.clone(), system);
        let closing = std::sync::atomic::AtomicBool::new(false);
        let (registered, closing_seen, component) = (id.clone(), &closing, loaded.clone());
        let register: Register<'_> = Box::new(move |handle| {
            let mut entries = self.entries();
            // Read under the lock shutdown takes too: either shutdown sees this entry, or
            // this sees shutdown begun.
            let is_closing = self.is_closing();
            let info = ActorInfo { id: registered.clone(), handle, manifest, parent, restarts: 0 };
            entries.insert(registered, Entry { info, component, remains: None, quiet: is_closing });
            closing_seen.store(is_closing, std::sync::atomic::Ordering::SeqCst);
        });
        let handle = match self.start(&loaded, ctx, init_state, StartMode::Init, register).await {
            Ok(handle) => handle,
            Err(e) => {
                self.inner.names.release(&id);
                return Err(e);
            }
        };
        drop(reservation);
        if closing.load(std::sync::atomic::Ordering::SeqCst) {
            handle.interrupt();
            return Err(RuntimeError::ShuttingDown);
        }
        Ok(id)
    }

    /// Hold a place for one more actor (child of `parent`), or refuse if the runtime's cap
    /// or the `max_tree_actors` of the parent or any of its ancestors is reached.
    fn reserve(&self, parent: Option<&str>) -> Result<Reservation, RuntimeError> {
        let entries = self.entries();
        let mut pending = self.inner.pending.lock().unwrap_or_else(|p| p.into_inner());
        let pending_ids: Vec<(String, Option<&str>)> = pending.iter().map(|(k, p)| (format!("\0pending-{k}"), p.as_deref())).collect();
        let mut parents: HashMap<&str, Option<&str>> = entries.iter().map(|(id, e)| (id.as_str(), e.info.parent.as_deref())).collect();
        let mut live: Vec<&str> =
            entries.iter().filter(|(_, e)| e.info.handle.status() == ActorStatus::Running).map(|(id, _)| id.as_str()).collect();
        for (id, parent) in &pending_ids {
            parents.insert(id, *parent);
            live.push(id);
        }
        let mut ancestors = Vec::new();
        let mut current = parent;
        while let Some(entry) = current.and_then(|id| entries.get(id)) {
            if ancestors.len() > entries.len() {
                break;
            }
            ancestors.push((entry.info.id.clone(), entry.info.manifest.limits.max_tree_actors));
            current = entry.info.parent.as_deref();
        }
        capacity::check(&live, &parents, &ancestors, self.inner.max_actors).map_err(|e| match e {
            capacity::CapacityError::Runtime { running } => RuntimeError::TooManyActors { running, limit: self.inner.max_actors },
            tree => RuntimeError::TreeFull(tree),
        })?;
        let key = self.inner.next_reservation.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        pending.insert(key, parent.map(str::to_string));
        Ok(Reservation { inner: self.inner.clone(), key })
    }

    fn is_closing(&self) -> bool {
        self.inner.closing.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Begin shutting down: no actor starts from now on, no ending actor is reported to
    /// its supervisor (so none is restarted). Returns every actor.
    pub(crate) fn begin_shutdown(&self) -> Vec<ActorInfo> {
        let mut entries = self.entries();
        self.inner.closing.store(true, std::sync::atomic::Ordering::SeqCst);
        entries.values_mut().map(|entry| {
            entry.quiet = true;
            entry.info.clone()
        }).collect()
    }

    /// Instantiate, run `init` (or `resume`) with `state`, bring back the subtree of a
    /// resumed actor, and start the actor's task. Boxed because it is recursive through
    /// supervision (a task restarts children, which start tasks).
    fn start<'a>(
        &'a self,
        loaded: &'a LoadedComponent,
        ctx: ActorCtx,
        state: Option<Vec<u8>>,
        mode: StartMode,
        register: Register<'a>,
    ) -> BoxFuture<'a, Result<ActorHandle, RuntimeError>> {
        Box::pin(async move {
            let manifest = ctx.manifest.clone();
            let id = ctx.id.clone();
            let pre = self.inner.cache.instance_pre(loaded, &manifest.granted_interfaces())?;
            let limits = &manifest.limits;
            let timeout = Duration::from_millis(limits.call_timeout_ms);
            let mut instance = match ActorInstance::new(&pre, ctx, timeout).await {
                Ok(i) => i,
                Err((e, mut ctx)) => {
                    let reason = e.to_string();
                    fail_start(&mut ctx, &reason).await;
                    return Err(RuntimeError::StartFailed { actor: manifest.name.clone(), id, reason });
                }
            };
            instance.set_state(state);
            let started = match mode {
                StartMode::Init => actor::contain(instance.init(id.clone())).await,
                StartMode::Resume => actor::contain(instance.resume(id.clone())).await,
            };
            let started = started.unwrap_or_else(|panic| Err(actor::CallError::Trap(panic)));
            if let Err(error) = started {
                let mut ctx = instance.into_ctx();
                fail_start(&mut ctx, &error.to_string()).await;
                return Err(RuntimeError::InitFailed { actor: manifest.name.clone(), id, error });
            }
            if mode == StartMode::Resume {
                if let Err(reason) = actor::restore_children(&mut instance).await {
                    let mut ctx = instance.into_ctx();
                    fail_start(&mut ctx, &reason).await;
                    return Err(RuntimeError::StartFailed { actor: manifest.name.clone(), id, reason });
                }
            }
            let (handle, mailbox, status) = ActorHandle::new(id.clone(), limits.mailbox, limits.max_message_bytes, instance.ctx().interrupter());
            register(handle.clone());
            let theater = self.clone();
            tokio::spawn(async move {
                let exit = actor::run(instance, mailbox, status).await;
                theater.on_exit(&id, exit).await;
            });
            Ok(handle)
        })
    }

    /// After an actor's task ends (its children already stopped): keep what a restart
    /// needs, and tell its parent (unless the parent or the runtime stopped it on purpose).
    async fn on_exit(&self, id: &str, exit: Exit) {
        let Exit { status, ctx, state } = exit;
        let data = ctx.shutdown.as_ref().and_then(|s| s.data.clone());
        let (parent, quiet) = {
            let mut entries = self.entries();
            match entries.get_mut(id) {
                Some(entry) => {
                    entry.remains = Some(Remains { ctx, state, component: entry.component.clone(), dormant: false });
                    (entry.info.parent.clone(), entry.quiet)
                }
                None => (None, true),
            }
        };
        self.inner.exited.notify_waiters();
        if quiet {
            return;
        }
        match parent {
            Some(parent) => {
                if let Ok(parent) = self.actor(&parent) {
                    let _ = parent.handle.deliver(actor::Envelope::ChildExited { child: id.to_string(), status, data }).await;
                }
            }
            None => self.root_supervise(id, &status).await,
        }
    }

    /// The root supervisor: restart a top-level actor whose manifest asks for it (`restart`),
    /// one for one, within the default intensity; past it the actor stays down (there is no
    /// one to escalate to).
    async fn root_supervise(&self, id: &str, status: &ActorStatus) {
        let Some(window) = &self.inner.root else { return };
        let Ok(info) = self.actor(id) else { return };
        let policy = info.manifest.restart.unwrap_or(RestartPolicy::Temporary);
        let exit = ChildExit { child: id, policy, failed: matches!(status, ActorStatus::Failed(_)) };
        let decision = {
            let mut window = window.lock().unwrap_or_else(|p| p.into_inner());
            supervision::decide(&exit, &Supervision::default(), &[id.to_string()], &mut window, Instant::now())
        };
        match decision {
            Decision::Restart { .. } => {
                let reason = format!("restarted by the root supervisor after it {status}");
                if let Err(e) = self.restart(id, &reason).await {
                    tracing::warn!("root supervisor: could not restart {id}: {e}");
                }
            }
            Decision::GiveUp { reason } => tracing::warn!("root supervisor: not restarting {id}: {reason}"),
            Decision::Removed | Decision::Manual | Decision::NotRestarted => {}
        }
    }

    /// Restart an ended actor under the same id: a new instance of the same component, its
    /// chain continued with a `lifecycle/restarted` event (the reason and the component's
    /// hash), started from its last committed state, with its subtree. An actor loaded from
    /// a previous server's chain resumes instead (`lifecycle/resumed`).
    pub(crate) async fn restart(&self, id: &str, reason: &str) -> Result<(), RuntimeError> {
        let Remains { mut ctx, state, component: loaded, dormant } = self.take_remains(id).await?;
        ctx.shutdown = None;
        ctx.call.link = None;
        ctx.supervising.restarts.clear();
        ctx.chain.clear_fault();
        ctx.clear_interrupt();
        let fields = vec![("reason", Value::Text(reason.to_string())), ("component", Value::Bytes(loaded.hash.to_vec()))];
        ctx.chain.record(if dormant { "lifecycle/resumed" } else { "lifecycle/restarted" }, encode(&map(fields)));
        ctx.chain.set_status("running");
        let register: Register<'_> = Box::new(move |handle| {
            if let Some(entry) = self.entries().get_mut(id) {
                entry.info.handle = handle;
                if !dormant {
                    entry.info.restarts += 1;
                }
                entry.quiet = false;
            }
        });
        self.start(&loaded, ctx, state, StartMode::Resume, register).await.map(drop)
    }

    /// What a restart of `id` needs, once its task has ended (a stop returns as soon as the
    /// actor's end is published, a moment before its remains are stored).
    async fn take_remains(&self, id: &str) -> Result<Remains, RuntimeError> {
        let deadline = tokio::time::Instant::now() + REMAINS_WAIT;
        loop {
            let exited = self.inner.exited.notified();
            tokio::pin!(exited);
            exited.as_mut().enable();
            {
                let mut entries = self.entries();
                let entry = entries.get_mut(id).ok_or_else(|| RuntimeError::NotFound(id.to_string()))?;
                if let Some(remains) = entry.remains.take() {
                    return Ok(remains);
                }
                if entry.info.handle.status() == ActorStatus::Running {
                    return Err(RuntimeError::NotFound(format!("{id} (still running)")));
                }
            }
            if tokio::time::timeout_at(deadline, exited).await.is_err() {
                return Err(RuntimeError::NotFound(format!("{id} (its end was not recorded in time)")));
            }
        }
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
    pub(crate) fn adopt(&self, info: ActorInfo, component: LoadedComponent, ctx: ActorCtx, state: Option<Vec<u8>>) {
        let id = info.id.clone();
        let remains = Remains { ctx, state, component: component.clone(), dormant: true };
        self.entries().insert(id, Entry { info, component, remains: Some(remains), quiet: true });
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
        self.actor(id).map_err(|_| RuntimeError::NotFound(id.to_string()))?;
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
        if let Some(parent) = info.parent.as_deref().filter(|_| was_running).and_then(|p| self.actor(p).ok()) {
            // A parent that has ended has nothing to be told.
            let _ = parent.handle.deliver(actor::Envelope::ChildStopped { child: id.to_string() }).await;
        }
        Ok(info.handle.status())
    }

    /// Stop every actor, children before parents, flush the chain database and checkpoint it.
    pub async fn shutdown(&self) -> Result<(), RuntimeError> {
        let roots: Vec<String> = self.actors().into_iter().filter(|a| a.parent.is_none()).map(|a| a.id).collect();
        for id in roots {
            self.stop_quietly(&id).await;
        }
        self.finish_chains().await
    }
}

/// Record why an actor never started and mark it failed.
async fn fail_start(ctx: &mut ActorCtx, reason: &str) {
    ctx.chain.record("lifecycle/failed", encode(&map(vec![("reason", Value::Text(reason.to_string()))])));
    ctx.chain.sign_head();
    ctx.chain.set_status(&ActorStatus::Failed(reason.to_string()).to_string());
    if let Err(e) = ctx.chain.flush().await {
        tracing::error!("actor {}: chain not flushed: {e}", ctx.id);
    }
}

//! The registry of running actors: spawns them (sandbox check, compile or load, link only
//! what is granted, instantiate, `init`), routes messages to them and stops them. One
//! `Theater` owns one engine and one chain database.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ciborium::value::Value;
use wasmtime::component::{InstancePre, Linker};

use crate::actor::{self, ActorCtx, ActorError, ActorHandle, ActorInstance, ActorStatus, LogSink};
use crate::chain::payload::{encode, map};
use crate::chain::{now_ms, ActorChain, ActorRecord, ChainDb, Hash};
use crate::engine::{EngineConfig, LoadedComponent, TheaterEngine};
use crate::error::RuntimeError;
use crate::handlers::{self, Handler};
use crate::manifest::Manifest;
use crate::{paths, sandbox};

/// How to build a [`Theater`].
#[derive(Clone)]
pub struct TheaterConfig {
    /// Holds `chains.db` and the compiled-component cache.
    pub data_dir: PathBuf,
    pub engine: EngineConfig,
    /// Where actors' log lines go.
    pub logs: LogSink,
}

impl TheaterConfig {
    /// Defaults: `$THEATER_HOME`, logs to stderr as `[name] line`.
    pub fn new(data_dir: Option<PathBuf>) -> TheaterConfig {
        TheaterConfig {
            data_dir: data_dir.unwrap_or_else(paths::theater_home),
            engine: EngineConfig::default(),
            logs: Arc::new(|line| eprintln!("[{}] {}", line.actor_name, line.message)),
        }
    }
}

/// A started actor as the registry knows it.
#[derive(Clone)]
pub struct ActorInfo {
    pub handle: ActorHandle,
    pub manifest: Arc<Manifest>,
    pub parent: Option<String>,
}

type Granted = BTreeSet<&'static str>;

const TYPES_INTERFACE: &str = "theater:simple/types";

struct Inner {
    engine: Arc<TheaterEngine>,
    db: ChainDb,
    data_dir: PathBuf,
    logs: LogSink,
    handlers: Vec<Arc<dyn Handler>>,
    linkers: Mutex<HashMap<Granted, Arc<Linker<ActorCtx>>>>,
    pres: Mutex<HashMap<(Hash, Granted), InstancePre<ActorCtx>>>,
    actors: Mutex<HashMap<String, ActorInfo>>,
}

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
        let db = ChainDb::open(&paths::chain_db(&config.data_dir))?;
        Ok(Theater {
            inner: Arc::new(Inner {
                engine,
                db,
                handlers: handlers::all(&config.data_dir),
                data_dir: config.data_dir,
                logs: config.logs,
                linkers: Mutex::new(HashMap::new()),
                pres: Mutex::new(HashMap::new()),
                actors: Mutex::new(HashMap::new()),
            }),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    pub fn db(&self) -> &ChainDb {
        &self.inner.db
    }

    /// Start an actor: check its imports against its grants, instantiate it and run `init`.
    /// Returns its id once `init` has succeeded. `init_state` overrides the manifest's.
    pub async fn spawn(&self, manifest: Manifest, init_state: Option<Vec<u8>>, parent: Option<String>) -> Result<String, RuntimeError> {
        let manifest = Arc::new(manifest);
        let granted = manifest.granted_interfaces();
        let bytes = std::fs::read(&manifest.component).map_err(|e| RuntimeError::io(&manifest.component, e))?;
        let origin = manifest.component.display().to_string();
        let imports = sandbox::component_imports(&bytes, &origin)?;
        sandbox::check_imports(&imports, &granted, &manifest.name, &manifest.origin)?;
        for import in imports.iter().filter(|i| *i != TYPES_INTERFACE) {
            if !self.inner.handlers.iter().any(|h| h.interface() == import) {
                return Err(RuntimeError::engine("link the actor", format!("no handler serves {import} in this build")));
            }
        }
        let loaded = self.inner.engine.load_bytes(&bytes, &manifest.component)?;
        let pre = self.instance_pre(&loaded, &granted)?;
        let init_state = match init_state {
            Some(s) => Some(s),
            None => match &manifest.init_state {
                Some(path) => Some(std::fs::read(path).map_err(|e| RuntimeError::io(path, e))?),
                None => None,
            },
        };

        let id = uuid::Uuid::new_v4().to_string();
        let sink = self.inner.db.sink();
        let key = sink.register_actor(ActorRecord {
            actor_id: id.clone(),
            name: manifest.name.clone(),
            parent_id: parent.clone(),
            manifest: manifest.origin.clone(),
            created_ms: now_ms(),
            status: "running".into(),
            events: 0,
        });
        let mut chain = ActorChain::new(sink, key);
        chain.record(
            "lifecycle/started",
            encode(&map(vec![
                ("actor", Value::Text(id.clone())),
                ("name", Value::Text(manifest.name.clone())),
                ("version", Value::Text(manifest.version.clone())),
                ("component", Value::Bytes(loaded.hash.to_vec())),
                ("manifest", Value::Text(manifest.source.clone())),
                ("parent", parent.clone().map_or(Value::Null, Value::Text)),
            ])),
        );
        let limits = &manifest.limits;
        let ctx = ActorCtx::new(id.clone(), manifest.clone(), chain, self.inner.logs.clone(), paths::chain_db(&self.inner.data_dir));
        let timeout = Duration::from_millis(limits.call_timeout_ms);
        let mut instance = match ActorInstance::new(&pre, ctx, timeout).await {
            Ok(i) => i,
            Err((e, mut ctx)) => {
                let reason = e.to_string();
                fail_start(&mut ctx, &reason).await;
                return Err(RuntimeError::StartFailed { actor: manifest.name.clone(), id, reason });
            }
        };
        instance.set_state(init_state);
        if let Err(error) = instance.init(id.clone()).await {
            let mut ctx = instance.into_ctx();
            let reason = error.to_string();
            fail_start(&mut ctx, &reason).await;
            return Err(RuntimeError::InitFailed { actor: manifest.name.clone(), id, error });
        }

        let (handle, mailbox, status) = ActorHandle::new(id.clone(), limits.mailbox, limits.max_message_bytes);
        let info = ActorInfo { handle, manifest, parent };
        if let Ok(mut actors) = self.inner.actors.lock() {
            actors.insert(id.clone(), info);
        }
        tokio::spawn(actor::run(instance, mailbox, status));
        Ok(id)
    }

    /// Linker with exactly the granted interfaces; one per distinct grant set.
    fn linker(&self, granted: &Granted) -> Result<Arc<Linker<ActorCtx>>, RuntimeError> {
        let mut linkers = self.inner.linkers.lock().map_err(|_| RuntimeError::engine("lock the linker cache", "poisoned"))?;
        if let Some(l) = linkers.get(granted) {
            return Ok(l.clone());
        }
        let mut linker = Linker::new(self.inner.engine.engine());
        // `types` defines no functions; an empty instance satisfies components importing it.
        linker.instance(TYPES_INTERFACE).map_err(|e| RuntimeError::engine("link theater:simple/types", e))?;
        for handler in self.inner.handlers.iter().filter(|h| granted.contains(h.interface())) {
            handler.link(&mut linker).map_err(|e| RuntimeError::engine("link a handler", e))?;
        }
        let linker = Arc::new(linker);
        linkers.insert(granted.clone(), linker.clone());
        Ok(linker)
    }

    /// Pre-instantiated component for a grant set: type-checked once, instantiated per actor.
    fn instance_pre(&self, loaded: &LoadedComponent, granted: &Granted) -> Result<InstancePre<ActorCtx>, RuntimeError> {
        let key = (loaded.hash, granted.clone());
        if let Some(pre) = self.inner.pres.lock().ok().and_then(|p| p.get(&key).cloned()) {
            return Ok(pre);
        }
        let linker = self.linker(granted)?;
        let pre = linker.instantiate_pre(&loaded.component).map_err(|e| RuntimeError::engine("link the actor's imports", e))?;
        if let Ok(mut pres) = self.inner.pres.lock() {
            pres.insert(key, pre.clone());
        }
        Ok(pre)
    }

    /// The running (or ended but not yet forgotten) actor with this id.
    pub fn actor(&self, id: &str) -> Result<ActorInfo, ActorError> {
        self.inner
            .actors
            .lock()
            .ok()
            .and_then(|a| a.get(id).cloned())
            .ok_or_else(|| ActorError::NoSuchActor(id.to_string()))
    }

    /// Every actor this runtime started, with its status.
    pub fn actors(&self) -> Vec<ActorInfo> {
        self.inner.actors.lock().map(|a| a.values().cloned().collect()).unwrap_or_default()
    }

    /// Send a message and wait until it is handled.
    pub async fn send(&self, id: &str, msg: Vec<u8>) -> Result<(), ActorError> {
        self.actor(id)?.handle.send(msg).await
    }

    /// Send a request and wait for the reply.
    pub async fn request(&self, id: &str, msg: Vec<u8>) -> Result<Vec<u8>, ActorError> {
        self.actor(id)?.handle.request(msg).await
    }

    /// Stop an actor after the messages already in its mailbox.
    pub async fn stop(&self, id: &str) -> Result<ActorStatus, ActorError> {
        let handle = self.actor(id)?.handle;
        handle.stop().await;
        Ok(handle.status())
    }

    /// Stop every actor and flush the chain database.
    pub async fn shutdown(&self) -> Result<(), RuntimeError> {
        for info in self.actors() {
            if info.handle.status() == ActorStatus::Running {
                info.handle.stop().await;
            }
        }
        self.inner.db.sink().flush_async().await?;
        Ok(())
    }
}

/// Record why an actor never started and mark it failed.
async fn fail_start(ctx: &mut ActorCtx, reason: &str) {
    ctx.chain.record("lifecycle/failed", encode(&map(vec![("reason", Value::Text(reason.to_string()))])));
    ctx.chain.sink().set_status(ctx.chain.key(), &ActorStatus::Failed(reason.to_string()).to_string());
    if let Err(e) = ctx.chain.sink().flush_async().await {
        tracing::error!("actor {}: chain not flushed: {e}", ctx.id);
    }
}

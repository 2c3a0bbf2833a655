//! The spawn pipeline: hold a place against the caps, read and check the component
//! (sandbox, handlers served), compile or load it, register the actor in the chain
//! database, record `lifecycle/started`, instantiate, run `init` (or `resume`) and start
//! the actor's task.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use ciborium::value::Value;

use super::{Entry, Inner, Theater};
use crate::actor::{self, ActorCtx, ActorHandle, ActorInstance, ActorStatus};
use crate::chain::payload::{encode, map};
use crate::chain::{now_ms, ActorChain, ActorRecord};
use crate::engine::LoadedComponent;
use crate::error::RuntimeError;
use crate::manifest::Manifest;
use crate::manifest_files::{read_regular, MAX_COMPONENT_BYTES, MAX_INIT_STATE_BYTES};
use crate::system::{ActorInfo, ActorSystem, BoxFuture};
use crate::{capacity, sandbox};

/// Which export starts an instance: `init` for a new actor; for a restart or resume, the
/// optional `actor-resume.resume` export when the component has it (else `init`, as the
/// contract always did), and then the actor's subtree comes back too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StartMode {
    Init,
    Resume,
}

/// A spawn under way: holds its place against the caps until the actor is registered.
struct Reservation {
    inner: Arc<Inner>,
    key: u64,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.inner
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.key);
    }
}

/// Called once a started actor has its handle, before its task runs, so that however
/// fast the actor ends, its end finds it registered.
pub(super) type Register<'a> = Box<dyn FnOnce(ActorHandle) + Send + 'a>;

impl Theater {
    /// Start an actor: check its imports against its grants, instantiate it and run `init`.
    /// Returns its id once `init` has succeeded. `init_state` overrides the manifest's.
    /// With a `parent`, the actor is that actor's child.
    pub async fn spawn(
        &self,
        manifest: Manifest,
        init_state: Option<Vec<u8>>,
        parent: Option<String>,
    ) -> Result<String, RuntimeError> {
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
        let loaded = self.load(&manifest)?;
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
        let mut chain = match self.open_chain(&id, &manifest, parent.clone()).await {
            Ok(chain) => chain,
            Err(e) => {
                self.inner.names.release(&id);
                return Err(e);
            }
        };
        chain.record(
            "lifecycle/started",
            encode(&started_event(&id, &manifest, &loaded, &parent, name)),
        );
        let system: Weak<dyn ActorSystem> = Arc::downgrade(&self.inner) as Weak<dyn ActorSystem>;
        let ctx = ActorCtx::new(
            id.clone(),
            manifest.clone(),
            chain,
            self.inner.logs.clone(),
            system,
        );
        let closing = std::sync::atomic::AtomicBool::new(false);
        let (registered, closing_seen, component) = (id.clone(), &closing, loaded.clone());
        let register: Register<'_> = Box::new(move |handle| {
            let mut entries = self.entries();
            // Read under the lock shutdown takes too: either shutdown sees this entry, or
            // this sees shutdown begun.
            let is_closing = self.is_closing();
            let info = ActorInfo {
                id: registered.clone(),
                handle,
                manifest,
                parent,
                restarts: 0,
            };
            entries.insert(
                registered,
                Entry {
                    info,
                    component,
                    remains: None,
                    quiet: is_closing,
                },
            );
            closing_seen.store(is_closing, std::sync::atomic::Ordering::SeqCst);
        });
        let handle = match self
            .start(&loaded, ctx, init_state, StartMode::Init, register)
            .await
        {
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

    /// Read the manifest's component, check its imports against the grants and this build's
    /// handlers, compile or load it, and keep its bytes in the component store.
    fn load(&self, manifest: &Manifest) -> Result<LoadedComponent, RuntimeError> {
        let granted = manifest.granted_interfaces();
        let bytes = read_regular(&manifest.component, MAX_COMPONENT_BYTES, "component")?;
        let imports =
            sandbox::component_imports(&bytes, &manifest.component.display().to_string())?;
        sandbox::check_imports(&imports, &granted, &manifest.name, &manifest.origin)?;
        self.inner.cache.check_served(&imports)?;
        let loaded = self.inner.cache.load(&bytes, &manifest.component)?;
        self.inner.components.put(&loaded.hash, &bytes)?;
        Ok(loaded)
    }

    /// Register actor `id` in the chain database and open its chain.
    async fn open_chain(
        &self,
        id: &str,
        manifest: &Manifest,
        parent: Option<String>,
    ) -> Result<ActorChain, RuntimeError> {
        let sink = self.inner.db.sink();
        let record = ActorRecord {
            actor_id: id.to_string(),
            name: manifest.name.clone(),
            parent_id: parent,
            manifest: manifest.origin.clone(),
            created_ms: now_ms(),
            status: "running".into(),
            events: 0,
        };
        let key = sink.register_actor(record).await?;
        Ok(ActorChain::new(sink, key, id))
    }

    /// Hold a place for one more actor (child of `parent`), or refuse if the runtime's cap
    /// or the `max_tree_actors` of the parent or any of its ancestors is reached.
    fn reserve(&self, parent: Option<&str>) -> Result<Reservation, RuntimeError> {
        let entries = self.entries();
        let mut pending = self.inner.pending.lock().unwrap_or_else(|p| p.into_inner());
        let pending_ids: Vec<(String, Option<&str>)> = pending
            .iter()
            .map(|(k, p)| (format!("\0pending-{k}"), p.as_deref()))
            .collect();
        let mut parents: HashMap<&str, Option<&str>> = entries
            .iter()
            .map(|(id, e)| (id.as_str(), e.info.parent.as_deref()))
            .collect();
        let mut live: Vec<&str> = entries
            .iter()
            .filter(|(_, e)| e.info.handle.status() == ActorStatus::Running)
            .map(|(id, _)| id.as_str())
            .collect();
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
            ancestors.push((
                entry.info.id.clone(),
                entry.info.manifest.limits.max_tree_actors,
            ));
            current = entry.info.parent.as_deref();
        }
        capacity::check(&live, &parents, &ancestors, self.inner.max_actors).map_err(
            |e| match e {
                capacity::CapacityError::Runtime { running } => RuntimeError::TooManyActors {
                    running,
                    limit: self.inner.max_actors,
                },
                tree => RuntimeError::TreeFull(tree),
            },
        )?;
        let key = self
            .inner
            .next_reservation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        pending.insert(key, parent.map(str::to_string));
        Ok(Reservation {
            inner: self.inner.clone(),
            key,
        })
    }

    /// Instantiate, run `init` (or `resume`) with `state`, bring back the subtree of a
    /// resumed actor, and start the actor's task. Boxed because it is recursive through
    /// supervision (a task restarts children, which start tasks).
    pub(super) fn start<'a>(
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
            let pre = self
                .inner
                .cache
                .instance_pre(loaded, &manifest.granted_interfaces())?;
            let limits = &manifest.limits;
            let timeout = Duration::from_millis(limits.call_timeout_ms);
            let mut instance = match ActorInstance::new(&pre, ctx, timeout).await {
                Ok(i) => i,
                Err((e, mut ctx)) => {
                    let reason = e.to_string();
                    fail_start(&mut ctx, &reason).await;
                    return Err(RuntimeError::StartFailed {
                        actor: manifest.name.clone(),
                        id,
                        reason,
                    });
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
                return Err(RuntimeError::InitFailed {
                    actor: manifest.name.clone(),
                    id,
                    error,
                });
            }
            if mode == StartMode::Resume {
                if let Err(reason) = actor::restore_children(&mut instance).await {
                    let mut ctx = instance.into_ctx();
                    fail_start(&mut ctx, &reason).await;
                    return Err(RuntimeError::StartFailed {
                        actor: manifest.name.clone(),
                        id,
                        reason,
                    });
                }
            }
            let (handle, mailbox, status) = ActorHandle::new(
                id.clone(),
                limits.mailbox,
                limits.max_message_bytes,
                instance.ctx().interrupter(),
            );
            register(handle.clone());
            instance.ctx().set_own_handle(Some(&handle));
            let theater = self.clone();
            tokio::spawn(async move {
                let exit = actor::run(instance, mailbox, status).await;
                theater.on_exit(&id, exit).await;
            });
            Ok(handle)
        })
    }
}

/// The `lifecycle/started` event: who the actor is, what it runs and where it came from.
fn started_event(
    id: &str,
    manifest: &Manifest,
    loaded: &LoadedComponent,
    parent: &Option<String>,
    name: Option<String>,
) -> Value {
    let mut started = vec![
        ("actor", Value::Text(id.to_string())),
        ("name", Value::Text(manifest.name.clone())),
        ("version", Value::Text(manifest.version.clone())),
        ("component", Value::Bytes(loaded.hash.to_vec())),
        ("manifest", Value::Text(manifest.source.clone())),
        ("origin", Value::Text(manifest.origin.clone())),
        (
            "base_dir",
            Value::Text(manifest.base_dir.display().to_string()),
        ),
        ("parent", parent.clone().map_or(Value::Null, Value::Text)),
    ];
    if let Some(name) = name {
        started.push(("registered_name", Value::Text(name)));
    }
    map(started)
}

/// Record why an actor never started and mark it failed.
async fn fail_start(ctx: &mut ActorCtx, reason: &str) {
    ctx.chain.record(
        "lifecycle/failed",
        encode(&map(vec![("reason", Value::Text(reason.to_string()))])),
    );
    ctx.chain.sign_head();
    ctx.chain
        .set_status(&ActorStatus::Failed(reason.to_string()).to_string());
    if let Err(e) = ctx.chain.flush().await {
        tracing::error!("actor {}: chain not flushed: {e}", ctx.id);
    }
}

//! Compiled components and how they link, shared by spawn, restart and replay: the engine
//! (which compiles, or loads from the on-disk cache), one linker per distinct grant set,
//! and one `InstancePre` per component and grant set, type-checked once and instantiated
//! per actor. Only the handlers a grant set names are linked into its linker.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use wasmtime::component::{InstancePre, Linker};

use crate::actor::ActorCtx;
use crate::chain::Hash;
use crate::engine::{LoadedComponent, TheaterEngine};
use crate::error::RuntimeError;
use crate::handlers::Handler;
use crate::manifest::TYPE_ONLY_INTERFACES;

/// The interfaces a manifest grants.
pub(crate) type Granted = BTreeSet<&'static str>;

/// A component compiled once, by hash, linked once per grant set.
#[derive(Clone, PartialEq, Eq, Hash)]
struct PreKey {
    component: Hash,
    granted: Granted,
}

/// The engine, the handlers it links, and what is already linked.
pub(crate) struct ComponentCache {
    engine: Arc<TheaterEngine>,
    handlers: Vec<Arc<dyn Handler>>,
    linkers: Mutex<HashMap<Granted, Arc<Linker<ActorCtx>>>>,
    pres: Mutex<HashMap<PreKey, InstancePre<ActorCtx>>>,
}

impl ComponentCache {
    pub(crate) fn new(
        engine: Arc<TheaterEngine>,
        handlers: Vec<Arc<dyn Handler>>,
    ) -> ComponentCache {
        ComponentCache {
            engine,
            handlers,
            linkers: Mutex::default(),
            pres: Mutex::default(),
        }
    }

    /// Compile `bytes` (the component at `path`), or load its compiled form from the cache.
    pub(crate) fn load(&self, bytes: &[u8], path: &Path) -> Result<LoadedComponent, RuntimeError> {
        self.engine.load_bytes(bytes, path)
    }

    /// Refuse imports no handler of this build serves (type-only interfaces need none).
    pub(crate) fn check_served(&self, imports: &[String]) -> Result<(), RuntimeError> {
        for import in imports
            .iter()
            .filter(|i| !TYPE_ONLY_INTERFACES.contains(&i.as_str()))
        {
            if !self.handlers.iter().any(|h| h.interface() == import) {
                return Err(RuntimeError::engine(
                    "link the actor",
                    format!("no handler serves {import} in this build"),
                ));
            }
        }
        Ok(())
    }

    /// Pre-instantiated component for a grant set: type-checked once, instantiated per actor.
    pub(crate) fn instance_pre(
        &self,
        loaded: &LoadedComponent,
        granted: &Granted,
    ) -> Result<InstancePre<ActorCtx>, RuntimeError> {
        let key = PreKey {
            component: loaded.hash,
            granted: granted.clone(),
        };
        if let Some(pre) = self.pres.lock().ok().and_then(|p| p.get(&key).cloned()) {
            return Ok(pre);
        }
        let linker = self.linker(granted)?;
        let pre = linker
            .instantiate_pre(&loaded.component)
            .map_err(|e| RuntimeError::engine("link the actor's imports", e))?;
        if let Ok(mut pres) = self.pres.lock() {
            pres.insert(key, pre.clone());
        }
        Ok(pre)
    }

    /// Linker with exactly the granted interfaces; one per distinct grant set.
    fn linker(&self, granted: &Granted) -> Result<Arc<Linker<ActorCtx>>, RuntimeError> {
        let mut linkers = self.linkers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(l) = linkers.get(granted) {
            return Ok(l.clone());
        }
        let mut linker = Linker::new(self.engine.engine());
        // Type-only interfaces define no functions; an empty instance satisfies a component
        // importing one.
        for interface in TYPE_ONLY_INTERFACES {
            linker
                .instance(interface)
                .map_err(|e| RuntimeError::engine("link a type-only interface", e))?;
        }
        for handler in self
            .handlers
            .iter()
            .filter(|h| granted.contains(h.interface()))
        {
            handler
                .link(&mut linker)
                .map_err(|e| RuntimeError::engine("link a handler", e))?;
        }
        let linker = Arc::new(linker);
        linkers.insert(granted.clone(), linker.clone());
        Ok(linker)
    }
}

//! The wasmtime engine Theater runs every actor on: component model, pooling allocator,
//! epoch interruption for call timeouts, and a disk cache of compiled components keyed by
//! the component's SHA-256 and the engine's configuration.

use std::collections::HashMap;
use std::hash::{Hash as _, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use wasmtime::component::Component;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::chain::{sha256, Hash};
use crate::error::RuntimeError;
use crate::manifest::MAX_MEMORY_MB;

/// How often the epoch advances; call timeouts are checked at this granularity.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Engine sizing. `max_actors` sizes the pooling allocator's slots.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub max_actors: u32,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig { max_actors: 1000 }
    }
}

/// A loaded component with its content hash.
#[derive(Clone)]
pub struct LoadedComponent {
    pub component: Component,
    pub hash: Hash,
}

/// The shared engine plus the in-memory and on-disk component caches.
pub struct TheaterEngine {
    engine: Engine,
    cache_dir: PathBuf,
    config_key: String,
    loaded: Mutex<HashMap<Hash, LoadedComponent>>,
}

impl TheaterEngine {
    /// Build the engine and start its epoch ticker.
    pub fn new(
        config: &EngineConfig,
        cache_dir: &Path,
    ) -> Result<Arc<TheaterEngine>, RuntimeError> {
        let engine = match Engine::new(&config.wasmtime_config()) {
            Ok(engine) => engine,
            Err(e) => {
                // Some hosts cap virtual memory below what the pool reserves; on-demand
                // allocation still works there, only slower to instantiate.
                tracing::warn!("pooling allocator unavailable ({e}); using on-demand allocation");
                Engine::new(&base_config()).map_err(|e| RuntimeError::engine("start", e))?
            }
        };
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let this = Arc::new(TheaterEngine {
            engine,
            cache_dir: cache_dir.to_path_buf(),
            config_key: format!("{:016x}", hasher.finish()),
            loaded: Mutex::new(HashMap::new()),
        });
        start_ticker(Arc::downgrade(&this));
        Ok(this)
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Load component bytes — from memory if seen before, else from the disk cache, else
    /// by compiling them (and caching the result). `origin` names them in errors; the bytes
    /// must already have passed the sandbox check, which rejects core modules clearly.
    pub fn load_bytes(&self, bytes: &[u8], origin: &Path) -> Result<LoadedComponent, RuntimeError> {
        let hash = sha256(bytes);
        if let Some(c) = self.loaded.lock().ok().and_then(|m| m.get(&hash).cloned()) {
            return Ok(c);
        }
        let cached =
            self.cache_dir
                .join(format!("{}-{}.cwasm", hex::encode(hash), self.config_key));
        let component = match self.deserialize_cached(&cached) {
            Some(c) => c,
            None => {
                let c = Component::new(&self.engine, bytes).map_err(|e| {
                    RuntimeError::NotAComponent {
                        path: origin.to_path_buf(),
                        reason: format!("{e:#}"),
                    }
                })?;
                self.write_cache(&cached, &c);
                c
            }
        };
        let loaded = LoadedComponent { component, hash };
        if let Ok(mut m) = self.loaded.lock() {
            m.insert(hash, loaded.clone());
        }
        Ok(loaded)
    }

    fn deserialize_cached(&self, path: &Path) -> Option<Component> {
        if !path.is_file() {
            return None;
        }
        // SAFETY: files in the cache directory are written only by `write_cache` below from
        // `Component::serialize` of this engine configuration (the file name carries the
        // configuration hash); wasmtime also checks the header and version before loading.
        match unsafe { Component::deserialize_file(&self.engine, path) } {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!("ignoring unusable cache entry {}: {e}", path.display());
                None
            }
        }
    }

    fn write_cache(&self, path: &Path, component: &Component) {
        let write = || -> std::io::Result<()> {
            let bytes = component.serialize().map_err(std::io::Error::other)?;
            std::fs::create_dir_all(&self.cache_dir)?;
            let tmp = path.with_extension(format!("tmp{}", std::process::id()));
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, path)
        };
        if let Err(e) = write() {
            // The cache only saves compile time; running without it is correct.
            tracing::warn!(
                "could not cache compiled component at {}: {e}",
                path.display()
            );
        }
    }
}

impl EngineConfig {
    /// The wasmtime configuration actors run with: the component model, epoch interruption
    /// and a pooling allocator sized for `max_actors`. Public so benchmarks can measure raw
    /// wasmtime configured exactly as Theater configures it.
    pub fn wasmtime_config(&self) -> Config {
        let mut config = base_config();
        let actors = self.max_actors.max(1);
        let max_memory = (MAX_MEMORY_MB as usize) << 20;
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(actors)
            // wit-component output holds the actor's module plus small shim modules.
            .max_core_instances_per_component(16)
            .total_core_instances(actors.saturating_mul(4))
            .max_memories_per_component(2)
            .total_memories(actors)
            .max_tables_per_component(8)
            .total_tables(actors.saturating_mul(4))
            .total_stacks(actors)
            .max_memory_size(max_memory);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        config.memory_reservation(max_memory as u64);
        config
    }
}

/// What every engine needs, pooled or not.
fn base_config() -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config
}

/// Advance the engine's epoch every [`EPOCH_TICK`] until the engine is dropped.
fn start_ticker(engine: Weak<TheaterEngine>) {
    let spawned = std::thread::Builder::new()
        .name("theater-epoch".into())
        .spawn(move || loop {
            std::thread::sleep(EPOCH_TICK);
            match engine.upgrade() {
                Some(e) => e.engine.increment_epoch(),
                None => return,
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the epoch ticker, call timeouts will not fire: {e}");
    }
}

//! Host interfaces, one file each, all behind the [`Handler`] trait. A handler links the
//! functions of one WIT interface; the runtime links only the handlers a manifest grants,
//! so an ungranted interface simply does not exist for the guest.

mod environment;
mod filesystem;
mod host_fn;
mod http_client;
mod message_server;
mod random;
mod runtime;
mod store;
mod supervisor;
mod timing;

use std::sync::Arc;

use wasmtime::component::Linker;

use crate::actor::ActorCtx;

pub(crate) use host_fn::{define_async, define_sending_async, define_sending_sync, define_summarised, define_sync, define_sync_prepared, OUTGOING};

/// A host interface that can be granted to actors.
pub trait Handler: Send + Sync {
    /// The WIT interface it serves, e.g. `theater:simple/runtime`.
    fn interface(&self) -> &'static str;
    /// Define the interface's functions in `linker`.
    fn link(&self, linker: &mut Linker<ActorCtx>) -> wasmtime::Result<()>;
}

/// Every handler this runtime can serve. `data_dir` is where handlers that persist
/// (the store) keep their files.
pub fn all(data_dir: &std::path::Path) -> Vec<Arc<dyn Handler>> {
    vec![
        Arc::new(runtime::RuntimeHandler),
        Arc::new(message_server::MessageServerHandler),
        Arc::new(supervisor::SupervisorHandler),
        Arc::new(store::StoreHandler::new(data_dir)),
        Arc::new(timing::TimingHandler),
        Arc::new(random::RandomHandler),
        Arc::new(environment::EnvironmentHandler),
        Arc::new(filesystem::FilesystemHandler),
        Arc::new(http_client::HttpClientHandler::default()),
    ]
}

//! Host interfaces, one file each, all behind the [`Handler`] trait. A handler links the
//! functions of one WIT interface; the runtime links only the handlers a manifest grants,
//! so an ungranted interface simply does not exist for the guest.

mod environment;
mod filesystem;
mod host_fn;
#[cfg(feature = "http-client")]
mod http_client;
#[cfg(feature = "http-framework")]
mod http_framework;
mod message_server;
mod random;
mod runtime;
mod store;
mod supervisor;
mod timers;
mod timing;

use std::sync::Arc;

use wasmtime::component::Linker;

use crate::actor::ActorCtx;

pub use host_fn::{
    define_async, define_sending_async, define_sending_sync, define_summarised, define_sync,
    define_sync_prepared, HostFuture,
};

/// A host interface that can be granted to actors. Define its functions with the
/// `define_*` functions of this module: they record every call in the actor's chain and
/// answer it from the recording in a replay.
pub trait Handler: Send + Sync {
    /// The WIT interface it serves, e.g. `theater:simple/runtime`.
    fn interface(&self) -> &'static str;
    /// Define the interface's functions in `linker`.
    fn link(&self, linker: &mut Linker<ActorCtx>) -> wasmtime::Result<()>;
}

/// The handlers this build serves. `data_dir` is where handlers that persist (the store)
/// keep their files. `http-client` and `http-framework` are there with the cargo features
/// of those names (on by default); without one, a manifest granting it is refused when the
/// actor starts.
pub fn builtin(data_dir: &std::path::Path) -> Vec<Arc<dyn Handler>> {
    #[allow(unused_mut)] // pushed to only with the `http-client` or `http-framework` feature
    let mut handlers: Vec<Arc<dyn Handler>> = vec![
        Arc::new(runtime::RuntimeHandler),
        Arc::new(message_server::MessageServerHandler),
        Arc::new(supervisor::SupervisorHandler),
        Arc::new(store::StoreHandler::new(data_dir)),
        Arc::new(timing::TimingHandler),
        Arc::new(random::RandomHandler),
        Arc::new(environment::EnvironmentHandler),
        Arc::new(filesystem::FilesystemHandler),
        Arc::new(timers::TimersHandler),
    ];
    #[cfg(feature = "http-client")]
    handlers.push(Arc::new(http_client::HttpClientHandler::default()));
    #[cfg(feature = "http-framework")]
    handlers.push(Arc::new(http_framework::HttpFrameworkHandler));
    handlers
}

/// `base` with `extra` added, each replacing the one of `base` that serves its interface.
pub fn extend(
    mut base: Vec<Arc<dyn Handler>>,
    extra: &[Arc<dyn Handler>],
) -> Vec<Arc<dyn Handler>> {
    for handler in extra {
        base.retain(|h| h.interface() != handler.interface());
        base.push(handler.clone());
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Named(&'static str);

    impl Handler for Named {
        fn interface(&self) -> &'static str {
            self.0
        }
        fn link(&self, _: &mut Linker<ActorCtx>) -> wasmtime::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn an_extra_handler_replaces_the_one_serving_its_interface_and_adds_the_rest() {
        let base: Vec<Arc<dyn Handler>> = vec![Arc::new(Named("a")), Arc::new(Named("b"))];
        let replacement: Arc<dyn Handler> = Arc::new(Named("b"));
        let extra = [
            replacement.clone(),
            Arc::new(Named("c")) as Arc<dyn Handler>,
        ];
        let list = extend(base, &extra);
        let names: Vec<&str> = list.iter().map(|h| h.interface()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert!(
            Arc::ptr_eq(&list[1], &replacement),
            "the embedder's handler serves b"
        );
    }
}

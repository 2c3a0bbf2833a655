//! The baseline: the same component on plain wasmtime 48, with an engine configured exactly as
//! Theater's (so both run the same machine code from the same kind of pool), the smallest host
//! linker that instantiates the fixture, and synchronous calls. No chain, no mailbox, no
//! recording: what any embedding must pay at least.

use wasmtime::component::{
    Component, ComponentNamedList, Instance, InstancePre, Lift, Linker, Lower, TypedFunc,
};
use wasmtime::{Engine, Store};

/// An actor's state argument and result, as the theater:simple contract passes it.
type State = Option<Vec<u8>>;

/// An export with the contract's shape: `(state, params) -> result<ret, string>`.
type Export<A, Ret> = TypedFunc<(State, A), (Result<Ret, String>,)>;
type HandleSend = Export<(Vec<u8>,), (State,)>;
type HandleRequest = Export<(String, Vec<u8>), (State, (Option<Vec<u8>>,))>;

/// No ticker advances the raw engine's epoch, so any deadline is never reached; a far one
/// documents that intent.
const NO_DEADLINE: u64 = 1 << 40;

/// An engine configured exactly as Theater configures its own (`EngineConfig::wasmtime_config`):
/// component model, epoch interruption, and a pooling allocator sized for `max_instances`.
pub fn engine(max_instances: u32) -> Engine {
    let config = theater_runtime::EngineConfig {
        max_actors: max_instances,
    }
    .wasmtime_config();
    Engine::new(&config)
        .expect("raw wasmtime engine with the same pooling configuration as Theater's")
}

/// A component linked once and ready to instantiate.
pub struct Raw {
    pre: InstancePre<()>,
}

impl Raw {
    /// Link `runtime.log` as a no-op (every fixture's `init` logs) and every other import as
    /// a trap: the benchmarked exports make no other host calls.
    pub fn new(engine: &Engine, component: &Component) -> Raw {
        let mut linker = Linker::new(engine);
        linker
            .instance("theater:simple/runtime")
            .and_then(|mut runtime| runtime.func_wrap("log", |_, (_msg,): (String,)| Ok(())))
            .expect("define runtime.log in the raw linker");
        linker
            .define_unknown_imports_as_traps(component)
            .expect("stub the fixture's other imports");
        Raw {
            pre: linker
                .instantiate_pre(component)
                .expect("the fixture links against the raw linker"),
        }
    }

    /// Start an actor the raw way: a store, an instance from the pre-instantiated component,
    /// and one call of `init`.
    pub fn spawn(&self, id: &str) -> RawActor {
        let mut store = Store::new(self.pre.engine(), ());
        store.set_epoch_deadline(NO_DEADLINE);
        let instance = self
            .pre
            .instantiate(&mut store)
            .expect("instantiate the fixture on raw wasmtime");
        let init: Export<(String,), (State,)> =
            export(&mut store, &instance, "theater:simple/actor", "init");
        let (result,) = init
            .call(&mut store, (None, (id.to_string(),)))
            .expect("raw init call");
        let (state,) = result.expect("the fixture's init succeeds");
        RawActor {
            store,
            instance,
            state,
            send: None,
            request: None,
        }
    }
}

/// A raw instance with its state threaded through calls, as Theater threads it.
pub struct RawActor {
    store: Store<()>,
    instance: Instance,
    state: State,
    send: Option<HandleSend>,
    request: Option<HandleRequest>,
}

impl RawActor {
    /// Call `handle-send` with `msg`; the returned state becomes the next call's.
    pub fn send(&mut self, msg: &[u8]) {
        let f = *self.send.get_or_insert_with(|| {
            export(
                &mut self.store,
                &self.instance,
                MESSAGE_SERVER,
                "handle-send",
            )
        });
        let (result,) = f
            .call(&mut self.store, (self.state.take(), (msg.to_vec(),)))
            .expect("raw handle-send call");
        let (state,) = result.expect("the fixture accepts the benchmark's message");
        self.state = state;
    }

    /// Call `handle-request` with `msg` and return the reply.
    pub fn request(&mut self, msg: &[u8]) -> Vec<u8> {
        let f = *self.request.get_or_insert_with(|| {
            export(
                &mut self.store,
                &self.instance,
                MESSAGE_SERVER,
                "handle-request",
            )
        });
        let (result,) = f
            .call(
                &mut self.store,
                (self.state.take(), ("req-1".to_string(), msg.to_vec())),
            )
            .expect("raw handle-request call");
        let (state, (reply,)) = result.expect("the fixture answers the benchmark's request");
        self.state = state;
        reply.expect("the fixture replies at once")
    }
}

const MESSAGE_SERVER: &str = "theater:simple/message-server-client";

/// Look up `interface.name` with its contract signature, as Theater's `Exports::lookup` does.
fn export<A, R>(
    store: &mut Store<()>,
    instance: &Instance,
    interface: &str,
    name: &str,
) -> TypedFunc<A, R>
where
    A: ComponentNamedList + Lower,
    R: ComponentNamedList + Lift,
{
    let iface = instance
        .get_export_index(&mut *store, None, interface)
        .unwrap_or_else(|| panic!("the fixture exports {interface}"));
    let func = instance
        .get_export_index(&mut *store, Some(&iface), name)
        .unwrap_or_else(|| panic!("the fixture exports {interface}.{name}"));
    instance
        .get_typed_func(&mut *store, func)
        .unwrap_or_else(|e| panic!("{interface}.{name} has the contract's signature: {e}"))
}

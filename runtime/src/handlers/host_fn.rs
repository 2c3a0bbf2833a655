//! The one wrapper every host function goes through. It records the call — the guest's
//! parameters and the host's answer — as one chain event named `<interface>/<function>`,
//! so each handler implements only its behaviour and the chain stays complete by
//! construction. In a replay it does not run the handler at all: it checks that the guest
//! asked for the recorded call and answers with the recorded result (`replay::answer`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::{ComponentNamedList, LinkerInstance, Lift, Lower};
use wasmtime::StoreContextMut;

use crate::actor::ActorCtx;
use crate::chain::payload::Wire;
use crate::limits::Interrupted;

/// A boxed host future borrowing the actor's context.
pub(crate) type HostFuture<'a, R> = Pin<Box<dyn Future<Output = wasmtime::Result<R>> + Send + 'a>>;

/// Define a host function that answers at once. An `Err` traps the guest: use it only for
/// host faults; refusals the guest should handle belong in the WIT result.
pub(crate) fn define_sync<P, R, F>(inst: &mut LinkerInstance<'_, ActorCtx>, interface: &str, name: &str, f: F) -> wasmtime::Result<()>
where
    P: ComponentNamedList + Lift + Wire + 'static,
    R: ComponentNamedList + Lower + Wire + 'static,
    F: Fn(&mut ActorCtx, P) -> wasmtime::Result<R> + Send + Sync + 'static,
{
    let event_type: Arc<str> = format!("{interface}/{name}").into();
    inst.func_wrap(name, move |mut store: StoreContextMut<'_, ActorCtx>, params: P| {
        let ctx = store.data_mut();
        let recorded_params = params.to_value();
        if ctx.replay.is_some() {
            return crate::replay::answer(ctx, &event_type, recorded_params);
        }
        let result = f(ctx, params)?;
        ctx.record_host_call(&event_type, recorded_params, result.to_value());
        Ok(result)
    })
}

/// Define a host function that may wait (for another actor, a timer). The guest blocks;
/// its task yields, so other actors keep running, and the wait does not count against
/// the guest's call timeout. An interruption by the runtime ends the wait with a trap.
pub(crate) fn define_async<P, R, F>(inst: &mut LinkerInstance<'_, ActorCtx>, interface: &str, name: &str, f: F) -> wasmtime::Result<()>
where
    P: ComponentNamedList + Lift + Wire + Send + 'static,
    R: ComponentNamedList + Lower + Wire + Send + 'static,
    F: for<'a> Fn(&'a mut ActorCtx, P) -> HostFuture<'a, R> + Send + Sync + 'static,
{
    let event_type: Arc<str> = format!("{interface}/{name}").into();
    let f = Arc::new(f);
    inst.func_wrap_async(name, move |mut store: StoreContextMut<'_, ActorCtx>, params: P| {
        let event_type = event_type.clone();
        let f = f.clone();
        Box::new(async move {
            let ctx = store.data_mut();
            let recorded_params = params.to_value();
            if ctx.replay.is_some() {
                return crate::replay::answer(ctx, &event_type, recorded_params);
            }
            let until_interrupted = ctx.until_interrupted();
            let started = Instant::now();
            // A wait ends when the runtime interrupts the actor (shutdown): the call traps.
            let result = tokio::select! {
                result = f(ctx, params) => result?,
                () = until_interrupted => return Err(Interrupted.into()),
            };
            ctx.extend_deadline(started.elapsed());
            ctx.record_host_call(&event_type, recorded_params, result.to_value());
            Ok(result)
        })
    })
}

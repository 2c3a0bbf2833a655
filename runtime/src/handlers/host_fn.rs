//! The one wrapper every host function goes through. It records the call — the guest's
//! parameters and the host's answer — as one chain event named `<interface>/<function>`,
//! so each handler implements only its behaviour and the chain stays complete by
//! construction. In a replay it does not run the handler at all: it checks that the guest
//! asked for the recorded call and answers with the recorded result (`replay::answer`).
//! A call that sends a message records `message/outgoing` first, so the message can name
//! the event that sent it as its cause.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::{ComponentNamedList, LinkerInstance, Lift, Lower};
use wasmtime::StoreContextMut;

use crate::actor::{unrecorded, ActorCtx};
use crate::chain::payload::Wire;
use crate::limits::Interrupted;

/// A boxed host future borrowing the actor's context.
pub(crate) type HostFuture<'a, R> = Pin<Box<dyn Future<Output = wasmtime::Result<R>> + Send + 'a>>;

/// The event a message-sending host call records before its message leaves: the receiver's
/// `cause` names it, so a reader follows a message from the exact event that sent it. The
/// call's own event (parameters, result) follows it.
pub(crate) const OUTGOING: &str = "message/outgoing";

/// Whether the time a handler takes counts against the guest's call timeout.
#[derive(Clone, Copy, PartialEq, Eq)]
enum HandlerTime {
    /// Work done for the guest at once: it pays for it.
    Counts,
    /// Waiting for someone else (another actor, a timer): not the guest's to pay.
    Excused,
}

/// How a host function is recorded.
#[derive(Clone, Copy)]
struct Recording {
    time: HandlerTime,
    /// It sends a message: record [`OUTGOING`] before the handler runs.
    sends: bool,
}

/// Define a host function that answers at once. An `Err` traps the guest: use it only for
/// host faults; refusals the guest should handle belong in the WIT result.
pub(crate) fn define_sync<P, R, F>(inst: &mut LinkerInstance<'_, ActorCtx>, interface: &str, name: &str, f: F) -> wasmtime::Result<()>
where
    P: ComponentNamedList + Lift + Wire + Send + 'static,
    R: ComponentNamedList + Lower + Wire + Send + 'static,
    F: Fn(&mut ActorCtx, P) -> wasmtime::Result<R> + Send + Sync + 'static,
{
    wrap(inst, interface, name, Recording { time: HandlerTime::Counts, sends: false }, at_once(f))
}

/// [`define_sync`] for a function that sends a message (recorded with [`OUTGOING`] first).
pub(crate) fn define_sending_sync<P, R, F>(inst: &mut LinkerInstance<'_, ActorCtx>, interface: &str, name: &str, f: F) -> wasmtime::Result<()>
where
    P: ComponentNamedList + Lift + Wire + Send + 'static,
    R: ComponentNamedList + Lower + Wire + Send + 'static,
    F: Fn(&mut ActorCtx, P) -> wasmtime::Result<R> + Send + Sync + 'static,
{
    wrap(inst, interface, name, Recording { time: HandlerTime::Counts, sends: true }, at_once(f))
}

/// A synchronous handler as a future that is ready at once.
fn at_once<P, R, F>(f: F) -> impl for<'a> Fn(&'a mut ActorCtx, P) -> HostFuture<'a, R> + Send + Sync + 'static
where
    P: 'static,
    R: Send + 'static,
    F: Fn(&mut ActorCtx, P) -> wasmtime::Result<R> + Send + Sync + 'static,
{
    move |ctx, params| Box::pin(std::future::ready(f(ctx, params)))
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
    wrap(inst, interface, name, Recording { time: HandlerTime::Excused, sends: false }, f)
}

/// [`define_async`] for a function that sends a message (recorded with [`OUTGOING`] first).
pub(crate) fn define_sending_async<P, R, F>(inst: &mut LinkerInstance<'_, ActorCtx>, interface: &str, name: &str, f: F) -> wasmtime::Result<()>
where
    P: ComponentNamedList + Lift + Wire + Send + 'static,
    R: ComponentNamedList + Lower + Wire + Send + 'static,
    F: for<'a> Fn(&'a mut ActorCtx, P) -> HostFuture<'a, R> + Send + Sync + 'static,
{
    wrap(inst, interface, name, Recording { time: HandlerTime::Excused, sends: true }, f)
}

/// Record the call around the handler. Every host function first waits while the chain
/// writer's queue is full (back-pressure; never the guest's time to pay) and refuses to run
/// for an actor whose events can no longer be stored.
fn wrap<P, R, F>(inst: &mut LinkerInstance<'_, ActorCtx>, interface: &str, name: &str, how: Recording, f: F) -> wasmtime::Result<()>
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
                if how.sends {
                    ctx.record_outgoing(&event_type, &recorded_params);
                }
                return crate::replay::answer(ctx, &event_type, recorded_params);
            }
            let until_interrupted = ctx.until_interrupted();
            tokio::pin!(until_interrupted);
            // Every wait ends when the runtime interrupts the actor (shutdown): the call traps.
            let waited = tokio::select! {
                waited = ctx.chain.wait_for_room() => waited,
                () = &mut until_interrupted => return Err(Interrupted.into()),
            };
            ctx.extend_deadline(waited);
            if let Some(reason) = ctx.chain.fault() {
                return Err(wasmtime::Error::msg(unrecorded(&reason)));
            }
            if how.sends {
                ctx.record_outgoing(&event_type, &recorded_params);
            }
            let started = Instant::now();
            let result = tokio::select! {
                result = f(ctx, params) => result?,
                () = &mut until_interrupted => return Err(Interrupted.into()),
            };
            if how.time == HandlerTime::Excused {
                ctx.extend_deadline(started.elapsed());
            }
            ctx.record_host_call(&event_type, recorded_params, result.to_value());
            Ok(result)
        })
    })
}

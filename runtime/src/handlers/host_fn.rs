//! The one wrapper every host function goes through. It records the call — the guest's
//! parameters and the host's answer — as one chain event named `<interface>/<function>`,
//! so each handler implements only its behaviour and the chain stays complete by
//! construction. In a replay it does not run the handler at all: it checks that the guest
//! asked for the recorded call and answers with the recorded result
//! (`ActorCtx::answer_from_recording`).
//! A call that sends a message records `message/outgoing` first, so the message can name
//! the event that sent it as its cause.
//!
//! The wrapper also keeps the boundary's limits: a call past `[limits] max_events_per_sec`
//! or `max_event_bytes` traps, and a call that traps (for that or any other reason) is
//! recorded as a refusal — the digest of its parameters and the reason — so a replay traps
//! at the same point.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use ciborium::value::Value;
use wasmtime::component::{ComponentNamedList, Lift, LinkerInstance, Lower};
use wasmtime::StoreContextMut;

use crate::actor::{unrecorded, ActorCtx};
use crate::chain::payload::Wire;
use crate::limits::Interrupted;

/// A boxed host future borrowing the actor's context.
pub type HostFuture<'a, R> = Pin<Box<dyn Future<Output = wasmtime::Result<R>> + Send + 'a>>;

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
    /// It sends a message: record `message/outgoing` before the handler runs.
    sends: bool,
}

/// Define a host function that answers at once. An `Err` traps the guest: use it only for
/// host faults and exceeded limits; refusals the guest should handle belong in the WIT result.
pub fn define_sync<P, R, F>(
    inst: &mut LinkerInstance<'_, ActorCtx>,
    interface: &str,
    name: &str,
    f: F,
) -> wasmtime::Result<()>
where
    P: ComponentNamedList + Lift + Wire + Send + 'static,
    R: ComponentNamedList + Lower + Wire + Send + 'static,
    F: Fn(&mut ActorCtx, P) -> wasmtime::Result<R> + Send + Sync + 'static,
{
    define_sync_prepared(inst, interface, name, |_, params| params, f)
}

/// [`define_sync`], with the guest's parameters first passed through `prepare` (e.g. a log
/// line cut to its limit), both live and in a replay, so the chain records what the
/// handler was actually given.
pub fn define_sync_prepared<P, R, F>(
    inst: &mut LinkerInstance<'_, ActorCtx>,
    interface: &str,
    name: &str,
    prepare: fn(&ActorCtx, P) -> P,
    f: F,
) -> wasmtime::Result<()>
where
    P: ComponentNamedList + Lift + Wire + Send + 'static,
    R: ComponentNamedList + Lower + Wire + Send + 'static,
    F: Fn(&mut ActorCtx, P) -> wasmtime::Result<R> + Send + Sync + 'static,
{
    let how = Recording {
        time: HandlerTime::Counts,
        sends: false,
    };
    wrap(
        inst,
        interface,
        name,
        how,
        prepare,
        recorded_whole(at_once(f)),
        rebuilt_whole,
    )
}

/// [`define_sync`] for a function that sends a message (recorded with `message/outgoing` first).
pub fn define_sending_sync<P, R, F>(
    inst: &mut LinkerInstance<'_, ActorCtx>,
    interface: &str,
    name: &str,
    f: F,
) -> wasmtime::Result<()>
where
    P: ComponentNamedList + Lift + Wire + Send + 'static,
    R: ComponentNamedList + Lower + Wire + Send + 'static,
    F: Fn(&mut ActorCtx, P) -> wasmtime::Result<R> + Send + Sync + 'static,
{
    let how = Recording {
        time: HandlerTime::Counts,
        sends: true,
    };
    wrap(
        inst,
        interface,
        name,
        how,
        |_, params| params,
        recorded_whole(at_once(f)),
        rebuilt_whole,
    )
}

/// A synchronous handler as a future that is ready at once.
fn at_once<P, R, F>(
    f: F,
) -> impl for<'a> Fn(&'a mut ActorCtx, P) -> HostFuture<'a, R> + Send + Sync + 'static
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
pub fn define_async<P, R, F>(
    inst: &mut LinkerInstance<'_, ActorCtx>,
    interface: &str,
    name: &str,
    f: F,
) -> wasmtime::Result<()>
where
    P: ComponentNamedList + Lift + Wire + Send + 'static,
    R: ComponentNamedList + Lower + Wire + Send + 'static,
    F: for<'a> Fn(&'a mut ActorCtx, P) -> HostFuture<'a, R> + Send + Sync + 'static,
{
    let how = Recording {
        time: HandlerTime::Excused,
        sends: false,
    };
    wrap(
        inst,
        interface,
        name,
        how,
        |_, params| params,
        recorded_whole(f),
        rebuilt_whole,
    )
}

/// [`define_async`] for a function that sends a message (recorded with `message/outgoing` first).
pub fn define_sending_async<P, R, F>(
    inst: &mut LinkerInstance<'_, ActorCtx>,
    interface: &str,
    name: &str,
    f: F,
) -> wasmtime::Result<()>
where
    P: ComponentNamedList + Lift + Wire + Send + 'static,
    R: ComponentNamedList + Lower + Wire + Send + 'static,
    F: for<'a> Fn(&'a mut ActorCtx, P) -> HostFuture<'a, R> + Send + Sync + 'static,
{
    let how = Recording {
        time: HandlerTime::Excused,
        sends: true,
    };
    wrap(
        inst,
        interface,
        name,
        how,
        |_, params| params,
        recorded_whole(f),
        rebuilt_whole,
    )
}

/// Define a host function that may wait and whose answer is recorded as `live` chooses:
/// it returns the answer and the value to record as its result. A replay answers with
/// `rebuild` from the guest's parameters and the recorded value (e.g. re-reading a page of
/// a chain from its summary).
pub fn define_summarised<P, R, F, G>(
    inst: &mut LinkerInstance<'_, ActorCtx>,
    interface: &str,
    name: &str,
    live: F,
    rebuild: G,
) -> wasmtime::Result<()>
where
    P: ComponentNamedList + Lift + Wire + Send + 'static,
    R: ComponentNamedList + Lower + Send + 'static,
    F: for<'a> Fn(&'a mut ActorCtx, P) -> HostFuture<'a, (R, Value)> + Send + Sync + 'static,
    G: Fn(&mut ActorCtx, P, Value) -> wasmtime::Result<R> + Send + Sync + 'static,
{
    wrap(
        inst,
        interface,
        name,
        Recording {
            time: HandlerTime::Excused,
            sends: false,
        },
        |_, params| params,
        live,
        rebuild,
    )
}

/// A handler whose whole answer is recorded as its result.
fn recorded_whole<P, R, F>(
    f: F,
) -> impl for<'a> Fn(&'a mut ActorCtx, P) -> HostFuture<'a, (R, Value)> + Send + Sync + 'static
where
    P: Send + 'static,
    R: Wire + Send + 'static,
    F: for<'a> Fn(&'a mut ActorCtx, P) -> HostFuture<'a, R> + Send + Sync + 'static,
{
    let f = Arc::new(f);
    move |ctx, params| {
        let f = f.clone();
        Box::pin(async move {
            let result = f(ctx, params).await?;
            let recorded = result.to_value();
            Ok((result, recorded))
        })
    }
}

/// A replay's answer for a call recorded whole: the recorded result itself.
fn rebuilt_whole<P, R: Wire>(_: &mut ActorCtx, _: P, recorded: Value) -> wasmtime::Result<R> {
    R::from_value(recorded).map_err(|e| {
        wasmtime::Error::msg(format!("replay: the recorded answer does not decode: {e}"))
    })
}

/// A handler trapped: the chain records the refused call, so a replay traps the same way.
fn refused(ctx: &mut ActorCtx, event_type: &str, params: &Value, e: &wasmtime::Error) {
    ctx.record_refusal(event_type, params, &format!("{}", e.root_cause()));
}

/// Record the call around the handler. Every host function first waits while the chain
/// writer's queue is full (back-pressure; never the guest's time to pay) and refuses to run
/// for an actor whose events can no longer be stored.
#[allow(clippy::too_many_arguments)]
fn wrap<P, R, F, G>(
    inst: &mut LinkerInstance<'_, ActorCtx>,
    interface: &str,
    name: &str,
    how: Recording,
    prepare: fn(&ActorCtx, P) -> P,
    live: F,
    rebuild: G,
) -> wasmtime::Result<()>
where
    P: ComponentNamedList + Lift + Wire + Send + 'static,
    R: ComponentNamedList + Lower + Send + 'static,
    F: for<'a> Fn(&'a mut ActorCtx, P) -> HostFuture<'a, (R, Value)> + Send + Sync + 'static,
    G: Fn(&mut ActorCtx, P, Value) -> wasmtime::Result<R> + Send + Sync + 'static,
{
    let event_type: Arc<str> = format!("{interface}/{name}").into();
    let live = Arc::new(live);
    let rebuild = Arc::new(rebuild);
    inst.func_wrap_async(
        name,
        move |mut store: StoreContextMut<'_, ActorCtx>, params: P| {
            let event_type = event_type.clone();
            let live = live.clone();
            let rebuild = rebuild.clone();
            Box::new(async move {
                let ctx = store.data_mut();
                let params = prepare(ctx, params);
                let recorded_params = params.to_value();
                if ctx.replay.is_some() {
                    if how.sends {
                        ctx.record_outgoing(&event_type, &recorded_params);
                    }
                    let recorded = ctx.answer_from_recording(&event_type, recorded_params)?;
                    return rebuild(ctx, params, recorded);
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
                ctx.admit_host_call(&event_type, &recorded_params)?;
                if how.sends {
                    ctx.record_outgoing(&event_type, &recorded_params);
                }
                let started = Instant::now();
                let answered = tokio::select! {
                    answered = live(ctx, params) => answered,
                    () = &mut until_interrupted => Err(Interrupted.into()),
                };
                let (result, recorded) =
                    answered.inspect_err(|e| refused(ctx, &event_type, &recorded_params, e))?;
                if how.time == HandlerTime::Excused {
                    ctx.extend_deadline(started.elapsed());
                }
                ctx.record_host_call(&event_type, recorded_params, recorded)?;
                Ok(result)
            })
        },
    )
}

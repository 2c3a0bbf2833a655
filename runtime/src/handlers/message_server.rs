//! `theater:simple/message-server-host`: send, request, channels and deferred replies
//! between actors. Every outgoing message carries a causal link: this actor and its
//! `message/outgoing` event, recorded before the message leaves (the wrapper does it for the
//! sending functions). A reply's link is recorded in the requesting call's event. Waiting for another
//! actor never blocks other actors, never counts against the caller's call timeout, and
//! never deadlocks: a request cycle is refused at once and every wait has a timeout.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use wasmtime::component::Linker;

use super::{define_sending_async, define_sending_sync, define_sync, Handler};
use crate::actor::{ActorCtx, CallError, Envelope, Reply};
use crate::system::ActorSystem;
use crate::wait_for::WaitGuard;

const INTERFACE: &str = "theater:simple/message-server-host";

/// Serves `theater:simple/message-server-host`.
pub struct MessageServerHandler;

type Outcome<T> = Result<T, String>;

impl Handler for MessageServerHandler {
    fn interface(&self) -> &'static str {
        INTERFACE
    }

    fn link(&self, linker: &mut Linker<ActorCtx>) -> wasmtime::Result<()> {
        let mut inst = linker.instance(INTERFACE)?;
        define_sending_sync(
            &mut inst,
            INTERFACE,
            "send",
            |ctx, (to, msg): (String, Vec<u8>)| Ok((send(ctx, &to, msg),)),
        )?;
        define_sending_async(
            &mut inst,
            INTERFACE,
            "request",
            |ctx, (to, msg): (String, Vec<u8>)| {
                Box::pin(async move { Ok((request(ctx, &to, msg).await,)) })
            },
        )?;
        define_sending_async(
            &mut inst,
            INTERFACE,
            "open-channel",
            |ctx, (to, msg): (String, Vec<u8>)| {
                Box::pin(async move { Ok((open_channel(ctx, &to, msg).await,)) })
            },
        )?;
        define_sending_sync(
            &mut inst,
            INTERFACE,
            "send-on-channel",
            |ctx, (channel, msg): (String, Vec<u8>)| Ok((send_on_channel(ctx, &channel, msg),)),
        )?;
        define_sending_sync(
            &mut inst,
            INTERFACE,
            "close-channel",
            |ctx, (channel,): (String,)| Ok((close_channel(ctx, &channel),)),
        )?;
        define_sync(
            &mut inst,
            INTERFACE,
            "list-outstanding-requests",
            |ctx, (): ()| {
                let mut ids: Vec<String> = ctx.deferred.keys().cloned().collect();
                ids.sort_by(|a, b| (a.len(), a).cmp(&(b.len(), b)));
                Ok((ids,))
            },
        )?;
        define_sending_sync(
            &mut inst,
            INTERFACE,
            "respond-to-request",
            |ctx, (id, response): (String, Vec<u8>)| {
                let outcome = match ctx.deferred.remove(&id) {
                    Some(reply) => reply
                        .send(Ok(Reply {
                            bytes: response,
                            cause: ctx.cause(),
                        }))
                        .map_err(|_| format!("the requester of {id} stopped waiting")),
                    None => Err(no_request(&id)),
                };
                Ok((outcome,))
            },
        )?;
        define_sync(
            &mut inst,
            INTERFACE,
            "register-name",
            |ctx, (name,): (String,)| {
                let outcome = ctx
                    .system()
                    .and_then(|system| system.register_name(&name, &ctx.id));
                Ok((outcome,))
            },
        )?;
        define_sync(
            &mut inst,
            INTERFACE,
            "lookup-name",
            |ctx, (name,): (String,)| {
                Ok((ctx
                    .system()
                    .ok()
                    .and_then(|t| t.lookup_name(&name))
                    .map(|a| a.id),))
            },
        )?;
        define_sync(&mut inst, INTERFACE, "current-sender", |ctx, (): ()| {
            Ok((ctx.call.sender.clone(),))
        })?;
        define_sync(
            &mut inst,
            INTERFACE,
            "cancel-request",
            |ctx, (id,): (String,)| {
                let outcome = match ctx.deferred.remove(&id) {
                    Some(reply) => {
                        let _ = reply.send(Err(CallError::Guest(format!(
                            "actor {} cancelled request {id}",
                            ctx.id
                        ))));
                        Ok(())
                    }
                    None => Err(no_request(&id)),
                };
                Ok((outcome,))
            },
        )?;
        Ok(())
    }
}

fn no_request(id: &str) -> String {
    format!("no outstanding request {id} (list-outstanding-requests shows the open ones)")
}

fn send(ctx: &mut ActorCtx, to: &str, msg: Vec<u8>) -> Outcome<()> {
    let target = ctx.system()?.actor(to).map_err(|e| e.to_string())?.handle;
    target.accepts(&msg).map_err(|e| e.to_string())?;
    target
        .try_deliver(Envelope::Send {
            msg,
            cause: Some(ctx.cause()),
            done: None,
        })
        .map_err(|e| e.to_string())
}

/// Wait for an answer from `to`, bounded by `limit` ms (the caller's `request_timeout_ms`).
async fn await_answer<T>(
    limit: u64,
    to: &str,
    rx: oneshot::Receiver<Result<T, CallError>>,
    _guard: WaitGuard,
) -> Outcome<T> {
    match tokio::time::timeout(Duration::from_millis(limit), rx).await {
        Err(_) => Err(format!(
            "actor {to} did not answer within {limit} ms ([limits] request_timeout_ms)"
        )),
        Ok(Err(_)) => Err(format!("actor {to} stopped before it answered")),
        Ok(Ok(Err(e))) => Err(format!("actor {to}: {e}")),
        Ok(Ok(Ok(v))) => Ok(v),
    }
}

fn target_and_wait(
    ctx: &ActorCtx,
    to: &str,
    msg: &[u8],
) -> Outcome<(Arc<dyn ActorSystem>, crate::actor::ActorHandle, WaitGuard)> {
    let system = ctx.system()?;
    let target = system.actor(to).map_err(|e| e.to_string())?.handle;
    target.accepts(msg).map_err(|e| e.to_string())?;
    let guard = system.begin_wait(&ctx.id, to)?;
    Ok((system, target, guard))
}

async fn request(ctx: &mut ActorCtx, to: &str, msg: Vec<u8>) -> Outcome<Vec<u8>> {
    let (_system, target, guard) = target_and_wait(ctx, to, &msg)?;
    let (reply, rx) = oneshot::channel();
    target
        .try_deliver(Envelope::Request {
            msg,
            cause: Some(ctx.cause()),
            reply,
        })
        .map_err(|e| e.to_string())?;
    let answer = await_answer(ctx.manifest.limits.request_timeout_ms, to, rx, guard).await?;
    ctx.call.link = Some(answer.cause.to_value());
    Ok(answer.bytes)
}

async fn open_channel(ctx: &mut ActorCtx, to: &str, msg: Vec<u8>) -> Outcome<String> {
    let (system, target, guard) = target_and_wait(ctx, to, &msg)?;
    let channel = system.open_channel(&ctx.id, to);
    let (reply, rx) = oneshot::channel();
    let delivered = target.try_deliver(Envelope::ChannelOpen {
        channel: channel.clone(),
        msg,
        cause: Some(ctx.cause()),
        reply,
    });
    let accepted = match delivered {
        Ok(()) => await_answer(ctx.manifest.limits.request_timeout_ms, to, rx, guard).await,
        Err(e) => Err(e.to_string()),
    };
    match accepted {
        Ok(accept) if accept.accepted => {
            // The acceptor's first message arrives like any later one on the channel.
            if let (Some(first), Ok(me)) = (accept.message, system.actor(&ctx.id)) {
                let _ = me.handle.try_deliver(Envelope::ChannelMessage {
                    channel: channel.clone(),
                    msg: first,
                    cause: None,
                });
            }
            Ok(channel)
        }
        Ok(_) => {
            system.close_channel(&channel);
            Err(format!("actor {to} declined the channel"))
        }
        Err(e) => {
            system.close_channel(&channel);
            Err(e)
        }
    }
}

fn send_on_channel(ctx: &mut ActorCtx, channel: &str, msg: Vec<u8>) -> Outcome<()> {
    let system = ctx.system()?;
    let peer = system.channel_peer(channel, &ctx.id)?;
    let target = system.actor(&peer).map_err(|e| e.to_string())?.handle;
    target.accepts(&msg).map_err(|e| e.to_string())?;
    target
        .try_deliver(Envelope::ChannelMessage {
            channel: channel.to_string(),
            msg,
            cause: Some(ctx.cause()),
        })
        .map_err(|e| e.to_string())
}

fn close_channel(ctx: &mut ActorCtx, channel: &str) -> Outcome<()> {
    let system = ctx.system()?;
    let peer = system.channel_peer(channel, &ctx.id)?;
    system.close_channel(channel);
    if let Ok(target) = system.actor(&peer) {
        // A peer that already stopped has nothing left to close.
        let _ = target.handle.try_deliver(Envelope::ChannelClose {
            channel: channel.to_string(),
            cause: Some(ctx.cause()),
        });
    }
    Ok(())
}

//! What goes into an actor's mailbox, and how requests are answered.

use tokio::sync::oneshot;

use super::cause::Cause;
use super::CallError;
use crate::bindings::ChannelAccept;
use crate::status::ActorStatus;

/// A reply to a request, with the causal link to the responder's event.
#[derive(Debug, Clone)]
pub struct Reply {
    pub bytes: Vec<u8>,
    pub cause: Cause,
}

/// Where a request's reply goes.
pub type ReplyTx = oneshot::Sender<Result<Reply, CallError>>;

/// A message in an actor's mailbox.
pub enum Envelope {
    /// Fire-and-forget; `done` (if any) learns when it was handled.
    Send {
        msg: Vec<u8>,
        cause: Option<Cause>,
        done: Option<oneshot::Sender<Result<(), CallError>>>,
    },
    /// Expects a reply.
    Request {
        msg: Vec<u8>,
        cause: Option<Cause>,
        reply: ReplyTx,
    },
    /// Another actor opens a channel; the reply says whether this actor accepts.
    ChannelOpen {
        channel: String,
        msg: Vec<u8>,
        cause: Option<Cause>,
        reply: oneshot::Sender<Result<ChannelAccept, CallError>>,
    },
    /// A message on an open channel.
    ChannelMessage {
        channel: String,
        msg: Vec<u8>,
        cause: Option<Cause>,
    },
    /// The other end closed a channel.
    ChannelClose {
        channel: String,
        cause: Option<Cause>,
    },
    /// A request or WebSocket event from one of the actor's `http-framework` servers.
    Http(super::http_call::HttpCall),
    /// A child of this actor stopped or failed (supervision decides what happens next).
    ChildExited {
        child: String,
        status: ActorStatus,
        data: Option<Vec<u8>>,
    },
    /// A child of this actor was stopped from outside (`Theater::stop`).
    ChildStopped { child: String },
    /// The committed state, read between messages.
    GetState {
        reply: oneshot::Sender<Option<Vec<u8>>>,
    },
    /// Stop after the messages before it; `done` learns when the chain is flushed.
    Stop { done: oneshot::Sender<()> },
}

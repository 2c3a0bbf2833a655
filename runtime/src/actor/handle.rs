//! The address of an actor: deliver to its bounded mailbox, watch its status, stop or
//! interrupt it. Cheap to clone; what the registry, handlers and the server hold.

use tokio::sync::{mpsc, oneshot, watch};

use super::interrupt::Interrupter;
use super::mailbox::Envelope;
use super::ActorError;
use crate::status::ActorStatus;

/// A cloneable address of a running actor.
#[derive(Clone)]
pub struct ActorHandle {
    id: String,
    tx: mpsc::Sender<Envelope>,
    status: watch::Receiver<ActorStatus>,
    mailbox: usize,
    max_message_bytes: usize,
    interrupter: Interrupter,
}

/// An actor's address that does not keep its mailbox open: what the actor's own resources
/// (its servers) hold, so an actor nobody else addresses still ends.
#[derive(Clone)]
pub struct WeakActorHandle {
    id: String,
    tx: mpsc::WeakSender<Envelope>,
    status: watch::Receiver<ActorStatus>,
    mailbox: usize,
    max_message_bytes: usize,
    interrupter: Interrupter,
}

impl WeakActorHandle {
    /// The handle, while the actor's mailbox is open.
    pub fn upgrade(&self) -> Option<ActorHandle> {
        Some(ActorHandle {
            id: self.id.clone(),
            tx: self.tx.upgrade()?,
            status: self.status.clone(),
            mailbox: self.mailbox,
            max_message_bytes: self.max_message_bytes,
            interrupter: self.interrupter.clone(),
        })
    }
}

impl ActorHandle {
    /// This address without keeping the mailbox open.
    pub fn downgrade(&self) -> WeakActorHandle {
        WeakActorHandle {
            id: self.id.clone(),
            tx: self.tx.downgrade(),
            status: self.status.clone(),
            mailbox: self.mailbox,
            max_message_bytes: self.max_message_bytes,
            interrupter: self.interrupter.clone(),
        }
    }

    pub(crate) fn new(
        id: String,
        mailbox: usize,
        max_message_bytes: usize,
        interrupter: Interrupter,
    ) -> (
        ActorHandle,
        mpsc::Receiver<Envelope>,
        watch::Sender<ActorStatus>,
    ) {
        let (tx, rx) = mpsc::channel(mailbox);
        let (status_tx, status) = watch::channel(ActorStatus::Running);
        (
            ActorHandle {
                id,
                tx,
                status,
                mailbox,
                max_message_bytes,
                interrupter,
            },
            rx,
            status_tx,
        )
    }

    /// The handle of an actor that is not running here (loaded from a previous server's
    /// chain, to be resumed): its mailbox is closed and its status is `status`.
    pub(crate) fn ended(
        id: String,
        status: ActorStatus,
        limits: &crate::manifest::Limits,
        interrupter: Interrupter,
    ) -> ActorHandle {
        let (handle, _mailbox, status_tx) =
            ActorHandle::new(id, limits.mailbox, limits.max_message_bytes, interrupter);
        status_tx.send_replace(status);
        handle
    }

    /// End the actor now: its running call traps, its host waits end, and the messages
    /// still in its mailbox are abandoned (answered with an error, counted in its chain).
    pub fn interrupt(&self) {
        self.interrupter.interrupt();
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn status(&self) -> ActorStatus {
        self.status.borrow().clone()
    }

    /// Wait until the actor is no longer running; returns how it ended.
    pub async fn wait(&self) -> ActorStatus {
        let mut status = self.status.clone();
        let _ = status.wait_for(|s| *s != ActorStatus::Running).await;
        let ended = status.borrow().clone();
        ended
    }

    fn check_size(&self, msg: &[u8]) -> Result<(), ActorError> {
        if msg.len() > self.max_message_bytes {
            return Err(ActorError::MessageTooLarge {
                id: self.id.clone(),
                size: msg.len(),
                limit: self.max_message_bytes,
            });
        }
        Ok(())
    }

    fn not_running(&self) -> ActorError {
        // The mailbox closes a moment before the final status is published.
        let status = match self.status() {
            ActorStatus::Running => "is stopping or being restarted".to_string(),
            ended => ended.to_string(),
        };
        ActorError::NotRunning {
            id: self.id.clone(),
            status,
        }
    }

    /// Put an envelope in the mailbox without waiting: a full mailbox is an error (what
    /// actors get, so one slow actor cannot stall another).
    pub fn try_deliver(&self, envelope: Envelope) -> Result<(), ActorError> {
        self.tx.try_send(envelope).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => ActorError::MailboxFull {
                id: self.id.clone(),
                capacity: self.mailbox,
            },
            mpsc::error::TrySendError::Closed(_) => self.not_running(),
        })
    }

    /// Put an envelope in the mailbox, waiting for room (back-pressure for external callers).
    pub async fn deliver(&self, envelope: Envelope) -> Result<(), ActorError> {
        self.tx.send(envelope).await.map_err(|_| self.not_running())
    }

    /// Send a message and wait until the actor has handled it.
    pub async fn send(&self, msg: Vec<u8>) -> Result<(), ActorError> {
        self.check_size(&msg)?;
        let (done, rx) = oneshot::channel();
        self.deliver(Envelope::Send {
            msg,
            cause: None,
            done: Some(done),
        })
        .await?;
        match rx.await {
            Ok(result) => result.map_err(|error| ActorError::Call {
                id: self.id.clone(),
                error,
            }),
            Err(_) => Err(ActorError::Stopped {
                id: self.id.clone(),
            }),
        }
    }

    /// Send a request and wait for the reply.
    pub async fn request(&self, msg: Vec<u8>) -> Result<Vec<u8>, ActorError> {
        self.check_size(&msg)?;
        let (reply, rx) = oneshot::channel();
        self.deliver(Envelope::Request {
            msg,
            cause: None,
            reply,
        })
        .await?;
        match rx.await {
            Ok(result) => result.map(|r| r.bytes).map_err(|error| ActorError::Call {
                id: self.id.clone(),
                error,
            }),
            Err(_) => Err(ActorError::Stopped {
                id: self.id.clone(),
            }),
        }
    }

    /// The actor's committed state, read between messages.
    pub async fn state(&self) -> Result<Option<Vec<u8>>, ActorError> {
        let (reply, rx) = oneshot::channel();
        self.deliver(Envelope::GetState { reply }).await?;
        rx.await.map_err(|_| ActorError::Stopped {
            id: self.id.clone(),
        })
    }

    /// Check a message's size against the receiver's limit.
    pub fn accepts(&self, msg: &[u8]) -> Result<(), ActorError> {
        self.check_size(msg)
    }

    /// Ask the actor to stop after the messages already queued; waits until it has.
    pub async fn stop(&self) {
        let (done, rx) = oneshot::channel();
        if self.deliver(Envelope::Stop { done }).await.is_ok() {
            let _ = rx.await;
        }
        self.wait().await;
    }
}

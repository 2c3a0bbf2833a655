//! `theater:simple/message-server-host`: send, request, channels, and deferred replies.

use crate::codec::{Decode, Encode};
use crate::sys::messages as sys;

/// Sends a fire-and-forget message to another actor.
pub fn send(actor_id: &str, msg: &impl Encode) -> Result<(), String> {
    sys::send(actor_id, &msg.encode()?)
}

/// Sends a request and waits for the reply (the runtime applies a timeout).
///
/// ```no_run
/// # use theater_sdk::{messages, Raw};
/// let count: u64 = messages::request("counter-id", &serde_json::json!({"get": {}}))?;
/// let bytes: Raw = messages::request("blob-id", &Raw(vec![1, 2, 3]))?;
/// # Ok::<(), String>(())
/// ```
pub fn request<R: Decode>(actor_id: &str, msg: &impl Encode) -> Result<R, String> {
    let reply = sys::request(actor_id, &msg.encode()?)?;
    R::decode(reply).map_err(|e| format!("reply from actor {actor_id}: {e}"))
}

/// Opens a channel to another actor with a first message; returns the channel id once
/// the other actor accepted.
pub fn open_channel(actor_id: &str, initial: &impl Encode) -> Result<String, String> {
    sys::open_channel(actor_id, &initial.encode()?)
}

/// Sends a message on an open channel.
pub fn send_on_channel(channel_id: &str, msg: &impl Encode) -> Result<(), String> {
    sys::send_on_channel(channel_id, &msg.encode()?)
}

/// Closes a channel; the other side's `handle_channel_close` runs.
pub fn close_channel(channel_id: &str) -> Result<(), String> {
    sys::close_channel(channel_id)
}

/// Ids of the requests this actor deferred (`Reply::Deferred`) and has not answered yet.
pub fn list_outstanding_requests() -> Vec<String> {
    sys::list_outstanding_requests()
}

/// Answers a deferred request.
pub fn respond_to_request(request_id: &str, reply: &impl Encode) -> Result<(), String> {
    sys::respond_to_request(request_id, &reply.encode()?)
}

/// Gives this actor a name, unique on its server, so clients (`theater request NAME …`) and
/// actors ([`lookup_name`]) reach it without knowing its id. The name stays the actor's
/// across restarts and server resumes; a name held by another running actor is refused.
pub fn register_name(name: &str) -> Result<(), String> {
    sys::register_name(name)
}

/// The id of the running actor named `name`, if any.
pub fn lookup_name(name: &str) -> Option<String> {
    sys::lookup_name(name)
}

/// The actor whose message this call is handling — the sender of the send or request, or
/// of the channel message — so a worker can answer whoever sent the job. `None` when the
/// message came from outside the actors (`theater send`, the HTTP API) or the call handles
/// no message (`init`, child notifications). Recorded in the chain like every host call.
pub fn sender() -> Option<String> {
    sys::current_sender()
}

/// Gives up on a deferred request; the requester gets an error.
pub fn cancel_request(request_id: &str) -> Result<(), String> {
    sys::cancel_request(request_id)
}

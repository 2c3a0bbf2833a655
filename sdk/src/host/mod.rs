//! The typed host API: one module per imported interface of `theater:simple`.
//!
//! An actor's component imports an interface only if the actor calls one of its functions,
//! and the runtime refuses an actor whose imports its manifest does not grant. So calling
//! e.g. [`timing::now`] is what makes the actor need `[[handler]] type = "timing"`.
//!
//! Payloads are typed: any argument `&impl Encode` goes as JSON (serde types) or as-is
//! ([`crate::Raw`]); any result `T: Decode` is read the same way. Errors are the host's
//! strings, passed through unchanged unless noted.
//!
//! Natively (not wasm32) every function is served by the thread's [`crate::TestHost`].

pub mod environment;
pub mod filesystem;
pub mod http;
pub mod http_server;
pub(crate) mod http_types;
pub mod messages;
pub mod random;
pub mod runtime;
pub mod store;
pub mod supervisor;
pub mod timers;
pub mod timing;
pub mod websocket;

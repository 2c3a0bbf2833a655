//! Theater guest SDK: write an actor as plain Rust, build it as a WebAssembly component,
//! and unit-test its logic natively.
//!
//! An actor is a serde-serializable state type with an `#[actor]` impl block:
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use theater_sdk::{actor, log};
//!
//! #[derive(Serialize, Deserialize)]
//! pub struct Counter { count: u64 }
//!
//! #[derive(Serialize, Deserialize)]
//! #[serde(rename_all = "snake_case")]
//! pub enum Msg { Add(u64) }
//!
//! #[derive(Serialize, Deserialize)]
//! #[serde(rename_all = "snake_case")]
//! pub enum Query { Get {} }
//!
//! #[actor]
//! impl Counter {
//!     fn init(id: String) -> Result<Self, String> {
//!         log(format!("counter {id} started"));
//!         Ok(Counter { count: 0 })
//!     }
//!     fn handle_send(&mut self, msg: Msg) {
//!         match msg { Msg::Add(n) => self.count += n }
//!     }
//!     fn handle_request(&self, query: Query) -> u64 {
//!         match query { Query::Get {} => self.count }
//!     }
//! }
//!
//! let mut counter = theater_sdk::TestActor::<Counter>::init("counter-1")?;
//! counter.send(&Msg::Add(2))?;
//! assert_eq!(counter.request::<u64>(&Query::Get {})?, 2);
//! assert_eq!(counter.logs(), ["counter counter-1 started"]);
//! # Ok::<(), String>(())
//! ```
//!
//! The host API has one module per imported interface: [`runtime`] (and [`log`]),
//! [`messages`], [`supervisor`], [`store`], [`timing`], [`random`], [`environment`],
//! [`filesystem`], [`http`] (sending), [`http_server`] (serving HTTP and WebSocket, with
//! [`websocket`] messages). An actor's component imports only the interfaces it calls, and
//! its manifest must grant them.
//!
//! On `wasm32` the host API calls the `theater:simple` imports (wit-bindgen bindings of
//! `../wit`); everywhere else it is served in process by the `test_host`, so `cargo test`
//! exercises an actor without wasm. The guide with more examples is `docs/sdk.md`.

// The macro's expansion and wit-bindgen's export glue name this crate by its absolute path,
// which must also resolve inside the SDK itself.
extern crate self as theater_sdk;

mod actor;
mod codec;
mod dispatch;
mod host;
mod raw;
mod reply;
mod types;

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod wasm;
#[cfg(target_arch = "wasm32")]
use wasm::sys;

#[cfg(not(target_arch = "wasm32"))]
pub mod test_host;
#[cfg(not(target_arch = "wasm32"))]
use test_host::sys;

#[doc(hidden)]
pub mod __private;

pub use actor::{Actor, ActorState};
pub use codec::{Decode, Encode};
pub use host::runtime::{debug, error, info, log, warn};
pub use host::{
    environment, filesystem, http, http_server, messages, random, runtime, store, supervisor,
    timers, timing, websocket,
};
pub use raw::Raw;
pub use reply::{IntoReply, Reply};
pub use theater_sdk_macros::actor;
pub use types::{Chain, ChainEvent, ChannelAccept, ChildError, ErrorKind, Event, MetaEvent};

#[cfg(not(target_arch = "wasm32"))]
pub use test_host::{Outgoing, TestActor, TestHost, TestTimer};

/// Re-exported so an actor can use JSON values (`serde_json::Value`, `json!`) without a
/// second dependency to keep in step.
pub use serde_json;

/// The guide in `docs/sdk.md`, compiled as doctests so its examples stay true. Read only
/// when rustdoc collects doctests, so a standalone copy of the SDK does not need the file.
#[cfg(doctest)]
#[doc = include_str!("../../docs/sdk.md")]
struct SdkGuide;

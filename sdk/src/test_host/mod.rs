//! The native test host: the host API served in process, so an actor's logic runs under
//! `cargo test` without wasm or a runtime.
//!
//! Drive an actor with [`TestActor`], script and inspect its surroundings with
//! [`TestHost`]:
//!
//! - logs are captured ([`TestHost::logs`]);
//! - messages, requests, channel traffic, replies, spawns, child management, shutdown and
//!   HTTP requests are recorded in order ([`TestHost::outgoing`]);
//! - `request` answers from scripted replies ([`TestHost::reply`], [`TestHost::on_request`])
//!   and fails for an actor with none; HTTP requests likewise ([`TestHost::on_http`], by
//!   URI prefix), so no test touches the network;
//! - time starts at [`START_TIME_MS`] and moves only by `sleep`, `deadline` or
//!   [`TestHost::set_time`]; random values come from a seeded generator
//!   ([`TestHost::set_seed`]), so every run sees the same values;
//! - the store is in memory, and so is the filesystem (seeded with [`TestHost::set_file`],
//!   inspected with [`TestHost::files`]); environment variables are set with
//!   [`TestHost::set_env`]; channels always open and spawned children are recorded, never
//!   run;
//! - timers are recorded, never run by a clock: [`TestHost::timers`] lists them and
//!   [`TestActor::fire_timer`] delivers one's message;
//! - HTTP servers the actor creates are recorded, never opened ([`TestHost::http_servers`]);
//!   [`TestActor::http`] and the `ws_*` methods deliver requests and WebSocket messages to
//!   the handlers the actor's routes name, as the runtime would.
//!
//! Each thread has a current host, which host API calls use; a [`TestActor`] makes its own
//! host current for the duration of each call. (Test-host store hashes are not the
//! runtime's: only rely on their equality.)

mod actor;
mod files;
mod host;
mod rng;
mod servers;
mod store;
pub(crate) mod sys;
mod timers;

pub use actor::TestActor;
pub use host::{Outgoing, TestHost, START_TIME_MS};
pub use servers::{TestMiddleware, TestRoute, TestServer, TestWebSocket};
pub use timers::TestTimer;

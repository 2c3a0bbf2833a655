//! The server's own bounds, each with a documented default and a `theater server` option:
//! concurrent connections, time per request, live event streams (server-wide and per
//! client). Actors have their own limits in their manifests; the number of actors is
//! bounded by the runtime (`TheaterConfig`).

use std::time::Duration;

/// Connections served at once (`--max-connections`); past it, `503`.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// Time an API call may take, event streams excepted (`--request-timeout`); past it, `503`.
/// Longer than an actor's default call and request timeouts, so those report first.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Event streams open at once on the server (`--max-streams`); past it, `429`.
pub const DEFAULT_MAX_STREAMS: usize = 256;
/// Event streams open at once from one client address (`--max-streams-per-client`); past
/// it, `429`.
pub const DEFAULT_MAX_STREAMS_PER_CLIENT: usize = 64;

/// The server's bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLimits {
    pub max_connections: usize,
    pub request_timeout: Duration,
    pub max_streams: usize,
    pub max_streams_per_client: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_streams: DEFAULT_MAX_STREAMS,
            max_streams_per_client: DEFAULT_MAX_STREAMS_PER_CLIENT,
        }
    }
}

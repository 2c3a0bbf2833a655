//! The actor manifest (TOML): which component to run, which capabilities it is granted,
//! its limits and its supervision policy. Parsing is strict — an unknown key, handler type
//! or value is an error naming the line and the fix — because a typo in a grant must never
//! silently widen or narrow a sandbox.

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

/// Default linear-memory limit per actor.
pub const DEFAULT_MEMORY_MB: u64 = 64;
/// Largest memory limit a manifest may ask for (the pooling allocator reserves this per slot).
pub const MAX_MEMORY_MB: u64 = 1024;
/// Default wall-clock limit for one export call.
pub const DEFAULT_CALL_TIMEOUT_MS: u64 = 10_000;
/// Default mailbox capacity (messages waiting to be handled).
pub const DEFAULT_MAILBOX: usize = 1024;
/// Default largest message an actor accepts.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 1 << 20;
/// Default time an actor waits for another actor's reply (or channel acceptance).
pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 30_000;

/// A manifest that failed to load, with enough context to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read manifest {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Not a regular file, too large, or outside the directory it must stay in.
    #[error("{0}")]
    File(crate::manifest_files::FileError),
    #[error("{origin}:{line}: {message}")]
    Invalid {
        origin: String,
        line: usize,
        message: String,
    },
    #[error("{origin}: {message}")]
    Semantic { origin: String, message: String },
}

/// How an actor is restarted by its supervisor (Erlang/OTP child restart types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    /// Always restarted.
    #[default]
    Permanent,
    /// Restarted only after a failure, not after a normal exit.
    Transient,
    /// Never restarted.
    Temporary,
}

/// How a supervisor reacts when one of its children fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    #[default]
    OneForOne,
    OneForAll,
    RestForOne,
    /// No automatic restarts: the parent's `handle-child-error` decides.
    Manual,
}

/// The `[supervision]` table: how this actor supervises its children.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Supervision {
    pub strategy: Strategy,
    pub max_restarts: u32,
    pub within_secs: u64,
}

impl Default for Supervision {
    fn default() -> Self {
        Supervision {
            strategy: Strategy::OneForOne,
            max_restarts: 3,
            within_secs: 5,
        }
    }
}

/// The `[limits]` table. Exceeding a limit fails the call, never the host. Every key has a
/// documented default and range ([`LimitKey`]); a top-level manifest may raise a default
/// within the range, a child's are never larger than its parent's (`attenuation`).
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub memory_mb: u64,
    pub call_timeout_ms: u64,
    pub mailbox: usize,
    pub max_message_bytes: usize,
    pub request_timeout_ms: u64,
    /// Children this actor may supervise at once.
    pub max_children: u64,
    /// Actors in the tree rooted at this actor (itself included).
    pub max_tree_actors: u64,
    /// Longest log line kept; longer lines are cut, with a marker.
    pub max_log_line_bytes: u64,
    /// Log lines per second.
    pub max_logs_per_sec: u64,
    /// Host calls recorded per second.
    pub max_events_per_sec: u64,
    /// Largest recorded host-call event (parameters and result, encoded).
    pub max_event_bytes: u64,
    /// Bytes this actor may put into stores over its life.
    pub max_store_bytes: u64,
    /// Bytes this actor may write through `filesystem` over its life.
    pub max_fs_bytes_written: u64,
}

impl Default for Limits {
    fn default() -> Self {
        let mut limits = Limits {
            memory_mb: 0,
            call_timeout_ms: 0,
            mailbox: 0,
            max_message_bytes: 0,
            request_timeout_ms: 0,
            max_children: 0,
            max_tree_actors: 0,
            max_log_line_bytes: 0,
            max_logs_per_sec: 0,
            max_events_per_sec: 0,
            max_event_bytes: 0,
            max_store_bytes: 0,
            max_fs_bytes_written: 0,
        };
        for key in LimitKey::ALL {
            limits.set(key, key.spec().default);
        }
        limits
    }
}

/// One `[limits]` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKey {
    MemoryMb,
    CallTimeoutMs,
    Mailbox,
    MaxMessageBytes,
    RequestTimeoutMs,
    MaxChildren,
    MaxTreeActors,
    MaxLogLineBytes,
    MaxLogsPerSec,
    MaxEventsPerSec,
    MaxEventBytes,
    MaxStoreBytes,
    MaxFsBytesWritten,
}

/// A limit's manifest name, default and allowed range (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitSpec {
    pub name: &'static str,
    pub default: u64,
    pub min: u64,
    pub max: u64,
}

const HOUR_MS: u64 = 3_600_000;
const TIB: u64 = 1 << 40;

impl LimitKey {
    pub const ALL: [LimitKey; 13] = [
        LimitKey::MemoryMb,
        LimitKey::CallTimeoutMs,
        LimitKey::Mailbox,
        LimitKey::MaxMessageBytes,
        LimitKey::RequestTimeoutMs,
        LimitKey::MaxChildren,
        LimitKey::MaxTreeActors,
        LimitKey::MaxLogLineBytes,
        LimitKey::MaxLogsPerSec,
        LimitKey::MaxEventsPerSec,
        LimitKey::MaxEventBytes,
        LimitKey::MaxStoreBytes,
        LimitKey::MaxFsBytesWritten,
    ];

    pub const fn spec(self) -> LimitSpec {
        let (name, default, min, max) = match self {
            LimitKey::MemoryMb => ("memory_mb", DEFAULT_MEMORY_MB, 1, MAX_MEMORY_MB),
            LimitKey::CallTimeoutMs => ("call_timeout_ms", DEFAULT_CALL_TIMEOUT_MS, 1, HOUR_MS),
            LimitKey::Mailbox => ("mailbox", DEFAULT_MAILBOX as u64, 1, 1_000_000),
            LimitKey::MaxMessageBytes => (
                "max_message_bytes",
                DEFAULT_MAX_MESSAGE_BYTES as u64,
                1,
                64 << 20,
            ),
            LimitKey::RequestTimeoutMs => {
                ("request_timeout_ms", DEFAULT_REQUEST_TIMEOUT_MS, 1, HOUR_MS)
            }
            LimitKey::MaxChildren => ("max_children", 100, 0, 10_000),
            LimitKey::MaxTreeActors => ("max_tree_actors", 250, 1, 100_000),
            LimitKey::MaxLogLineBytes => ("max_log_line_bytes", 16 << 10, 64, 1 << 20),
            LimitKey::MaxLogsPerSec => ("max_logs_per_sec", 1_000, 1, 1_000_000),
            LimitKey::MaxEventsPerSec => ("max_events_per_sec", 100_000, 1, 10_000_000),
            LimitKey::MaxEventBytes => ("max_event_bytes", 32 << 20, 1 << 10, 256 << 20),
            LimitKey::MaxStoreBytes => ("max_store_bytes", 1 << 30, 0, TIB),
            LimitKey::MaxFsBytesWritten => ("max_fs_bytes_written", 1 << 30, 0, TIB),
        };
        LimitSpec {
            name,
            default,
            min,
            max,
        }
    }
}

impl Limits {
    /// The value of one key.
    pub fn get(&self, key: LimitKey) -> u64 {
        match key {
            LimitKey::MemoryMb => self.memory_mb,
            LimitKey::CallTimeoutMs => self.call_timeout_ms,
            LimitKey::Mailbox => self.mailbox as u64,
            LimitKey::MaxMessageBytes => self.max_message_bytes as u64,
            LimitKey::RequestTimeoutMs => self.request_timeout_ms,
            LimitKey::MaxChildren => self.max_children,
            LimitKey::MaxTreeActors => self.max_tree_actors,
            LimitKey::MaxLogLineBytes => self.max_log_line_bytes,
            LimitKey::MaxLogsPerSec => self.max_logs_per_sec,
            LimitKey::MaxEventsPerSec => self.max_events_per_sec,
            LimitKey::MaxEventBytes => self.max_event_bytes,
            LimitKey::MaxStoreBytes => self.max_store_bytes,
            LimitKey::MaxFsBytesWritten => self.max_fs_bytes_written,
        }
    }

    /// Set one key; callers keep values within the key's range (which fits `usize`).
    pub fn set(&mut self, key: LimitKey, value: u64) {
        let size = usize::try_from(value).unwrap_or(usize::MAX);
        match key {
            LimitKey::MemoryMb => self.memory_mb = value,
            LimitKey::CallTimeoutMs => self.call_timeout_ms = value,
            LimitKey::Mailbox => self.mailbox = size,
            LimitKey::MaxMessageBytes => self.max_message_bytes = size,
            LimitKey::RequestTimeoutMs => self.request_timeout_ms = value,
            LimitKey::MaxChildren => self.max_children = value,
            LimitKey::MaxTreeActors => self.max_tree_actors = value,
            LimitKey::MaxLogLineBytes => self.max_log_line_bytes = value,
            LimitKey::MaxLogsPerSec => self.max_logs_per_sec = value,
            LimitKey::MaxEventsPerSec => self.max_events_per_sec = value,
            LimitKey::MaxEventBytes => self.max_event_bytes = value,
            LimitKey::MaxStoreBytes => self.max_store_bytes = value,
            LimitKey::MaxFsBytesWritten => self.max_fs_bytes_written = value,
        }
    }

    /// The first key outside its range, as a message that gives the range.
    fn check_ranges(&self) -> Result<(), String> {
        for key in LimitKey::ALL {
            let LimitSpec { name, min, max, .. } = key.spec();
            let value = self.get(key);
            if value < min || value > max {
                return Err(format!("[limits] {name} = {value} is out of range: use {min} to {max} ({} lists every limit)", crate::paths::manifest_reference()));
            }
        }
        Ok(())
    }
}

/// Largest `[supervision] within_secs` (one day).
pub const MAX_WITHIN_SECS: u64 = 86_400;
/// Largest `[supervision] max_restarts`.
pub const MAX_RESTARTS: u32 = 10_000;
/// Largest byte limit of a handler option (`max_read_bytes`, `max_write_bytes`, `max_response_bytes`).
pub const MAX_HANDLER_BYTES: u64 = 1 << 30;
/// Largest time option of a handler (`max_sleep_ms`, `timeout_ms`): one day.
pub const MAX_HANDLER_MS: u64 = 86_400_000;

/// Default `max_sleep_ms` of `timing`: the longest wait one call may ask for.
pub const DEFAULT_MAX_SLEEP_MS: u64 = 60_000;
/// Default `max_timers` of `timers`: timers alive at once.
pub const DEFAULT_MAX_TIMERS: u64 = 16;
/// Largest `max_timers` a manifest may ask for.
pub const MAX_TIMERS: u64 = 10_000;
/// Default `min_interval_ms` of `timers`: the shortest interval.
pub const DEFAULT_MIN_INTERVAL_MS: u64 = 10;
/// Default largest file `filesystem.read-file` returns.
pub const DEFAULT_MAX_READ_BYTES: u64 = 10 << 20;
/// Default largest content `filesystem.write-file` accepts.
pub const DEFAULT_MAX_WRITE_BYTES: u64 = 10 << 20;
/// Default largest response body `http-client.send-http` returns.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 10 << 20;
/// Default time one HTTP request may take, connection to last byte.
pub const DEFAULT_HTTP_TIMEOUT_MS: u64 = 30_000;

/// One `[[handler]]` entry: a capability granted to the actor, with its options.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum HandlerConfig {
    /// `theater:simple/runtime` — always granted; listing it is allowed.
    Runtime {},
    /// `theater:simple/message-server-host` — talk to other actors.
    MessageServer {},
    /// `theater:simple/supervisor` — spawn and manage children.
    Supervisor {},
    /// `theater:simple/store` — content-addressed storage.
    Store {},
    /// `theater:simple/timing` — the clock and sleeping.
    Timing {
        /// Longest `sleep` (and wait until a `deadline`) the actor may ask for.
        #[serde(default = "default_max_sleep_ms")]
        max_sleep_ms: u64,
    },
    /// `theater:simple/random` — randomness, optionally seeded for reproducible runs.
    Random {
        #[serde(default)]
        seed: Option<u64>,
    },
    /// `theater:simple/environment` — host environment variables on an allow-list.
    Environment {
        #[serde(default)]
        allow: Vec<String>,
        #[serde(default)]
        allow_prefixes: Vec<String>,
        /// Names never visible, whatever `allow` and `allow_prefixes` say (the original
        /// Theater's `denied_vars`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        deny: Vec<String>,
    },
    /// `theater:simple/filesystem` — files under one directory.
    Filesystem {
        /// The directory the actor sees as its root; relative paths resolve against the
        /// manifest's directory (`Manifest::base_dir`).
        root: PathBuf,
        #[serde(default = "default_max_read_bytes")]
        max_read_bytes: u64,
        #[serde(default = "default_max_write_bytes")]
        max_write_bytes: u64,
    },
    /// `theater:simple/timers` — messages to itself after a delay or every interval.
    Timers {
        /// Timers alive at once.
        #[serde(default = "default_max_timers")]
        max_timers: u64,
        /// Shortest `set-interval` interval (at least 1).
        #[serde(default = "default_min_interval_ms")]
        min_interval_ms: u64,
        /// Longest delay or interval.
        #[serde(default = "default_max_delay_ms")]
        max_delay_ms: u64,
    },
    /// `theater:simple/http-client` — outgoing HTTP requests to allowed hosts.
    HttpClient {
        #[serde(default)]
        allow_hosts: Vec<AllowedHost>,
        #[serde(default = "default_max_response_bytes")]
        max_response_bytes: u64,
        #[serde(default = "default_http_timeout_ms")]
        timeout_ms: u64,
    },
    /// `theater:simple/http-framework` — HTTP and WebSocket servers (`manifest_http`).
    HttpFramework(crate::manifest_http::HttpFrameworkGrant),
}

fn default_max_sleep_ms() -> u64 {
    DEFAULT_MAX_SLEEP_MS
}
fn default_max_timers() -> u64 {
    DEFAULT_MAX_TIMERS
}
fn default_min_interval_ms() -> u64 {
    DEFAULT_MIN_INTERVAL_MS
}
fn default_max_delay_ms() -> u64 {
    MAX_HANDLER_MS
}
fn default_max_read_bytes() -> u64 {
    DEFAULT_MAX_READ_BYTES
}
fn default_max_write_bytes() -> u64 {
    DEFAULT_MAX_WRITE_BYTES
}
fn default_max_response_bytes() -> u64 {
    DEFAULT_MAX_RESPONSE_BYTES
}
fn default_http_timeout_ms() -> u64 {
    DEFAULT_HTTP_TIMEOUT_MS
}

impl HandlerConfig {
    /// The handler type as written in the manifest.
    pub fn type_name(&self) -> &'static str {
        match self {
            HandlerConfig::Runtime {} => "runtime",
            HandlerConfig::MessageServer {} => "message-server",
            HandlerConfig::Supervisor {} => "supervisor",
            HandlerConfig::Store {} => "store",
            HandlerConfig::Timing { .. } => "timing",
            HandlerConfig::Random { .. } => "random",
            HandlerConfig::Environment { .. } => "environment",
            HandlerConfig::Filesystem { .. } => "filesystem",
            HandlerConfig::Timers { .. } => "timers",
            HandlerConfig::HttpClient { .. } => "http-client",
            HandlerConfig::HttpFramework(_) => "http-framework",
        }
    }

    /// The WIT interface this handler serves.
    pub fn interface(&self) -> &'static str {
        interface_for_type(self.type_name()).unwrap_or("theater:simple/runtime")
    }

    /// Its numeric options where larger grants more, each with its name and largest allowed
    /// value (`timers` `min_interval_ms`, where smaller grants more, is checked on its own).
    pub fn numeric_options(&self) -> Vec<(&'static str, u64, u64)> {
        match self {
            HandlerConfig::Timers {
                max_timers,
                max_delay_ms,
                ..
            } => vec![
                ("max_timers", *max_timers, MAX_TIMERS),
                ("max_delay_ms", *max_delay_ms, MAX_HANDLER_MS),
            ],
            HandlerConfig::Timing { max_sleep_ms } => {
                vec![("max_sleep_ms", *max_sleep_ms, MAX_HANDLER_MS)]
            }
            HandlerConfig::Filesystem {
                max_read_bytes,
                max_write_bytes,
                ..
            } => vec![
                ("max_read_bytes", *max_read_bytes, MAX_HANDLER_BYTES),
                ("max_write_bytes", *max_write_bytes, MAX_HANDLER_BYTES),
            ],
            HandlerConfig::HttpClient {
                max_response_bytes,
                timeout_ms,
                ..
            } => vec![
                ("max_response_bytes", *max_response_bytes, MAX_HANDLER_BYTES),
                ("timeout_ms", *timeout_ms, MAX_HANDLER_MS),
            ],
            HandlerConfig::HttpFramework(grant) => grant.numeric_options(),
            _ => Vec::new(),
        }
    }

    fn check_ranges(&self) -> Result<(), String> {
        if let HandlerConfig::Timers {
            min_interval_ms, ..
        } = self
        {
            if !(1..=MAX_HANDLER_MS).contains(min_interval_ms) {
                return Err(format!("[[handler]] type = \"timers\": min_interval_ms = {min_interval_ms} is out of range: use 1 to {MAX_HANDLER_MS}"));
            }
        }
        for (name, value, max) in self.numeric_options() {
            if value > max {
                return Err(format!(
                    "[[handler]] type = \"{}\": {name} = {value} is out of range: use 0 to {max}",
                    self.type_name()
                ));
            }
        }
        Ok(())
    }
}

/// Variables of Theater itself (`THEATER_TOKEN`, `THEATER_HOME`, ...): never visible to a
/// guest through a prefix, only when `allow` names them in full.
pub const RESERVED_ENV_PREFIX: &str = "THEATER_";

/// The `environment` handler's options: which variables an actor may see.
#[derive(Debug, Clone, Copy)]
pub struct EnvGrant<'a> {
    pub allow: &'a [String],
    pub allow_prefixes: &'a [String],
    pub deny: &'a [String],
}

impl<'a> EnvGrant<'a> {
    /// The grant of a handler entry; nothing visible for any other handler type.
    pub fn of(handler: Option<&'a HandlerConfig>) -> EnvGrant<'a> {
        match handler {
            Some(HandlerConfig::Environment {
                allow,
                allow_prefixes,
                deny,
            }) => EnvGrant {
                allow,
                allow_prefixes,
                deny,
            },
            _ => EnvGrant {
                allow: &[],
                allow_prefixes: &[],
                deny: &[],
            },
        }
    }

    /// Whether variable `name` is visible: the one rule both the handler and attenuation
    /// apply.
    pub fn allows(&self, name: &str) -> bool {
        !self.deny.iter().any(|d| d == name) && env_allows(self.allow, self.allow_prefixes, name)
    }
}

/// Whether `allow` names and `allow_prefixes` (before any `deny`) let an actor see `name`.
fn env_allows(allow: &[String], allow_prefixes: &[String], name: &str) -> bool {
    if allow.iter().any(|n| n == name) {
        return true;
    }
    !name.starts_with(RESERVED_ENV_PREFIX)
        && allow_prefixes.iter().any(|p| name.starts_with(p.as_str()))
}

/// An `allow_hosts` entry of the `http-client` handler: `host` or `host:port`
/// (`[v6-address]:port` for IPv6), or `*` for every host and port (what the original
/// Theater's `http-client` grants). Without a port it allows the URI scheme's default port
/// only (80 for http, 443 for https). Checked when the manifest loads, so a mistyped entry
/// (a scheme, a path) is an error there rather than a host that is silently never allowed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct AllowedHost {
    /// Normalised the way URIs' hosts are (lower case; IPv6 in brackets).
    pub host: String,
    pub port: Option<u16>,
}

impl AllowedHost {
    /// Whether a request to `host` (normalised, as `url::Url::host_str` gives it) on `port`,
    /// whose scheme's default port is `default_port`, is allowed by this entry.
    pub fn allows(&self, host: &str, port: u16, default_port: u16) -> bool {
        self.is_any() || (self.host == host && self.port.unwrap_or(default_port) == port)
    }

    /// The entry `*`: every host, every port.
    pub fn any() -> AllowedHost {
        AllowedHost {
            host: ANY_HOST.into(),
            port: None,
        }
    }

    /// Whether this is the entry `*`.
    pub fn is_any(&self) -> bool {
        self.host == ANY_HOST
    }
}

/// The `allow_hosts` entry that allows every host and port.
const ANY_HOST: &str = "*";

impl TryFrom<String> for AllowedHost {
    type Error = String;

    fn try_from(entry: String) -> Result<AllowedHost, String> {
        let bad = |why: &str| {
            format!("allow_hosts entry {entry:?} {why}: write `host` or `host:port`, e.g. \"api.example.com\" or \"127.0.0.1:8080\"")
        };
        if entry == ANY_HOST {
            return Ok(AllowedHost::any());
        }
        if entry.contains("://") || entry.contains('/') || entry.contains('@') {
            return Err(bad("is not a plain host"));
        }
        // Split off the port: after the bracketed address for IPv6, else after the last `:`.
        let (host, port) = match entry.strip_prefix('[') {
            Some(rest) => {
                let (addr, after) = rest
                    .split_once(']')
                    .ok_or_else(|| bad("has an unclosed `[`"))?;
                match after {
                    "" => (format!("[{addr}]"), None),
                    _ => (
                        format!("[{addr}]"),
                        Some(
                            after
                                .strip_prefix(':')
                                .ok_or_else(|| bad("has text after `]`"))?,
                        ),
                    ),
                }
            }
            None => match entry.split_once(':') {
                Some((host, port)) => (host.to_string(), Some(port)),
                None => (entry.clone(), None),
            },
        };
        let port = port
            .map(|p| p.parse::<u16>().map_err(|_| bad("has an invalid port")))
            .transpose()?;
        if port == Some(0) {
            return Err(bad("has port 0"));
        }
        // Normalise exactly as request URIs are, so comparison is like for like.
        let url =
            url::Url::parse(&format!("http://{host}/")).map_err(|_| bad("is not a valid host"))?;
        match url.host_str() {
            Some(h)
                if url.port().is_none()
                    && url.path() == "/"
                    && url.query().is_none()
                    && url.fragment().is_none() =>
            {
                Ok(AllowedHost {
                    host: h.to_string(),
                    port,
                })
            }
            _ => Err(bad("is not a valid host")),
        }
    }
}

impl From<AllowedHost> for String {
    fn from(h: AllowedHost) -> String {
        h.to_string()
    }
}

impl fmt::Display for AllowedHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}:{port}", self.host),
            None => f.write_str(&self.host),
        }
    }
}

/// Every handler type with the interface it grants, in manifest order of documentation.
pub const HANDLER_TYPES: &[(&str, &str)] = &[
    ("runtime", "theater:simple/runtime"),
    ("message-server", "theater:simple/message-server-host"),
    ("supervisor", "theater:simple/supervisor"),
    ("store", "theater:simple/store"),
    ("timing", "theater:simple/timing"),
    ("random", "theater:simple/random"),
    ("environment", "theater:simple/environment"),
    ("filesystem", "theater:simple/filesystem"),
    ("timers", "theater:simple/timers"),
    ("http-client", "theater:simple/http-client"),
    ("http-framework", "theater:simple/http-framework"),
];

/// Interfaces that hold only type definitions other interfaces use: importing one grants
/// nothing, so every actor may.
pub const TYPE_ONLY_INTERFACES: [&str; 3] = [
    "theater:simple/types",
    "theater:simple/http-types",
    "theater:simple/websocket-types",
];

/// Interfaces every actor may import: `runtime`, and the type-only ones.
pub const ALWAYS_GRANTED: [&str; 4] = [
    "theater:simple/runtime",
    TYPE_ONLY_INTERFACES[0],
    TYPE_ONLY_INTERFACES[1],
    TYPE_ONLY_INTERFACES[2],
];

/// The WIT interface a handler type grants.
pub fn interface_for_type(handler_type: &str) -> Option<&'static str> {
    HANDLER_TYPES
        .iter()
        .find(|(t, _)| *t == handler_type)
        .map(|(_, i)| *i)
}

/// The handler type that grants a WIT interface (`None` for interfaces Theater does not serve).
pub fn type_for_interface(interface: &str) -> Option<&'static str> {
    HANDLER_TYPES
        .iter()
        .find(|(_, i)| *i == interface)
        .map(|(t, _)| *t)
}

/// A manifest as written in the native form; serialised, it is that form's text.
#[derive(Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawManifest {
    pub name: String,
    pub version: String,
    pub component: Spanned<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_state: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<RestartPolicy>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub supervision: Supervision,
    #[serde(default, skip_serializing_if = "is_default")]
    pub limits: Limits,
    #[serde(default, rename = "handler")]
    pub handlers: Vec<HandlerConfig>,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// A validated manifest with its paths resolved against the manifest's directory.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    /// The component file, absolute (or relative to the process for inline manifests).
    pub component: PathBuf,
    /// A file whose bytes are the actor's initial state.
    pub init_state: Option<PathBuf>,
    /// `restart` as written; see [`Manifest::restart_policy`].
    pub restart: Option<RestartPolicy>,
    pub supervision: Supervision,
    pub limits: Limits,
    pub handlers: Vec<HandlerConfig>,
    /// Directory that relative paths in this manifest (and child manifests) resolve against.
    pub base_dir: PathBuf,
    /// Where the manifest came from: a file path, or `<inline>`.
    pub origin: String,
    /// The manifest text recorded in the chain at start: as given, or for a manifest in
    /// the original Theater's format, the native form it was read as (so a replay or a
    /// resume grants exactly the same, wherever it runs).
    #[serde(skip)]
    pub source: String,
    /// For a manifest in the original Theater's format: what was read differently.
    #[serde(skip)]
    pub upstream: Option<UpstreamNote>,
}

impl RawManifest {
    /// Check the values that need no file: a name, limits and supervision in their ranges,
    /// each handler's options in theirs, and each handler type listed once.
    pub(crate) fn check_values(&self, origin: &str) -> Result<(), ManifestError> {
        if self.name.trim().is_empty() {
            return Err(ManifestError::Semantic {
                origin: origin.into(),
                message: "`name` must not be empty".into(),
            });
        }
        let limits = &self.limits;
        let limit_error = |message: String| ManifestError::Semantic {
            origin: origin.into(),
            message,
        };
        limits.check_ranges().map_err(limit_error)?;
        let sup = &self.supervision;
        if sup.within_secs == 0
            || sup.within_secs > MAX_WITHIN_SECS
            || sup.max_restarts > MAX_RESTARTS
        {
            return Err(limit_error(format!(
                "[supervision] max_restarts = {}, within_secs = {}: use max_restarts 0 to {MAX_RESTARTS} and within_secs 1 to {MAX_WITHIN_SECS}",
                sup.max_restarts, sup.within_secs
            )));
        }
        for h in &self.handlers {
            h.check_ranges().map_err(limit_error)?;
        }
        let mut seen = BTreeSet::new();
        for h in &self.handlers {
            if !seen.insert(h.type_name()) {
                return Err(limit_error(format!(
                    "handler type \"{}\" is listed twice: keep one [[handler]] entry per type",
                    h.type_name()
                )));
            }
        }
        Ok(())
    }
}

impl Manifest {
    /// The set of WIT interfaces this manifest grants: its handlers' interfaces, plus
    /// `runtime` and the function-less `types`, which every actor may import.
    pub fn granted_interfaces(&self) -> BTreeSet<&'static str> {
        let mut set: BTreeSet<&'static str> =
            self.handlers.iter().map(HandlerConfig::interface).collect();
        set.extend(ALWAYS_GRANTED);
        set
    }

    /// How a supervisor restarts this actor: as written, else `permanent` (OTP's default).
    /// The root supervisor restarts a top-level actor only when its manifest asks.
    pub fn restart_policy(&self) -> RestartPolicy {
        self.restart.unwrap_or_default()
    }

    /// The options of a granted handler type, if granted.
    pub fn handler(&self, type_name: &str) -> Option<&HandlerConfig> {
        self.handlers.iter().find(|h| h.type_name() == type_name)
    }
}

/// What reading an original-format manifest changed: printed once when it starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct UpstreamNote {
    /// Where the manifest came from.
    pub origin: String,
    /// Keys that have no effect here, each with why.
    pub ignored: Vec<String>,
    /// Entries that grant more than Theater's default, kept as the original meant them.
    pub widened: Vec<String>,
}

impl fmt::Display for UpstreamNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is in the original Theater's manifest format; it runs as `theater manifest convert {}` prints it",
            self.origin, self.origin
        )?;
        if !self.ignored.is_empty() {
            write!(f, "\n  no effect here: {}", self.ignored.join("; "))?;
        }
        if !self.widened.is_empty() {
            write!(
                f,
                "\n  wider than Theater's defaults, as the original meant: {}",
                self.widened.join("; ")
            )?;
        }
        Ok(())
    }
}

impl From<crate::manifest_files::FileError> for ManifestError {
    fn from(e: crate::manifest_files::FileError) -> ManifestError {
        match e {
            crate::manifest_files::FileError::Io { path, source } => {
                ManifestError::Read { path, source }
            }
            other => ManifestError::File(other),
        }
    }
}

impl fmt::Display for RestartPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RestartPolicy::Permanent => "permanent",
            RestartPolicy::Transient => "transient",
            RestartPolicy::Temporary => "temporary",
        })
    }
}

/// A TOML or shape error as a manifest error naming the line.
pub(crate) fn toml_error(text: &str, origin: &str, e: &toml::de::Error) -> ManifestError {
    let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
    ManifestError::Invalid {
        origin: origin.to_string(),
        line,
        message: describe(e.message()),
    }
}

/// 1-based line number of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map(|s| s.matches('\n').count() + 1)
        .unwrap_or(1)
}

/// Turn serde's terse messages into ones that say how to fix the manifest.
fn describe(message: &str) -> String {
    let message = message.trim();
    let kinds = HANDLER_TYPES
        .iter()
        .map(|(t, _)| format!("\"{t}\""))
        .collect::<Vec<_>>()
        .join(", ");
    if message.contains("unknown variant") {
        format!("{message}\n  hint: a [[handler]] `type` must be one of {kinds}")
    } else if message.contains("missing field `type`") {
        format!("{message}\n  hint: every [[handler]] needs `type = ...`, one of {kinds}")
    } else if message.contains("unknown field") {
        format!(
            "{message}\n  hint: remove or rename the key; {} lists every key",
            crate::paths::manifest_reference()
        )
    } else if message.contains("missing field") {
        format!("{message}\n  hint: a manifest needs `name`, `version` and `component`; {} has an example", crate::paths::manifest_reference())
    } else {
        message.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse_in(dir: &Path, text: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(text, dir, "manifest.toml")
    }

    fn dir_with_component() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.wasm"), b"\0asm").unwrap();
        dir
    }

    #[test]
    fn minimal_manifest_gets_defaults_and_runtime_grant() {
        let dir = dir_with_component();
        let m = parse_in(
            dir.path(),
            "name = \"a\"\nversion = \"0.1.0\"\ncomponent = \"a.wasm\"\n",
        )
        .unwrap();
        assert_eq!(m.limits, Limits::default());
        assert_eq!(
            (m.restart, m.restart_policy()),
            (None, RestartPolicy::Permanent)
        );
        let granted: Vec<&str> = m.granted_interfaces().into_iter().collect();
        let always = [
            "theater:simple/http-types",
            "theater:simple/runtime",
            "theater:simple/types",
            "theater:simple/websocket-types",
        ];
        assert_eq!(granted, always, "runtime and the type-only interfaces");
        assert_eq!(m.component, dir.path().join("a.wasm"));
    }

    #[test]
    fn handlers_limits_and_supervision_parse() {
        let dir = dir_with_component();
        let text = r#"
name = "a"
version = "1"
component = "a.wasm"
restart = "transient"
[supervision]
strategy = "rest-for-one"
max_restarts = 7
[limits]
memory_mb = 16
[[handler]]
type = "message-server"
[[handler]]
type = "environment"
allow = ["HOME"]
"#;
        let m = parse_in(dir.path(), text).unwrap();
        assert_eq!(m.restart, Some(RestartPolicy::Transient));
        assert_eq!(m.supervision.strategy, Strategy::RestForOne);
        assert_eq!(m.supervision.max_restarts, 7);
        assert_eq!(m.supervision.within_secs, 5);
        assert_eq!(m.limits.memory_mb, 16);
        assert!(m
            .granted_interfaces()
            .contains("theater:simple/message-server-host"));
        assert_eq!(
            m.handler("environment"),
            Some(&HandlerConfig::Environment {
                allow: vec!["HOME".into()],
                allow_prefixes: vec![],
                deny: vec![]
            })
        );
    }

    fn err(text: &str) -> String {
        let dir = dir_with_component();
        parse_in(dir.path(), text).unwrap_err().to_string()
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let e = err("name = \"a\"\nversion = \"1\"\ncomponent = \"a.wasm\"\ncolour = \"red\"\n");
        assert!(e.starts_with("manifest.toml:4:"), "{e}");
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn unknown_handler_type_lists_valid_types() {
        let e = err("name = \"a\"\nversion = \"1\"\ncomponent = \"a.wasm\"\n[[handler]]\ntype = \"teleport\"\n");
        assert!(
            e.contains("teleport") && e.contains("\"message-server\""),
            "{e}"
        );
    }

    #[test]
    fn unknown_handler_option_is_rejected() {
        let e = err("name = \"a\"\nversion = \"1\"\ncomponent = \"a.wasm\"\n[[handler]]\ntype = \"random\"\nsed = 1\n");
        assert!(e.contains("sed"), "{e}");
    }

    #[test]
    fn wrong_value_type_names_line() {
        let e = err("name = \"a\"\nversion = \"1\"\ncomponent = \"a.wasm\"\n[limits]\nmemory_mb = \"lots\"\n");
        assert!(e.starts_with("manifest.toml:5:"), "{e}");
    }

    #[test]
    fn missing_component_file_names_path_and_fix() {
        let e = err("name = \"a\"\nversion = \"1\"\ncomponent = \"nope.wasm\"\n");
        assert!(
            e.contains("manifest.toml:3:")
                && e.contains("nope.wasm")
                && e.contains("theater build"),
            "{e}"
        );
    }

    #[test]
    fn missing_required_field_is_reported() {
        let e = err("name = \"a\"\ncomponent = \"a.wasm\"\n");
        assert!(e.contains("version"), "{e}");
    }

    #[test]
    fn out_of_range_limits_are_rejected() {
        let e =
            err("name = \"a\"\nversion = \"1\"\ncomponent = \"a.wasm\"\n[limits]\nmemory_mb = 0\n");
        assert!(e.contains("memory_mb"), "{e}");
    }

    #[test]
    fn duplicate_handler_is_rejected() {
        let e = err("name = \"a\"\nversion = \"1\"\ncomponent = \"a.wasm\"\n[[handler]]\ntype = \"store\"\n[[handler]]\ntype = \"store\"\n");
        assert!(e.contains("listed twice"), "{e}");
    }

    fn handler_of(text: &str) -> HandlerConfig {
        let dir = dir_with_component();
        let m = parse_in(
            dir.path(),
            &format!("name = \"a\"\nversion = \"1\"\ncomponent = \"a.wasm\"\n[[handler]]\n{text}"),
        )
        .unwrap();
        m.handlers.into_iter().next().unwrap()
    }

    #[test]
    fn capability_options_parse_with_defaults() {
        assert_eq!(
            handler_of("type = \"timing\""),
            HandlerConfig::Timing {
                max_sleep_ms: DEFAULT_MAX_SLEEP_MS
            }
        );
        assert_eq!(
            handler_of("type = \"timing\"\nmax_sleep_ms = 5"),
            HandlerConfig::Timing { max_sleep_ms: 5 }
        );
        assert_eq!(
            handler_of("type = \"random\"\nseed = 42"),
            HandlerConfig::Random { seed: Some(42) }
        );
        assert_eq!(
            handler_of("type = \"filesystem\"\nroot = \"data\""),
            HandlerConfig::Filesystem {
                root: "data".into(),
                max_read_bytes: DEFAULT_MAX_READ_BYTES,
                max_write_bytes: DEFAULT_MAX_WRITE_BYTES
            }
        );
        assert_eq!(
            handler_of(
                "type = \"filesystem\"\nroot = \"d\"\nmax_read_bytes = 1\nmax_write_bytes = 2"
            ),
            HandlerConfig::Filesystem {
                root: "d".into(),
                max_read_bytes: 1,
                max_write_bytes: 2
            }
        );
        assert_eq!(
            handler_of("type = \"http-client\"\nallow_hosts = [\"127.0.0.1:8080\", \"API.Example.com\", \"[::1]:9\"]"),
            HandlerConfig::HttpClient {
                allow_hosts: vec![
                    AllowedHost { host: "127.0.0.1".into(), port: Some(8080) },
                    AllowedHost { host: "api.example.com".into(), port: None },
                    AllowedHost { host: "[::1]".into(), port: Some(9) },
                ],
                max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
                timeout_ms: DEFAULT_HTTP_TIMEOUT_MS,
            }
        );
        let m = HandlerConfig::HttpClient {
            allow_hosts: vec![],
            max_response_bytes: 1,
            timeout_ms: 1,
        };
        assert_eq!(
            (m.type_name(), m.interface()),
            ("http-client", "theater:simple/http-client")
        );
        assert_eq!(
            type_for_interface("theater:simple/filesystem"),
            Some("filesystem")
        );
    }

    #[test]
    fn filesystem_needs_a_root_and_rejects_unknown_options() {
        let e = err("name = \"a\"\nversion = \"1\"\ncomponent = \"a.wasm\"\n[[handler]]\ntype = \"filesystem\"\n");
        assert!(e.contains("root"), "{e}");
        let e = err("name = \"a\"\nversion = \"1\"\ncomponent = \"a.wasm\"\n[[handler]]\ntype = \"filesystem\"\nroot = \"d\"\nmax_reads = 1\n");
        assert!(e.contains("max_reads"), "{e}");
    }

    #[test]
    fn malformed_allow_hosts_entries_are_errors_at_load() {
        for bad in [
            "http://api.example.com",
            "api.example.com/v1",
            "user@host",
            "host:0",
            "host:99999",
            "host:x",
            "a:1:2",
            "[::1",
            "[::1]x",
            "",
            "host?q",
        ] {
            let e = err(&format!(
                "name = \"a\"\nversion = \"1\"\ncomponent = \"a.wasm\"\n[[handler]]\ntype = \"http-client\"\nallow_hosts = [{bad:?}]\n"
            ));
            assert!(
                e.starts_with("manifest.toml:4:") && e.contains("allow_hosts entry"),
                "{bad}: {e}"
            );
        }
    }
}

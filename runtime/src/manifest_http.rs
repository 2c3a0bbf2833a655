//! The `http-framework` grant (`[[handler]] type = "http-framework"`): the addresses an
//! actor's servers may listen on and the bounds on what they accept. Every key has a safe
//! default: loopback only, 1 MiB bodies, 16 KiB of headers, 1024 connections, 30 s per
//! request, 4 servers. A child's grant is never wider than its parent's (`attenuation`).

use std::fmt;
use std::net::IpAddr;

use serde::Deserialize;

/// Default largest request body (and WebSocket message) delivered to the actor.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 1 << 20;
/// Default largest total size of a request's header names and values.
pub const DEFAULT_MAX_HEADER_BYTES: u64 = 16 << 10;
/// Default most headers in one request.
pub const DEFAULT_MAX_HEADERS: u64 = 64;
/// Default most open connections per server (WebSocket connections included).
pub const DEFAULT_MAX_CONNECTIONS: u64 = 1024;
/// Default time from a request's first byte to its response.
pub const DEFAULT_SERVE_TIMEOUT_MS: u64 = 30_000;
/// Default most servers an actor holds at once.
pub const DEFAULT_MAX_SERVERS: u64 = 4;

/// Largest `max_headers` (hyper parses at most this many).
pub const MAX_HEADERS: u64 = 1024;
/// Largest `max_header_bytes`.
pub const MAX_HEADER_BYTES: u64 = 1 << 20;
/// Largest `max_connections`.
pub const MAX_CONNECTIONS: u64 = 65_536;
/// Largest `max_servers`.
pub const MAX_SERVERS: u64 = 64;
/// Largest `max_body_bytes` (1 GiB).
pub const MAX_BODY_BYTES: u64 = 1 << 30;
/// Largest `request_timeout_ms` (one day).
pub const MAX_SERVE_TIMEOUT_MS: u64 = 86_400_000;

/// The options of `[[handler]] type = "http-framework"`.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct HttpFrameworkGrant {
    /// Where servers may listen (default: `127.0.0.1` and `::1`, any port).
    #[serde(default = "default_bind")]
    pub bind: Vec<BindRule>,
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: u64,
    #[serde(default = "default_max_header_bytes")]
    pub max_header_bytes: u64,
    #[serde(default = "default_max_headers")]
    pub max_headers: u64,
    #[serde(default = "default_max_connections")]
    pub max_connections: u64,
    #[serde(default = "default_request_timeout_ms")]
    pub request_timeout_ms: u64,
    #[serde(default = "default_max_servers")]
    pub max_servers: u64,
}

impl Default for HttpFrameworkGrant {
    fn default() -> Self {
        HttpFrameworkGrant {
            bind: default_bind(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            max_headers: DEFAULT_MAX_HEADERS,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            request_timeout_ms: DEFAULT_SERVE_TIMEOUT_MS,
            max_servers: DEFAULT_MAX_SERVERS,
        }
    }
}

fn default_bind() -> Vec<BindRule> {
    [
        IpAddr::from([127, 0, 0, 1]),
        IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]),
    ]
    .into_iter()
    .map(|ip| BindRule { ip, ports: None })
    .collect()
}
fn default_max_body_bytes() -> u64 {
    DEFAULT_MAX_BODY_BYTES
}
fn default_max_header_bytes() -> u64 {
    DEFAULT_MAX_HEADER_BYTES
}
fn default_max_headers() -> u64 {
    DEFAULT_MAX_HEADERS
}
fn default_max_connections() -> u64 {
    DEFAULT_MAX_CONNECTIONS
}
fn default_request_timeout_ms() -> u64 {
    DEFAULT_SERVE_TIMEOUT_MS
}
fn default_max_servers() -> u64 {
    DEFAULT_MAX_SERVERS
}

impl HttpFrameworkGrant {
    /// Its numeric options, each with its name and largest allowed value.
    pub fn numeric_options(&self) -> Vec<(&'static str, u64, u64)> {
        vec![
            ("max_body_bytes", self.max_body_bytes, MAX_BODY_BYTES),
            ("max_header_bytes", self.max_header_bytes, MAX_HEADER_BYTES),
            ("max_headers", self.max_headers, MAX_HEADERS),
            ("max_connections", self.max_connections, MAX_CONNECTIONS),
            (
                "request_timeout_ms",
                self.request_timeout_ms,
                MAX_SERVE_TIMEOUT_MS,
            ),
            ("max_servers", self.max_servers, MAX_SERVERS),
        ]
    }

    /// The rule allowing a server on `ip:port` (port 0: the system picks), if any.
    pub fn allows(&self, ip: IpAddr, port: u16) -> bool {
        self.bind.iter().any(|rule| rule.allows(ip, port))
    }
}

/// A `bind` entry: an IP address, alone (any port) or with a port or a port range:
/// `"127.0.0.1"`, `"0.0.0.0:8080"`, `"[::1]:8000-8099"`. Port 0 (the system picks one) is
/// allowed only by an entry without ports, since the port picked could be any.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct BindRule {
    pub ip: IpAddr,
    /// The lowest and highest port allowed; none: every port.
    pub ports: Option<(u16, u16)>,
}

impl BindRule {
    pub fn allows(&self, ip: IpAddr, port: u16) -> bool {
        self.ip == ip
            && match self.ports {
                None => true,
                Some((low, high)) => port != 0 && (low..=high).contains(&port),
            }
    }

    /// Whether everything `self` allows, `parent` allows too.
    pub fn within(&self, parent: &BindRule) -> bool {
        self.ip == parent.ip
            && match (self.ports, parent.ports) {
                (_, None) => true,
                (None, Some(_)) => false,
                (Some((low, high)), Some((p_low, p_high))) => p_low <= low && high <= p_high,
            }
    }
}

impl TryFrom<String> for BindRule {
    type Error = String;

    fn try_from(entry: String) -> Result<BindRule, String> {
        let bad = |why: &str| {
            format!("bind entry {entry:?} {why}: write an IP address, alone or with a port or a port range, e.g. \"127.0.0.1\", \"0.0.0.0:8080\" or \"[::1]:8000-8099\"")
        };
        let (ip, ports) = match entry.strip_prefix('[') {
            Some(rest) => {
                let (ip, after) = rest
                    .split_once(']')
                    .ok_or_else(|| bad("has an unclosed `[`"))?;
                let ports = match after {
                    "" => None,
                    _ => Some(
                        after
                            .strip_prefix(':')
                            .ok_or_else(|| bad("has text after `]`"))?,
                    ),
                };
                (ip, ports)
            }
            None => match entry.split_once(':') {
                Some((ip, ports)) => (ip, Some(ports)),
                None => (entry.as_str(), None),
            },
        };
        let ip: IpAddr = ip.parse().map_err(|_| bad("is not an IP address"))?;
        let ports = ports
            .map(|p| {
                let (low, high) = p.split_once('-').unwrap_or((p, p));
                let port = |s: &str| s.parse::<u16>().map_err(|_| bad("has an invalid port"));
                let (low, high) = (port(low)?, port(high)?);
                if low == 0 || low > high {
                    return Err(bad("has an empty port range or port 0"));
                }
                Ok((low, high))
            })
            .transpose()?;
        Ok(BindRule { ip, ports })
    }
}

impl From<BindRule> for String {
    fn from(rule: BindRule) -> String {
        rule.to_string()
    }
}

impl fmt::Display for BindRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ip = match self.ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        };
        match self.ports {
            None => f.write_str(&ip),
            Some((low, high)) if low == high => write!(f, "{ip}:{low}"),
            Some((low, high)) => write!(f, "{ip}:{low}-{high}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(s: &str) -> BindRule {
        BindRule::try_from(s.to_string()).unwrap()
    }

    #[test]
    fn rules_parse_print_and_allow() {
        for s in ["127.0.0.1", "0.0.0.0:8080", "[::1]:8000-8099", "[::1]"] {
            assert_eq!(rule(s).to_string(), s);
        }
        let lo = IpAddr::from([127, 0, 0, 1]);
        assert!(
            rule("127.0.0.1").allows(lo, 0),
            "any port, the system's pick too"
        );
        assert!(rule("127.0.0.1:80-90").allows(lo, 85));
        assert!(
            !rule("127.0.0.1:80-90").allows(lo, 0),
            "the pick could be outside"
        );
        assert!(!rule("127.0.0.1:80-90").allows(lo, 91));
        assert!(!rule("127.0.0.1").allows(IpAddr::from([0, 0, 0, 0]), 80));
        for bad in [
            "localhost",
            "127.0.0.1:0",
            "127.0.0.1:9-8",
            "[::1",
            "1.2.3.4:x",
            "http://a",
        ] {
            assert!(BindRule::try_from(bad.to_string()).is_err(), "{bad}");
        }
    }

    #[test]
    fn within_is_no_wider() {
        assert!(rule("127.0.0.1:80").within(&rule("127.0.0.1")));
        assert!(rule("127.0.0.1:80-81").within(&rule("127.0.0.1:79-81")));
        assert!(!rule("127.0.0.1").within(&rule("127.0.0.1:1-65535")));
        assert!(!rule("0.0.0.0").within(&rule("127.0.0.1")));
    }

    #[test]
    fn the_default_is_loopback_only() {
        let g = HttpFrameworkGrant::default();
        assert!(g.allows(IpAddr::from([127, 0, 0, 1]), 0));
        assert!(g.allows("::1".parse().unwrap(), 8080));
        assert!(!g.allows(IpAddr::from([0, 0, 0, 0]), 8080));
    }
}

//! Grants only shrink: a child spawned by an actor holds at most what its parent holds.
//! [`check`] compares a child's manifest with its parent's, per handler and per option,
//! and lists every grant the child would widen together with the parent's value, so one
//! refusal says everything that has to change. Top-level actors (started by the CLI or the
//! API) are the operator's choice and are not checked.
//!
//! The rule, per handler type: the child may list only handler types the parent lists;
//! `filesystem` — its root (canonicalised) inside the parent's root, `max_read_bytes` and
//! `max_write_bytes` no larger; `environment` — each name visible to the parent, each
//! prefix an extension of one of the parent's prefixes, each name the parent denies hidden;
//! `http-client` — each host entry one of the parent's (any, if the parent holds `"*"`),
//! `max_response_bytes` and `timeout_ms` no larger; `timing` —
//! `max_sleep_ms` no larger; `timers` — `max_timers` and `max_delay_ms` no larger,
//! `min_interval_ms` no smaller; `http-framework` — each `bind` entry within one of the
//! parent's, every byte, count and time bound no larger; every `[limits]` value no larger. A `[limits]` value the child
//! leaves at its default is first lowered to the parent's ([`inherit_limits`]), so a
//! parent with tighter limits can spawn children that do not repeat them.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::manifest::{AllowedHost, EnvGrant, HandlerConfig, LimitKey, Limits, Manifest};

/// One grant the child asks for that its parent does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Widened {
    /// Where in the manifest, e.g. `[[handler]] type = "filesystem" root` or `[limits] memory_mb`.
    pub grant: String,
    /// What the child asks for.
    pub child: String,
    /// What the parent holds.
    pub parent: String,
}

/// The child's manifest asks for more than its parent holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct AttenuationError {
    pub child: String,
    pub widened: Vec<Widened>,
}

impl fmt::Display for AttenuationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "child manifest \"{}\" asks for more than its parent holds (a child's grants must be within its parent's):", self.child)?;
        for w in &self.widened {
            write!(
                f,
                "\n  - {}: the child asks for {}, the parent has {}",
                w.grant, w.child, w.parent
            )?;
        }
        Ok(())
    }
}

/// Lower every `[limits]` value the child left at its default to the parent's, when the
/// parent's is lower: an unset limit means "what my parent allows".
pub fn inherit_limits(child: &mut Limits, parent: &Limits) {
    let defaults = Limits::default();
    for key in LimitKey::ALL {
        if child.get(key) == defaults.get(key) && parent.get(key) < child.get(key) {
            child.set(key, parent.get(key));
        }
    }
}

/// Every grant of `child` that `parent` does not hold; `Ok` if there is none.
pub fn check(child: &Manifest, parent: &Manifest) -> Result<(), AttenuationError> {
    let mut widened = Vec::new();
    for handler in &child.handlers {
        match parent.handler(handler.type_name()) {
            Some(held) => compare_handler(handler, held, child, parent, &mut widened),
            None if matches!(handler, HandlerConfig::Runtime {}) => {}
            None => widened.push(Widened {
                grant: format!("[[handler]] type = \"{}\"", handler.type_name()),
                child: "the handler".into(),
                parent: "no such handler".into(),
            }),
        }
    }
    for key in LimitKey::ALL {
        let (c, p) = (child.limits.get(key), parent.limits.get(key));
        if c > p {
            widened.push(Widened {
                grant: format!("[limits] {}", key.spec().name),
                child: c.to_string(),
                parent: p.to_string(),
            });
        }
    }
    if widened.is_empty() {
        Ok(())
    } else {
        Err(AttenuationError {
            child: child.name.clone(),
            widened,
        })
    }
}

fn compare_handler(
    child: &HandlerConfig,
    parent: &HandlerConfig,
    cm: &Manifest,
    pm: &Manifest,
    out: &mut Vec<Widened>,
) {
    let grant = |option: &str| format!("[[handler]] type = \"{}\" {option}", child.type_name());
    for ((name, c, _), (_, p, _)) in child
        .numeric_options()
        .into_iter()
        .zip(parent.numeric_options())
    {
        if c > p {
            out.push(Widened {
                grant: grant(name),
                child: c.to_string(),
                parent: p.to_string(),
            });
        }
    }
    match (child, parent) {
        (HandlerConfig::Filesystem { root: c, .. }, HandlerConfig::Filesystem { root: p, .. })
            if !root_within(&cm.base_dir.join(c), &pm.base_dir.join(p)) =>
        {
            out.push(Widened {
                grant: grant("root"),
                child: format!("{:?}", cm.base_dir.join(c).display().to_string()),
                parent: format!("{:?}", pm.base_dir.join(p).display().to_string()),
            });
        }
        (
            HandlerConfig::Timers {
                min_interval_ms: c, ..
            },
            HandlerConfig::Timers {
                min_interval_ms: p, ..
            },
        ) if c < p => out.push(Widened {
            grant: grant("min_interval_ms"),
            child: c.to_string(),
            parent: p.to_string(),
        }),
        (HandlerConfig::Environment { .. }, HandlerConfig::Environment { .. }) => {
            compare_environment(EnvGrant::of(Some(child)), EnvGrant::of(Some(parent)), out)
        }
        (
            HandlerConfig::HttpClient { allow_hosts: c, .. },
            HandlerConfig::HttpClient { allow_hosts: p, .. },
        ) => {
            let held: Vec<String> = p.iter().map(|h| format!("{:?}", h.to_string())).collect();
            let any = p.iter().any(AllowedHost::is_any);
            for host in c.iter().filter(|h| !any && !p.contains(h)) {
                out.push(Widened {
                    grant: grant("allow_hosts"),
                    child: format!("{:?}", host.to_string()),
                    parent: format!("[{}]", held.join(", ")),
                });
            }
        }
        (HandlerConfig::HttpFramework(c), HandlerConfig::HttpFramework(p)) => {
            let held: Vec<String> = p
                .bind
                .iter()
                .map(|r| format!("{:?}", r.to_string()))
                .collect();
            for rule in c
                .bind
                .iter()
                .filter(|r| !p.bind.iter().any(|held| r.within(held)))
            {
                out.push(Widened {
                    grant: grant("bind"),
                    child: format!("{:?}", rule.to_string()),
                    parent: format!("[{}]", held.join(", ")),
                });
            }
        }
        _ => {}
    }
}

/// Each name the child may see must be visible to the parent, each prefix must extend one
/// of the parent's, and each name the parent denies must stay hidden from the child.
fn compare_environment(child: EnvGrant, parent: EnvGrant, out: &mut Vec<Widened>) {
    let held = || list(parent);
    let grant = |option: &str| format!("[[handler]] type = \"environment\" {option}");
    for name in child.allow.iter().filter(|n| !parent.allows(n)) {
        out.push(Widened {
            grant: grant("allow"),
            child: format!("{name:?}"),
            parent: held(),
        });
    }
    for prefix in child.allow_prefixes.iter().filter(|c| {
        !parent
            .allow_prefixes
            .iter()
            .any(|p| c.starts_with(p.as_str()))
    }) {
        out.push(Widened {
            grant: grant("allow_prefixes"),
            child: format!("{prefix:?}"),
            parent: held(),
        });
    }
    for name in parent.deny.iter().filter(|d| child.allows(d)) {
        out.push(Widened {
            grant: grant("deny"),
            child: format!("{name:?} visible"),
            parent: held(),
        });
    }
}

/// Whether `child` (canonicalised) lies inside `parent` (canonicalised). A root that does
/// not exist cannot be shown to be inside, so it is refused.
fn root_within(child: &Path, parent: &Path) -> bool {
    let canonical = |p: &Path| -> Option<PathBuf> { p.canonicalize().ok() };
    match (canonical(child), canonical(parent)) {
        (Some(c), Some(p)) => c.starts_with(p),
        _ => false,
    }
}

fn list(grant: EnvGrant) -> String {
    let EnvGrant {
        allow,
        allow_prefixes,
        deny,
    } = grant;
    format!("allow = {allow:?}, allow_prefixes = {allow_prefixes:?}, deny = {deny:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dir(tempfile::TempDir);

    impl Dir {
        fn new() -> Dir {
            let d = tempfile::tempdir().unwrap();
            std::fs::write(d.path().join("a.wasm"), b"\0asm").unwrap();
            std::fs::create_dir_all(d.path().join("data/inner")).unwrap();
            std::fs::create_dir_all(d.path().join("other")).unwrap();
            Dir(d)
        }

        fn manifest(&self, extra: &str) -> Manifest {
            let text = format!("name = \"m\"\nversion = \"1\"\ncomponent = \"a.wasm\"\n{extra}");
            Manifest::parse(&text, self.0.path(), "m.toml").unwrap()
        }
    }

    fn widened(child: &Manifest, parent: &Manifest) -> Vec<String> {
        check(child, parent)
            .err()
            .map(|e| e.widened.into_iter().map(|w| w.grant).collect())
            .unwrap_or_default()
    }

    #[test]
    fn an_http_framework_child_binds_and_bounds_no_wider() {
        let d = Dir::new();
        let parent = d.manifest(
            "[[handler]]\ntype = \"http-framework\"\nbind = [\"127.0.0.1:8000-8099\"]\nmax_body_bytes = 100\n",
        );
        let narrower = d.manifest(
            "[[handler]]\ntype = \"http-framework\"\nbind = [\"127.0.0.1:8080\"]\nmax_body_bytes = 10\nmax_connections = 5\n",
        );
        assert_eq!(check(&narrower, &parent), Ok(()));
        for bad in [
            "bindd = []",
            "bind = [\"localhost\"]",
            "max_servers = 65",
            "max_body_bytes = -1",
        ] {
            let text = format!(
                "name = \"m\"\nversion = \"1\"\ncomponent = \"a.wasm\"\n[[handler]]\ntype = \"http-framework\"\n{bad}\n"
            );
            assert!(
                Manifest::parse(&text, d.0.path(), "m.toml").is_err(),
                "{bad}"
            );
        }
        let wider = d.manifest(
            "[[handler]]\ntype = \"http-framework\"\nbind = [\"127.0.0.1\", \"0.0.0.0:8080\"]\nmax_body_bytes = 1000\n",
        );
        assert_eq!(
            widened(&wider, &parent),
            [
                "[[handler]] type = \"http-framework\" max_body_bytes",
                "[[handler]] type = \"http-framework\" bind",
                "[[handler]] type = \"http-framework\" bind",
            ]
        );
    }

    #[test]
    fn the_same_or_fewer_grants_pass() {
        let d = Dir::new();
        let parent = d.manifest(
            "[[handler]]\ntype = \"message-server\"\n[[handler]]\ntype = \"filesystem\"\nroot = \"data\"\n\
             [[handler]]\ntype = \"environment\"\nallow = [\"HOME\"]\nallow_prefixes = [\"APP_\"]\n\
             [[handler]]\ntype = \"http-client\"\nallow_hosts = [\"a.example\", \"b.example:8080\"]\n",
        );
        assert_eq!(check(&parent, &parent), Ok(()));
        let child = d.manifest(
            "[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"filesystem\"\nroot = \"data/inner\"\nmax_read_bytes = 10\n\
             [[handler]]\ntype = \"environment\"\nallow = [\"HOME\", \"APP_MODE\"]\nallow_prefixes = [\"APP_X_\"]\n\
             [[handler]]\ntype = \"http-client\"\nallow_hosts = [\"b.example:8080\"]\n[limits]\nmemory_mb = 8\n",
        );
        assert_eq!(check(&child, &parent), Ok(()));
    }

    #[test]
    fn every_widened_grant_is_named_with_the_parents_value() {
        let d = Dir::new();
        let parent = d.manifest(
            "[limits]\nmemory_mb = 16\n[[handler]]\ntype = \"supervisor\"\n[[handler]]\ntype = \"filesystem\"\nroot = \"data/inner\"\n\
             [[handler]]\ntype = \"environment\"\nallow = [\"HOME\"]\nallow_prefixes = [\"APP_\"]\n\
             [[handler]]\ntype = \"http-client\"\nallow_hosts = [\"a.example\"]\ntimeout_ms = 100\n[[handler]]\ntype = \"timing\"\nmax_sleep_ms = 5\n",
        );
        let child = d.manifest(
            "[limits]\nmemory_mb = 32\nmailbox = 5000\n[[handler]]\ntype = \"store\"\n[[handler]]\ntype = \"filesystem\"\nroot = \"data\"\nmax_write_bytes = 1073741824\n\
             [[handler]]\ntype = \"environment\"\nallow = [\"THEATER_TOKEN\", \"PATH\"]\nallow_prefixes = [\"\"]\n\
             [[handler]]\ntype = \"http-client\"\nallow_hosts = [\"evil.example\", \"a.example:8080\"]\ntimeout_ms = 1000\n\
             [[handler]]\ntype = \"timing\"\n",
        );
        let e = check(&child, &parent).unwrap_err();
        let grants: Vec<&str> = e.widened.iter().map(|w| w.grant.as_str()).collect();
        assert_eq!(
            grants,
            vec![
                "[[handler]] type = \"store\"",
                "[[handler]] type = \"filesystem\" max_write_bytes",
                "[[handler]] type = \"filesystem\" root",
                "[[handler]] type = \"environment\" allow",
                "[[handler]] type = \"environment\" allow",
                "[[handler]] type = \"environment\" allow_prefixes",
                "[[handler]] type = \"http-client\" timeout_ms",
                "[[handler]] type = \"http-client\" allow_hosts",
                "[[handler]] type = \"http-client\" allow_hosts",
                "[[handler]] type = \"timing\" max_sleep_ms",
                "[limits] memory_mb",
                "[limits] mailbox",
            ]
        );
        let text = e.to_string();
        assert!(
            text.contains("[limits] memory_mb: the child asks for 32, the parent has 16"),
            "{text}"
        );
        assert!(
            text.contains("\"THEATER_TOKEN\"") && text.contains("\"evil.example\""),
            "{text}"
        );
    }

    #[test]
    fn a_root_outside_or_missing_is_widened_even_through_dotdot_or_symlinks() {
        let d = Dir::new();
        std::os::unix::fs::symlink(d.0.path().join("other"), d.0.path().join("data/inner/link"))
            .unwrap();
        let parent = d.manifest("[[handler]]\ntype = \"filesystem\"\nroot = \"data\"\n");
        for root in ["data/..", "data/inner/link", "/", "data/missing", "other"] {
            let child = d.manifest(&format!(
                "[[handler]]\ntype = \"filesystem\"\nroot = \"{root}\"\n"
            ));
            assert_eq!(
                widened(&child, &parent),
                vec!["[[handler]] type = \"filesystem\" root"],
                "{root}"
            );
        }
    }

    #[test]
    fn timers_attenuate_with_a_minimum_interval_no_smaller() {
        let d = Dir::new();
        let parent =
            d.manifest("[[handler]]\ntype = \"timers\"\nmin_interval_ms = 100\nmax_timers = 2\n");
        let narrower =
            d.manifest("[[handler]]\ntype = \"timers\"\nmin_interval_ms = 500\nmax_timers = 1\n");
        assert_eq!(check(&narrower, &parent), Ok(()));
        let wider = d.manifest("[[handler]]\ntype = \"timers\"\nmin_interval_ms = 1\n");
        assert_eq!(
            widened(&wider, &parent),
            vec![
                "[[handler]] type = \"timers\" max_timers",
                "[[handler]] type = \"timers\" min_interval_ms",
            ]
        );
    }

    #[test]
    fn limits_left_at_their_default_inherit_the_parents_lower_value() {
        let d = Dir::new();
        let parent = d.manifest("[limits]\nmemory_mb = 16\nmax_children = 2\n");
        let mut child = d.manifest("[limits]\nmax_children = 1\n");
        assert_eq!(widened(&child, &parent), vec!["[limits] memory_mb"]);
        inherit_limits(&mut child.limits, &parent.limits);
        assert_eq!((child.limits.memory_mb, child.limits.max_children), (16, 1));
        assert_eq!(check(&child, &parent), Ok(()));
    }

    #[test]
    fn any_host_and_denied_names_attenuate() {
        let d = Dir::new();
        let parent = d.manifest(
            "[[handler]]\ntype = \"http-client\"\nallow_hosts = [\"*\"]\n\
             [[handler]]\ntype = \"environment\"\nallow_prefixes = [\"\"]\ndeny = [\"SECRET\"]\n",
        );
        let narrower = d.manifest(
            "[[handler]]\ntype = \"http-client\"\nallow_hosts = [\"a.example\"]\n\
             [[handler]]\ntype = \"environment\"\nallow = [\"HOME\"]\n",
        );
        assert_eq!(check(&narrower, &parent), Ok(()));
        let wider = d.manifest("[[handler]]\ntype = \"environment\"\nallow_prefixes = [\"\"]\n");
        assert_eq!(
            widened(&wider, &parent),
            vec!["[[handler]] type = \"environment\" deny",]
        );
        let any = d.manifest("[[handler]]\ntype = \"http-client\"\nallow_hosts = [\"*\"]\n");
        assert_eq!(check(&any, &parent), Ok(()));
        assert_eq!(
            widened(&any, &narrower),
            vec!["[[handler]] type = \"http-client\" allow_hosts"]
        );
    }
}

//! `theater:simple/environment`: the host's environment variables, but only those on the
//! manifest's allow-list (`allow` names, `allow_prefixes` prefixes, less any `deny` names). Nothing is visible by
//! default. A variable off the list reads as absent — `get-var` gives `none`, `exists`
//! `false`, `list-vars` leaves it out — exactly like one that is not set, so an actor cannot
//! probe which secrets the host has. Values that are not valid UTF-8 also read as absent.
//! `THEATER_*` variables (the server's token among them) are visible only when `allow`
//! names them in full: no prefix, not even `""`, reaches them.

use wasmtime::component::Linker;

use super::{define_sync, Handler};
use crate::actor::ActorCtx;
use crate::manifest::{EnvGrant, Manifest};

const INTERFACE: &str = "theater:simple/environment";

/// Serves `theater:simple/environment`.
pub struct EnvironmentHandler;

impl Handler for EnvironmentHandler {
    fn interface(&self) -> &'static str {
        INTERFACE
    }

    fn link(&self, linker: &mut Linker<ActorCtx>) -> wasmtime::Result<()> {
        let mut inst = linker.instance(INTERFACE)?;
        define_sync(
            &mut inst,
            INTERFACE,
            "get-var",
            |ctx, (name,): (String,)| Ok((AllowList::of(ctx.manifest()).get(&name),)),
        )?;
        define_sync(&mut inst, INTERFACE, "exists", |ctx, (name,): (String,)| {
            Ok((AllowList::of(ctx.manifest()).get(&name).is_some(),))
        })?;
        define_sync(&mut inst, INTERFACE, "list-vars", |ctx, (): ()| {
            Ok((AllowList::of(ctx.manifest()).list(),))
        })?;
        Ok(())
    }
}

/// The variables an actor may read, borrowed from its manifest.
struct AllowList<'a>(EnvGrant<'a>);

impl<'a> AllowList<'a> {
    /// The actor's list; empty (nothing visible) if the manifest does not grant the handler.
    fn of(manifest: &'a Manifest) -> AllowList<'a> {
        AllowList(EnvGrant::of(manifest.handler("environment")))
    }

    fn allows(&self, name: &str) -> bool {
        self.0.allows(name)
    }

    /// The value of `name` if it is allowed, set, and UTF-8.
    fn get(&self, name: &str) -> Option<String> {
        if self.allows(name) {
            std::env::var(name).ok()
        } else {
            tracing::debug!("environment variable {name} is not on the actor's allow-list");
            None
        }
    }

    /// Every allowed, set, UTF-8 variable, sorted by name so the answer does not depend on
    /// the order the host process happens to keep them in.
    fn list(&self) -> Vec<(String, String)> {
        let mut vars: Vec<(String, String)> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .filter(|(k, _)| self.allows(k))
            .collect();
        vars.sort();
        vars
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant<'a>(allow: &'a [String], prefixes: &'a [String], deny: &'a [String]) -> AllowList<'a> {
        AllowList(EnvGrant {
            allow,
            allow_prefixes: prefixes,
            deny,
        })
    }

    #[test]
    fn names_and_prefixes_allow_exactly_what_they_say() {
        let names = ["HOME".to_string()];
        let prefixes = ["APP_".to_string()];
        let list = grant(&names, &prefixes, &[]);
        assert!(list.allows("HOME"));
        assert!(list.allows("APP_MODE"));
        assert!(!list.allows("HOMEPATH"), "names match whole names only");
        assert!(!list.allows("SECRET"));
        assert!(
            !grant(&[], &[], &[]).allows("PATH"),
            "nothing is visible by default"
        );
    }

    #[test]
    fn deny_wins_over_names_and_prefixes() {
        let everything = ["".to_string()];
        let home = ["HOME".to_string()];
        let list = grant(&home, &everything, &home);
        assert!(list.allows("PATH"));
        assert!(
            !list.allows("HOME"),
            "a denied name stays hidden even when named"
        );
    }

    #[test]
    fn theater_variables_need_their_full_name() {
        let everything = ["".to_string(), "THEATER_".to_string()];
        let list = grant(&[], &everything, &[]);
        assert!(list.allows("PATH"));
        assert!(!list.allows("THEATER_TOKEN") && !list.allows("THEATER_HOME"));
        let named = ["THEATER_HOME".to_string()];
        let list = grant(&named, &everything, &[]);
        assert!(list.allows("THEATER_HOME") && !list.allows("THEATER_TOKEN"));
    }

    #[test]
    fn off_list_variables_read_as_absent_and_are_not_listed() {
        // PATH is set in any test environment; CARGO_PKG_NAME is set by cargo for tests.
        let names = ["CARGO_PKG_NAME".to_string()];
        let list = grant(&names, &[], &[]);
        assert_eq!(list.get("PATH"), None);
        assert_eq!(
            list.get("CARGO_PKG_NAME").as_deref(),
            Some("theater-runtime")
        );
        let listed = list.list();
        assert_eq!(
            listed,
            vec![("CARGO_PKG_NAME".to_string(), "theater-runtime".to_string())]
        );
    }
}

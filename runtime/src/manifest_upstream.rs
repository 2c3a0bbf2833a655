//! Manifests written for the original Theater (mid-2025), read as they are: the
//! `[[handler]]` form with inline options and the older `[[handlers]]` form with a
//! `[handlers.config]` table, with the original's key names. A manifest is in this format
//! when it has a key only the original has (`description`, `component_path`, `[[handlers]]`,
//! `max_sleep_duration`, `allowed_vars`, `path`, ...); one that is valid in both forms is
//! read as native, so a native manifest never silently gains the original's wider defaults.
//!
//! [`convert`] maps it onto the native form and writes an [`UpstreamNote`]: the keys that
//! have no effect here, and where the original meant more than Theater's default (an
//! `http-client` with no options reaches any host; a filesystem `path` resolves against the
//! working directory) — that meaning is kept, since the operator chose to run the manifest.
//! A child's grants are still checked against its parent's (`attenuation`). Everything
//! else is as strict as the native form: an unknown key or a wrong type is an error naming
//! the line.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::manifest::{
    line_of, AllowedHost, HandlerConfig, Limits, ManifestError, RawManifest, RestartPolicy,
    Supervision, UpstreamNote, DEFAULT_HTTP_TIMEOUT_MS, DEFAULT_MAX_READ_BYTES,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_SLEEP_MS, DEFAULT_MAX_WRITE_BYTES,
};

/// Top-level keys only the original format has.
const UPSTREAM_KEYS: [&str; 7] = [
    "component_path",
    "description",
    "long_description",
    "save_chain",
    "permission_policy",
    "interface",
    "handlers",
];

/// `[[handler]]` options only the original format has.
const UPSTREAM_OPTIONS: [&str; 15] = [
    "max_sleep_duration",
    "min_sleep_duration",
    "path",
    "new_dir",
    "allowed_commands",
    "allowed_vars",
    "denied_vars",
    "allow_list_all",
    "allowed_prefixes",
    "max_bytes",
    "max_int",
    "allow_crypto_secure",
    "max_processes",
    "max_output_buffer",
    "allowed_programs",
];

/// Appended to errors in an original-format manifest, which are not about the native keys.
const DETECTED: &str = "\n  note: read in the original Theater's format (it has a key only that format has); the section \"Manifests written for the original Theater\" of the manifest reference lists its keys";

/// The original's `timing` default for `max_sleep_duration` (one hour).
const UPSTREAM_MAX_SLEEP_MS: u64 = 3_600_000;

/// Whether `text` is a manifest in the original Theater's format. Text that is not TOML is
/// not: the native parser reports its error.
pub(crate) fn is_upstream(text: &str) -> bool {
    let Ok(table) = text.parse::<toml::Table>() else {
        return false;
    };
    let marked = |entry: &toml::Value| {
        entry.as_table().is_some_and(|e| {
            e.keys().any(|k| UPSTREAM_OPTIONS.contains(&k.as_str()))
                || e.get("type").and_then(toml::Value::as_str) == Some("process")
        })
    };
    UPSTREAM_KEYS.iter().any(|k| table.contains_key(*k))
        || table
            .get("handler")
            .and_then(toml::Value::as_array)
            .is_some_and(|entries| entries.iter().any(marked))
}

/// An original-format manifest mapped onto the native form.
pub(crate) struct Converted {
    pub raw: RawManifest,
    pub note: UpstreamNote,
}

impl Converted {
    /// The native manifest's text: what `theater manifest convert` prints and the chain
    /// records.
    pub fn native_text(&self, origin: &str) -> Result<String, ManifestError> {
        toml::to_string(&self.raw).map_err(|e| ManifestError::Semantic {
            origin: origin.into(),
            message: format!("cannot write the manifest in the native form: {e}"),
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUpstream {
    name: String,
    version: String,
    #[serde(default)]
    component: Option<Spanned<String>>,
    /// The older name of `component`.
    #[serde(default)]
    component_path: Option<Spanned<String>>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    long_description: Option<String>,
    #[serde(default)]
    save_chain: Option<bool>,
    #[serde(default)]
    permission_policy: Option<toml::Table>,
    #[serde(default)]
    interface: Option<Interface>,
    #[serde(default)]
    init_state: Option<Spanned<String>>,
    #[serde(default)]
    restart: Option<RestartPolicy>,
    #[serde(default)]
    supervision: Supervision,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    handler: Vec<Spanned<UpstreamHandler>>,
    #[serde(default)]
    handlers: Vec<Spanned<OlderHandler>>,
}

/// The original's `[interface]` table (documentation only there, too); read to be checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Interface {
    #[serde(default, rename = "implements")]
    _implements: Option<String>,
    #[serde(default, rename = "requires")]
    _requires: Option<Vec<String>>,
}

/// An entry of the older `[[handlers]]` array: the type, and its options in `config`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OlderHandler {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    config: toml::Table,
}

/// A handler entry with the original's option names.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
enum UpstreamHandler {
    Runtime(NoOptions),
    MessageServer(NoOptions),
    Supervisor(NoOptions),
    Store(NoOptions),
    HttpClient(NoOptions),
    HttpFramework(NoOptions),
    Timing(TimingOptions),
    Filesystem(FilesystemOptions),
    Environment(EnvironmentOptions),
    Random(RandomOptions),
    Process(ProcessOptions),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoOptions {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TimingOptions {
    max_sleep_duration: Option<u64>,
    min_sleep_duration: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FilesystemOptions {
    path: Option<String>,
    new_dir: Option<bool>,
    allowed_commands: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvironmentOptions {
    allowed_vars: Option<Vec<String>>,
    denied_vars: Option<Vec<String>>,
    allow_list_all: Option<bool>,
    allowed_prefixes: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RandomOptions {
    seed: Option<u64>,
    max_bytes: Option<u64>,
    max_int: Option<u64>,
    allow_crypto_secure: Option<bool>,
}

/// Read to be checked and named in the note: Theater runs no processes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProcessOptions {
    max_processes: Option<u64>,
    max_output_buffer: Option<u64>,
    allowed_programs: Option<Vec<String>>,
    allowed_paths: Option<Vec<String>>,
}

impl ProcessOptions {
    /// The entry as the note names it: the type and the options written.
    fn entry(&self) -> String {
        let written: Vec<&str> = [
            ("max_processes", self.max_processes.is_some()),
            ("max_output_buffer", self.max_output_buffer.is_some()),
            ("allowed_programs", self.allowed_programs.is_some()),
            ("allowed_paths", self.allowed_paths.is_some()),
        ]
        .iter()
        .filter(|(_, set)| *set)
        .map(|(key, _)| *key)
        .collect();
        match written.as_slice() {
            [] => "[[handler]] type = \"process\"".into(),
            keys => format!("[[handler]] type = \"process\" with {}", keys.join(", ")),
        }
    }
}

/// Map an original-format manifest onto the native form. A relative filesystem `path`
/// resolves against `working_dir`.
pub(crate) fn convert(
    text: &str,
    origin: &str,
    working_dir: &Path,
) -> Result<Converted, ManifestError> {
    let invalid = |span: std::ops::Range<usize>, message: String| ManifestError::Invalid {
        origin: origin.to_string(),
        line: line_of(text, span.start),
        message: format!("{message}{DETECTED}"),
    };
    let raw: RawUpstream = toml::from_str(text)
        .map_err(|e| invalid(e.span().unwrap_or_default(), e.message().trim().to_string()))?;
    let mut note = UpstreamNote {
        origin: origin.to_string(),
        ..UpstreamNote::default()
    };
    let component = match (raw.component, raw.component_path) {
        (Some(c), None) | (None, Some(c)) => c,
        (Some(_), Some(c)) => {
            return Err(invalid(
                c.span(),
                "both `component` and `component_path` are set: keep `component`".into(),
            ))
        }
        (None, None) => {
            return Err(ManifestError::Semantic {
                origin: origin.into(),
                message: "missing `component`: name the actor's .wasm file (`component_path` in older manifests)".into(),
            })
        }
    };
    let ignored_top = [
        ("description", raw.description.is_some()),
        ("long_description", raw.long_description.is_some()),
        (
            "save_chain (every chain is saved)",
            raw.save_chain.is_some(),
        ),
        (
            "[permission_policy] (a child's grants are always within its parent's)",
            raw.permission_policy.is_some(),
        ),
        ("[interface]", raw.interface.is_some()),
    ];
    note.ignored.extend(
        ignored_top
            .iter()
            .filter(|(_, set)| *set)
            .map(|(key, _)| key.to_string()),
    );
    if !raw.handler.is_empty() && !raw.handlers.is_empty() {
        return Err(invalid(
            raw.handlers[0].span(),
            "both [[handler]] and [[handlers]] entries: write every entry in one of the two forms"
                .into(),
        ));
    }
    let mut entries = Vec::new();
    for older in raw.handlers {
        let span = older.span();
        let entry = older
            .into_inner()
            .inline()
            .map_err(|e| invalid(span.clone(), e))?;
        entries.push((span, entry));
    }
    entries.extend(raw.handler.into_iter().map(|h| (h.span(), h.into_inner())));
    let mut handlers = Vec::new();
    for (span, entry) in entries {
        if let Some(h) = entry
            .native(working_dir, &mut note)
            .map_err(|e| invalid(span, e))?
        {
            handlers.push(h);
        }
    }
    Ok(Converted {
        raw: RawManifest {
            name: raw.name,
            version: raw.version,
            component,
            init_state: raw.init_state,
            restart: raw.restart,
            supervision: raw.supervision,
            limits: raw.limits,
            handlers,
        },
        note,
    })
}

impl OlderHandler {
    /// The entry with its `config` options inline, as the `[[handler]]` form writes it.
    fn inline(self) -> Result<UpstreamHandler, String> {
        if self.config.contains_key("type") {
            return Err(
                "[handlers.config] must not set `type`: it belongs to the [[handlers]] entry"
                    .into(),
            );
        }
        let mut table = self.config;
        table.insert("type".into(), toml::Value::String(self.kind));
        UpstreamHandler::deserialize(toml::Value::Table(table)).map_err(|e| {
            format!(
                "{}\n  hint: {} lists the options of each handler type in the original format",
                e.message().trim(),
                crate::paths::manifest_reference()
            )
        })
    }
}

impl UpstreamHandler {
    /// The native entry (none for a type Theater does not serve), noting what changed.
    fn native(
        self,
        working_dir: &Path,
        note: &mut UpstreamNote,
    ) -> Result<Option<HandlerConfig>, String> {
        let native = match self {
            UpstreamHandler::Runtime(_) => HandlerConfig::Runtime {},
            UpstreamHandler::MessageServer(_) => HandlerConfig::MessageServer {},
            UpstreamHandler::Supervisor(_) => HandlerConfig::Supervisor {},
            UpstreamHandler::Store(_) => HandlerConfig::Store {},
            // The original's entry has no options: Theater's defaults (loopback only).
            UpstreamHandler::HttpFramework(_) => {
                HandlerConfig::HttpFramework(crate::manifest_http::HttpFrameworkGrant::default())
            }
            UpstreamHandler::Process(options) => {
                note.ignored.push(format!("{} (Theater runs no processes; a component that imports theater:simple/process is refused)", options.entry()));
                return Ok(None);
            }
            UpstreamHandler::HttpClient(_) => {
                note.widened.push("[[handler]] type = \"http-client\" reaches any host and port (allow_hosts = [\"*\"])".into());
                HandlerConfig::HttpClient {
                    allow_hosts: vec![AllowedHost::any()],
                    max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
                    timeout_ms: DEFAULT_HTTP_TIMEOUT_MS,
                }
            }
            UpstreamHandler::Timing(o) => o.native(note),
            UpstreamHandler::Filesystem(o) => o.native(working_dir, note)?,
            UpstreamHandler::Environment(o) => o.native(note),
            UpstreamHandler::Random(o) => o.native(note),
        };
        Ok(Some(native))
    }
}

impl UpstreamNote {
    /// Note a handler option that has no effect here, and why.
    fn ignore(&mut self, handler: &str, key: &str, why: &str) {
        self.ignored
            .push(format!("[[handler]] type = \"{handler}\" {key} ({why})"));
    }
}

impl TimingOptions {
    fn native(self, note: &mut UpstreamNote) -> HandlerConfig {
        if self.min_sleep_duration.is_some() {
            note.ignore("timing", "min_sleep_duration", "any sleep may be short");
        }
        let max_sleep_ms = self.max_sleep_duration.unwrap_or_else(|| {
            note.widened.push(format!("[[handler]] type = \"timing\" sleeps up to {UPSTREAM_MAX_SLEEP_MS} ms (the original's default; Theater's is {DEFAULT_MAX_SLEEP_MS})"));
            UPSTREAM_MAX_SLEEP_MS
        });
        HandlerConfig::Timing { max_sleep_ms }
    }
}

impl FilesystemOptions {
    fn native(self, working_dir: &Path, note: &mut UpstreamNote) -> Result<HandlerConfig, String> {
        if self.new_dir == Some(true) {
            return Err("filesystem `new_dir = true` (a fresh directory under /tmp/theater) is not supported: create a directory and name it with `path`".into());
        }
        if self.new_dir.is_some() {
            note.ignore("filesystem", "new_dir", "false is the only value here");
        }
        if self.allowed_commands.is_some() {
            note.ignore("filesystem", "allowed_commands", "commands never run here");
        }
        let path = self.path.ok_or(
            "filesystem needs `path`: the directory the actor may use (relative to the working directory, as in the original)",
        )?;
        let root = if Path::new(&path).is_absolute() {
            PathBuf::from(&path)
        } else {
            let root = working_dir.join(&path);
            note.widened.push(format!(
                "[[handler]] type = \"filesystem\" path = {path:?} is {:?}, resolved against the working directory",
                root.display().to_string()
            ));
            root
        };
        Ok(HandlerConfig::Filesystem {
            root,
            max_read_bytes: DEFAULT_MAX_READ_BYTES,
            max_write_bytes: DEFAULT_MAX_WRITE_BYTES,
        })
    }
}

impl EnvironmentOptions {
    /// The original's rule: `denied_vars` first; then `allowed_vars` alone if set, else
    /// `allowed_prefixes` if set, else every variable.
    fn native(self, note: &mut UpstreamNote) -> HandlerConfig {
        if self.allow_list_all.is_some() {
            note.ignore(
                "environment",
                "allow_list_all",
                "list-vars lists the visible variables",
            );
        }
        let deny = self.denied_vars.unwrap_or_default();
        let (allow, allow_prefixes) = match (self.allowed_vars, self.allowed_prefixes) {
            (Some(names), prefixes) => {
                if prefixes.is_some() {
                    note.ignore(
                        "environment",
                        "allowed_prefixes",
                        "allowed_vars is set, so the original ignores it too",
                    );
                }
                (names, Vec::new())
            }
            (None, Some(prefixes)) => (Vec::new(), prefixes),
            (None, None) => {
                note.widened.push("[[handler]] type = \"environment\" sees every variable but THEATER_* (allow_prefixes = [\"\"])".into());
                (Vec::new(), vec![String::new()])
            }
        };
        HandlerConfig::Environment {
            allow,
            allow_prefixes,
            deny,
        }
    }
}

impl RandomOptions {
    fn native(self, note: &mut UpstreamNote) -> HandlerConfig {
        let unused = [
            ("max_bytes", self.max_bytes.is_some()),
            ("max_int", self.max_int.is_some()),
            ("allow_crypto_secure", self.allow_crypto_secure.is_some()),
        ];
        for (key, _) in unused.iter().filter(|(_, set)| *set) {
            note.ignore(
                "random",
                key,
                "random-bytes returns at most 1 MiB; every generator is ChaCha20",
            );
        }
        HandlerConfig::Random { seed: self.seed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;

    /// A directory holding `a.wasm`, and a separate working directory.
    struct Dirs {
        base: tempfile::TempDir,
        cwd: tempfile::TempDir,
    }

    impl Dirs {
        fn new() -> Dirs {
            let base = tempfile::tempdir().unwrap();
            std::fs::write(base.path().join("a.wasm"), b"\0asm").unwrap();
            Dirs {
                base,
                cwd: tempfile::tempdir().unwrap(),
            }
        }

        /// Load `text` as a top-level manifest file run from the working directory.
        fn top_level(&self, text: &str) -> Result<Manifest, ManifestError> {
            let path = self.base.path().join("manifest.toml");
            std::fs::write(&path, text).unwrap();
            Manifest::load_in(&path, self.cwd.path())
        }
    }

    const INLINE: &str = r#"name = "proxy"
version = "0.1.0"
description = "An upstream actor"
component = "a.wasm"
save_chain = true

[interface]
implements = "theater:simple/actor"
requires = []

[[handler]]
type = "runtime"

[[handler]]
type = "http-client"

[[handler]]
type = "filesystem"
path = "data"
allowed_commands = ["ls"]

[[handler]]
type = "timing"
max_sleep_duration = 5000
min_sleep_duration = 1

[[handler]]
type = "environment"
allowed_vars = ["HOME", "SECRET"]
denied_vars = ["SECRET"]
"#;

    #[test]
    fn the_inline_form_maps_onto_native_grants_with_one_note() {
        let d = Dirs::new();
        let m = d.top_level(INLINE).unwrap();
        assert_eq!(
            m.component,
            d.base.path().canonicalize().unwrap().join("a.wasm")
        );
        assert_eq!(
            m.handlers,
            vec![
                HandlerConfig::Runtime {},
                HandlerConfig::HttpClient {
                    allow_hosts: vec![AllowedHost::any()],
                    max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
                    timeout_ms: DEFAULT_HTTP_TIMEOUT_MS,
                },
                HandlerConfig::Filesystem {
                    root: d.cwd.path().join("data"),
                    max_read_bytes: DEFAULT_MAX_READ_BYTES,
                    max_write_bytes: DEFAULT_MAX_WRITE_BYTES,
                },
                HandlerConfig::Timing { max_sleep_ms: 5000 },
                HandlerConfig::Environment {
                    allow: vec!["HOME".into(), "SECRET".into()],
                    allow_prefixes: vec![],
                    deny: vec!["SECRET".into()],
                },
            ]
        );
        let note = m.upstream.expect("an upstream note").to_string();
        for said in [
            "description",
            "save_chain",
            "[interface]",
            "allowed_commands",
            "min_sleep_duration",
            "reaches any host",
            "resolved against the working directory",
        ] {
            assert!(note.contains(said), "{said}: {note}");
        }
        assert!(
            !note.contains("max_sleep_duration"),
            "a key that maps is not listed: {note}"
        );
    }

    #[test]
    fn the_older_handlers_form_with_config_tables_maps_the_same() {
        let d = Dirs::new();
        let text = r#"name = "old"
version = "0.1.0"
component_path = "a.wasm"

[[handlers]]
type = "message-server"
config = {}

[[handlers]]
type = "timing"
[handlers.config]
max_sleep_duration = 10

[[handlers]]
type = "random"
[handlers.config]
seed = 7
max_bytes = 10
"#;
        let m = d.top_level(text).unwrap();
        assert_eq!(
            m.handlers,
            vec![
                HandlerConfig::MessageServer {},
                HandlerConfig::Timing { max_sleep_ms: 10 },
                HandlerConfig::Random { seed: Some(7) },
            ]
        );
        assert!(m.upstream.unwrap().to_string().contains("max_bytes"));
    }

    #[test]
    fn the_recorded_text_is_the_native_form_and_reads_back_the_same() {
        let d = Dirs::new();
        let m = d.top_level(INLINE).unwrap();
        assert!(!is_upstream(&m.source), "{}", m.source);
        let again = Manifest::parse(&m.source, &m.base_dir, "again").unwrap();
        assert_eq!(again.handlers, m.handlers);
        assert_eq!((again.component, again.upstream), (m.component, None));
    }

    #[test]
    fn defaults_the_original_meant_wider_are_kept_and_said() {
        let d = Dirs::new();
        let m = d
            .top_level("name = \"a\"\nversion = \"1\"\ncomponent = \"a.wasm\"\ndescription = \"x\"\n[[handler]]\ntype = \"timing\"\n[[handler]]\ntype = \"environment\"\n")
            .unwrap();
        assert_eq!(
            m.handlers,
            vec![
                HandlerConfig::Timing {
                    max_sleep_ms: UPSTREAM_MAX_SLEEP_MS
                },
                HandlerConfig::Environment {
                    allow: vec![],
                    allow_prefixes: vec![String::new()],
                    deny: vec![],
                },
            ]
        );
        let widened = m.upstream.unwrap().widened;
        assert_eq!(widened.len(), 2, "{widened:?}");
    }

    #[test]
    fn a_manifest_valid_in_both_forms_is_native() {
        let d = Dirs::new();
        let m = d
            .top_level("name = \"a\"\nversion = \"1\"\ncomponent = \"a.wasm\"\n[[handler]]\ntype = \"http-client\"\n")
            .unwrap();
        assert_eq!(m.upstream, None);
        assert_eq!(
            m.handler("http-client"),
            Some(&HandlerConfig::HttpClient {
                allow_hosts: vec![],
                max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
                timeout_ms: DEFAULT_HTTP_TIMEOUT_MS,
            }),
            "a native http-client reaches no host"
        );
    }

    #[test]
    fn a_childs_relative_path_resolves_against_its_own_directory() {
        let d = Dirs::new();
        let m = Manifest::parse(
            "name = \"a\"\nversion = \"1\"\ncomponent = \"a.wasm\"\n[[handler]]\ntype = \"filesystem\"\npath = \"data\"\n",
            d.base.path(),
            "child",
        )
        .unwrap();
        assert_eq!(
            m.handler("filesystem"),
            Some(&HandlerConfig::Filesystem {
                root: d.base.path().join("data"),
                max_read_bytes: DEFAULT_MAX_READ_BYTES,
                max_write_bytes: DEFAULT_MAX_WRITE_BYTES,
            })
        );
    }

    fn error(text: &str) -> String {
        Dirs::new().top_level(text).unwrap_err().to_string()
    }

    #[test]
    fn typos_and_unsupported_entries_are_errors_naming_the_line() {
        let head = "name = \"a\"\nversion = \"1\"\ncomponent = \"a.wasm\"\ndescription = \"d\"\n";
        let cases = [
            ("colour = \"red\"\n", ":5:", "colour"),
            ("[[handler]]\ntype = \"timing\"\nmax_sleep_durration = 1\n", ":5:", "max_sleep_durration"),
            ("[[handlers]]\ntype = \"filesystem\"\n[handlers.config]\npath = \"d\"\nnew_dir = true\n", ":5:", "new_dir"),
            ("[[handlers]]\ntype = \"environment\"\nconfig = { allowed_varz = [] }\n", ":5:", "allowed_varz"),
            ("[[handler]]\ntype = \"filesystem\"\n", ":5:", "path"),
            ("[[handler]]\ntype = \"teleport\"\n", ":6:", "teleport"),
            ("component_path = \"a.wasm\"\n", ":5:", "component_path"),
            ("[[handler]]\ntype = \"store\"\n[[handlers]]\ntype = \"store\"\n", ":7:", "one of the two forms"),
        ];
        for (extra, line, says) in cases {
            let e = error(&format!("{head}{extra}"));
            assert!(e.contains(line) && e.contains(says), "{extra}: {e}");
        }
    }

    #[test]
    fn an_http_framework_entry_gets_the_native_defaults() {
        let d = Dirs::new();
        let m = d
            .top_level("name = \"a\"\nversion = \"1\"\ncomponent = \"a.wasm\"\ndescription = \"d\"\n[[handler]]\ntype = \"http-framework\"\n")
            .unwrap();
        assert_eq!(
            m.handlers,
            [HandlerConfig::HttpFramework(
                crate::manifest_http::HttpFrameworkGrant::default()
            )]
        );
    }

    #[test]
    fn process_entries_are_dropped_with_a_note() {
        let d = Dirs::new();
        let m = d
            .top_level("name = \"a\"\nversion = \"1\"\ncomponent = \"a.wasm\"\n[[handler]]\ntype = \"process\"\nmax_processes = 2\n")
            .unwrap();
        assert!(m.handlers.is_empty());
        assert!(m.upstream.unwrap().to_string().contains("process"));
    }
}

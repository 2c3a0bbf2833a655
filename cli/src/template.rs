//! Project templates (`templates/` in the repository, embedded in the binary) and rendering
//! one for a project name. Each template is a directory; `_common/` is added to every
//! project (a template's own file of the same name wins) and `_partials/` holds handlebars
//! partials. Files ending in `.hbs` are rendered in strict mode, so a misspelt variable is an
//! error rather than an empty string, and lose the suffix; other files are copied as they are.

use std::collections::BTreeMap;

use clap::ValueEnum;
use handlebars::Handlebars;
use serde_json::json;

use crate::embedded::TEMPLATE_FILES;

/// Which kind of actor a new project starts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Template {
    /// An actor that starts and logs: the smallest thing that runs
    Basic,
    /// A counter that takes messages (`{"add":N}`, `{"increment":{}}`) and answers requests (`{"get":{}}`)
    MessageServer,
    /// A parent that spawns two children (a separate crate in `child/`) and supervises them
    Supervisor,
    /// A small JSON API over HTTP (`GET /hello`, a counter at `/count`) and a WebSocket echo
    Http,
}

impl Template {
    /// The template's directory under `templates/`: its command-line name.
    pub fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }
}

/// Rust keywords (strict and reserved): cargo refuses them as package names.
const KEYWORDS: [&str; 52] = [
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// Names that clash with Rust's built-in crates or the templates' own dependencies.
const TAKEN: [&str; 10] = [
    "test",
    "core",
    "std",
    "alloc",
    "proc_macro",
    "proc-macro",
    "theater-sdk",
    "theater_sdk",
    "serde",
    "serde_json",
];

/// Type names the templates already use; a project whose type would be one gets `Actor` appended.
const TEMPLATE_TYPES: [&str; 17] = [
    "Msg",
    "Query",
    "Config",
    "Add",
    "Count",
    "HttpRequest",
    "HttpResponse",
    "HttpServer",
    "ServerConfig",
    "WsMessage",
    "ConnectionId",
    "Serialize",
    "Deserialize",
    "ChildError",
    "String",
    "Option",
    "Result",
];

/// A project name that is a valid crate name, with the identifiers derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectName {
    /// The package name, as given (`my-actor`).
    pub crate_name: String,
    /// The crate as a Rust path (`my_actor`).
    pub module: String,
    /// The actor's state type (`MyActor`).
    pub type_name: String,
}

/// A name that cannot be a crate name.
#[derive(Debug, thiserror::Error)]
#[error("invalid project name \"{name}\": {reason}\n  hint: use a crate name such as my-actor (ASCII letters, digits, - and _, starting with a letter)")]
pub struct InvalidName {
    name: String,
    reason: &'static str,
}

impl ProjectName {
    /// Check `name` the way cargo checks package names.
    pub fn parse(name: &str) -> Result<ProjectName, InvalidName> {
        let invalid = |reason| {
            Err(InvalidName {
                name: name.to_string(),
                reason,
            })
        };
        let Some(first) = name.chars().next() else {
            return invalid("it is empty");
        };
        if !(first.is_ascii_alphabetic() || first == '_') {
            return invalid("a crate name must start with a letter or _");
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return invalid("a crate name may contain only ASCII letters, digits, - and _");
        }
        if name.len() > 64 {
            return invalid("a crate name may be at most 64 characters long");
        }
        if KEYWORDS.contains(&name) {
            return invalid("it is a Rust keyword");
        }
        if TAKEN.contains(&name) {
            return invalid(
                "it is the name of a Rust built-in crate or of a dependency of the project",
            );
        }
        let module = name.replace('-', "_");
        let mut type_name: String = module
            .split('_')
            .filter(|part| !part.is_empty())
            .map(|part| {
                let mut chars = part.chars();
                chars
                    .next()
                    .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect();
        if type_name.is_empty() || type_name.starts_with(|c: char| c.is_ascii_digit()) {
            type_name.insert_str(0, "Actor");
        } else if TEMPLATE_TYPES.contains(&type_name.as_str()) {
            type_name.push_str("Actor");
        }
        Ok(ProjectName {
            crate_name: name.to_string(),
            module,
            type_name,
        })
    }
}

/// A template that cannot be rendered: a bug in the template, reported with its file.
#[derive(Debug, thiserror::Error)]
#[error("template file {file} cannot be rendered: {reason}")]
pub struct RenderError {
    file: String,
    reason: String,
}

/// One file of a new project: its `/`-separated path in the project and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFile {
    pub path: String,
    pub contents: Vec<u8>,
}

/// The files of `template` made for `name`, sorted by path.
pub fn render(template: Template, name: &ProjectName) -> Result<Vec<ProjectFile>, RenderError> {
    let error = |file: &str, reason: String| RenderError {
        file: file.to_string(),
        reason,
    };
    let text = |file: &str, bytes: &[u8]| {
        String::from_utf8(bytes.to_vec()).map_err(|_| error(file, "not UTF-8".into()))
    };

    let mut handlebars = Handlebars::new();
    handlebars.set_strict_mode(true);
    handlebars.register_escape_fn(handlebars::no_escape);
    for (path, bytes) in TEMPLATE_FILES {
        if let Some(partial) = path
            .strip_prefix("_partials/")
            .and_then(|p| p.strip_suffix(".hbs"))
        {
            handlebars
                .register_partial(partial, text(path, bytes)?)
                .map_err(|e| error(path, e.to_string()))?;
        }
    }
    let data = json!({
        "name": name.crate_name,
        "module": name.module,
        "type_name": name.type_name,
        "theater_version": env!("CARGO_PKG_VERSION"),
    });

    let mut files = BTreeMap::new();
    for dir in ["_common".to_string(), template.name()] {
        let prefix = format!("{dir}/");
        for (path, bytes) in TEMPLATE_FILES {
            let Some(relative) = path.strip_prefix(&prefix) else {
                continue;
            };
            let (out, contents) = match relative.strip_suffix(".hbs") {
                Some(out) => {
                    let rendered = handlebars
                        .render_template(&text(path, bytes)?, &data)
                        .map_err(|e| error(path, e.to_string()))?;
                    (out, rendered.into_bytes())
                }
                None => (relative, bytes.to_vec()),
            };
            files.insert(out.to_string(), contents);
        }
    }
    Ok(files
        .into_iter()
        .map(|(path, contents)| ProjectFile { path, contents })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_cargo_rules() {
        let n = ProjectName::parse("my-actor").unwrap();
        assert_eq!(
            (n.module.as_str(), n.type_name.as_str()),
            ("my_actor", "MyActor")
        );
        assert_eq!(ProjectName::parse("_x_2").unwrap().type_name, "X2");
        assert_eq!(ProjectName::parse("query").unwrap().type_name, "QueryActor");
        for bad in [
            "",
            "1st",
            "my actor",
            "héllo",
            "fn",
            "test",
            "theater-sdk",
            "a/b",
            &"x".repeat(65),
        ] {
            assert!(ProjectName::parse(bad).is_err(), "{bad:?} accepted");
        }
        let e = ProjectName::parse("1st").unwrap_err().to_string();
        assert!(
            e.contains("\"1st\"") && e.contains("must start with a letter"),
            "{e}"
        );
    }

    #[test]
    fn every_template_renders_a_complete_project() {
        let name = ProjectName::parse("my-actor").unwrap();
        for template in Template::value_variants() {
            let files = render(*template, &name).unwrap();
            let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
            for expected in [
                "Cargo.toml",
                "src/lib.rs",
                "src/tests.rs",
                "manifest.toml",
                "README.md",
                ".gitignore",
            ] {
                assert!(
                    paths.contains(&expected),
                    "{template:?} has no {expected}: {paths:?}"
                );
            }
            assert!(
                paths
                    .iter()
                    .any(|p| p.starts_with("tests/") && p.ends_with(".toml")),
                "{template:?}: no scenario"
            );
            for file in &files {
                let text = String::from_utf8(file.contents.clone()).unwrap();
                assert!(
                    !text.contains("{{"),
                    "{template:?} {} has unrendered handlebars",
                    file.path
                );
                if file.path.ends_with(".toml") {
                    text.parse::<toml::Table>()
                        .unwrap_or_else(|e| panic!("{template:?} {}: {e}", file.path));
                }
            }
            let lib = files.iter().find(|f| f.path == "src/lib.rs").unwrap();
            assert!(String::from_utf8_lossy(&lib.contents).contains("#[actor]"));
        }
    }
}

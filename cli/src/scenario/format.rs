//! The scenario file format (`tests/*.toml` of an actor project), parsed strictly so a typo
//! is reported with its file and line instead of silently testing nothing. The format is
//! documented in docs/testing.md.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

/// A scenario file that could not be read or does not follow the format.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Invalid {
        path: String,
        line: usize,
        message: String,
    },
}

/// A message or an expected value: a TOML string is taken as its UTF-8 text (JSON text
/// stays JSON); a table, array, number or bool is converted to JSON.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Payload {
    Text(String),
    Value(toml::Value),
}

impl Payload {
    /// The bytes sent to an actor.
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Payload::Text(s) => s.clone().into_bytes(),
            Payload::Value(v) => serde_json::to_vec(v).unwrap_or_default(),
        }
    }

    /// The JSON value, when the payload is (or its text parses as) JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        match self {
            Payload::Text(s) => serde_json::from_str(s).ok(),
            Payload::Value(v) => serde_json::to_value(v).ok(),
        }
    }

    /// How the payload reads in a report.
    pub fn display(&self) -> String {
        match self {
            Payload::Text(s) => s.clone(),
            Payload::Value(v) => serde_json::to_string(v).unwrap_or_default(),
        }
    }
}

/// An actor taking part in a scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorSpec {
    /// The name steps use in `to = "..."`.
    pub name: String,
    /// Its manifest, relative to the scenario file.
    pub manifest: PathBuf,
    /// Initial state bytes (overrides the manifest's `init_state`).
    #[serde(default)]
    pub init_state: Option<Payload>,
}

/// An event the actor's chain must contain.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventExpect {
    #[serde(rename = "type")]
    pub event_type: String,
    /// Subset of the event's decoded payload (its JSON view).
    #[serde(default)]
    pub payload: Option<Payload>,
}

/// An HTTP request a step sends to the actor's server: `"GET /hello"`, or a table.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum HttpStep {
    Line(String),
    Table(HttpTable),
}

/// `http = { method = "POST", path = "/count", headers = { ... }, body = ... }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpTable {
    #[serde(default = "get")]
    pub method: String,
    /// The path and query (`/count?x=1`).
    pub path: String,
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
    /// Sent like a message: a string as it is, a table as its JSON.
    #[serde(default)]
    pub body: Option<Payload>,
}

fn get() -> String {
    "GET".into()
}

/// An HTTP request ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCall {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl HttpStep {
    /// The request, or what is wrong with the step's `http` value.
    pub fn call(&self) -> Result<HttpCall, String> {
        let (method, path, headers, body) = match self {
            HttpStep::Line(line) => {
                let (method, path) = line.trim().split_once(' ').ok_or_else(|| {
                    format!(
                        "`http = \"{line}\"`: write the method and the path, e.g. \"GET /hello\""
                    )
                })?;
                (
                    method.to_string(),
                    path.trim().to_string(),
                    Vec::new(),
                    None,
                )
            }
            HttpStep::Table(t) => (
                t.method.clone(),
                t.path.clone(),
                t.headers.clone().into_iter().collect(),
                t.body.as_ref().map(Payload::bytes),
            ),
        };
        if !path.starts_with('/') {
            return Err(format!("`http`: the path {path:?} must start with /"));
        }
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(format!("`http`: {method:?} is not an HTTP method"));
        }
        Ok(HttpCall {
            method: method.to_ascii_uppercase(),
            path,
            headers,
            body,
        })
    }

    fn display(&self) -> String {
        match self.call() {
            Ok(c) => format!("{} {}", c.method, c.path),
            Err(_) => "(invalid)".into(),
        }
    }
}

/// One step: an action (`send`, `request`, `http`, `ws_*`) with its expectations, or a check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Which actor; the first one by default.
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub send: Option<Payload>,
    #[serde(default)]
    pub request: Option<Payload>,
    /// An HTTP request to the actor's `http-framework` server (its first listening one).
    #[serde(default)]
    pub http: Option<HttpStep>,
    /// Opens a WebSocket connection to this path of the actor's server; later `ws_send`
    /// steps to the same actor use it.
    #[serde(default)]
    pub ws_connect: Option<String>,
    /// Sends a text message on the open WebSocket connection (a table: its JSON); with
    /// `expect` or `expect_subset`, the next message back is checked.
    #[serde(default)]
    pub ws_send: Option<Payload>,
    /// Closes the open WebSocket connection.
    #[serde(default)]
    pub ws_close: Option<bool>,
    /// Which of the actor's listening servers `http` and `ws_connect` reach: 0 (the
    /// default) is the first, in the order of their ids.
    #[serde(default)]
    pub server: Option<usize>,
    /// The HTTP response's status.
    #[serde(default)]
    pub expect_status: Option<u16>,
    /// Headers the HTTP response carries with these values (names in any case).
    #[serde(default)]
    pub expect_header: Option<std::collections::BTreeMap<String, String>>,
    /// The reply (an HTTP body, a WebSocket message), exactly (JSON compared as JSON).
    #[serde(default)]
    pub expect: Option<Payload>,
    /// The reply contains at least these JSON fields.
    #[serde(default)]
    pub expect_subset: Option<Payload>,
    /// The call fails with an error containing this text.
    #[serde(default)]
    pub expect_error: Option<String>,
    /// The actor's state (JSON) contains at least these fields (a string: equals it exactly).
    #[serde(default)]
    pub expect_state: Option<Payload>,
    /// Some log line of the actor so far contains this text.
    #[serde(default)]
    pub expect_log: Option<String>,
    /// Some log line of the actor so far matches this regular expression.
    #[serde(default)]
    pub expect_log_regex: Option<String>,
    /// The actor's chain so far holds such an event.
    #[serde(default)]
    pub expect_event: Option<EventExpect>,
}

impl Step {
    /// A short description for reports: `request {"get":{}}`, `expect_log "started"`.
    pub fn describe(&self) -> String {
        let to = self
            .to
            .as_deref()
            .map(|t| format!(" to {t}"))
            .unwrap_or_default();
        if let Some(m) = &self.send {
            format!("send {}{to}", m.display())
        } else if let Some(m) = &self.request {
            format!("request {}{to}", m.display())
        } else if let Some(h) = &self.http {
            format!("http {}{to}", h.display())
        } else if let Some(path) = &self.ws_connect {
            format!("ws_connect {path}{to}")
        } else if let Some(m) = &self.ws_send {
            format!("ws_send {}{to}", m.display())
        } else if self.ws_close.is_some() {
            format!("ws_close{to}")
        } else if let Some(s) = &self.expect_state {
            format!("expect_state {}{to}", s.display())
        } else if let Some(l) = &self.expect_log {
            format!("expect_log {l:?}{to}")
        } else if let Some(r) = &self.expect_log_regex {
            format!("expect_log_regex {r:?}{to}")
        } else if let Some(e) = &self.expect_event {
            format!("expect_event {}{to}", e.event_type)
        } else {
            "empty step".into()
        }
    }

    fn check(&self) -> Result<(), String> {
        let actions = [
            self.send.is_some(),
            self.request.is_some(),
            self.http.is_some(),
            self.ws_connect.is_some(),
            self.ws_send.is_some(),
            self.ws_close.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        let checks = [
            self.expect_state.is_some(),
            self.expect_log.is_some(),
            self.expect_log_regex.is_some(),
            self.expect_event.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if actions + checks != 1 {
            return Err("a step needs exactly one of `send`, `request`, `http`, `ws_connect`, `ws_send`, `ws_close`, `expect_state`, `expect_log`, `expect_log_regex`, `expect_event`".into());
        }
        let replies = self.request.is_some() || self.http.is_some() || self.ws_send.is_some();
        if !replies && (self.expect.is_some() || self.expect_subset.is_some()) {
            return Err(
                "`expect` and `expect_subset` check a reply: they go with `request`, `http` or `ws_send`".into(),
            );
        }
        if self.http.is_none() && (self.expect_status.is_some() || self.expect_header.is_some()) {
            return Err(
                "`expect_status` and `expect_header` check an HTTP response: they go with `http`"
                    .into(),
            );
        }
        if let Some(http) = &self.http {
            http.call()?;
        }
        if self.server.is_some() && self.http.is_none() && self.ws_connect.is_none() {
            return Err("`server` picks the server of an `http` or `ws_connect` step".into());
        }
        if self.ws_close == Some(false) {
            return Err("`ws_close = false` does nothing: write `ws_close = true`".into());
        }
        if actions == 0 && self.expect_error.is_some() {
            return Err(
                "`expect_error` checks that an action (`send`, `request`, `http`, `ws_*`) fails"
                    .into(),
            );
        }
        if self.expect_error.is_some() && (self.expect.is_some() || self.expect_subset.is_some()) {
            return Err("a step cannot expect both a reply and an error".into());
        }
        if let Some(r) = &self.expect_log_regex {
            regex::Regex::new(r).map_err(|e| {
                format!("`expect_log_regex` is not a valid regular expression: {e}")
            })?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "actor")]
    actors: Vec<ActorSpec>,
    #[serde(default, rename = "step")]
    steps: Vec<Spanned<Step>>,
}

/// A parsed scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub path: PathBuf,
    /// Actors in start order; the first is the default target of steps.
    pub actors: Vec<ActorSpec>,
    /// Steps with the line each starts on.
    pub steps: Vec<(usize, Step)>,
}

/// Who a step goes to: an `[[actor]]` by name, or the `index`-th child (0 first, in spawn
/// order) an actor spawned: `to = "child:NAME:0"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepTarget {
    Actor(String),
    Child { parent: String, index: usize },
}

impl StepTarget {
    pub fn parse(to: &str) -> Result<StepTarget, String> {
        let Some(rest) = to.strip_prefix("child:") else {
            return Ok(StepTarget::Actor(to.to_string()));
        };
        let bad = || {
            format!("`to = \"{to}\"`: a spawned child is addressed as `child:NAME:N` (NAME an [[actor]], N its child's position, 0 first)")
        };
        let (parent, index) = rest.rsplit_once(':').ok_or_else(bad)?;
        let index = index.parse().map_err(|_| bad())?;
        Ok(StepTarget::Child {
            parent: parent.to_string(),
            index,
        })
    }

    /// The `[[actor]]` this target is, or is a child of.
    pub fn actor(&self) -> &str {
        match self {
            StepTarget::Actor(name) | StepTarget::Child { parent: name, .. } => name,
        }
    }
}

/// The actor a scenario without `[[actor]]` tables tests: the project's own manifest.
const DEFAULT_MANIFEST: &str = "../manifest.toml";

impl Scenario {
    pub fn load(path: &Path) -> Result<Scenario, FormatError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| FormatError::Read {
            path: shown.clone(),
            source,
        })?;
        let line_of = |offset: usize| {
            text.get(..offset)
                .map_or(1, |s| s.matches('\n').count() + 1)
        };
        let invalid = |line: usize, message: String| FormatError::Invalid {
            path: shown.clone(),
            line,
            message,
        };
        let raw: RawScenario = toml::from_str(&text).map_err(|e| {
            invalid(
                e.span().map_or(1, |s| line_of(s.start)),
                e.message().trim().to_string(),
            )
        })?;
        if raw.steps.is_empty() {
            return Err(invalid(
                1,
                "the scenario has no [[step]]: add at least one".into(),
            ));
        }
        let mut actors = raw.actors;
        if actors.is_empty() {
            actors.push(ActorSpec {
                name: "main".into(),
                manifest: DEFAULT_MANIFEST.into(),
                init_state: None,
            });
        }
        let mut steps = Vec::new();
        for spanned in raw.steps {
            let line = line_of(spanned.span().start);
            let step = spanned.into_inner();
            step.check().map_err(|m| invalid(line, m))?;
            if let Some(to) = &step.to {
                let named = StepTarget::parse(to).map_err(|m| invalid(line, m))?;
                if !actors.iter().any(|a| a.name == named.actor()) {
                    return Err(invalid(
                        line,
                        format!("`to = \"{to}\"` names no [[actor]] of this scenario"),
                    ));
                }
            }
            steps.push((line, step));
        }
        let name = raw.name.unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        Ok(Scenario {
            name,
            path: path.to_path_buf(),
            actors,
            steps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_websocket_steps_parse() {
        let s = parse(concat!(
            "[[step]]\nhttp = \"get /hello\"\nexpect_status = 200\n",
            "expect_header = { content-type = \"application/json\" }\nexpect = { a = 1 }\n",
            "[[step]]\nhttp = { method = \"POST\", path = \"/count\", body = { by = 2 }, headers = { x-a = \"b\" } }\n",
            "expect_subset = { count = 2 }\n",
            "[[step]]\nws_connect = \"/echo\"\nserver = 1\n",
            "[[step]]\nws_send = \"hi\"\nexpect = \"hi\"\n",
            "[[step]]\nws_close = true\n",
        ))
        .unwrap();
        let call = |i: usize| s.steps[i].1.http.as_ref().unwrap().call().unwrap();
        assert_eq!(
            call(0),
            HttpCall {
                method: "GET".into(),
                path: "/hello".into(),
                headers: vec![],
                body: None
            }
        );
        assert_eq!(
            call(1),
            HttpCall {
                method: "POST".into(),
                path: "/count".into(),
                headers: vec![("x-a".into(), "b".into())],
                body: Some(b"{\"by\":2}".to_vec())
            }
        );
        assert_eq!(s.steps[2].1.server, Some(1));
        let described: Vec<String> = s.steps.iter().map(|(_, st)| st.describe()).collect();
        assert_eq!(
            described,
            [
                "http GET /hello",
                "http POST /count",
                "ws_connect /echo",
                "ws_send hi",
                "ws_close"
            ]
        );
    }

    fn parse(text: &str) -> Result<Scenario, FormatError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        std::fs::write(&path, text).unwrap();
        Scenario::load(&path)
    }

    #[test]
    fn a_scenario_defaults_to_the_project_actor() {
        let s =
            parse("[[step]]\nsend = '{\"add\":1}'\n[[step]]\nrequest = { get = {} }\nexpect = 1\n")
                .unwrap();
        assert_eq!(s.actors[0].name, "main");
        assert_eq!(s.steps.len(), 2);
        assert_eq!(s.steps[1].0, 3);
        assert_eq!(
            s.steps[1].1.request.as_ref().unwrap().bytes(),
            b"{\"get\":{}}"
        );
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let e = parse("[[step]]\nsend = \"x\"\n[[step]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("s.toml:3:"), "{e}");
    }

    #[test]
    fn misuse_is_explained_with_its_line() {
        let e = parse("[[step]]\nsend = \"a\"\n\n[[step]]\nexpect = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":4:") && e.contains("exactly one of"), "{e}");
        let e = parse("[[step]]\nsend = \"a\"\nexpect = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("go with `request`"), "{e}");
        let e = parse("[[step]]\nsend = \"a\"\nto = \"nobody\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("names no [[actor]]"), "{e}");
        let e = parse("[[step]]\nsend = \"a\"\nto = \"child:main:x\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("child:NAME:N"), "{e}");
        let e = parse("[[step]]\nsend = \"a\"\nto = \"child:other:0\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("names no [[actor]]"), "{e}");
        let s = parse("[[step]]\nsend = \"a\"\nto = \"child:main:1\"\n").unwrap();
        let to = s.steps[0].1.to.as_deref().map(StepTarget::parse);
        assert_eq!(
            to,
            Some(Ok(StepTarget::Child {
                parent: "main".into(),
                index: 1
            }))
        );
        let e = parse("[[step]]\nsend = \"a\"\nexpect_status = 200\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("go with `http`"), "{e}");
        let e = parse("[[step]]\nhttp = \"/hello\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("method and the path"), "{e}");
        let e = parse("[[step]]\nhttp = { path = \"hello\" }\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("must start with /"), "{e}");
        let e = parse("[[step]]\nws_send = \"a\"\nserver = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`server` picks the server"), "{e}");
        let e = parse("[[step]]\nws_connect = \"/ws\"\nexpect = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("go with `request`, `http` or `ws_send`"), "{e}");
        let e = parse("[[step]]\nsend = \"a\"\nexpekt = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `expekt`"), "{e}");
    }
}

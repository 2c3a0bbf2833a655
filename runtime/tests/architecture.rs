//! The layout docs/architecture.md describes, checked from the sources.
//!
//! No module of a host crate depends, directly or through others, on a module that depends on
//! it. Each source file is a module; a path `crate::a::b::Item` or `super::Item` (in a `use`
//! or inline) is an edge to the file that defines `Item`, followed through `pub use`
//! re-exports. Inline test modules and comments are left out. The test fails naming the
//! files of every cycle.
//!
//! The CLI's read-only commands use the chain crate alone, so they never start an engine.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The host crates' source roots, relative to runtime/.
const CRATES: [&str; 5] = [
    "../chain/src",
    "src",
    "../api/src",
    "../server/src",
    "../cli/src",
];

/// One crate's sources: module path (segments from the crate root) -> the file's text.
struct Crate {
    files: BTreeMap<Vec<String>, (PathBuf, String)>,
}

fn collect(root: &Path, dir: &Path, files: &mut BTreeMap<Vec<String>, (PathBuf, String)>) {
    for entry in std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(root)
                .expect("under the root")
                .with_extension("");
            let mut segs: Vec<String> = rel
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect();
            if segs
                .last()
                .is_some_and(|s| s == "mod" || s == "lib" || s == "main")
            {
                segs.pop();
            }
            let text = std::fs::read_to_string(&path).expect("read a source file");
            files.insert(segs, (path, strip(&text)));
        }
    }
}

/// The text without line comments and without its test module (an inline
/// `#[cfg(test)] mod NAME {` and all after it).
fn strip(text: &str) -> String {
    let inline_test_module = text.match_indices("#[cfg(test)]\nmod ").find(|(at, _)| {
        text[*at..]
            .lines()
            .nth(1)
            .is_some_and(|line| line.trim_end().ends_with('{'))
    });
    let code = inline_test_module.map_or(text, |(at, _)| &text[..at]);
    code.lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Split a use tree (`a::{b::C, D as E}`) into its leaf paths.
fn expand(tree: &str, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let mut base = prefix.to_vec();
        base.extend(
            tree[..open]
                .split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from),
        );
        let body = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let (mut depth, mut start) = (0i32, 0usize);
        for (i, c) in body.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&body[start..i], &base, out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand(&body[start..], &base, out);
    } else if !tree.is_empty() {
        let path = tree.split(" as ").next().unwrap_or_default();
        let mut full = prefix.to_vec();
        full.extend(
            path.split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from),
        );
        out.push(full);
    }
}

/// Every path of the text's private `use` items (trees expanded), and every inline path that
/// starts with `crate` or `super`.
fn paths(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for stmt in text.split(';') {
        let stmt = stmt.trim_start();
        // A `pub use` only forwards a name: paths are resolved through it, to where the
        // item is defined, so it is no dependency of its own.
        if let Some(tree) = stmt.strip_prefix("use ") {
            expand(tree, &[], &mut out);
        }
    }
    for key in ["crate::", "super::"] {
        for (at, _) in text.match_indices(key) {
            if text[..at]
                .chars()
                .next_back()
                .is_some_and(|c| is_ident(c) || c == ':')
            {
                continue;
            }
            let path: String = text[at..]
                .chars()
                .take_while(|c| is_ident(*c) || *c == ':')
                .collect();
            if path.ends_with("::") {
                continue; // a use tree, expanded above
            }
            out.push(
                path.split("::")
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
            );
        }
    }
    out
}

/// The `pub use` re-exports of a module: name -> the path it stands for.
fn reexports(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = Vec::new();
    for stmt in text.split(';') {
        let stmt = stmt.trim_start();
        if let Some(tree) = ["pub(crate) use ", "pub(super) use ", "pub use "]
            .iter()
            .find_map(|p| stmt.strip_prefix(p))
        {
            expand(tree, &[], &mut out);
        }
    }
    out.into_iter()
        .filter_map(|p| Some((p.last()?.clone(), p)))
        .collect()
}

impl Crate {
    /// The file defining what `path` (absolute, from the crate root) names.
    fn resolve(&self, path: &[String], depth: usize) -> Option<Vec<String>> {
        let mut module: Vec<String> = Vec::new();
        let mut rest = path;
        while let Some((first, tail)) = rest.split_first() {
            let mut next = module.clone();
            next.push(first.clone());
            if !self.files.contains_key(&next) {
                break;
            }
            module = next;
            rest = tail;
        }
        let (name, _) = rest.split_first()?;
        if depth < 8 {
            if let Some(target) = self
                .files
                .get(&module)
                .and_then(|(_, text)| reexports(text).remove(name))
            {
                if let Some(absolute) = self.absolute(&module, &target) {
                    if let Some(found) = self.resolve(&absolute, depth + 1) {
                        return Some(found);
                    }
                }
            }
        }
        Some(module)
    }

    /// `path` as written in module `from`, from the crate root.
    fn absolute(&self, from: &[String], path: &[String]) -> Option<Vec<String>> {
        let (first, tail) = path.split_first()?;
        let mut base = match first.as_str() {
            "crate" => Vec::new(),
            "super" => from.get(..from.len().checked_sub(1)?)?.to_vec(),
            "self" => from.to_vec(),
            _ => {
                let mut child = from.to_vec();
                child.push(first.clone());
                if !self.files.contains_key(&child) {
                    return None; // another crate's item
                }
                return Some([from.to_vec(), path.to_vec()].concat());
            }
        };
        let mut tail = tail;
        while let Some(("super", more)) = tail.split_first().map(|(s, m)| (s.as_str(), m)) {
            base.pop();
            tail = more;
        }
        base.extend(tail.iter().cloned());
        Some(base)
    }

    fn edges(&self) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
        let mut edges = BTreeMap::new();
        for (module, (_, text)) in &self.files {
            let targets: BTreeSet<Vec<String>> = paths(text)
                .iter()
                .filter_map(|p| self.absolute(module, p))
                .filter_map(|p| self.resolve(&p, 0))
                .filter(|t| t != module)
                .collect();
            edges.insert(module.clone(), targets);
        }
        edges
    }
}

/// The strongly connected components with more than one module (Tarjan's algorithm).
fn cycles(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<Vec<String>>> {
    struct State<'a> {
        edges: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        found: Vec<Vec<Vec<String>>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a Vec<String>) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        for w in s.edges.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.stack.contains(&w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                s.found.push(component);
            }
        }
    }
    let mut state = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !state.index.contains_key(v) {
            visit(&mut state, v);
        }
    }
    state.found
}

#[test]
fn no_host_crate_has_a_module_cycle() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut report = Vec::new();
    let mut modules = 0;
    for dir in CRATES {
        let root = here.join(dir);
        let mut files = BTreeMap::new();
        collect(&root, &root, &mut files);
        let krate = Crate { files };
        let edges = krate.edges();
        modules += edges.len();
        for cycle in cycles(&edges) {
            let names: Vec<String> = cycle
                .iter()
                .map(|m| format!("{dir}/{}", m.join("/")))
                .collect();
            report.push(names.join(" <-> "));
        }
    }
    assert!(
        modules > 100,
        "the source walk found only {modules} modules: it is broken"
    );
    assert!(report.is_empty(), "module cycles:\n{}", report.join("\n"));
}

#[test]
fn the_checker_finds_a_cycle_between_a_module_and_its_child() {
    let files: BTreeMap<Vec<String>, (PathBuf, String)> = [
        (vec![], "mod a;\n"),
        (
            vec!["a".to_string()],
            "mod b;\nuse b::Thing;\npub struct Owner(Thing);\n",
        ),
        (
            vec!["a".to_string(), "b".to_string()],
            "use super::Owner;\npub struct Thing;\n",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k, (PathBuf::new(), strip(v))))
    .collect();
    let found = cycles(&Crate { files }.edges());
    assert_eq!(found.len(), 1, "{found:?}");
}

#[test]
fn the_checker_finds_a_cycle_through_a_reexport() {
    let files: BTreeMap<Vec<String>, (PathBuf, String)> = [
        (vec![], "mod a;\nmod b;\n"),
        (vec!["a".to_string()], "mod inner;\npub use inner::Thing;\n"),
        (
            vec!["a".to_string(), "inner".to_string()],
            "use crate::b::Other;\npub struct Thing;\n",
        ),
        (
            vec!["b".to_string()],
            "use crate::a::{Thing};\npub struct Other;\n",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k, (PathBuf::new(), strip(v))))
    .collect();
    let krate = Crate { files };
    let found = cycles(&krate.edges());
    assert_eq!(found.len(), 1, "{found:?}");
    let mut members = found[0].clone();
    members.sort();
    assert_eq!(
        members,
        vec![
            vec!["a".to_string(), "inner".to_string()],
            vec!["b".to_string()]
        ]
    );
}

/// The CLI commands that only read chains, and the module that loads a chain for them.
const READ_ONLY_COMMANDS: [&str; 5] = [
    "events.rs",
    "export.rs",
    "verify.rs",
    "key.rs",
    "chain_source.rs",
];

#[test]
fn the_read_only_commands_use_the_chain_crate_and_never_the_runtime() {
    let commands = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/src/commands");
    for file in READ_ONLY_COMMANDS {
        let text = strip(&std::fs::read_to_string(commands.join(file)).expect("read a command"));
        assert!(
            text.contains("theater_chain"),
            "{file} no longer reads chains through theater_chain"
        );
        assert!(
            !text.contains("theater_runtime"),
            "{file} uses theater_runtime: it would need an engine"
        );
        assert!(!text.contains("Theater::new"), "{file} starts a runtime");
    }
}

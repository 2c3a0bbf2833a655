//! docs/chain-format.md must name every event type the runtime can write. This walks the
//! runtime's sources for event-type string literals (`lifecycle/…`, `supervision/…`,
//! `wasm/…`, `message/…`) and fails naming each one the page does not mention; host-call
//! events (`<interface>/<function>`) are covered by the page's rule for them, checked too.

use std::path::{Path, PathBuf};

/// Prefixes of the event types the runtime names itself (host calls are named by the WIT).
const PREFIXES: [&str; 4] = ["lifecycle/", "supervision/", "wasm/", "message/"];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `"prefix…"` string literal of lowercase letters, digits, `-` and `/`.
fn event_types(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (start, _) in text.match_indices('"') {
        let rest = &text[start + 1..];
        let Some(prefix) = PREFIXES.iter().find(|p| rest.starts_with(**p)) else {
            continue;
        };
        let body: String = rest
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '/')
            .collect();
        if rest[body.len()..].starts_with('"') && body.len() > prefix.len() {
            found.push(body);
        }
    }
    found
}

#[test]
fn the_chain_format_page_names_every_event_type_the_runtime_writes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let page = std::fs::read_to_string(root.join("../docs/chain-format.md"))
        .expect("read docs/chain-format.md");
    let mut files = Vec::new();
    // The runtime writes events through the chain crate, which names a few itself.
    sources(&root.join("src"), &mut files);
    sources(&root.join("../chain/src"), &mut files);
    let mut types: Vec<String> = files
        .iter()
        .flat_map(|f| event_types(&std::fs::read_to_string(f).unwrap_or_default()))
        .collect();
    types.sort();
    types.dedup();
    for expected in [
        "lifecycle/started",
        "lifecycle/interrupted",
        "wasm/call",
        "message/outgoing",
        "supervision/restarted",
    ] {
        assert!(
            types.iter().any(|t| t == expected),
            "the source walk missed {expected}: it is broken"
        );
    }
    let missing: Vec<&String> = types
        .iter()
        .filter(|t| !page.contains(&format!("`{t}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/chain-format.md does not name these event types (as `type`): {missing:?}"
    );
    assert!(
        page.contains("`<interface>/<function>`"),
        "the page must state the rule for host-call event types"
    );
}

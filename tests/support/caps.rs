//! Manifests for the `raw-caps` fixture, which imports every capability interface: its
//! manifests must grant them all.

use std::path::PathBuf;

use crate::{fixtures, Scratch};

/// Every capability `raw-caps` imports.
pub const CAPS_HANDLERS: [&str; 6] = [
    "store",
    "timing",
    "random",
    "environment",
    "filesystem",
    "http-client",
];

/// A `[[handler]]` table for each capability, with `options` (handler type, TOML lines)
/// added to the matching table. The filesystem root is `data` unless an option sets it.
pub fn caps_grants(options: &[(&str, &str)]) -> String {
    let mut grants = String::new();
    for handler in CAPS_HANDLERS {
        grants.push_str(&format!("[[handler]]\ntype = \"{handler}\"\n"));
        let mine: Vec<&str> = options
            .iter()
            .filter(|(t, _)| *t == handler)
            .map(|(_, o)| *o)
            .collect();
        if handler == "filesystem" && !mine.iter().any(|o| o.contains("root")) {
            grants.push_str("root = \"data\"\n");
        }
        for option in mine {
            grants.push_str(option);
            grants.push('\n');
        }
    }
    grants
}

/// Write `name.toml` for `raw-caps` in `s` with [`caps_grants`] of `options` and then `extra`
/// TOML (a `[limits]` table, say), creating `data/` beside it.
pub fn caps_manifest(s: &Scratch, name: &str, options: &[(&str, &str)], extra: &str) -> PathBuf {
    std::fs::create_dir_all(s.path().join("data")).expect("create data/");
    s.manifest(
        name,
        &fixtures().component("raw-caps"),
        &format!("{}{extra}", caps_grants(options)),
    )
}

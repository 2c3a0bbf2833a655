//! The sandbox check: a component may import only the `theater:simple` interfaces its
//! manifest grants. The check reads the component's import section (no compilation), so
//! `theater build` and the runtime refuse the same components with the same message,
//! before any guest code runs.

use std::collections::BTreeSet;
use std::fmt;

use wasmparser::{ComponentTypeRef, Encoding, Parser, Payload, TypeBounds};

use crate::manifest::type_for_interface;

/// Why a component may not run under a manifest.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SandboxError {
    #[error("{0}")]
    Ungranted(UngrantedImports),
    #[error("{origin} is a core WebAssembly module, not a component\n  hint: `theater build` turns the wasm32-unknown-unknown build into a component")]
    CoreModule { origin: String },
    #[error("{origin} is not valid WebAssembly: {reason}")]
    Invalid { origin: String, reason: String },
}

/// The imports a manifest does not grant, with what to do about each.
#[derive(Debug, Clone, PartialEq)]
pub struct UngrantedImports {
    pub actor: String,
    pub manifest: String,
    pub imports: Vec<String>,
}

impl fmt::Display for UngrantedImports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "actor \"{}\" imports interfaces that {} does not grant, so it cannot run:",
            self.actor, self.manifest
        )?;
        for (i, import) in self.imports.iter().enumerate() {
            let interface = strip_version(import);
            write!(f, "  - {import}\n    ")?;
            if let Some(t) = type_for_interface(interface) {
                write!(
                    f,
                    "add to {}:\n        [[handler]]\n        type = \"{t}\"",
                    self.manifest
                )?;
            } else if import.starts_with("wasi:") {
                write!(
                    f,
                    "WASI is not available to actors (no ambient files, clocks or randomness): build for \
                     wasm32-unknown-unknown, as `theater build` does, not wasm32-wasip1/wasip2, and use the \
                     theater:simple interfaces instead"
                )?;
            } else {
                write!(f, "Theater serves no such interface; an actor may import only theater:simple interfaces ({} lists them)", crate::paths::manifest_reference())?;
            }
            if i + 1 < self.imports.len() {
                writeln!(f)?;
            }
        }
        Ok(())
    }
}

fn strip_version(import: &str) -> &str {
    import.split('@').next().unwrap_or(import)
}

/// The names the component imports at its top level (e.g. `theater:simple/runtime`).
pub fn component_imports(bytes: &[u8], origin: &str) -> Result<Vec<String>, SandboxError> {
    let invalid = |reason: String| SandboxError::Invalid {
        origin: origin.to_string(),
        reason,
    };
    let mut imports = Vec::new();
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.map_err(|e| invalid(e.to_string()))? {
            Payload::Version { encoding, .. } => {
                if depth == 0 && encoding == Encoding::Module {
                    return Err(SandboxError::CoreModule {
                        origin: origin.to_string(),
                    });
                }
                depth += 1;
            }
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(reader) if depth == 1 => {
                for import in reader {
                    let import = import.map_err(|e| invalid(e.to_string()))?;
                    // A type import bound equal to another import's type (a world-level `use`)
                    // is only an alias: it reaches nothing, so it needs no grant.
                    if !matches!(import.ty, ComponentTypeRef::Type(TypeBounds::Eq(_))) {
                        imports.push(import.name.name.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    Ok(imports)
}

/// Check imports against the granted interfaces; every offending import is listed.
pub fn check_imports(
    imports: &[String],
    granted: &BTreeSet<&str>,
    actor: &str,
    manifest: &str,
) -> Result<(), SandboxError> {
    let ungranted: Vec<String> = imports
        .iter()
        .filter(|i| !granted.contains(i.as_str()))
        .cloned()
        .collect();
    if ungranted.is_empty() {
        Ok(())
    } else {
        Err(SandboxError::Ungranted(UngrantedImports {
            actor: actor.to_string(),
            manifest: manifest.to_string(),
            imports: ungranted,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ungranted_message_names_the_line_to_add() {
        let granted: BTreeSet<&str> = ["theater:simple/runtime"].into();
        let imports = vec![
            "theater:simple/runtime".to_string(),
            "theater:simple/random".to_string(),
            "wasi:io/streams@0.2.0".to_string(),
        ];
        let e = check_imports(&imports, &granted, "a", "a/manifest.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("theater:simple/random") && e.contains("type = \"random\""),
            "{e}"
        );
        assert!(
            e.contains("wasi:io/streams@0.2.0") && e.contains("wasm32-unknown-unknown"),
            "{e}"
        );
        assert!(!e.contains("- theater:simple/runtime"), "{e}");
    }

    #[test]
    fn core_module_is_named_as_such() {
        let module = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
        assert!(matches!(
            component_imports(&module, "m.wasm"),
            Err(SandboxError::CoreModule { .. })
        ));
    }

    #[test]
    fn garbage_is_invalid() {
        assert!(matches!(
            component_imports(b"hello", "x"),
            Err(SandboxError::Invalid { .. })
        ));
    }
}

//! Turn the core module cargo builds for wasm32-unknown-unknown into a component, in
//! process with wit-component. The module carries its WIT world in a custom section
//! (wit-bindgen puts it there); no WASI adapter is involved, so the component imports
//! only `theater:simple` interfaces.

/// The input could not be made into a component.
#[derive(Debug, thiserror::Error)]
pub enum ComponentizeError {
    #[error(
        "{origin} is already a component; `theater build` expects the core module cargo produces"
    )]
    AlreadyComponent { origin: String },
    #[error("cannot make a component of {origin}: {reason}\n  hint: the crate must use theater-sdk (or wit-bindgen with the theater:simple WIT) and be built for wasm32-unknown-unknown")]
    Encode { origin: String, reason: String },
}

/// Componentize a core wasm module; `origin` names it in errors.
pub fn componentize(core: &[u8], origin: &str) -> Result<Vec<u8>, ComponentizeError> {
    if wasmparser::Parser::is_component(core) {
        return Err(ComponentizeError::AlreadyComponent {
            origin: origin.to_string(),
        });
    }
    let encode = || -> anyhow::Result<Vec<u8>> {
        wit_component::ComponentEncoder::default()
            .module(core)?
            .validate(true)
            .encode()
    };
    encode().map_err(|e| ComponentizeError::Encode {
        origin: origin.to_string(),
        reason: format!("{e:#}"),
    })
}

//! The wasm32 side of the SDK: bindings generated from the WIT, their adaptation to the
//! SDK's types, and the export glue `#[actor]` instantiates for an actor type.

pub mod bindings;
mod convert;
pub mod exports;
pub mod http_bindings;
pub mod http_exports;
mod panic;
pub(crate) mod sys;

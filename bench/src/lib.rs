//! Theater's runtime benchmarks, run by `cargo bench -p theater-bench`: spawn, messaging, the
//! event chain, memory per idle actor, replay and HTTP through an actor, each measured side by side with raw wasmtime
//! running the same fixture component in the same process and the same run, so that noise
//! from a shared machine moves both columns and the ratio stays meaningful.
//!
//! Every section adds rows to one [`report::Table`], printed at the end as Markdown (the
//! format `docs/PERFORMANCE.md` keeps). Ratios are costs: Theater's time per operation divided
//! by raw wasmtime's, so 1.0× means no overhead and higher is slower.

pub mod backpressure;
pub mod chain;
pub mod http;
pub mod memory;
pub mod messages;
pub mod raw;
pub mod replay;
pub mod report;
pub mod setup;
pub mod spawn;

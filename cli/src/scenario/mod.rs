//! Scenario tests for actor projects (`theater test`): the file format, running a scenario
//! in a real in-process runtime (with real HTTP and WebSocket clients for actors that serve),
//! matching, golden chains and reports.

pub mod format;
pub mod golden;
pub mod matching;
pub mod report;
pub mod run;
pub mod web;

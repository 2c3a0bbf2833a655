//! Scenario tests for actor projects (`theater test`): the file format, running a scenario
//! in a real in-process runtime, matching, golden chains and reports.

pub mod format;
pub mod golden;
pub mod matching;
pub mod report;
pub mod run;

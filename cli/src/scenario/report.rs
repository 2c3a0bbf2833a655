//! Reporting test results: a line per case with readable failures, the closing
//! `N passed, N failed` line, a JSON report for scripts and JUnit XML for CI systems.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;

/// One reported case: a scenario, a golden chain, or the native unit tests.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Case {
    pub kind: &'static str,
    pub name: String,
    pub file: String,
    #[serde(serialize_with = "millis")]
    pub duration: Duration,
    pub failure: Option<CaseFailure>,
}

/// Why a case failed, shown step by step.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaseFailure {
    /// Where: `step 3 (line 14): request {"get":{}}`.
    pub location: String,
    pub message: String,
    pub diff: Option<String>,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

/// The human line(s) for a case.
pub fn human(case: &Case) -> String {
    let ms = case.duration.as_secs_f64() * 1000.0;
    match &case.failure {
        None => format!("ok     {} {} ({ms:.0} ms)", case.kind, case.name),
        Some(f) => {
            let mut out = format!(
                "FAILED {} {} — {}\n  {}: {}\n",
                case.kind, case.name, case.file, f.location, f.message
            );
            if let Some(diff) = &f.diff {
                for line in diff.lines() {
                    out.push_str("    ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
            out.trim_end().to_string()
        }
    }
}

/// The standard closing line.
pub fn summary(cases: &[Case]) -> String {
    let failed = cases.iter().filter(|c| c.failure.is_some()).count();
    format!("{} passed, {failed} failed", cases.len() - failed)
}

/// Write JUnit XML.
pub fn write_junit(cases: &[Case], path: &Path) -> anyhow::Result<()> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("theater test");
    let mut suite = TestSuite::new("actor");
    for case in cases {
        let status = match &case.failure {
            None => TestCaseStatus::success(),
            Some(f) => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status.set_message(format!("{}: {}", f.location, f.message));
                if let Some(diff) = &f.diff {
                    status.set_description(diff.clone());
                }
                status
            }
        };
        let mut test = TestCase::new(format!("{} {}", case.kind, case.name), status);
        test.set_classname(case.file.clone());
        test.set_time(case.duration);
        suite.add_test_case(test);
    }
    report.add_test_suite(suite);
    let xml = report
        .to_string()
        .context("cannot render the JUnit report")?;
    std::fs::write(path, xml).with_context(|| format!("cannot write {}", path.display()))
}

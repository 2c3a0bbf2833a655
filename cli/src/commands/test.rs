//! `theater test`: build the actor project, run its native unit tests, run every scenario
//! `tests/*.toml` against the built component in a fresh in-process runtime, and replay its
//! golden chains. One line per case, readable diffs for failures, and the closing
//! `N passed, N failed`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::Context;
use theater_runtime::paths::theater_home;

use crate::cli::TestArgs;
use crate::output::print_json;
use crate::project;
use crate::scenario::format::Scenario;
use crate::scenario::report::{self, Case, CaseFailure};
use crate::scenario::{golden, run};
use crate::shared_target;

pub async fn test(args: TestArgs) -> anyhow::Result<ExitCode> {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let root_manifest = project::workspace_manifest(&project::find_cargo_toml(&dir)?)?;
    let root = root_manifest
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut cases = Vec::new();
    let emit = |case: Case, cases: &mut Vec<Case>| {
        if !args.json {
            println!("{}", report::human(&case));
        }
        cases.push(case);
    };

    if !args.no_build {
        let case = build(&root, args.json)?;
        let failed = case.failure.is_some();
        emit(case, &mut cases);
        if failed {
            return finish(&args, &cases);
        }
    }
    emit(unit_tests(&root_manifest, args.json)?, &mut cases);

    let scenarios = scenario_files(&root.join("tests"))?;
    let filter = args.filter.as_deref().unwrap_or("");
    for path in scenarios {
        let shown = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let scenario = match Scenario::load(&path) {
            Ok(s) => s,
            Err(e) => {
                if shown.contains(filter) {
                    let failure = CaseFailure {
                        location: "scenario file".into(),
                        message: e.to_string(),
                        diff: None,
                    };
                    emit(
                        Case {
                            kind: "scenario",
                            name: shown.clone(),
                            file: shown,
                            duration: Default::default(),
                            failure: Some(failure),
                        },
                        &mut cases,
                    );
                }
                continue;
            }
        };
        if !scenario.name.contains(filter) && !shown.contains(filter) {
            continue;
        }
        let goldens = golden::find(&scenario);
        let ran = run::run(scenario).await?;
        let outcome = &ran.outcome;
        let failure = outcome.failure.as_ref().map(|f| CaseFailure {
            location: match f.step {
                0 => f.description.clone(),
                n => format!("step {n} (line {}): {}", f.line, f.description),
            },
            message: f.message.clone(),
            diff: f.diff.clone(),
        });
        let passed = failure.is_none();
        emit(
            Case {
                kind: "scenario",
                name: outcome.scenario.name.clone(),
                file: shown.clone(),
                duration: outcome.duration,
                failure,
            },
            &mut cases,
        );
        if args.record && passed {
            for file in golden::record(&ran).await? {
                if !args.json {
                    println!(
                        "       recorded {}",
                        file.strip_prefix(&root).unwrap_or(&file).display()
                    );
                }
            }
        } else {
            for g in goldens {
                emit(check_golden(&g, &root).await, &mut cases);
            }
        }
    }
    finish(&args, &cases)
}

fn finish(args: &TestArgs, cases: &[Case]) -> anyhow::Result<ExitCode> {
    if let Some(path) = &args.junit {
        report::write_junit(cases, path)?;
    }
    let failed = cases.iter().any(|c| c.failure.is_some());
    if args.json {
        let passed = cases.iter().filter(|c| c.failure.is_none()).count();
        print_json(
            &serde_json::json!({ "passed": passed, "failed": cases.len() - passed, "cases": cases }),
        );
    } else {
        println!("{}", report::summary(cases));
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `theater build` of the project, as a child process of this same binary, so its report
/// stays out of a `--json` test report while cargo's progress still streams to stderr.
fn build(root: &Path, json: bool) -> anyhow::Result<Case> {
    let started = Instant::now();
    let exe =
        std::env::current_exe().context("cannot find the theater binary to run `theater build`")?;
    let mut cmd = Command::new(exe);
    cmd.arg("build").arg(root);
    if json {
        cmd.arg("--json").stdout(Stdio::null());
    }
    let status = cmd.status().context("cannot run `theater build`")?;
    let failure = (!status.success()).then(|| CaseFailure {
        location: "theater build".into(),
        message: "the build failed (its output is above); fix it, or pass --no-build to test the last build".into(),
        diff: None,
    });
    Ok(Case {
        kind: "build",
        name: root.display().to_string(),
        file: "Cargo.toml".into(),
        duration: started.elapsed(),
        failure,
    })
}

/// The project's native unit tests: `cargo test` on the host, with the SDK's test host.
fn unit_tests(root_manifest: &Path, json: bool) -> anyhow::Result<Case> {
    let started = Instant::now();
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.args(["test", "--workspace", "--manifest-path"])
        .arg(root_manifest);
    // The same shared target directory as `theater build` (native builds sit beside wasm
    // ones), held for the run: another project's same-named crate must not replace ours.
    let project = project::describe(root_manifest)?;
    let shared = shared_target::choose(&project, &theater_home())
        .map(|dir| shared_target::enter(dir, &project, root_manifest))
        .transpose()?;
    if let Some(shared) = &shared {
        cmd.env("CARGO_TARGET_DIR", &shared.dir);
    }
    if json {
        cmd.stdout(Stdio::null());
    }
    let status = cmd
        .status()
        .context("cannot run `cargo test` for the native unit tests")?;
    let failure = (!status.success()).then(|| CaseFailure {
        location: "cargo test".into(),
        message: "the native unit tests failed (cargo's output is above)".into(),
        diff: None,
    });
    Ok(Case {
        kind: "unit",
        name: "native unit tests".into(),
        file: "src/".into(),
        duration: started.elapsed(),
        failure,
    })
}

fn scenario_files(tests: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !tests.is_dir() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(tests)
        .with_context(|| format!("cannot list {}", tests.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    Ok(files)
}

async fn check_golden(g: &golden::Golden, root: &Path) -> Case {
    let shown = g
        .path
        .strip_prefix(root)
        .unwrap_or(&g.path)
        .display()
        .to_string();
    let started = Instant::now();
    let scratch = tempfile::tempdir();
    let result = match &scratch {
        Ok(dir) => golden::check(g, dir.path()).await,
        Err(e) => Err(anyhow::anyhow!("cannot create a temporary directory: {e}")),
    };
    let failure = match result {
        Ok(report) => report.divergence.map(|d| {
            let side = |v: &Option<theater_runtime::replay::EventView>| match v {
                Some(v) => format!("{} {}", v.event_type, serde_json::to_string_pretty(&v.payload).unwrap_or_default()),
                None => "(nothing: the run ended here)".into(),
            };
            CaseFailure {
                location: format!("event {}", d.index),
                message: "the new build behaves differently on the recorded traffic (re-record with --record if intended)".into(),
                diff: Some(crate::scenario::matching::diff(&format!("{}\n", side(&d.expected)), &format!("{}\n", side(&d.actual)))),
            }
        }),
        Err(e) => Some(CaseFailure { location: "replay".into(), message: format!("{e:#}"), diff: None }),
    };
    Case {
        kind: "golden",
        name: shown.clone(),
        file: shown,
        duration: started.elapsed(),
        failure,
    }
}

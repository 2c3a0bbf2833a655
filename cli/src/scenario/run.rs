//! Running one scenario: a fresh in-process runtime in a temporary data directory, the
//! scenario's actors started from their manifests, each step executed and checked. The first
//! failing step ends the scenario; a panicking or looping actor is just a failed step.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use theater_runtime::chain::export::event_json;
use theater_runtime::chain::{ChainClock, ChainReader, EventFilter};
use theater_runtime::ids::IdScheme;
use theater_runtime::{LogLine, Manifest, Theater, TheaterConfig};

use super::format::{Scenario, Step, StepTarget};
use super::matching::{compare, is_subset};
use super::web::{HttpReply, Web};

/// Why a step failed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Failure {
    /// 1-based step number.
    pub step: usize,
    /// Line of the step in the scenario file.
    pub line: usize,
    pub description: String,
    pub message: String,
    /// `-expected` / `+actual` lines, when there is something to compare.
    pub diff: Option<String>,
}

/// An actor a scenario ran, for recording golden chains.
#[derive(Debug, Clone)]
pub struct RanActor {
    pub name: String,
    pub id: String,
}

/// The outcome of one scenario.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub scenario: Scenario,
    pub steps_run: usize,
    pub duration: Duration,
    pub failure: Option<Failure>,
    pub actors: Vec<RanActor>,
}

/// A runtime for one scenario, kept so golden chains can be exported from it.
pub struct Run {
    pub theater: Theater,
    pub outcome: Outcome,
    /// The temporary data directory; removed when the run is dropped.
    _dir: tempfile::TempDir,
}

fn fail(
    index: usize,
    line: usize,
    step: &Step,
    message: impl Into<String>,
    diff: Option<String>,
) -> Failure {
    Failure {
        step: index + 1,
        line,
        description: step.describe(),
        message: message.into(),
        diff,
    }
}

/// Run a scenario to its end or its first failing step.
pub async fn run(scenario: Scenario) -> anyhow::Result<Run> {
    let dir = tempfile::tempdir()?;
    let logs: Arc<Mutex<Vec<LogLine>>> = Arc::default();
    let sink = logs.clone();
    let mut config = TheaterConfig::new(Some(dir.path().to_path_buf()));
    config.logs = Arc::new(move |line: &LogLine| {
        sink.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(line.clone())
    });
    // Reproducible chains: ids derived from the scenario's name and spawn order, time logical.
    config.ids = IdScheme::Derived(scenario.name.clone());
    config.chain.clock = ChainClock::Logical;
    let theater = Theater::new(config)?;
    let started = Instant::now();
    let base = scenario
        .path
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default();

    let mut ids: HashMap<String, String> = HashMap::new();
    let mut actors = Vec::new();
    let mut failure = None;
    for spec in &scenario.actors {
        let manifest = Manifest::load(&base.join(&spec.manifest));
        let spawned = match manifest {
            Ok(m) => theater
                .spawn(m, spec.init_state.as_ref().map(|p| p.bytes()), None)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match spawned {
            Ok(id) => {
                ids.insert(spec.name.clone(), id.clone());
                actors.push(RanActor {
                    name: spec.name.clone(),
                    id,
                });
            }
            Err(e) => {
                failure = Some(Failure {
                    step: 0,
                    line: 1,
                    description: format!("start actor {}", spec.name),
                    message: e,
                    diff: None,
                });
                break;
            }
        }
    }

    let mut web = Web::new().map_err(anyhow::Error::msg)?;
    let mut steps_run = 0;
    if failure.is_none() {
        for (index, (line, step)) in scenario.steps.iter().enumerate() {
            steps_run += 1;
            let target = match step.to.as_deref().map(StepTarget::parse) {
                Some(Ok(target)) => target,
                _ => StepTarget::Actor(
                    scenario
                        .actors
                        .first()
                        .map(|a| a.name.clone())
                        .unwrap_or_default(),
                ),
            };
            let resolved = resolve(&theater, &ids, &target)
                .await
                .map_err(|m| fail(index, *line, step, m, None));
            if let Err(f) = match resolved {
                Ok(id) => {
                    let at = At {
                        index,
                        line: *line,
                        step,
                    };
                    run_step(&theater, &mut web, &id, &logs, &at).await
                }
                Err(f) => Err(f),
            } {
                failure = Some(f);
                break;
            }
        }
    }
    let duration = started.elapsed();
    if let Err(e) = theater.shutdown().await {
        tracing::warn!("scenario runtime did not shut down cleanly: {e}");
    }
    Ok(Run {
        theater,
        outcome: Outcome {
            scenario,
            steps_run,
            duration,
            failure,
            actors,
        },
        _dir: dir,
    })
}

/// The id of a step's actor: an `[[actor]]`'s, or the n-th child (in spawn order) of one.
async fn resolve(
    theater: &Theater,
    ids: &HashMap<String, String>,
    target: &StepTarget,
) -> Result<String, String> {
    let named = ids
        .get(target.actor())
        .cloned()
        .ok_or_else(|| format!("no actor {} was started", target.actor()))?;
    let StepTarget::Child { parent, index } = target else {
        return Ok(named);
    };
    theater
        .db()
        .sink()
        .flush_async()
        .await
        .map_err(|e| e.to_string())?;
    let actors = ChainReader::open(theater.db().path())
        .and_then(|r| r.actors())
        .map_err(|e| e.to_string())?;
    let children: Vec<String> = actors
        .into_iter()
        .filter(|a| a.parent_id.as_deref() == Some(named.as_str()))
        .map(|a| a.actor_id)
        .collect();
    children.get(*index).cloned().ok_or_else(|| {
        format!(
            "{parent} has spawned {} children, so it has no child {index}",
            children.len()
        )
    })
}

/// The step being run, for failure reports.
struct At<'a> {
    index: usize,
    line: usize,
    step: &'a Step,
}

async fn run_step(
    theater: &Theater,
    web: &mut Web,
    id: &str,
    logs: &Mutex<Vec<LogLine>>,
    at: &At<'_>,
) -> Result<(), Failure> {
    let At { index, line, step } = *at;
    let failed = |message: String, diff: Option<String>| fail(index, line, step, message, diff);
    if step.http.is_some()
        || step.ws_connect.is_some()
        || step.ws_send.is_some()
        || step.ws_close.is_some()
    {
        return run_web_step(theater, web, id, at).await;
    }
    if let Some(msg) = &step.send {
        return expect_outcome(theater.send(id, msg.bytes()).await, step, index, line).map(|_| ());
    }
    if let Some(msg) = &step.request {
        // `None`: the call failed as `expect_error` wanted, so there is no reply to check.
        let Some(reply) =
            expect_outcome(theater.request(id, msg.bytes()).await, step, index, line)?
        else {
            return Ok(());
        };
        if let Some(expected) = step.expect.as_ref().or(step.expect_subset.as_ref()) {
            compare(
                expected.json(),
                &expected.display(),
                &reply,
                step.expect_subset.is_some(),
            )
            .map_err(|(m, d)| failed(format!("the reply {m}"), Some(d)))?;
        }
        return Ok(());
    }
    if let Some(expected) = &step.expect_state {
        let state = theater
            .actor(id)
            .map_err(|e| failed(e.to_string(), None))?
            .handle
            .state()
            .await
            .map_err(|e| failed(e.to_string(), None))?
            .unwrap_or_default();
        // A table is a subset check; a string is the whole state.
        let subset = matches!(
            expected,
            super::format::Payload::Value(toml::Value::Table(_))
        );
        return compare(expected.json(), &expected.display(), &state, subset)
            .map_err(|(m, d)| failed(format!("the state {m}"), Some(d)));
    }
    let lines: Vec<String> = logs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|l| l.actor_id == id)
        .map(|l| l.message.clone())
        .collect();
    if let Some(text) = &step.expect_log {
        return match lines.iter().any(|l| l.contains(text.as_str())) {
            true => Ok(()),
            false => Err(failed(
                format!("no log line contains {text:?}"),
                Some(log_listing(&lines)),
            )),
        };
    }
    if let Some(pattern) = &step.expect_log_regex {
        let re = regex::Regex::new(pattern).map_err(|e| failed(e.to_string(), None))?;
        return match lines.iter().any(|l| re.is_match(l)) {
            true => Ok(()),
            false => Err(failed(
                format!("no log line matches /{pattern}/"),
                Some(log_listing(&lines)),
            )),
        };
    }
    if let Some(expected) = &step.expect_event {
        theater
            .db()
            .sink()
            .flush_async()
            .await
            .map_err(|e| failed(e.to_string(), None))?;
        let events = ChainReader::open(theater.db().path())
            .and_then(|r| {
                r.events(
                    id,
                    &EventFilter {
                        type_prefix: Some(expected.event_type.clone()),
                        ..EventFilter::default()
                    },
                )
            })
            .map_err(|e| failed(e.to_string(), None))?;
        let views: Vec<serde_json::Value> = events
            .iter()
            .filter(|e| e.event_type == expected.event_type)
            .map(|e| event_json(e)["view"].clone())
            .collect();
        let wanted = expected.payload.as_ref().and_then(|p| p.json());
        let found = views
            .iter()
            .any(|v| wanted.as_ref().is_none_or(|w| is_subset(w, v)));
        if !found {
            let seen = views.iter().map(|v| format!("  {v}\n")).collect::<String>();
            let message = match views.len() {
                0 => format!("the chain has no {} event", expected.event_type),
                n => format!(
                    "none of the {n} {} events has the expected payload",
                    expected.event_type
                ),
            };
            return Err(failed(message, (!seen.is_empty()).then_some(seen)));
        }
    }
    Ok(())
}

/// An `http` or `ws_*` step: the action over a real socket, then its checks.
async fn run_web_step(
    theater: &Theater,
    web: &mut Web,
    id: &str,
    at: &At<'_>,
) -> Result<(), Failure> {
    let At { index, line, step } = *at;
    let server = step.server.unwrap_or(0);
    if let Some(http) = &step.http {
        let call = http.call().map_err(|m| fail(index, line, step, m, None))?;
        return match expect_outcome(
            web.http(theater, (id, server), &call).await,
            step,
            index,
            line,
        )? {
            Some(reply) => check_http(&reply, at),
            None => Ok(()),
        };
    }
    if let Some(path) = &step.ws_connect {
        let connected = web.ws_connect(theater, (id, server), path).await;
        return expect_outcome(connected, step, index, line).map(|_| ());
    }
    if let Some(message) = &step.ws_send {
        let expected = step.expect.as_ref().or(step.expect_subset.as_ref());
        let sent = web.ws_send(id, message.bytes(), expected.is_some()).await;
        let (Some(Some(reply)), Some(expected)) =
            (expect_outcome(sent, step, index, line)?, expected)
        else {
            return Ok(());
        };
        return compare(
            expected.json(),
            &expected.display(),
            &reply,
            step.expect_subset.is_some(),
        )
        .map_err(|(m, d)| {
            fail(
                index,
                line,
                step,
                format!("the WebSocket reply {m}"),
                Some(d),
            )
        });
    }
    expect_outcome(web.ws_close(id).await, step, index, line).map(|_| ())
}

/// An HTTP response against `expect_status`, `expect_header`, `expect`/`expect_subset`.
fn check_http(reply: &HttpReply, at: &At<'_>) -> Result<(), Failure> {
    let At { index, line, step } = *at;
    let failed = |message: String, diff: Option<String>| fail(index, line, step, message, diff);
    let body = String::from_utf8_lossy(&reply.body);
    if let Some(status) = step.expect_status {
        if reply.status != status {
            return Err(failed(
                format!("the response status is {}, not {status}", reply.status),
                Some(format!("-{status}\n+{} {body}\n", reply.status)),
            ));
        }
    }
    for (name, value) in step.expect_header.iter().flatten() {
        let got = reply
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str());
        if got != Some(value.as_str()) {
            let seen: String = reply
                .headers
                .iter()
                .map(|(n, v)| format!("  {n}: {v}\n"))
                .collect();
            return Err(failed(
                format!("the response has no header {name}: {value}"),
                Some(seen),
            ));
        }
    }
    if let Some(expected) = step.expect.as_ref().or(step.expect_subset.as_ref()) {
        compare(
            expected.json(),
            &expected.display(),
            &reply.body,
            step.expect_subset.is_some(),
        )
        .map_err(|(m, d)| failed(format!("the response body {m}"), Some(d)))?;
    }
    Ok(())
}

/// Check a call's success or failure against `expect_error`.
fn expect_outcome<T, E: std::fmt::Display>(
    result: Result<T, E>,
    step: &Step,
    index: usize,
    line: usize,
) -> Result<Option<T>, Failure> {
    match (result, &step.expect_error) {
        (Ok(v), None) => Ok(Some(v)),
        (Err(e), Some(text)) if e.to_string().contains(text.as_str()) => Ok(None),
        (Err(e), Some(text)) => Err(fail(
            index,
            line,
            step,
            format!("the call failed, but not with {text:?}"),
            Some(format!("-{text}\n+{e}\n")),
        )),
        (Err(e), None) => Err(fail(
            index,
            line,
            step,
            format!("the call failed: {e}"),
            None,
        )),
        (Ok(_), Some(text)) => Err(fail(
            index,
            line,
            step,
            format!("the call succeeded, but an error containing {text:?} was expected"),
            None,
        )),
    }
}

fn log_listing(lines: &[String]) -> String {
    if lines.is_empty() {
        return "  (the actor logged nothing)\n".into();
    }
    lines.iter().map(|l| format!("  log: {l}\n")).collect()
}

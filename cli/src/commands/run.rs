//! `theater run`: one actor, in this process, no server. Starts it, delivers the messages
//! in command-line order, prints each reply, stops it and reports the chain's head. An actor
//! that serves HTTP keeps serving until it stops itself or the process is signalled.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::ArgMatches;
use serde_json::json;
use theater_runtime::chain::{ChainReader, EventFilter};
use theater_runtime::{ActorStatus, Manifest, RuntimeError, Theater, TheaterConfig};

use super::signals::Signals;
use crate::cli::RunArgs;
use crate::output::{print_json, show_bytes};

/// One message to deliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Send(usize),
    Request(usize),
}

/// `--send` and `--request` values interleaved as they appeared on the command line.
pub fn message_order(m: &ArgMatches) -> Vec<Step> {
    let mut steps: Vec<(usize, Step)> = Vec::new();
    if let Some(ix) = m.indices_of("sends") {
        steps.extend(ix.enumerate().map(|(n, i)| (i, Step::Send(n))));
    }
    if let Some(ix) = m.indices_of("requests") {
        steps.extend(ix.enumerate().map(|(n, i)| (i, Step::Request(n))));
    }
    steps.sort_by_key(|(i, _)| *i);
    steps.into_iter().map(|(_, s)| s).collect()
}

pub async fn run(
    args: RunArgs,
    order: Vec<Step>,
    data_dir: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let manifest = Manifest::load(&args.manifest)?;
    if let Some(note) = &manifest.upstream {
        eprintln!("note: {note}");
    }
    let init_state = match &args.init_state {
        Some(p) => Some(
            std::fs::read(p)
                .with_context(|| format!("cannot read --init-state file {}", p.display()))?,
        ),
        None => None,
    };
    let mut config = TheaterConfig::new(data_dir);
    config.chain.durability = args.durability.durability;
    let theater = Theater::new(config)?;
    let id = match theater.spawn(manifest, init_state, None).await {
        Ok(id) => id,
        Err(e) => {
            let id = match &e {
                RuntimeError::InitFailed { id, .. } | RuntimeError::StartFailed { id, .. } => {
                    Some(id.clone())
                }
                _ => None,
            };
            if args.json {
                let summary = id
                    .as_deref()
                    .map(|id| chain_summary(&theater, id))
                    .unwrap_or((0, None));
                print_json(
                    &json!({"actor_id": id, "messages": [], "failed_messages": 0, "events": summary.0, "head": summary.1, "error": e.to_string()}),
                );
                return Ok(ExitCode::FAILURE);
            }
            return Err(e.into());
        }
    };

    let mut outcomes = Vec::new();
    for step in order {
        let outcome = deliver(&theater, &id, step, &args).await;
        if let Some(error) = &outcome.err {
            eprintln!("error: {}: {error}", describe(step, &args));
        } else if let (Some(reply), false) = (&outcome.ok, args.json) {
            println!("{reply}");
        }
        outcomes.push(outcome);
        if matches!(
            theater.actor(&id).map(|a| a.handle.status()),
            Ok(ActorStatus::Failed(_))
        ) {
            break;
        }
    }
    let failed_messages = outcomes.iter().filter(|o| o.err.is_some()).count();
    // An actor that listens keeps serving after its messages, and `--wait` waits for any
    // actor (one driven by its own timers) to end by itself.
    if announce_listening(&theater, &id) || args.wait {
        wait_for_end(&theater, &id).await;
    }
    let status = theater.stop(&id).await?;
    // A failed flush (events the database refused) is reported after the actor's own end,
    // which says why it stopped.
    let flushed = theater.shutdown().await;
    let (events, head) = chain_summary(&theater, &id);
    let error = match (&status, flushed) {
        (ActorStatus::Failed(reason), _) => Some(reason.clone()),
        (_, Err(e)) => Some(e.to_string()),
        _ => None,
    };
    if args.json {
        let messages: Vec<_> = outcomes.iter().map(Outcome::to_json).collect();
        let summary = json!({"actor_id": id, "messages": messages, "failed_messages": failed_messages, "events": events, "head": head, "error": error});
        print_json(&summary);
    } else {
        eprintln!(
            "actor {id}: {status}; {events} events, head {}",
            head.as_deref().unwrap_or("-")
        );
        if failed_messages > 0 {
            eprintln!(
                "error: {failed_messages} of {} messages failed (see above)",
                outcomes.len()
            );
        }
    }
    Ok(if error.is_some() || failed_messages > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Say where an actor that listens (its `http-framework` servers) serves; whether it does.
fn announce_listening(theater: &Theater, id: &str) -> bool {
    let listening = theater.listening_servers(id);
    for server in &listening {
        eprintln!(
            "actor {id} listens on {} (server {}); Ctrl-C to stop it",
            server.address, server.server_id
        );
    }
    !listening.is_empty()
}

/// Wait until the actor ends by itself (`runtime.shutdown`, a failure), or Ctrl-C / SIGTERM.
async fn wait_for_end(theater: &Theater, id: &str) {
    let Ok(actor) = theater.actor(id) else { return };
    let mut signals = Signals::new();
    tokio::select! {
        _ = actor.handle.wait() => {}
        _ = signals.next() => {}
    }
}

/// What became of one `--send` or `--request`: the reply (`None` for a send) or the error.
struct Outcome {
    step: Step,
    message: String,
    ok: Option<String>,
    err: Option<String>,
}

impl Outcome {
    /// `{"send"|"request": MSG, "ok": REPLY}` (`null` for a send), or `{…, "err": WHY}`.
    fn to_json(&self) -> serde_json::Value {
        let kind = match self.step {
            Step::Send(_) => "send",
            Step::Request(_) => "request",
        };
        match &self.err {
            Some(err) => json!({kind: self.message, "err": err}),
            None => json!({kind: self.message, "ok": self.ok}),
        }
    }
}

/// Deliver one message and wait for it to be handled.
async fn deliver(theater: &Theater, id: &str, step: Step, args: &RunArgs) -> Outcome {
    let (message, result) = match step {
        Step::Send(n) => (
            &args.sends[n],
            theater
                .send(id, args.sends[n].clone().into_bytes())
                .await
                .map(|()| None),
        ),
        Step::Request(n) => (
            &args.requests[n],
            theater
                .request(id, args.requests[n].clone().into_bytes())
                .await
                .map(|r| Some(show_bytes(&r))),
        ),
    };
    let (ok, err) = match result {
        Ok(reply) => (reply, None),
        Err(e) => (None, Some(e.to_string())),
    };
    Outcome {
        step,
        message: message.clone(),
        ok,
        err,
    }
}

fn describe(step: Step, args: &RunArgs) -> String {
    match step {
        Step::Send(n) => format!("--send {:?}", args.sends[n]),
        Step::Request(n) => format!("--request {:?}", args.requests[n]),
    }
}

/// Event count and head hash of an actor's (flushed) chain.
fn chain_summary(theater: &Theater, id: &str) -> (u64, Option<String>) {
    let events =
        ChainReader::open(theater.db().path()).and_then(|r| r.events(id, &EventFilter::default()));
    match events {
        Ok(events) => (
            events.len() as u64,
            events.last().map(|e| hex::encode(e.hash)),
        ),
        Err(_) => (0, None),
    }
}

//! `theater events`: an actor's recorded events, as a table or JSON — from the theater
//! server when one answers (and with --follow, live until the actor stops), otherwise from
//! the chain database, so no server is needed. With no actor id, the recorded actors.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::Value;
use theater_api::EventPage;
use theater_chain::state_view::event_json_with_state;
use theater_chain::{ChainReader, EventFilter};

use super::event_printer::EventPrinter;
use super::subscribe::{self, Selection};
use super::{chain_db, runtime, tree_members};
use crate::cli::EventsArgs;
use crate::client::{actor_path, escape, Client, ClientError};
use crate::output::print_json;
use crate::table::Layout;

pub fn events(args: EventsArgs, data_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let Some(id) = args.actor_id.clone() else {
        list_recorded(&args, data_dir)?;
        return Ok(ExitCode::SUCCESS);
    };
    let client = Client::connect(&args.connection)?;
    if args.tree {
        return tree_events(&client, &id, &args, data_dir);
    }
    if args.follow {
        if data_dir.is_some() {
            anyhow::bail!("--follow streams from a running server; it cannot read a --data-dir");
        }
        let selection = Selection {
            from: args.from,
            type_prefix: args.type_prefix.clone(),
        };
        runtime()?.block_on(subscribe::follow_one(&client, &id, &selection, args.json))?;
        return Ok(ExitCode::SUCCESS);
    }
    // An explicit --data-dir means that database; otherwise the server's view when it runs.
    let events = match data_dir {
        Some(dir) => from_db(&id, &args, Some(dir))?,
        None => match runtime()?.block_on(from_server(&client, &id, &args)) {
            Err(ClientError::NoServer { .. }) => from_db(&id, &args, None)?,
            other => other?,
        },
    };
    if args.json {
        print_json(&Value::Array(events));
    } else {
        let printer = EventPrinter::new(false, false);
        events.iter().for_each(|e| printer.print(e));
    }
    Ok(ExitCode::SUCCESS)
}

/// `--tree`: the events of the actor and its descendants, merged in time order with an
/// ACTOR column; with `--follow`, live until the whole tree has ended.
fn tree_events(
    client: &Client,
    id: &str,
    args: &EventsArgs,
    data_dir: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let runtime = runtime()?;
    let printer = EventPrinter::new(args.json && args.follow, true);
    if args.follow {
        let selection = Selection {
            from: args.from,
            type_prefix: args.type_prefix.clone(),
        };
        let failed = runtime.block_on(subscribe::follow_tree(
            client,
            id,
            &selection,
            &std::sync::Arc::new(printer),
        ))?;
        return Ok(if failed {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        });
    }
    let server_members = match &data_dir {
        Some(_) => None,
        None => match runtime.block_on(tree_members::from_server(client, id)) {
            Err(ClientError::NoServer { .. }) => None,
            other => Some(other?),
        },
    };
    let mut events = Vec::new();
    match server_members {
        Some(members) => {
            for member in members {
                let page = runtime.block_on(from_server(client, &member, args))?;
                events.extend(page.into_iter().map(|e| with_actor(e, &member)));
            }
        }
        None => {
            let reader = ChainReader::open(&chain_db(data_dir.clone()))?;
            for member in tree_members::from_db(&reader, id)? {
                let page = from_db(&member, args, data_dir.clone())?;
                events.extend(page.into_iter().map(|e| with_actor(e, &member)));
            }
        }
    }
    // A stable sort: one actor's events keep their order within a millisecond.
    events.sort_by_key(|e| e["timestamp_ms"].as_u64().unwrap_or_default());
    if args.json {
        print_json(&Value::Array(events));
    } else {
        events.iter().for_each(|e| printer.print(e));
    }
    Ok(ExitCode::SUCCESS)
}

/// An event with the `actor` field streams carry.
fn with_actor(mut event: Value, actor: &str) -> Value {
    if let Some(object) = event.as_object_mut() {
        object.insert("actor".into(), Value::String(actor.to_string()));
    }
    event
}

fn list_recorded(args: &EventsArgs, data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let actors = ChainReader::open(&chain_db(data_dir))?.actors()?;
    if args.json {
        print_json(&serde_json::to_value(&actors)?);
    } else if actors.is_empty() {
        eprintln!("no actors recorded yet");
    } else {
        let rows: Vec<Vec<String>> = actors
            .into_iter()
            .map(|a| vec![a.actor_id, a.name, a.events.to_string(), a.status])
            .collect();
        Layout::detect().print_table(&["ACTOR", "NAME", "EVENTS", "STATUS"], &rows);
    }
    Ok(())
}

fn from_db(id: &str, args: &EventsArgs, data_dir: Option<PathBuf>) -> anyhow::Result<Vec<Value>> {
    let filter = EventFilter {
        from_seq: args.from,
        limit: args.limit,
        type_prefix: args.type_prefix.clone(),
    };
    let reader = ChainReader::open(&chain_db(data_dir))?;
    Ok(reader
        .events(id, &filter)?
        .iter()
        .map(|e| event_json_with_state(e, &reader))
        .collect())
}

/// Every page the server has, up to --limit.
async fn from_server(
    client: &Client,
    id: &str,
    args: &EventsArgs,
) -> Result<Vec<Value>, ClientError> {
    let mut events = Vec::new();
    let mut from = Some(args.from).filter(|_| args.limit != Some(0));
    while let Some(start) = from {
        let mut query = format!("?from={start}");
        if let Some(limit) = args.limit {
            query.push_str(&format!("&limit={}", limit - events.len() as u64));
        }
        if let Some(prefix) = &args.type_prefix {
            query.push_str(&format!("&type={}", escape(prefix)));
        }
        let page: EventPage = client
            .get(&actor_path(id, &format!("/events{query}")))
            .await?;
        events.extend(page.events);
        from = page
            .next_from
            .filter(|_| args.limit.is_none_or(|l| (events.len() as u64) < l));
    }
    Ok(events)
}

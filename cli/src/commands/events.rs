//! `theater events`: an actor's recorded events from the chain database, as a table or
//! JSON; with no actor id, the recorded actors.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, UNIX_EPOCH};

use serde_json::json;
use theater_runtime::chain::export::event_json;
use theater_runtime::chain::payload::bytes_to_json;
use theater_runtime::chain::{ChainReader, EventFilter};

use super::chain_db;
use crate::cli::EventsArgs;
use crate::output::print_json;

/// Longest detail column before it is cut.
const DETAIL_WIDTH: usize = 100;

pub fn events(args: EventsArgs, data_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let reader = ChainReader::open(&chain_db(data_dir))?;
    let Some(id) = args.actor_id else {
        let actors = reader.actors()?;
        if args.json {
            print_json(&serde_json::to_value(&actors)?);
        } else if actors.is_empty() {
            println!("no actors recorded yet");
        } else {
            println!("{:<36}  {:<20}  {:>7}  STATUS", "ACTOR", "NAME", "EVENTS");
            for a in actors {
                println!("{:<36}  {:<20}  {:>7}  {}", a.actor_id, a.name, a.events, a.status);
            }
        }
        return Ok(ExitCode::SUCCESS);
    };
    let filter = EventFilter { from_seq: args.from, limit: args.limit, type_prefix: args.type_prefix };
    let events = reader.events(&id, &filter)?;
    if args.json {
        print_json(&json!(events.iter().map(event_json).collect::<Vec<_>>()));
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:>5}  {:<24}  {:<40}  DETAIL", "SEQ", "TIME (UTC)", "TYPE");
    for e in &events {
        let time = humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(e.timestamp_ms));
        let mut detail = bytes_to_json(&e.payload).to_string();
        if detail.chars().count() > DETAIL_WIDTH {
            detail = detail.chars().take(DETAIL_WIDTH - 1).collect::<String>() + "…";
        }
        println!("{:>5}  {:<24}  {:<40}  {detail}", e.seq, time.to_string(), e.event_type);
    }
    Ok(ExitCode::SUCCESS)
}

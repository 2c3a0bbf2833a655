//! `theater list`: the server's actors, oldest first.

use std::process::ExitCode;

use theater_api::ActorList;

use crate::cli::ListArgs;
use crate::client::Client;
use crate::output::print_json;
use crate::table::Layout;

pub async fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let list: ActorList = Client::connect(&args.connection)?.get("/v1/actors").await?;
    if args.json {
        print_json(&serde_json::to_value(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    let layout = Layout::detect();
    if list.actors.is_empty() && layout == Layout::Aligned {
        println!("no actors on this server; start one with `theater start manifest.toml`");
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = list
        .actors
        .into_iter()
        .map(|a| {
            let names = if a.names.is_empty() {
                "-".to_string()
            } else {
                a.names.join(",")
            };
            vec![
                a.id,
                a.name,
                a.status,
                a.events.to_string(),
                a.restarts.to_string(),
                a.parent.unwrap_or_else(|| "-".into()),
                names,
            ]
        })
        .collect();
    layout.print_table(
        &[
            "ID", "NAME", "STATUS", "EVENTS", "RESTARTS", "PARENT", "NAMES",
        ],
        &rows,
    );
    Ok(ExitCode::SUCCESS)
}

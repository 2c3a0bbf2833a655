//! `theater subscribe`: follow actors' event streams from the server until they stop. With
//! `-`, actor ids come from stdin, one a line, and each is followed as soon as it arrives,
//! so `theater start m.toml --id-only | theater subscribe -` works as a pipe. With `--tree`,
//! each actor's descendants are followed too, including those spawned while it is followed.

use std::collections::HashSet;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use theater_api::StreamEnd;
use tokio::io::AsyncBufReadExt;
use tokio::task::JoinSet;

use super::event_printer::EventPrinter;
use super::tree_members;
use crate::cli::SubscribeArgs;
use crate::client::{actor_path, escape, Client, ClientError};

/// Which events of a stream to show.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub from: u64,
    pub type_prefix: Option<String>,
}

impl Selection {
    fn stream_path(&self, id: &str) -> String {
        let mut query = format!("?from={}", self.from);
        if let Some(prefix) = &self.type_prefix {
            query.push_str(&format!("&type={}", escape(prefix)));
        }
        actor_path(id, &format!("/events/stream{query}"))
    }
}

pub async fn subscribe(args: SubscribeArgs) -> anyhow::Result<ExitCode> {
    let client = Client::connect(&args.connection)?;
    let selection = Selection {
        from: args.from,
        type_prefix: args.type_prefix,
    };
    let printer = Arc::new(EventPrinter::new(args.json, true));
    if args.actor_id != "-" {
        if args.tree {
            let failed = follow_tree(&client, &args.actor_id, &selection, &printer).await?;
            return Ok(if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            });
        }
        follow(&client, &args.actor_id, &selection, &printer).await?;
        return Ok(ExitCode::SUCCESS);
    }

    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut streams = JoinSet::new();
    let mut stdin_open = true;
    let mut failed = false;
    loop {
        tokio::select! {
            line = lines.next_line(), if stdin_open => match line? {
                Some(line) if !line.trim().is_empty() => {
                    let (client, selection, printer, id) = (client.clone(), selection.clone(), printer.clone(), line.trim().to_string());
                    let tree = args.tree;
                    streams.spawn(async move {
                        if tree {
                            follow_tree(&client, &id, &selection, &printer).await
                        } else {
                            follow(&client, &id, &selection, &printer).await.map(|_| false).map_err(anyhow::Error::from)
                        }
                    });
                }
                Some(_) => {}
                None => stdin_open = false,
            },
            Some(done) = streams.join_next(), if !streams.is_empty() => {
                match done.map_err(anyhow::Error::from).and_then(|r| r) {
                    Ok(member_failed) => failed |= member_failed,
                    Err(e) => {
                        eprintln!("error: {e:#}");
                        failed = true;
                    }
                }
            }
            else => break,
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Print one actor's events until it ends; says on stderr how it ended.
pub async fn follow(
    client: &Client,
    id: &str,
    selection: &Selection,
    printer: &EventPrinter,
) -> Result<StreamEnd, ClientError> {
    let end = client
        .stream(&selection.stream_path(id), |event| printer.print(&event))
        .await?;
    match &end.reason {
        Some(reason) => eprintln!("actor {}: {}: {reason}", end.actor, end.status),
        None => eprintln!("actor {}: {}", end.actor, end.status),
    }
    Ok(end)
}

/// Follow a single actor, without the actor column.
pub async fn follow_one(
    client: &Client,
    id: &str,
    selection: &Selection,
    json: bool,
) -> Result<StreamEnd, ClientError> {
    follow(client, id, selection, &EventPrinter::new(json, false)).await
}

/// How often a followed tree is looked at for new descendants.
const TREE_POLL: Duration = Duration::from_millis(200);

/// Follow `id` and every descendant, each from its first event, until all have ended;
/// whether following one of them failed (said on stderr).
pub async fn follow_tree(
    client: &Client,
    id: &str,
    selection: &Selection,
    printer: &Arc<EventPrinter>,
) -> anyhow::Result<bool> {
    let mut followed = HashSet::new();
    let mut streams = JoinSet::new();
    let mut failed = false;
    loop {
        let mut added = 0;
        for member in tree_members::from_server(client, id).await? {
            if followed.insert(member.clone()) {
                let (client, selection, printer) =
                    (client.clone(), selection.clone(), printer.clone());
                streams.spawn(async move { follow(&client, &member, &selection, &printer).await });
                added += 1;
            }
        }
        if streams.is_empty() && added == 0 {
            return Ok(failed);
        }
        tokio::select! {
            Some(done) = streams.join_next() => {
                if let Err(e) = done.map_err(anyhow::Error::from).and_then(|r| r.map_err(anyhow::Error::from)) {
                    eprintln!("error: {e:#}");
                    failed = true;
                }
            }
            () = tokio::time::sleep(TREE_POLL) => {}
        }
    }
}

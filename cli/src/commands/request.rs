//! `theater request`: send a request to an actor and print its reply.

use std::process::ExitCode;

use anyhow::Context;
use theater_api::{Bytes, Reply};

use crate::cli::MessageArgs;
use crate::client::{actor_path, Client};
use crate::output::{print_json, show_bytes};

pub async fn request(args: MessageArgs) -> anyhow::Result<ExitCode> {
    let reply: Reply = Client::connect(&args.connection)?
        .post(
            &actor_path(&args.actor_id, "/request"),
            &Bytes::text(args.message),
        )
        .await?;
    if args.json {
        print_json(&serde_json::to_value(&reply)?);
    } else {
        let bytes = reply
            .reply
            .decode()
            .map_err(anyhow::Error::msg)
            .context("the server sent bad reply bytes")?;
        println!("{}", show_bytes(&bytes));
    }
    Ok(ExitCode::SUCCESS)
}

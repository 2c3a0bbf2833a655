//! `theater send`: deliver a message to an actor; returns once the actor has handled it.

use std::process::ExitCode;

use theater_api::{Bytes, Handled};

use crate::cli::MessageArgs;
use crate::client::{actor_path, Client};
use crate::output::print_json;

pub async fn send(args: MessageArgs) -> anyhow::Result<ExitCode> {
    let handled: Handled = Client::connect(&args.connection)?
        .post(
            &actor_path(&args.actor_id, "/send"),
            &Bytes::text(args.message),
        )
        .await?;
    if args.json {
        print_json(&serde_json::to_value(&handled)?);
    }
    Ok(ExitCode::SUCCESS)
}

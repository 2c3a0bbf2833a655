//! What the API shows of actors: finds an actor by id or unique prefix, and joins what the
//! registry knows (status, parent, restarts) with what the chain database knows (event
//! count, head hash, creation time).

use std::collections::HashMap;

use axum::http::StatusCode;

use super::db;
use super::error::ApiError;
use super::model::{ActorView, Tree, TreeNode};
use theater_runtime::chain::{ChainError, ChainReader, EventFilter, MIN_ID_PREFIX};
use theater_runtime::{ActorError, ActorInfo, ActorStatus, Theater};

/// The actor on this server with id `id`, else the running actor named `id`, else the
/// actor whose id uniquely starts with `id` (at least [`MIN_ID_PREFIX`] characters).
pub fn resolve(theater: &Theater, id: &str) -> Result<ActorInfo, ApiError> {
    if let Some(info) = theater.actor(id).ok().or_else(|| theater.lookup_name(id)) {
        return Ok(info);
    }
    if id.len() < MIN_ID_PREFIX {
        return Err(ApiError::bad_request(format!(
            "{id:?} is no running actor's name, and too short for an id: give the full actor id or at least its first {MIN_ID_PREFIX} characters"
        )));
    }
    let mut matches: Vec<ActorInfo> = theater
        .actors()
        .into_iter()
        .filter(|a| a.id.starts_with(id))
        .collect();
    match matches.len() {
        0 => Err(ActorError::NoSuchActor(id.to_string()).into()),
        1 => Ok(matches.remove(0)),
        n => Err(ApiError::bad_request(format!(
            "{id} is the start of {n} actors' ids; give more of the id"
        ))),
    }
}

/// What the chain database knows of one actor.
struct ChainStats {
    events: u64,
    head: Option<String>,
    created_ms: u64,
}

fn chain_stats(reader: &ChainReader, id: &str) -> Result<ChainStats, ChainError> {
    let record = reader.actor(id)?;
    let head = match record.events {
        0 => None,
        n => reader
            .events(
                id,
                &EventFilter {
                    from_seq: n - 1,
                    limit: Some(1),
                    type_prefix: None,
                },
            )?
            .last()
            .map(|e| hex::encode(e.hash)),
    };
    Ok(ChainStats {
        events: record.events,
        head,
        created_ms: record.created_ms,
    })
}

/// Views of `infos`, oldest first.
pub async fn views(theater: &Theater, infos: Vec<ActorInfo>) -> Result<Vec<ActorView>, ApiError> {
    let ids: Vec<String> = infos.iter().map(|i| i.id.clone()).collect();
    let stats = db::read(theater, move |r| {
        ids.iter()
            .map(|id| chain_stats(r, id))
            .collect::<Result<Vec<_>, _>>()
    })
    .await?;
    let all = theater.actors();
    let children = children_of(&all);
    let mut views: Vec<(u64, ActorView)> = infos
        .into_iter()
        .zip(stats)
        .map(|(info, stats)| {
            let (status, reason) = status_fields(&info.handle.status());
            let names = theater.names_of(&info.id);
            let listening = theater
                .listening_servers(&info.id)
                .into_iter()
                .map(|l| theater_api::ListeningServer {
                    server_id: l.server_id,
                    address: l.address.to_string(),
                })
                .collect();
            let view = ActorView {
                children: children_sorted(&children, &info.id)
                    .into_iter()
                    .map(|a| a.id.clone())
                    .collect(),
                id: info.id,
                name: info.manifest.name.clone(),
                names,
                version: info.manifest.version.clone(),
                manifest: info.manifest.origin.clone(),
                status,
                reason,
                parent: info.parent,
                restarts: info.restarts,
                events: stats.events,
                head: stats.head,
                listening,
                note: None,
            };
            (stats.created_ms, view)
        })
        .collect();
    views.sort_by(|(a_ms, a), (b_ms, b)| (a_ms, &a.id).cmp(&(b_ms, &b.id)));
    Ok(views.into_iter().map(|(_, v)| v).collect())
}

/// The view of one actor.
pub async fn view(theater: &Theater, info: ActorInfo) -> Result<ActorView, ApiError> {
    views(theater, vec![info]).await?.pop().ok_or_else(|| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the actor vanished while it was read",
        )
    })
}

/// The supervision tree: top-level actors with their descendants, by name then id.
pub fn tree(theater: &Theater) -> Tree {
    let actors = theater.actors();
    let children = children_of(&actors);
    let mut roots: Vec<&ActorInfo> = actors
        .iter()
        .filter(|a| {
            a.parent
                .as_ref()
                .is_none_or(|p| !actors.iter().any(|x| &x.id == p))
        })
        .collect();
    sort(&mut roots);
    Tree {
        roots: roots.into_iter().map(|a| node(a, &children)).collect(),
    }
}

fn node(info: &ActorInfo, children: &HashMap<&str, Vec<&ActorInfo>>) -> TreeNode {
    let (status, reason) = status_fields(&info.handle.status());
    TreeNode {
        id: info.id.clone(),
        name: info.manifest.name.clone(),
        status,
        reason,
        restarts: info.restarts,
        children: children_sorted(children, &info.id)
            .into_iter()
            .map(|c| node(c, children))
            .collect(),
    }
}

fn children_sorted<'a>(
    children: &HashMap<&str, Vec<&'a ActorInfo>>,
    id: &str,
) -> Vec<&'a ActorInfo> {
    let mut kids = children.get(id).cloned().unwrap_or_default();
    sort(&mut kids);
    kids
}

fn sort(actors: &mut [&ActorInfo]) {
    actors.sort_by(|a, b| (&a.manifest.name, &a.id).cmp(&(&b.manifest.name, &b.id)));
}

/// Each parent's children.
fn children_of(actors: &[ActorInfo]) -> HashMap<&str, Vec<&ActorInfo>> {
    let mut map: HashMap<&str, Vec<&ActorInfo>> = HashMap::new();
    for a in actors {
        if let Some(parent) = &a.parent {
            map.entry(parent.as_str()).or_default().push(a);
        }
    }
    map
}

/// An actor status as the API's `status` and `reason` fields.
pub fn status_fields(status: &ActorStatus) -> (String, Option<String>) {
    match status {
        ActorStatus::Running => ("running".into(), None),
        ActorStatus::Stopped => ("stopped".into(), None),
        ActorStatus::Failed(reason) => ("failed".into(), Some(reason.clone())),
    }
}

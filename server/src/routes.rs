//! The API's routes: one table of method, path and handler (the OpenAPI document is checked
//! against it), and the handlers, each a thin translation between HTTP and the registry.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::{Extension, Json};
use serde::Deserialize;

use super::allow_dirs::AllowDirs;
use super::error::ApiError;
use super::extract::{check_seq, ActorId, JsonBody, QueryParams};
use super::model::{
    ActorList, ActorView, Bytes, EventPage, Handled, Health, Reply, StartRequest, StateView, Tree,
};
use super::{db, openapi, sse, views};
use theater_runtime::chain::state_view::event_json_with_state;
use theater_runtime::chain::EventFilter;
use theater_runtime::{ActorError, Manifest, Theater};

/// Events per page when the caller does not say.
const DEFAULT_PAGE: u64 = 1000;
/// Most events one page returns.
const MAX_PAGE: u64 = 10_000;

/// The HTTP methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
        }
    }
}

/// One route of the API.
pub struct Route {
    pub verb: Verb,
    pub path: &'static str,
    pub handler: MethodRouter<Theater>,
    /// A long-lived event stream: not under the request timeout.
    pub stream: bool,
}

fn route<H, T>(verb: Verb, path: &'static str, handler: H) -> Route
where
    H: axum::handler::Handler<T, Theater>,
    T: 'static,
{
    Route {
        verb,
        path,
        handler: on(verb.filter(), handler),
        stream: false,
    }
}

fn stream_route<H, T>(path: &'static str, handler: H) -> Route
where
    H: axum::handler::Handler<T, Theater>,
    T: 'static,
{
    Route {
        stream: true,
        ..route(Verb::Get, path, handler)
    }
}

/// Every route the server answers.
pub fn table() -> Vec<Route> {
    use Verb::{Get, Post};
    vec![
        route(Get, "/openapi.json", openapi::document),
        route(Get, "/v1/health", health),
        route(Get, "/v1/actors", list),
        route(Post, "/v1/actors", start),
        route(Get, "/v1/actors/{id}", inspect),
        route(Get, "/v1/actors/{id}/state", state),
        route(Get, "/v1/actors/{id}/events", events),
        stream_route("/v1/actors/{id}/events/stream", sse::stream),
        route(Post, "/v1/actors/{id}/send", send),
        route(Post, "/v1/actors/{id}/request", request),
        route(Post, "/v1/actors/{id}/stop", stop),
        route(Post, "/v1/actors/{id}/restart", restart),
        route(Get, "/v1/tree", tree),
    ]
}

async fn health(State(theater): State<Theater>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        actors: theater.actors().len(),
    })
}

async fn list(State(theater): State<Theater>) -> Result<Json<ActorList>, ApiError> {
    let actors = views::views(&theater, theater.actors()).await?;
    Ok(Json(ActorList { actors }))
}

/// Start a top-level actor from a manifest file on this machine (inside `--allow-dir`).
async fn start(
    State(theater): State<Theater>,
    Extension(allow): Extension<Arc<AllowDirs>>,
    JsonBody(body): JsonBody<StartRequest>,
) -> Result<(StatusCode, Json<ActorView>), ApiError> {
    let path = PathBuf::from(&body.manifest);
    if !path.is_absolute() {
        return Err(ApiError::bad_request(format!(
            "\"manifest\" must be an absolute path on the server's machine, got {:?}",
            body.manifest
        )));
    }
    let working_dir = match &body.working_dir {
        Some(dir) if Path::new(dir).is_absolute() => Some(PathBuf::from(dir)),
        Some(dir) => {
            return Err(ApiError::bad_request(format!(
                "\"working_dir\" must be an absolute path on the server's machine, got {dir:?}"
            )))
        }
        None => None,
    };
    let manifest = load_allowed(&allow, &path, working_dir.as_deref())?;
    let note = manifest.upstream.as_ref().map(|n| n.to_string());
    if let Some(note) = &note {
        tracing::warn!("note: {note}");
    }
    let init_state = body
        .init_state
        .map(|b| {
            b.decode()
                .map_err(|e| ApiError::bad_request(format!("\"init_state\": {e}")))
        })
        .transpose()?;
    // In a task of its own, so a client that hangs up mid-call cannot cut the start in half.
    let view = whole(async move {
        let id = theater
            .spawn_named(manifest, init_state, None, body.name)
            .await?;
        // All or nothing: an actor the caller is not told about must not keep running.
        match views::view(&theater, theater.actor(&id)?).await {
            Ok(view) => Ok(ActorView { note, ..view }),
            Err(e) => {
                let _ = theater.stop(&id).await;
                Err(e)
            }
        }
    })
    .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The manifest at `path`, with its component and init_state file, each inside the allowed
/// directories (resolved, so a link cannot lead out between the check and the read).
/// A relative filesystem `path` of an original-format manifest resolves against
/// `working_dir`, else the server's own.
fn load_allowed(
    allow: &AllowDirs,
    path: &Path,
    working_dir: Option<&Path>,
) -> Result<Manifest, ApiError> {
    let admitted = allow.admit(path)?;
    let mut manifest = match working_dir {
        Some(dir) => Manifest::load_in(&admitted, dir),
        None => Manifest::load(&admitted),
    }
    .map_err(theater_runtime::RuntimeError::from)?;
    if allow.restricts() {
        manifest.component = allow.admit(&manifest.component)?;
        manifest.init_state = manifest
            .init_state
            .as_deref()
            .map(|p| allow.admit(p))
            .transpose()?;
    }
    Ok(manifest)
}

async fn inspect(
    State(theater): State<Theater>,
    ActorId(id): ActorId,
) -> Result<Json<ActorView>, ApiError> {
    Ok(Json(
        views::view(&theater, views::resolve(&theater, &id)?).await?,
    ))
}

async fn state(
    State(theater): State<Theater>,
    ActorId(id): ActorId,
) -> Result<Json<StateView>, ApiError> {
    let info = views::resolve(&theater, &id)?;
    let state = match info.handle.state().await {
        Ok(state) => state,
        // An ended actor's state is the last one its chain committed.
        Err(ActorError::NotRunning { .. } | ActorError::Stopped { .. }) => {
            db::read(&theater, move |reader| reader.last_state(&info.id)).await?
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Json(StateView {
        state: state.as_deref().map(Bytes::of),
    }))
}

/// `?from=SEQ&limit=N&type=PREFIX` of the events routes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    pub from: Option<u64>,
    pub limit: Option<u64>,
    #[serde(rename = "type")]
    pub type_prefix: Option<String>,
}

/// A page of an actor's recorded events; works for actors of earlier server runs too.
async fn events(
    State(theater): State<Theater>,
    ActorId(id): ActorId,
    QueryParams(q): QueryParams<EventsQuery>,
) -> Result<Json<EventPage>, ApiError> {
    let limit = q.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let from_seq = check_seq(q.from.unwrap_or(0), "from")?;
    let filter = EventFilter {
        from_seq,
        limit: Some(limit),
        type_prefix: q.type_prefix,
    };
    let id = theater.lookup_name(&id).map_or(id, |named| named.id);
    let page = db::read(&theater, move |r| {
        let events = r.events(&id, &filter)?;
        let next_from = if events.len() as u64 == limit {
            events.last().map(|e| e.seq + 1)
        } else {
            None
        };
        Ok(EventPage {
            events: events.iter().map(|e| event_json_with_state(e, r)).collect(),
            next_from,
        })
    })
    .await?;
    Ok(Json(page))
}

fn message(body: Bytes) -> Result<Vec<u8>, ApiError> {
    body.decode().map_err(ApiError::bad_request)
}

/// Deliver a message and answer once the actor has handled it.
async fn send(
    State(theater): State<Theater>,
    ActorId(id): ActorId,
    JsonBody(body): JsonBody<Bytes>,
) -> Result<Json<Handled>, ApiError> {
    views::resolve(&theater, &id)?
        .handle
        .send(message(body)?)
        .await?;
    Ok(Json(Handled { handled: true }))
}

async fn request(
    State(theater): State<Theater>,
    ActorId(id): ActorId,
    JsonBody(body): JsonBody<Bytes>,
) -> Result<Json<Reply>, ApiError> {
    let reply = views::resolve(&theater, &id)?
        .handle
        .request(message(body)?)
        .await?;
    Ok(Json(Reply {
        reply: Bytes::of(&reply),
    }))
}

/// Stop an actor after the messages already queued; stopping a stopped actor is a no-op.
async fn stop(
    State(theater): State<Theater>,
    ActorId(id): ActorId,
) -> Result<Json<ActorView>, ApiError> {
    let id = views::resolve(&theater, &id)?.id;
    // In a task of its own, so a client that hangs up cannot leave the stop half done.
    let stopping = theater.clone();
    let stopped = id.clone();
    whole(async move { stopping.stop(&stopped).await.map_err(ApiError::from) }).await?;
    Ok(Json(views::view(&theater, theater.actor(&id)?).await?))
}

async fn restart(
    State(theater): State<Theater>,
    ActorId(id): ActorId,
) -> Result<Json<ActorView>, ApiError> {
    let id = views::resolve(&theater, &id)?.id;
    let restarting = theater.clone();
    let restarted = id.clone();
    whole(async move {
        restarting
            .restart_actor(&restarted)
            .await
            .map_err(ApiError::from)
    })
    .await?;
    Ok(Json(views::view(&theater, theater.actor(&id)?).await?))
}

/// Run `work` to its end in a task of its own, whatever happens to the request.
async fn whole<T: Send + 'static>(
    work: impl Future<Output = Result<T, ApiError>> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::spawn(work).await.map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the call failed: {e}"),
        )
    })?
}

async fn tree(State(theater): State<Theater>) -> Json<Tree> {
    Json(views::tree(&theater))
}

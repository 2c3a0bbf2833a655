//! One request to an actor's server: checked against the grant's bounds (headers, body,
//! time) before the actor sees it, routed, passed through the path's middleware, delivered
//! to the actor's `handle-request` through its mailbox, and answered with what it returns.
//! What the host refuses never reaches the actor: `413` for a body over `max_body_bytes`,
//! `431` for headers over `max_header_bytes`, `408` for a client too slow to send its body,
//! `503` when the actor does not answer within `request_timeout_ms` or is not running,
//! `500` when it fails or answers something that is not HTTP.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use tokio::sync::watch;
use tokio::time::Instant;

use super::routes::Resolution;
use super::shared::{deliver, App, Refusal, ServeLimits, ServerShared};
use super::websocket;
use crate::actor::HttpCall;
use crate::bindings::{HttpRequest, HttpResponse};

/// Request headers carrying a route pattern's parameters to the actor, as in the original
/// Theater (`X-Route-Param-id` for `{id}`); a client's own are dropped.
const PARAM_HEADER: &str = "x-route-param-";

/// The service of one server.
pub fn router(shared: Arc<ServerShared>, stop: watch::Receiver<()>) -> axum::Router {
    axum::Router::new()
        .fallback(serve)
        .with_state(App { shared, stop })
}

async fn serve(State(app): State<App>, request: Request) -> Response {
    let limits = app.shared.limits;
    let deadline = Instant::now() + limits.timeout;
    match tokio::time::timeout_at(deadline, answer(app, request, deadline)).await {
        Ok(Ok(response)) => response,
        Ok(Err(refusal)) => refusal.into_response(),
        Err(_) => Refusal::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "no answer within {} ms ([[handler]] type = \"http-framework\" request_timeout_ms)",
                limits.timeout.as_millis()
            ),
        )
        .into_response(),
    }
}

async fn answer(app: App, request: Request, deadline: Instant) -> Result<Response, Refusal> {
    let shared = &app.shared;
    check_headers(&request, &shared.limits)?;
    let path = request.uri().path().to_string();
    let websocket = shared.table().websocket(&path);
    if let Some(route) = websocket {
        let (mut parts, _) = request.into_parts();
        let upgrade = axum::extract::ws::WebSocketUpgrade::from_request_parts(&mut parts, &())
            .await
            .map_err(|e| Refusal::new(e.status(), e.body_text()))?;
        let query = parts.uri.query().map(str::to_string);
        return Ok(websocket::accept(app.clone(), upgrade, route, path, query));
    }
    let method = request.method().as_str().to_string();
    let resolved = shared.table().resolve(&method, &path);
    let (handler, params) = match resolved {
        Resolution::Handler { handler, params } => (handler, params),
        Resolution::MethodNotAllowed => {
            return Err(Refusal::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{path} has no route for {method}"),
            ))
        }
        Resolution::NotFound => {
            return Err(Refusal::new(
                StatusCode::NOT_FOUND,
                format!("no route for {path}"),
            ))
        }
    };
    let bounds = BodyBounds {
        max: shared.limits.max_body_bytes,
        deadline,
    };
    let mut request = read_request(request, params, bounds).await?;
    let middleware = shared.table().middleware_for(&path);
    for middleware in middleware {
        let verdict = deliver(shared, |reply| HttpCall::Middleware {
            handler: middleware,
            request: request.clone(),
            reply,
        })
        .await?;
        if !verdict.proceed {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                "refused by the actor's middleware",
            ));
        }
        request = verdict.request;
    }
    let response = deliver(shared, |reply| HttpCall::Request {
        handler,
        request,
        reply,
    })
    .await?;
    to_response(response)
}

/// `431` for more header bytes than the grant allows (hyper itself refuses more headers than
/// `max_headers`).
fn check_headers(request: &Request, limits: &ServeLimits) -> Result<(), Refusal> {
    let bytes: usize = request
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len().saturating_add(v.len()))
        .fold(0usize, usize::saturating_add);
    if bytes > limits.max_header_bytes {
        return Err(Refusal::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "the request's headers are {bytes} bytes, over this server's max_header_bytes of {}",
                limits.max_header_bytes
            ),
        ));
    }
    Ok(())
}

/// The request as the actor sees it: method, path and query, headers (with the route's
/// parameters), and the body read up to `max_body` bytes.
/// How much of a request body is read, and until when.
struct BodyBounds {
    max: usize,
    deadline: Instant,
}

async fn read_request(
    request: Request,
    params: Vec<(String, String)>,
    bounds: BodyBounds,
) -> Result<HttpRequest, Refusal> {
    let max_body = bounds.max;
    let too_large = || {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is over this server's max_body_bytes of {max_body}"),
        )
    };
    let (parts, body) = request.into_parts();
    let announced = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > max_body as u64) {
        return Err(too_large());
    }
    let collected =
        tokio::time::timeout_at(bounds.deadline, Limited::new(body, max_body).collect())
            .await
            .map_err(|_| {
                Refusal::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "the request body did not arrive within this server's request_timeout_ms",
                )
            })?;
    let body = match collected {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => return Err(too_large()),
        Err(e) => {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                format!("the request body could not be read: {e}"),
            ))
        }
    };
    let mut headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter(|(k, _)| !k.as_str().starts_with(PARAM_HEADER))
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    headers.extend(
        params
            .into_iter()
            .map(|(k, v)| (format!("X-Route-Param-{k}"), v)),
    );
    let uri = parts.uri.path_and_query().map_or_else(
        || parts.uri.path().to_string(),
        |pq| pq.as_str().to_string(),
    );
    Ok(HttpRequest {
        method: parts.method.as_str().to_string(),
        uri,
        headers,
        body: Some(body),
    })
}

/// Headers of the actor's response the host sets itself from the body it sends: an actor's
/// own (a `content-length` that does not match its body, say) would break the connection.
const FRAMING: [HeaderName; 3] = [CONTENT_LENGTH, TRANSFER_ENCODING, CONNECTION];

/// The actor's answer as an HTTP response; `500` if it is not valid HTTP.
fn to_response(answer: HttpResponse) -> Result<Response, Refusal> {
    let invalid = |what: String| {
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the actor answered with {what}"),
        )
    };
    let status = StatusCode::from_u16(answer.status).map_err(|_| {
        invalid(format!(
            "status {}, which is not an HTTP status",
            answer.status
        ))
    })?;
    let mut response = Response::new(Body::from(answer.body.unwrap_or_default()));
    *response.status_mut() = status;
    for (name, value) in answer.headers {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid(format!("header name {name:?}, which is not valid")))?;
        if FRAMING.contains(&header) {
            continue;
        }
        let value = HeaderValue::from_str(&value)
            .map_err(|_| invalid(format!("a value of header {name:?} that is not valid")))?;
        response.headers_mut().append(header, value);
    }
    Ok(response)
}

//! The time limit of an API call: a call that has not answered within the server's request
//! timeout gets `503`, so no client holds a connection and a task forever. Event streams are
//! long by design and are not wrapped (the stream route is added without this layer).
//! Calls that must not be cut in half (start, stop, restart) run in tasks of their own, so
//! the timeout only stops the waiting.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// Middleware: answer `503` when the call takes longer than `limit`.
pub async fn limit(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the call took longer than this server's limit of {} ms (--request-timeout)",
                limit.as_millis()
            ),
        )
        .into_response(),
    }
}

//! Request extractors whose rejections are the API's JSON errors: the actor id in the path,
//! the query string, and JSON bodies read whatever the Content-Type says, so that
//! `curl -d '{"text":"inc"}'` (which sends a form content type) works as it reads.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Largest request body. Messages are bounded by each actor's own `max_message_bytes`
/// (413 past it); this only keeps a single request from taking unbounded memory. Base64
/// makes a message 4/3 as large, so this admits messages of up to about 48 MiB.
pub const MAX_BODY_BYTES: usize = 64 << 20;

/// A JSON request body parsed into `T`: 400 when malformed, 413 past [`MAX_BODY_BYTES`].
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state).await?;
        Ok(JsonBody(serde_json::from_slice(&bytes)?))
    }
}

/// The `{id}` segment of an actor route: a full actor id or a unique prefix of one.
pub struct ActorId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ActorId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(id) = Path::<String>::from_request_parts(parts, state).await?;
        Ok(ActorId(id))
    }
}

/// Query parameters parsed into `T`: 400 naming the bad parameter.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(q) = Query::<T>::from_request_parts(parts, state).await?;
        Ok(QueryParams(q))
    }
}

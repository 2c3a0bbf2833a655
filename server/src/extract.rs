//! Request extractors whose rejections are the API's JSON errors: the actor id in the path
//! (checked after percent-decoding), the query string, and JSON bodies (whose
//! `Content-Type: application/json` the browser guard has already required).

use std::net::IpAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::connections::PeerAddr;
use super::error::ApiError;
use theater_runtime::chain::MIN_ID_PREFIX;

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

/// The `{id}` segment of an actor route: a full actor id, a prefix of at least
/// [`MIN_ID_PREFIX`] characters, or an actor name, made of the characters ids have. Checked after
/// percent-decoding, so `%25` cannot pass for a character of an id.
pub struct ActorId(pub String);

/// Longest id accepted (ids are 36-character UUIDs; a little room for other forms).
const MAX_ID_LEN: usize = 128;

impl<S: Send + Sync> FromRequestParts<S> for ActorId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(id) = Path::<String>::from_request_parts(parts, state).await?;
        check_id(&id)?;
        Ok(ActorId(id))
    }
}

/// An id, id prefix or name as the API accepts it (a name may be shorter than a prefix).
pub fn check_id(id: &str) -> Result<(), ApiError> {
    if id.len() > MAX_ID_LEN
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        let shown: String = id.chars().take(40).collect();
        return Err(ApiError::bad_request(format!(
            "{shown:?} is not an actor id (ids are letters, digits and '-')"
        )));
    }
    if id.len() < MIN_ID_PREFIX && theater_runtime::names::validate(id).is_err() {
        return Err(ApiError::bad_request(format!(
            "{id:?} is too short: give the full actor id or at least its first {MIN_ID_PREFIX} characters"
        )));
    }
    Ok(())
}

/// The client's IP address (absent when the request did not come through a socket, as in
/// unit tests).
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<PeerAddr>>()
                .map(|info| info.0 .0.ip()),
        ))
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

/// A sequence number from a query parameter or header: stored sequence numbers fit an
/// SQLite integer (`i64`), so anything larger is refused rather than wrapped around.
pub fn check_seq(value: u64, what: &str) -> Result<u64, ApiError> {
    if i64::try_from(value).is_err() {
        return Err(ApiError::bad_request(format!(
            "{what} {value} is out of range (at most {})",
            i64::MAX
        )));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_need_eight_characters_of_id_alphabet() {
        // `queue` is shorter than a prefix, but has the form of a name.
        for ok in [
            "0d5c2f1e",
            "0d5c2f1e-7b1a-4a57-9d0e-3f1c2b4a5d6e",
            "no-such-actor",
            "queue",
        ] {
            assert!(check_id(ok).is_ok(), "{ok}");
        }
        for (bad, says) in [
            ("0d5c", "too short"),
            ("7%%%", "not an actor id"),
            ("", "too short"),
            ("0bcdefg", "too short"),
        ] {
            let e = check_id(bad).unwrap_err();
            assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
            assert!(e.message.contains(says), "{bad}: {e}");
        }
        for bad in [
            "7%25%25%25%25%25%25",
            "abcdefgh/ij",
            "abcd efgh",
            "abcdefgh\0",
            &"a".repeat(129),
        ] {
            assert!(
                check_id(bad)
                    .unwrap_err()
                    .message
                    .contains("not an actor id"),
                "{bad}"
            );
        }
    }

    #[test]
    fn sequence_numbers_past_i64_are_refused() {
        assert_eq!(check_seq(i64::MAX as u64, "from").unwrap(), i64::MAX as u64);
        let e = check_seq(1 << 63, "from").unwrap_err();
        assert!(
            e.message
                .contains("from 9223372036854775808 is out of range"),
            "{e}"
        );
    }
}

//! The access token: when the server has one, every request must carry
//! `Authorization: Bearer TOKEN`, or it is answered 401 before any route runs. Which
//! addresses may serve without a token is decided in `ServerConfig::check`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// The token every request must present, if any.
pub type Token = Option<Arc<str>>;

/// Middleware: pass requests that present the token, answer 401 to the rest.
pub async fn require_token(State(token): State<Token>, request: Request, next: Next) -> Response {
    match check(token.as_deref(), request.headers()) {
        Ok(()) => next.run(request).await,
        Err(e) => {
            let mut response = e.into_response();
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
    }
}

/// Whether `headers` present `expected` as a bearer token.
fn check(expected: Option<&str>, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = expected else { return Ok(()) };
    let presented = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    match presented {
        Some(token) if same(token.trim().as_bytes(), expected.as_bytes()) => Ok(()),
        Some(_) => Err(ApiError::new(StatusCode::UNAUTHORIZED, "wrong access token")),
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "this server requires an access token: send `Authorization: Bearer TOKEN` (the theater CLI: --token or THEATER_TOKEN)",
        )),
    }
}

/// Compare in time independent of where the first difference is, so response timing does
/// not reveal how much of a guess was right.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(auth: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(a) = auth {
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(a).unwrap());
        }
        h
    }

    #[test]
    fn no_token_configured_lets_everything_through() {
        assert!(check(None, &headers(None)).is_ok());
        assert!(check(None, &headers(Some("Bearer anything"))).is_ok());
    }

    #[test]
    fn the_right_bearer_token_passes() {
        assert!(check(Some("s3cret"), &headers(Some("Bearer s3cret"))).is_ok());
    }

    #[test]
    fn missing_wrong_or_malformed_tokens_get_401() {
        for auth in [None, Some("Bearer s3cre"), Some("Bearer s3cret2"), Some("Basic s3cret"), Some("s3cret")] {
            let e = check(Some("s3cret"), &headers(auth)).unwrap_err();
            assert_eq!(e.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        }
        let e = check(Some("s3cret"), &headers(None)).unwrap_err();
        assert!(e.message.contains("Authorization: Bearer"), "{e}");
    }

    #[test]
    fn comparison_is_exact() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
    }
}

//! The access token: every request except `GET /v1/health` must carry
//! `Authorization: Bearer TOKEN`, or it is answered 401 before any route runs. The server
//! makes a random token unless the operator gives one; which addresses may serve without a
//! token at all (`--no-auth`) is decided in `ServerConfig::check`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::rngs::SysRng;
use rand::TryRng;
use subtle::ConstantTimeEq;

use super::error::ApiError;

/// The token every request must present, if any.
pub type Token = Option<Arc<str>>;

/// Bytes of operating-system randomness in a generated token (hex-encoded: 64 characters).
const TOKEN_BYTES: usize = 32;

/// The one route open without a token, so that "is a server there?" needs no secret.
const OPEN_ROUTE: &str = "/v1/health";

/// A fresh random token, from the operating system's CSPRNG.
pub fn new_token() -> Result<String, rand::rngs::SysError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    SysRng.try_fill_bytes(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// Middleware: pass requests that present the token (and `GET /v1/health`), answer 401 to
/// the rest.
pub async fn require_token(State(token): State<Token>, request: Request, next: Next) -> Response {
    if request.method() == Method::GET && request.uri().path() == OPEN_ROUTE {
        return next.run(request).await;
    }
    match check(token.as_deref(), request.headers()) {
        Ok(()) => next.run(request).await,
        Err(e) => {
            let mut response = e.into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
    }
}

/// Whether `headers` present `expected` as a bearer token.
fn check(expected: Option<&str>, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match presented {
        Some(token) if same(token.trim().as_bytes(), expected.as_bytes()) => Ok(()),
        Some(_) => Err(ApiError::new(StatusCode::UNAUTHORIZED, "wrong access token")),
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "this server requires an access token: send `Authorization: Bearer TOKEN` (the theater CLI reads it from \
             $THEATER_HOME/server.json, or takes --token / THEATER_TOKEN)",
        )),
    }
}

/// Compare in constant time, so response timing does not reveal how much of a guess was
/// right (the length is not secret: generated tokens all have the same one).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
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
        for auth in [
            None,
            Some("Bearer s3cre"),
            Some("Bearer s3cret2"),
            Some("Basic s3cret"),
            Some("s3cret"),
            Some("Bearer "),
        ] {
            let e = check(Some("s3cret"), &headers(auth)).unwrap_err();
            assert_eq!(e.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        }
        let e = check(Some("s3cret"), &headers(None)).unwrap_err();
        assert!(
            e.message.contains("Authorization: Bearer") && e.message.contains("server.json"),
            "{e}"
        );
    }

    #[test]
    fn comparison_is_exact() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
        assert!(!same(b"", b"a"));
    }

    #[test]
    fn generated_tokens_are_64_hex_digits_and_differ() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 2 * TOKEN_BYTES);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()), "{a}");
        assert_ne!(a, b);
    }
}

//! Every failure of an API call as one JSON shape, `{"error": "..."}`, with the HTTP status
//! that says whose move it is: 4xx when the caller can fix the request (or the actor refused
//! it), 5xx when the runtime failed. The table in docs/api.md follows this mapping.

use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::model::ErrorBody;
use theater_runtime::actor::{ActorError, CallError};
use theater_runtime::chain::ChainError;
use theater_runtime::RuntimeError;

/// An API error: the status and the message the client sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!("API error {}: {}", self.status, self.message);
        }
        (
            self.status,
            Json(ErrorBody {
                error: self.message,
            }),
        )
            .into_response()
    }
}

impl From<ActorError> for ApiError {
    fn from(e: ActorError) -> ApiError {
        let status = match &e {
            ActorError::NoSuchActor(_) => StatusCode::NOT_FOUND,
            ActorError::NotRunning { .. } | ActorError::Stopped { .. } => StatusCode::CONFLICT,
            ActorError::MailboxFull { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ActorError::MessageTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ActorError::Call {
                error: CallError::Guest(_) | CallError::NotExported(_),
                ..
            } => StatusCode::UNPROCESSABLE_ENTITY,
            ActorError::Call {
                error: CallError::Trap(_),
                ..
            } => StatusCode::INTERNAL_SERVER_ERROR,
            ActorError::Call {
                error: CallError::NotHandled(_),
                ..
            } => StatusCode::CONFLICT,
            ActorError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
        };
        ApiError::new(status, e.to_string())
    }
}

impl From<RuntimeError> for ApiError {
    fn from(e: RuntimeError) -> ApiError {
        let status = match &e {
            RuntimeError::Chain(chain) => return chain_status(chain, e.to_string()),
            RuntimeError::NotFound(_) => StatusCode::NOT_FOUND,
            RuntimeError::Name(theater_runtime::names::NameError::Taken { .. }) => {
                StatusCode::CONFLICT
            }
            RuntimeError::Name(_) => StatusCode::BAD_REQUEST,
            RuntimeError::Manifest(_)
            | RuntimeError::Io { .. }
            | RuntimeError::File(_)
            | RuntimeError::NotAComponent { .. }
            | RuntimeError::Sandbox(_)
            | RuntimeError::InitFailed { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            RuntimeError::TreeFull(_) => StatusCode::SERVICE_UNAVAILABLE,
            RuntimeError::Engine { .. }
            | RuntimeError::StartFailed { .. }
            | RuntimeError::NotLive(_)
            | RuntimeError::Components(_) => StatusCode::INTERNAL_SERVER_ERROR,
            RuntimeError::ShuttingDown | RuntimeError::TooManyActors { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
        ApiError::new(status, e.to_string())
    }
}

impl From<ChainError> for ApiError {
    fn from(e: ChainError) -> ApiError {
        let message = e.to_string();
        chain_status(&e, message)
    }
}

fn chain_status(e: &ChainError, message: String) -> ApiError {
    let status = match e {
        ChainError::UnknownActor(_) | ChainError::NoDatabase(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    ApiError::new(status, message)
}

impl From<BytesRejection> for ApiError {
    /// A body that could not be read; too large is 413 (the body limit).
    fn from(e: BytesRejection) -> ApiError {
        ApiError::new(
            e.status(),
            format!("cannot read the request body: {}", e.body_text()),
        )
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> ApiError {
        ApiError::bad_request(format!("bad query string: {}", e.body_text()))
    }
}

impl From<PathRejection> for ApiError {
    fn from(e: PathRejection) -> ApiError {
        ApiError::bad_request(format!("bad path: {}", e.body_text()))
    }
}

impl From<serde_json::Error> for ApiError {
    /// A body that is not the JSON the route expects.
    fn from(e: serde_json::Error) -> ApiError {
        ApiError::bad_request(format!("malformed JSON body: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use theater_runtime::manifest::ManifestError;

    fn status(e: impl Into<ApiError>) -> StatusCode {
        e.into().status
    }

    #[test]
    fn actor_errors_map_to_the_status_that_says_whose_move_it_is() {
        let id = || "a1".to_string();
        assert_eq!(status(ActorError::NoSuchActor(id())), StatusCode::NOT_FOUND);
        assert_eq!(
            status(ActorError::NotRunning {
                id: id(),
                status: "stopped".into()
            }),
            StatusCode::CONFLICT
        );
        assert_eq!(
            status(ActorError::Stopped { id: id() }),
            StatusCode::CONFLICT
        );
        assert_eq!(
            status(ActorError::MailboxFull {
                id: id(),
                capacity: 1
            }),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            status(ActorError::MessageTooLarge {
                id: id(),
                size: 2,
                limit: 1
            }),
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert_eq!(
            status(ActorError::Call {
                id: id(),
                error: CallError::Guest("no".into())
            }),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            status(ActorError::Call {
                id: id(),
                error: CallError::Trap("boom".into())
            }),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            status(ActorError::Call {
                id: id(),
                error: CallError::NotHandled("stopped".into())
            }),
            StatusCode::CONFLICT
        );
        assert_eq!(
            status(ActorError::Timeout { id: id(), ms: 1 }),
            StatusCode::GATEWAY_TIMEOUT
        );
    }

    #[test]
    fn runtime_and_chain_errors_keep_their_message() {
        let missing = RuntimeError::Manifest(ManifestError::Read {
            path: "/nope/m.toml".into(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "No such file"),
        });
        let e = ApiError::from(missing);
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(e.message.contains("/nope/m.toml"), "{e}");
        assert_eq!(
            status(RuntimeError::NotFound("x".into())),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            status(RuntimeError::ShuttingDown),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            status(RuntimeError::TooManyActors {
                running: 2,
                limit: 2
            }),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            status(RuntimeError::Chain(ChainError::UnknownActor("x".into()))),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            status(ChainError::WriterGone("gone".into())),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        let json = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        assert_eq!(status(json), StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn responses_are_json_error_objects() {
        let response = ApiError::not_found("no actor with id x").into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v, serde_json::json!({"error": "no actor with id x"}));
    }
}

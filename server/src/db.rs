//! Reads of the chain database for the API. Each read first flushes the writer, so it sees
//! every event appended before the call, then runs on a blocking thread (SQLite is
//! synchronous) with its own read connection, which WAL lets run beside the writer.

use axum::http::StatusCode;

use super::error::ApiError;
use theater_runtime::chain::{ChainError, ChainReader};
use theater_runtime::Theater;

/// Run `f` against a fresh read connection once everything appended so far is committed.
pub async fn read<T, F>(theater: &Theater, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&ChainReader) -> Result<T, ChainError> + Send + 'static,
{
    theater.db().sink().flush_async().await?;
    let path = theater.db().path().to_path_buf();
    tokio::task::spawn_blocking(move || ChainReader::open(&path).and_then(|reader| f(&reader)))
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("reading the chain database: {e}"),
            )
        })?
        .map_err(ApiError::from)
}

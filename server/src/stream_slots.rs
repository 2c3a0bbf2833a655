//! The bound on live event streams: at most so many open at once on the server, and at
//! most so many per client address, so that one client cannot hold every stream (each
//! stream is a task, a buffer and a connection). Past either limit a new stream is
//! answered `429` and its connection closed.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// Counts of open streams, shared by every stream of one server.
#[derive(Debug)]
pub struct StreamSlots {
    max_total: usize,
    max_per_client: usize,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_client: HashMap<IpAddr, usize>,
}

/// One open stream's slot, given back when the stream ends (its task drops it).
#[derive(Debug)]
pub struct StreamSlot {
    slots: Arc<StreamSlots>,
    client: Option<IpAddr>,
}

/// A stream refused for want of a slot: 429, and the connection is closed.
#[derive(Debug)]
pub struct Full(ApiError);

impl IntoResponse for Full {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        response
    }
}

impl From<Full> for ApiError {
    fn from(full: Full) -> ApiError {
        full.0
    }
}

impl StreamSlots {
    pub fn new(max_total: usize, max_per_client: usize) -> Arc<StreamSlots> {
        Arc::new(StreamSlots {
            max_total,
            max_per_client,
            open: Mutex::new(Open::default()),
        })
    }

    /// A slot for a stream to `client` (unknown in tests without a socket), if both
    /// limits allow one more.
    pub fn take(self: &Arc<Self>, client: Option<IpAddr>) -> Result<StreamSlot, Full> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.total >= self.max_total {
            return Err(full(format!(
                "{} event streams are open on this server, its limit (--max-streams)",
                open.total
            )));
        }
        if let Some(ip) = client {
            let mine = open.by_client.entry(ip).or_insert(0);
            if *mine >= self.max_per_client {
                return Err(full(format!("{mine} event streams are open from {ip}, the limit per client (--max-streams-per-client)")));
            }
            *mine += 1;
        }
        open.total += 1;
        Ok(StreamSlot {
            slots: self.clone(),
            client,
        })
    }

    /// Streams open now.
    #[cfg(test)]
    fn total(&self) -> usize {
        self.open.lock().map(|o| o.total).unwrap_or_default()
    }
}

fn full(message: String) -> Full {
    Full(ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!("{message}; close a stream or retry later"),
    ))
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|p| p.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(ip) = self.client {
            if let Some(n) = open.by_client.get_mut(&ip) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    open.by_client.remove(&ip);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([10, 0, 0, last]))
    }

    #[test]
    fn per_client_then_server_wide_limits_apply_and_slots_come_back() {
        let slots = StreamSlots::new(3, 2);
        let a1 = slots.take(ip(1)).unwrap();
        let _a2 = slots.take(ip(1)).unwrap();
        let e = ApiError::from(slots.take(ip(1)).unwrap_err());
        assert_eq!(e.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(e.message.contains("per client"), "{e}");
        let _b1 = slots.take(ip(2)).unwrap();
        let e = ApiError::from(slots.take(ip(3)).unwrap_err());
        assert!(e.message.contains("--max-streams"), "{e}");
        drop(a1);
        assert_eq!(slots.total(), 2);
        let _a3 = slots.take(ip(1)).unwrap();
        assert_eq!(slots.total(), 3);
    }

    #[test]
    fn a_refusal_closes_the_connection() {
        let slots = StreamSlots::new(0, 1);
        let response = slots.take(None).unwrap_err().into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::CONNECTION], "close");
    }
}

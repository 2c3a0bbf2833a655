//! The live event stream of one actor, as Server-Sent Events: its recorded events from
//! `from` on, then each new event as it is appended, then one `end` event when the actor
//! stops or fails, and the stream closes. Each chain event is an unnamed SSE event (so a
//! browser's `EventSource.onmessage` sees it) whose `id` is its sequence number, so a
//! reconnecting client's `Last-Event-ID` resumes after the last event it saw.
//!
//! No event is lost or repeated: the stream subscribes to its actor's appended events (from
//! the hub, which passes each stream only its own actor's events) before it reads the
//! database, skips what it already sent, and whenever it may have missed something (a gap
//! in sequence numbers, a lagging subscription, the actor's end) it reads the database again
//! from the next expected sequence number. Each stream holds a slot of the server's stream
//! limits while it is open.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures_util::Stream;
use serde::Deserialize;
use tokio::sync::{broadcast, mpsc};

use super::db;
use super::error::ApiError;
use super::extract::{check_seq, ActorId, ClientIp, QueryParams};
use super::hub::{EventHub, Heard};
use super::model::StreamEnd;
use super::stream_slots::{StreamSlot, StreamSlots};
use super::views::{self, status_fields};
use theater_runtime::chain::export::event_json;
use theater_runtime::chain::{Event, EventFilter};
use theater_runtime::{ActorHandle, Theater};

/// Events read from the database at a time while catching up.
const PAGE: u64 = 1000;
/// SSE events buffered for a slow client before the stream waits for it.
const BUFFER: usize = 256;

/// `?from=SEQ&type=PREFIX` of the stream route.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    /// First sequence number to send (default 0: the whole chain, then live events).
    pub from: Option<u64>,
    #[serde(rename = "type")]
    pub type_prefix: Option<String>,
}

pub async fn stream(
    State(theater): State<Theater>,
    Extension(hub): Extension<Arc<EventHub>>,
    Extension(slots): Extension<Arc<StreamSlots>>,
    ClientIp(client): ClientIp,
    ActorId(id): ActorId,
    QueryParams(q): QueryParams<StreamQuery>,
    headers: HeaderMap,
) -> Response {
    // A slot first: past the limits nothing else is done (429, connection closed).
    let slot = match slots.take(client) {
        Ok(slot) => slot,
        Err(full) => return full.into_response(),
    };
    match open(theater, &hub, id, q, &headers, slot).await {
        Ok(events) => Sse::new(events)
            .keep_alive(KeepAlive::default())
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// Start the pump of one stream; the events it sends.
async fn open(
    theater: Theater,
    hub: &Arc<EventHub>,
    id: String,
    q: StreamQuery,
    headers: &HeaderMap,
    slot: StreamSlot,
) -> Result<impl Stream<Item = Result<SseEvent, Infallible>>, ApiError> {
    let next = match resume_after(headers)? {
        Some(seen) => seen + 1,
        None => check_seq(q.from.unwrap_or(0), "from")?,
    };
    let live = match views::resolve(&theater, &id) {
        Ok(info) => Some(info),
        Err(e) if e.status == StatusCode::NOT_FOUND => None,
        Err(e) => return Err(e),
    };
    // Subscribe first: anything appended from here on reaches the stream.
    let live = live.map(|info| (hub.subscribe(&info.id), info));
    // An actor of an earlier server run is known only to the database (404 if not there).
    let lookup = live.as_ref().map_or(id, |(_, info)| info.id.clone());
    let record = db::read(&theater, move |r| r.actor(&lookup)).await?;
    let (tx, mut rx) = mpsc::channel(BUFFER);
    let pump = Pump {
        theater,
        id: record.actor_id,
        type_prefix: q.type_prefix,
        next,
        tx,
        _slot: slot,
    };
    tokio::spawn(
        pump.run(
            live.map(|(updates, info)| (updates, info.handle))
                .ok_or(record.status),
        ),
    );
    Ok(futures_util::stream::poll_fn(move |cx| {
        rx.poll_recv(cx).map(|e| e.map(Ok))
    }))
}

/// The sequence number in `Last-Event-ID` (a reconnecting client's last event), checked so
/// that adding one cannot wrap around to the start of the chain.
fn resume_after(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get("last-event-id") else {
        return Ok(None);
    };
    let seq = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                "Last-Event-ID must be the sequence number of an event this stream sent",
            )
        })?;
    check_seq(seq, "Last-Event-ID").map(Some)
}

/// Why a stream stops early: the client went away (or the database failed, already told).
struct Gone;

/// Feeds one client's stream.
struct Pump {
    theater: Theater,
    id: String,
    type_prefix: Option<String>,
    /// The next sequence number the client has not been sent (or skipped by the filter).
    next: u64,
    tx: mpsc::Sender<SseEvent>,
    /// Given back when the stream ends.
    _slot: StreamSlot,
}

impl Pump {
    /// `live` is the running actor's events and handle, or the recorded status of an actor
    /// this server does not run (its history is sent, then the stream ends).
    async fn run(mut self, live: Result<(broadcast::Receiver<Heard>, ActorHandle), String>) {
        if self.catch_up().await.is_err() {
            return;
        }
        let (mut updates, handle) = match live {
            Ok(live) => live,
            Err(recorded) => {
                let (status, reason) = match recorded.split_once(": ") {
                    Some((status, reason)) => (status.to_string(), Some(reason.to_string())),
                    None => (recorded, None),
                };
                return self.end(status, reason).await;
            }
        };
        let tx = self.tx.clone();
        let ended = handle.wait();
        tokio::pin!(ended);
        let status = loop {
            tokio::select! {
                update = updates.recv() => {
                    let step = match update {
                        Ok(Heard::Event(event)) => self.live(&event).await,
                        Ok(Heard::Missed) | Err(broadcast::error::RecvError::Lagged(_)) => self.catch_up().await,
                        // No more appends: only the actor's end is left to wait for.
                        Err(broadcast::error::RecvError::Closed) => break (&mut ended).await,
                    };
                    if step.is_err() {
                        return;
                    }
                }
                status = &mut ended => break status,
                () = tx.closed() => return,
            }
        };
        // The actor flushed its chain before reporting its end: the database has it all.
        if self.catch_up().await.is_ok() {
            let (status, reason) = status_fields(&status);
            self.end(status, reason).await;
        }
    }

    /// An event just appended: send it, first filling any gap from the database.
    async fn live(&mut self, event: &Event) -> Result<(), Gone> {
        if event.seq > self.next {
            self.catch_up().await?;
        }
        if event.seq < self.next {
            return Ok(());
        }
        self.emit(event).await
    }

    /// Send every recorded event from `next` on.
    async fn catch_up(&mut self) -> Result<(), Gone> {
        loop {
            let (id, from) = (self.id.clone(), self.next);
            let page = match db::read(&self.theater, move |r| {
                r.events(
                    &id,
                    &EventFilter {
                        from_seq: from,
                        limit: Some(PAGE),
                        type_prefix: None,
                    },
                )
            })
            .await
            {
                Ok(page) => page,
                Err(e) => {
                    let _ = self
                        .tx
                        .send(SseEvent::default().event("error").data(e.message))
                        .await;
                    return Err(Gone);
                }
            };
            for event in &page {
                self.emit(event).await?;
            }
            if (page.len() as u64) < PAGE {
                return Ok(());
            }
        }
    }

    async fn emit(&mut self, event: &Event) -> Result<(), Gone> {
        self.next = event.seq + 1;
        if self
            .type_prefix
            .as_deref()
            .is_some_and(|p| !event.event_type.starts_with(p))
        {
            return Ok(());
        }
        let mut json = event_json(event);
        json["actor"] = serde_json::Value::String(self.id.clone());
        self.tx
            .send(
                SseEvent::default()
                    .id(event.seq.to_string())
                    .data(json.to_string()),
            )
            .await
            .map_err(|_| Gone)
    }

    async fn end(self, status: String, reason: Option<String>) {
        let end = StreamEnd {
            actor: self.id,
            status,
            reason,
        };
        if let Ok(data) = serde_json::to_string(&end) {
            let _ = self
                .tx
                .send(SseEvent::default().event("end").data(data))
                .await;
        }
    }
}

//! Conversions between the generated binding types and the SDK's own types, so the public
//! API looks the same on wasm and in the native test host.

use super::bindings::theater::simple::{filesystem, http_types, store, types};
use crate::host::filesystem::{FileKind, FileMetadata};
use crate::host::http::{HttpRequest, HttpResponse};
use crate::host::store::ContentRef;
use crate::types::{Chain, ChainEvent, ChannelAccept, ChildError, ErrorKind, Event, MetaEvent};

impl From<types::Chain> for Chain {
    fn from(chain: types::Chain) -> Self {
        Chain {
            events: chain.events.into_iter().map(MetaEvent::from).collect(),
        }
    }
}

impl From<types::MetaEvent> for MetaEvent {
    fn from(meta: types::MetaEvent) -> Self {
        let types::Event {
            event_type,
            parent,
            data,
        } = meta.event;
        MetaEvent {
            hash: meta.hash,
            event: Event {
                event_type,
                parent,
                data,
            },
        }
    }
}

impl From<types::ChainEvent> for ChainEvent {
    fn from(e: types::ChainEvent) -> Self {
        ChainEvent {
            hash: e.hash,
            parent_hash: e.parent_hash,
            event_type: e.event_type,
            data: e.data,
            timestamp: e.timestamp,
        }
    }
}

impl From<store::ContentRef> for ContentRef {
    fn from(r: store::ContentRef) -> Self {
        ContentRef { hash: r.hash }
    }
}

impl From<&ContentRef> for store::ContentRef {
    fn from(r: &ContentRef) -> Self {
        store::ContentRef {
            hash: r.hash.clone(),
        }
    }
}

impl From<ChannelAccept> for types::ChannelAccept {
    fn from(a: ChannelAccept) -> Self {
        types::ChannelAccept {
            accepted: a.accepted,
            message: a.message,
        }
    }
}

impl From<types::WitActorError> for ChildError {
    fn from(e: types::WitActorError) -> Self {
        ChildError {
            kind: e.error_type.into(),
            data: e.data,
        }
    }
}

impl From<types::WitErrorType> for ErrorKind {
    fn from(t: types::WitErrorType) -> Self {
        use types::WitErrorType as W;
        match t {
            W::OperationTimeout => ErrorKind::OperationTimeout,
            W::ChannelClosed => ErrorKind::ChannelClosed,
            W::ShuttingDown => ErrorKind::ShuttingDown,
            W::FunctionNotFound => ErrorKind::FunctionNotFound,
            W::TypeMismatch => ErrorKind::TypeMismatch,
            W::Internal => ErrorKind::Internal,
            W::SerializationError => ErrorKind::SerializationError,
            W::UpdateComponentError => ErrorKind::UpdateComponentError,
            W::Paused => ErrorKind::Paused,
        }
    }
}

impl From<filesystem::FileMetadata> for FileMetadata {
    fn from(m: filesystem::FileMetadata) -> Self {
        let kind = match m.kind {
            filesystem::FileKind::File => FileKind::File,
            filesystem::FileKind::Directory => FileKind::Directory,
        };
        FileMetadata { kind, size: m.size }
    }
}

impl From<HttpRequest> for http_types::HttpRequest {
    fn from(r: HttpRequest) -> Self {
        http_types::HttpRequest {
            method: r.method,
            uri: r.uri,
            headers: r.headers,
            body: r.body,
        }
    }
}

/// The host always sends a body; `none` would mean an empty one.
impl From<http_types::HttpResponse> for HttpResponse {
    fn from(r: http_types::HttpResponse) -> Self {
        HttpResponse {
            status: r.status,
            headers: r.headers,
            body: r.body.unwrap_or_default(),
        }
    }
}

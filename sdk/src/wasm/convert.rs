//! Conversions between the generated binding types and the SDK's own types, so the public
//! API looks the same on wasm and in the native test host.

use super::bindings::theater::simple::{filesystem, http_types, store, types};
use super::http_bindings::theater::simple::websocket_types::{MessageType, WebsocketMessage};
use crate::host::filesystem::{FileKind, FileMetadata};
use crate::host::http::{HttpRequest, HttpResponse};
use crate::host::http_server::{Middleware, ServerConfig, ServerInfo};
use crate::host::store::ContentRef;
use crate::host::websocket::WsMessage;
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

/// A request the actor sends.
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

/// A request the actor serves.
impl From<http_types::HttpRequest> for HttpRequest {
    fn from(r: http_types::HttpRequest) -> Self {
        HttpRequest {
            method: r.method,
            uri: r.uri,
            headers: r.headers,
            body: r.body,
        }
    }
}

/// A response the actor serves; its body is always sent, empty or not.
impl From<HttpResponse> for http_types::HttpResponse {
    fn from(r: HttpResponse) -> Self {
        http_types::HttpResponse {
            status: r.status,
            headers: r.headers,
            body: Some(r.body),
        }
    }
}

impl From<&ServerConfig> for http_types::ServerConfig {
    fn from(c: &ServerConfig) -> Self {
        http_types::ServerConfig {
            port: c.port,
            host: c.host.clone(),
            tls_config: c.tls.as_ref().map(|t| http_types::TlsConfig {
                cert_path: t.cert_path.clone(),
                key_path: t.key_path.clone(),
            }),
        }
    }
}

impl From<http_types::ServerInfo> for ServerInfo {
    fn from(i: http_types::ServerInfo) -> Self {
        ServerInfo {
            id: i.id,
            port: i.port,
            host: i.host,
            running: i.running,
            routes_count: i.routes_count,
            middleware_count: i.middleware_count,
            websocket_enabled: i.websocket_enabled,
        }
    }
}

/// The contract's middleware result; a stopped request goes back as it came.
pub(crate) fn middleware_result(
    verdict: Middleware,
    received: http_types::HttpRequest,
) -> http_types::MiddlewareResult {
    match verdict {
        Middleware::Proceed(request) => http_types::MiddlewareResult {
            proceed: true,
            request: request.into(),
        },
        Middleware::Stop => http_types::MiddlewareResult {
            proceed: false,
            request: received,
        },
    }
}

/// The payload goes in `text` for text messages and in `data` for the others.
impl From<&WsMessage> for WebsocketMessage {
    fn from(m: &WsMessage) -> Self {
        let (ty, data, text) = match m {
            WsMessage::Text(t) => (MessageType::Text, None, Some(t.clone())),
            WsMessage::Binary(d) => (MessageType::Binary, Some(d.clone()), None),
            WsMessage::Ping(d) => (MessageType::Ping, Some(d.clone()), None),
            WsMessage::Pong(d) => (MessageType::Pong, Some(d.clone()), None),
            WsMessage::Close => (MessageType::Close, None, None),
            WsMessage::Connect => (MessageType::Connect, None, None),
            WsMessage::Other(kind) => (MessageType::Other(kind.clone()), None, None),
        };
        WebsocketMessage { ty, data, text }
    }
}

/// A missing payload is an empty one.
impl From<WebsocketMessage> for WsMessage {
    fn from(m: WebsocketMessage) -> Self {
        let data = m.data.unwrap_or_default();
        match m.ty {
            MessageType::Text => WsMessage::Text(m.text.unwrap_or_default()),
            MessageType::Binary => WsMessage::Binary(data),
            MessageType::Ping => WsMessage::Ping(data),
            MessageType::Pong => WsMessage::Pong(data),
            MessageType::Close => WsMessage::Close,
            MessageType::Connect => WsMessage::Connect,
            MessageType::Other(kind) => WsMessage::Other(kind),
        }
    }
}

//! Host-side types generated from `wit/` by wasmtime's bindgen. The runtime links host
//! functions itself (see `handlers::host_fn`) so that one wrapper records and replays every
//! call; from the generated code it uses the WIT record and enum types, which keeps their
//! layout exactly the contract's.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "theater:simple/host",
});

pub use theater::simple::filesystem::{
    CommandError, CommandResult, CommandSuccess, FileKind, FileMetadata,
};
pub use theater::simple::http_types::{
    HttpRequest, HttpResponse, MiddlewareResult, ServerConfig, ServerInfo, TlsConfig,
};
pub use theater::simple::store::ContentRef;
pub use theater::simple::types::{
    Chain, ChainEvent, ChannelAccept, Event as WitEvent, MetaEvent, WitActorError, WitErrorType,
};
pub use theater::simple::websocket_types::{MessageType, WebsocketMessage};

use crate::chain::payload::{map, Fields, PayloadError, Wire};
use ciborium::value::Value;

impl Wire for ContentRef {
    fn to_value(&self) -> Value {
        map(vec![("hash", self.hash.to_value())])
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        Ok(ContentRef {
            hash: Fields::new(v)?.get("hash")?,
        })
    }
}

impl Wire for ChannelAccept {
    fn to_value(&self) -> Value {
        map(vec![
            ("accepted", self.accepted.to_value()),
            ("message", self.message.to_value()),
        ])
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        let mut f = Fields::new(v)?;
        Ok(ChannelAccept {
            accepted: f.get("accepted")?,
            message: f.get("message")?,
        })
    }
}

impl Wire for ChainEvent {
    fn to_value(&self) -> Value {
        map(vec![
            ("hash", self.hash.to_value()),
            ("parent-hash", self.parent_hash.to_value()),
            ("event-type", self.event_type.to_value()),
            ("data", self.data.to_value()),
            ("timestamp", self.timestamp.to_value()),
        ])
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        let mut f = Fields::new(v)?;
        Ok(ChainEvent {
            hash: f.get("hash")?,
            parent_hash: f.get("parent-hash")?,
            event_type: f.get("event-type")?,
            data: f.get("data")?,
            timestamp: f.get("timestamp")?,
        })
    }
}

impl Wire for WitErrorType {
    fn to_value(&self) -> Value {
        Value::Text(
            match self {
                WitErrorType::OperationTimeout => "operation-timeout",
                WitErrorType::ChannelClosed => "channel-closed",
                WitErrorType::ShuttingDown => "shutting-down",
                WitErrorType::FunctionNotFound => "function-not-found",
                WitErrorType::TypeMismatch => "type-mismatch",
                WitErrorType::Internal => "internal",
                WitErrorType::SerializationError => "serialization-error",
                WitErrorType::UpdateComponentError => "update-component-error",
                WitErrorType::Paused => "paused",
            }
            .to_string(),
        )
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        Ok(match String::from_value(v)?.as_str() {
            "operation-timeout" => WitErrorType::OperationTimeout,
            "channel-closed" => WitErrorType::ChannelClosed,
            "shutting-down" => WitErrorType::ShuttingDown,
            "function-not-found" => WitErrorType::FunctionNotFound,
            "type-mismatch" => WitErrorType::TypeMismatch,
            "internal" => WitErrorType::Internal,
            "serialization-error" => WitErrorType::SerializationError,
            "update-component-error" => WitErrorType::UpdateComponentError,
            "paused" => WitErrorType::Paused,
            other => return Err(PayloadError(format!("unknown error type {other}"))),
        })
    }
}

impl Wire for WitActorError {
    fn to_value(&self) -> Value {
        map(vec![
            ("error-type", self.error_type.to_value()),
            ("data", self.data.to_value()),
        ])
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        let mut f = Fields::new(v)?;
        Ok(WitActorError {
            error_type: f.get("error-type")?,
            data: f.get("data")?,
        })
    }
}

impl Wire for WitEvent {
    fn to_value(&self) -> Value {
        map(vec![
            ("event-type", self.event_type.to_value()),
            ("parent", self.parent.to_value()),
            ("data", self.data.to_value()),
        ])
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        let mut f = Fields::new(v)?;
        Ok(WitEvent {
            event_type: f.get("event-type")?,
            parent: f.get("parent")?,
            data: f.get("data")?,
        })
    }
}

impl Wire for MetaEvent {
    fn to_value(&self) -> Value {
        map(vec![
            ("hash", self.hash.to_value()),
            ("event", self.event.to_value()),
        ])
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        let mut f = Fields::new(v)?;
        Ok(MetaEvent {
            hash: f.get("hash")?,
            event: f.get("event")?,
        })
    }
}

impl Wire for Chain {
    fn to_value(&self) -> Value {
        map(vec![("events", self.events.to_value())])
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        Ok(Chain {
            events: Fields::new(v)?.get("events")?,
        })
    }
}

impl Wire for FileKind {
    fn to_value(&self) -> Value {
        Value::Text(
            match self {
                FileKind::File => "file",
                FileKind::Directory => "directory",
            }
            .to_string(),
        )
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        match String::from_value(v)?.as_str() {
            "file" => Ok(FileKind::File),
            "directory" => Ok(FileKind::Directory),
            other => Err(PayloadError(format!("unknown file kind {other}"))),
        }
    }
}

impl Wire for FileMetadata {
    fn to_value(&self) -> Value {
        map(vec![
            ("kind", self.kind.to_value()),
            ("size", self.size.to_value()),
        ])
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        let mut f = Fields::new(v)?;
        Ok(FileMetadata {
            kind: f.get("kind")?,
            size: f.get("size")?,
        })
    }
}

/// Recorded as `{"success": {stdout, stderr, exit-code}}` or `{"error": {message}}` (the
/// host never runs a command, so only replays of an `err` decode one).
impl Wire for CommandResult {
    fn to_value(&self) -> Value {
        match self {
            CommandResult::Success(s) => map(vec![(
                "success",
                map(vec![
                    ("stdout", s.stdout.to_value()),
                    ("stderr", s.stderr.to_value()),
                    ("exit-code", s.exit_code.to_value()),
                ]),
            )]),
            CommandResult::Error(e) => map(vec![(
                "error",
                map(vec![("message", e.message.to_value())]),
            )]),
        }
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        let mut f = Fields::new(v)?;
        if let Some(success) = f.take_opt("success") {
            let mut s = Fields::new(success)?;
            return Ok(CommandResult::Success(CommandSuccess {
                stdout: s.get("stdout")?,
                stderr: s.get("stderr")?,
                exit_code: s.get("exit-code")?,
            }));
        }
        let mut e = Fields::new(f.take("error")?)?;
        Ok(CommandResult::Error(CommandError {
            message: e.get("message")?,
        }))
    }
}

impl Wire for HttpRequest {
    fn to_value(&self) -> Value {
        map(vec![
            ("method", self.method.to_value()),
            ("uri", self.uri.to_value()),
            ("headers", self.headers.to_value()),
            ("body", self.body.to_value()),
        ])
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        let mut f = Fields::new(v)?;
        Ok(HttpRequest {
            method: f.get("method")?,
            uri: f.get("uri")?,
            headers: f.get("headers")?,
            body: f.get("body")?,
        })
    }
}

/// `status` is a `u16` in WIT; it is recorded as an integer like every other.
impl Wire for HttpResponse {
    fn to_value(&self) -> Value {
        map(vec![
            ("status", u32::from(self.status).to_value()),
            ("headers", self.headers.to_value()),
            ("body", self.body.to_value()),
        ])
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        let mut f = Fields::new(v)?;
        let status = u16::try_from(f.get::<u32>("status")?)
            .map_err(|_| PayloadError("HTTP status out of range".into()))?;
        Ok(HttpResponse {
            status,
            headers: f.get("headers")?,
            body: f.get("body")?,
        })
    }
}

impl Wire for MiddlewareResult {
    fn to_value(&self) -> Value {
        map(vec![
            ("proceed", self.proceed.to_value()),
            ("request", self.request.to_value()),
        ])
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        let mut f = Fields::new(v)?;
        Ok(MiddlewareResult {
            proceed: f.get("proceed")?,
            request: f.get("request")?,
        })
    }
}

impl Wire for TlsConfig {
    fn to_value(&self) -> Value {
        map(vec![
            ("cert-path", self.cert_path.to_value()),
            ("key-path", self.key_path.to_value()),
        ])
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        let mut f = Fields::new(v)?;
        Ok(TlsConfig {
            cert_path: f.get("cert-path")?,
            key_path: f.get("key-path")?,
        })
    }
}

/// `port` is a `u16` in WIT; it is recorded as an integer like every other.
impl Wire for ServerConfig {
    fn to_value(&self) -> Value {
        map(vec![
            ("port", self.port.map(u32::from).to_value()),
            ("host", self.host.to_value()),
            ("tls-config", self.tls_config.to_value()),
        ])
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        let mut f = Fields::new(v)?;
        Ok(ServerConfig {
            port: f.get::<Option<u32>>("port")?.map(port).transpose()?,
            host: f.get("host")?,
            tls_config: f.get("tls-config")?,
        })
    }
}

fn port(n: u32) -> Result<u16, PayloadError> {
    u16::try_from(n).map_err(|_| PayloadError("port out of range".into()))
}

impl Wire for ServerInfo {
    fn to_value(&self) -> Value {
        map(vec![
            ("id", self.id.to_value()),
            ("port", u32::from(self.port).to_value()),
            ("host", self.host.to_value()),
            ("running", self.running.to_value()),
            ("routes-count", self.routes_count.to_value()),
            ("middleware-count", self.middleware_count.to_value()),
            ("websocket-enabled", self.websocket_enabled.to_value()),
        ])
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        let mut f = Fields::new(v)?;
        Ok(ServerInfo {
            id: f.get("id")?,
            port: port(f.get("port")?)?,
            host: f.get("host")?,
            running: f.get("running")?,
            routes_count: f.get("routes-count")?,
            middleware_count: f.get("middleware-count")?,
            websocket_enabled: f.get("websocket-enabled")?,
        })
    }
}

/// A message type is its name; `other(x)` is `{"other": x}`.
impl Wire for MessageType {
    fn to_value(&self) -> Value {
        let name = match self {
            MessageType::Text => "text",
            MessageType::Binary => "binary",
            MessageType::Connect => "connect",
            MessageType::Close => "close",
            MessageType::Ping => "ping",
            MessageType::Pong => "pong",
            MessageType::Other(other) => return map(vec![("other", other.to_value())]),
        };
        Value::Text(name.to_string())
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        if let Value::Map(_) = v {
            return Ok(MessageType::Other(Fields::new(v)?.get("other")?));
        }
        Ok(match String::from_value(v)?.as_str() {
            "text" => MessageType::Text,
            "binary" => MessageType::Binary,
            "connect" => MessageType::Connect,
            "close" => MessageType::Close,
            "ping" => MessageType::Ping,
            "pong" => MessageType::Pong,
            other => return Err(PayloadError(format!("unknown message type {other}"))),
        })
    }
}

impl Wire for WebsocketMessage {
    fn to_value(&self) -> Value {
        map(vec![
            ("ty", self.ty.to_value()),
            ("data", self.data.to_value()),
            ("text", self.text.to_value()),
        ])
    }
    fn from_value(v: Value) -> Result<Self, PayloadError> {
        let mut f = Fields::new(v)?;
        Ok(WebsocketMessage {
            ty: f.get("ty")?,
            data: f.get("data")?,
            text: f.get("text")?,
        })
    }
}

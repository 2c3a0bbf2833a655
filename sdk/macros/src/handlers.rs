//! The handlers an actor may define: their method names, parameters and usage line. The one
//! table both the checks (`spec`) and the code generation (`expand`) read.

/// An exported call an actor can handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Send,
    Request,
    ChannelOpen,
    ChannelMessage,
    ChannelClose,
    ChildError,
    ChildExit,
    Http,
    HttpMiddleware,
    WsConnect,
    WsMessage,
    WsDisconnect,
}

/// What a handler parameter receives from the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// An id string (request, channel or child id), passed as `String`.
    Id,
    /// Message bytes, decoded into the parameter's type.
    Msg,
    /// Bytes the host may omit, decoded into the parameter's `Option<T>`.
    OptMsg,
    /// The child's error, passed as `theater_sdk::ChildError`.
    ChildError,
    /// A typed value passed as it is: the generated method's parameter of this name.
    Value(&'static str),
}

/// The HTTP handler id (`HandlerId`).
const HANDLER: Param = Param::Value("handler");
/// The request an HTTP handler or middleware receives (`HttpRequest`).
const REQUEST: Param = Param::Value("request");
/// A WebSocket connection's id (`ConnectionId`).
const CONNECTION: Param = Param::Value("connection");

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::Send,
        Kind::Request,
        Kind::ChannelOpen,
        Kind::ChannelMessage,
        Kind::ChannelClose,
        Kind::ChildError,
        Kind::ChildExit,
        Kind::Http,
        Kind::HttpMiddleware,
        Kind::WsConnect,
        Kind::WsMessage,
        Kind::WsDisconnect,
    ];

    /// Whether the actor needs the `http-handlers` exports for this handler.
    pub fn is_http(self) -> bool {
        matches!(
            self,
            Kind::Http
                | Kind::HttpMiddleware
                | Kind::WsConnect
                | Kind::WsMessage
                | Kind::WsDisconnect
        )
    }

    pub fn from_method(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.method() == name)
    }

    /// The method name the actor defines.
    pub fn method(self) -> &'static str {
        match self {
            Kind::Send => "handle_send",
            Kind::Request => "handle_request",
            Kind::ChannelOpen => "handle_channel_open",
            Kind::ChannelMessage => "handle_channel_message",
            Kind::ChannelClose => "handle_channel_close",
            Kind::ChildError => "handle_child_error",
            Kind::ChildExit => "handle_child_exit",
            Kind::Http => "handle_http",
            Kind::HttpMiddleware => "handle_http_middleware",
            Kind::WsConnect => "handle_ws_connect",
            Kind::WsMessage => "handle_ws",
            Kind::WsDisconnect => "handle_ws_disconnect",
        }
    }

    /// The accepted parameter lists after the receiver, longest last.
    pub fn shapes(self) -> &'static [&'static [Param]] {
        match self {
            Kind::Send => &[&[Param::Msg]],
            Kind::Request => &[&[Param::Msg], &[Param::Id, Param::Msg]],
            Kind::ChannelOpen | Kind::ChannelMessage => &[&[Param::Id, Param::Msg]],
            Kind::ChannelClose => &[&[Param::Id]],
            Kind::ChildError => &[&[Param::Id, Param::ChildError]],
            Kind::ChildExit => &[&[Param::Id, Param::OptMsg]],
            Kind::Http | Kind::HttpMiddleware => &[&[REQUEST], &[HANDLER, REQUEST]],
            Kind::WsConnect => &[
                &[CONNECTION],
                &[CONNECTION, Param::Value("path")],
                &[CONNECTION, Param::Value("path"), Param::Value("query")],
            ],
            Kind::WsMessage => &[&[CONNECTION, Param::Value("message")]],
            Kind::WsDisconnect => &[&[CONNECTION]],
        }
    }

    /// How to write it, for error messages.
    pub fn usage(self) -> &'static str {
        match self {
            Kind::Send => "fn handle_send(&mut self, msg: M) -> Result<(), String>",
            Kind::Request => {
                "fn handle_request(&mut self, req: Q) -> Result<R, String>` \
                 or `fn handle_request(&mut self, request_id: String, req: Q) -> Result<R, String>"
            }
            Kind::ChannelOpen => {
                "fn handle_channel_open(&mut self, channel_id: String, msg: M) -> Result<ChannelAccept, String>"
            }
            Kind::ChannelMessage => {
                "fn handle_channel_message(&mut self, channel_id: String, msg: M) -> Result<(), String>"
            }
            Kind::ChannelClose => "fn handle_channel_close(&mut self, channel_id: String) -> Result<(), String>",
            Kind::ChildError => {
                "fn handle_child_error(&mut self, child_id: String, error: ChildError) -> Result<(), String>"
            }
            Kind::ChildExit => {
                "fn handle_child_exit(&mut self, child_id: String, result: Option<T>) -> Result<(), String>"
            }
            Kind::Http => {
                "fn handle_http(&mut self, req: HttpRequest) -> HttpResponse` \
                 or `fn handle_http(&mut self, handler: HandlerId, req: HttpRequest) -> HttpResponse"
            }
            Kind::HttpMiddleware => {
                "fn handle_http_middleware(&mut self, req: HttpRequest) -> Middleware` \
                 or `fn handle_http_middleware(&mut self, handler: HandlerId, req: HttpRequest) -> Middleware"
            }
            Kind::WsConnect => {
                "fn handle_ws_connect(&mut self, conn: ConnectionId)`, \
                 `fn handle_ws_connect(&mut self, conn: ConnectionId, path: String)` \
                 or `fn handle_ws_connect(&mut self, conn: ConnectionId, path: String, query: Option<String>)"
            }
            Kind::WsMessage => {
                "fn handle_ws(&mut self, conn: ConnectionId, msg: WsMessage) -> Vec<WsMessage>"
            }
            Kind::WsDisconnect => "fn handle_ws_disconnect(&mut self, conn: ConnectionId)",
        }
    }

    /// What the decoded parameter is called in decode errors.
    pub fn message_name(self) -> &'static str {
        match self {
            Kind::Request => "request",
            Kind::ChannelOpen => "channel-open message",
            Kind::ChannelMessage => "channel message",
            Kind::ChildExit => "child exit result",
            _ => "message",
        }
    }
}

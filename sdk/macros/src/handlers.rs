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
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Send,
        Kind::Request,
        Kind::ChannelOpen,
        Kind::ChannelMessage,
        Kind::ChannelClose,
        Kind::ChildError,
        Kind::ChildExit,
    ];

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
        }
    }

    /// What the decoded parameter is called in decode errors.
    pub fn message_name(self) -> &'static str {
        match self {
            Kind::Request => "request",
            Kind::ChannelOpen => "channel-open message",
            Kind::ChannelMessage => "channel message",
            Kind::ChildExit => "child exit result",
            Kind::Send | Kind::ChannelClose | Kind::ChildError => "message",
        }
    }
}

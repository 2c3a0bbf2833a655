//! The `#[actor]` attribute of the Theater guest SDK. Use it through `theater_sdk::actor`;
//! the generated code refers to `::theater_sdk`.

mod expand;
mod handlers;
mod spec;

use proc_macro::TokenStream;

/// Makes the state type of an impl block a Theater actor.
///
/// The state type derives serde's `Serialize` and `Deserialize`: between calls the host
/// keeps it as its `serde_json` bytes. In the impl block:
///
/// ```text
/// fn init(id: String) -> Result<Self, E>                      required; or `-> Self`
/// fn init(id: String, config: Option<T>) -> Result<Self, E>
/// fn resume(id: String, state: Self) -> Result<Self, E>        optional; or `-> Self`
/// fn handle_send(&mut self, msg: M) -> Result<(), E>
/// fn handle_request(&mut self, req: Q) -> Result<R, E>
/// fn handle_request(&mut self, request_id: String, req: Q) -> Result<R, E>
/// fn handle_channel_open(&mut self, channel_id: String, msg: M) -> Result<A, E>
/// fn handle_channel_message(&mut self, channel_id: String, msg: M) -> Result<(), E>
/// fn handle_channel_close(&mut self, channel_id: String) -> Result<(), E>
/// fn handle_child_error(&mut self, child_id: String, error: ChildError) -> Result<(), E>
/// fn handle_child_exit(&mut self, child_id: String, result: Option<T>) -> Result<(), E>
/// fn handle_http(&mut self, req: HttpRequest) -> Result<HttpResponse, E>
/// fn handle_http(&mut self, handler: HandlerId, req: HttpRequest) -> Result<HttpResponse, E>
/// fn handle_http_middleware(&mut self, req: HttpRequest) -> Result<Middleware, E>
/// fn handle_ws_connect(&mut self, conn: ConnectionId, path: String, query: Option<String>)
/// fn handle_ws(&mut self, conn: ConnectionId, msg: WsMessage) -> Result<W, E>
/// fn handle_ws_disconnect(&mut self, conn: ConnectionId) -> Result<(), E>
/// ```
///
/// - Handlers take `&mut self` or `&self`, and may return the plain value instead of a
///   `Result`. `E` is any `Display` type; its text is the error the host sees.
/// - Ids may be taken as `String` or `&str`.
/// - `M`, `Q`, `T`: any serde `Deserialize` type, read from JSON (an externally tagged
///   enum makes `{"get":{}}` select `Get {}`), or `theater_sdk::Raw` for the bytes as-is.
/// - `R`: any serde `Serialize` type (sent as JSON), `Raw`, or `theater_sdk::Reply<R>`,
///   whose `Reply::Deferred` leaves the request open for a later `respond_to_request`.
/// - `A`: `theater_sdk::ChannelAccept` or `bool`.
/// - HTTP and WebSocket types are in `theater_sdk::http_server`. `handle_http_middleware` may
///   take the handler id too; `handle_ws_connect` may leave out `query`, or `path` and
///   `query`. `W`: `()`, `WsMessage`, `Option<WsMessage>` or `Vec<WsMessage>`, the messages
///   sent back. Only an actor defining one of these exports `http-handlers` (and needs the
///   `http-framework` grant).
/// - `init` starts a new actor only. `init(id)`: if the host passes initial bytes (a
///   manifest's `init_state`, a parent's spawn bytes), they are read as the state and
///   `init` is not called. `init(id, config)` is always called, with those bytes decoded
///   as `T` (configuration).
/// - `fn resume(id: String, state: Self) -> Result<Self, E>` (optional) runs instead of
///   `init` when the actor is restarted or resumed — by its supervisor, `theater restart`
///   or a server coming back — with its last committed state. Without it the state is
///   kept as it was.
/// - A handler the actor does not define answers with an error
///   (`actor Counter does not handle requests ...`).
///
/// Other methods may live in the block too, as long as their names do not start with
/// `handle_`. One `#[actor]` per crate: the crate is the component. See `docs/sdk.md` for
/// the complete guide.
#[proc_macro_attribute]
pub fn actor(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    match spec::parse(attr.into(), item.clone()) {
        Ok(spec) => expand::expand(&spec).into(),
        // Keep the user's code so its other errors still show, not a cascade from its absence.
        Err(error) => {
            let error = error.to_compile_error();
            quote::quote!(#item #error).into()
        }
    }
}

//! Generates, from an [`ActorSpec`], the `theater_sdk::Actor` implementation (decode the
//! message, call the user's method, turn its return value into the wire result) and, on
//! wasm32, the component exports.
//!
//! Code that type-checks the user's signatures is spanned at the user's types, so a wrong
//! parameter or return type is reported where it is written.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::Type;

use crate::handlers::{Kind, Param};
use crate::spec::{ActorSpec, Handler, Init, Resume, Ret, RetKind};

pub fn expand(spec: &ActorSpec) -> TokenStream {
    let item = &spec.item;
    let self_ty = &spec.item.self_ty;
    let name = &spec.name;
    let init = expand_init(&spec.init, name);
    let resume = spec.resume.as_ref().map(expand_resume);
    let handlers = spec.handlers.iter().map(|h| expand_handler(h, name));
    // Only actors that serve HTTP or WebSocket export `http-handlers` (and so import
    // `http-framework`, whose handler-id type it uses).
    let http_exports = spec.handlers.iter().any(|h| h.kind.is_http()).then(|| {
        quote! {
            #[cfg(target_arch = "wasm32")]
            const _: () = {
                type TheaterHttpExports = ::theater_sdk::__private::HttpExports<#self_ty>;
                ::theater_sdk::__export_http_actor!(TheaterHttpExports);
            };
        }
    });
    quote! {
        #item

        impl ::theater_sdk::Actor for #self_ty {
            const NAME: &'static str = #name;
            #init
            #resume
            #(#handlers)*
        }

        #[cfg(target_arch = "wasm32")]
        const _: () = {
            type TheaterActorExports = ::theater_sdk::__private::Exports<#self_ty>;
            ::theater_sdk::__export_actor!(TheaterActorExports);
        };

        #http_exports
    }
}

fn expand_init(init: &Init, name: &str) -> TokenStream {
    let id = id_arg(&init.id_ty);
    let span = init.ret.span;
    let (resume, call) = match &init.initial_ty {
        // Initial state bytes are the state itself: resume from them, skip `init`.
        None => (
            quote! {
                if let ::core::option::Option::Some(state) = initial {
                    return ::theater_sdk::__private::resume::<Self>(&state);
                }
            },
            quote_spanned!(span=> Self::init(#id)),
        ),
        Some(ty) => {
            let initial = decode_option(ty, name, "initial state", quote!(initial));
            (quote!(), quote_spanned!(span=> Self::init(#id, #initial)))
        }
    };
    let result = as_result(&init.ret, call);
    quote! {
        fn on_init(
            id: ::std::string::String,
            initial: ::core::option::Option<::std::vec::Vec<u8>>,
        ) -> ::core::result::Result<Self, ::std::string::String> {
            #resume
            #result
        }
    }
}

fn expand_resume(resume: &Resume) -> TokenStream {
    let id = id_arg(&resume.id_ty);
    let state_ty = &resume.state_ty;
    // The user's parameter type must be the state type itself.
    let state = quote_spanned!(state_ty.span()=> { let state: #state_ty = state; state });
    let span = resume.ret.span;
    let result = as_result(
        &resume.ret,
        quote_spanned!(span=> Self::resume(#id, #state)),
    );
    quote! {
        fn on_resume(
            id: ::std::string::String,
            state: Self,
        ) -> ::core::result::Result<Self, ::std::string::String> {
            #result
        }
    }
}

fn expand_handler(handler: &Handler, name: &str) -> TokenStream {
    let kind = handler.kind;
    let args = handler.params.iter().map(|(param, ty)| match param {
        Param::Id => id_arg(ty),
        Param::Msg => {
            let what = kind.message_name();
            quote_spanned! {ty.span()=>
                ::theater_sdk::__private::decode::<#ty>(msg, #name, #what)?
            }
        }
        Param::OptMsg => decode_option(ty, name, kind.message_name(), quote!(result)),
        Param::ChildError => {
            let error = syn::Ident::new("error", ty.span());
            quote!(#error)
        }
        Param::Value(name) => {
            let value = syn::Ident::new(name, ty.span());
            quote!(#value)
        }
    });
    let ident = &handler.ident;
    let span = handler.ret.span;
    let result = as_result(
        &handler.ret,
        quote_spanned!(span=> Self::#ident(self, #(#args),*)),
    );
    let result = match kind {
        Kind::Request => quote_spanned!(span=> ::theater_sdk::__private::reply(#result)),
        Kind::ChannelOpen => quote_spanned!(span=> ::theater_sdk::__private::accept(#result)),
        Kind::WsMessage => quote_spanned!(span=> ::theater_sdk::__private::ws_replies(#result)),
        _ => result,
    };
    let signature = trait_signature(kind);
    quote! {
        // A request handler may leave out the request id the host always passes.
        #[allow(unused_variables)]
        #signature {
            #result
        }
    }
}

/// The `Actor` method a handler implements. Ids arrive as `id`, message bytes as `msg`.
fn trait_signature(kind: Kind) -> TokenStream {
    let string = quote!(::std::string::String);
    let bytes = quote!(::std::vec::Vec<u8>);
    let (method, params, ok) = match kind {
        Kind::Send => ("on_send", quote!(msg: #bytes), quote!(())),
        Kind::Request => (
            "on_request",
            quote!(id: #string, msg: #bytes),
            quote!(::core::option::Option<#bytes>),
        ),
        Kind::ChannelOpen => (
            "on_channel_open",
            quote!(id: #string, msg: #bytes),
            quote!(::theater_sdk::ChannelAccept),
        ),
        Kind::ChannelMessage => (
            "on_channel_message",
            quote!(id: #string, msg: #bytes),
            quote!(()),
        ),
        Kind::ChannelClose => ("on_channel_close", quote!(id: #string), quote!(())),
        Kind::ChildError => (
            "on_child_error",
            quote!(id: #string, error: ::theater_sdk::ChildError),
            quote!(()),
        ),
        Kind::ChildExit => (
            "on_child_exit",
            quote!(id: #string, result: ::core::option::Option<#bytes>),
            quote!(()),
        ),
        Kind::Http => (
            "on_http_request",
            quote!(handler: u64, request: ::theater_sdk::http_server::HttpRequest),
            quote!(::theater_sdk::http_server::HttpResponse),
        ),
        Kind::HttpMiddleware => (
            "on_http_middleware",
            quote!(handler: u64, request: ::theater_sdk::http_server::HttpRequest),
            quote!(::theater_sdk::http_server::Middleware),
        ),
        Kind::WsConnect => (
            "on_ws_connect",
            quote!(handler: u64, connection: u64, path: #string, query: ::core::option::Option<#string>),
            quote!(()),
        ),
        Kind::WsMessage => (
            "on_ws_message",
            quote!(handler: u64, connection: u64, message: ::theater_sdk::http_server::WsMessage),
            quote!(::std::vec::Vec<::theater_sdk::http_server::WsMessage>),
        ),
        Kind::WsDisconnect => (
            "on_ws_disconnect",
            quote!(handler: u64, connection: u64),
            quote!(()),
        ),
    };
    let method = format_ident!("{method}");
    quote!(fn #method(&mut self, #params) -> ::core::result::Result<#ok, #string>)
}

/// The host's id (`id: String` in the generated method) as the user's parameter type.
fn id_arg(ty: &Type) -> TokenStream {
    quote_spanned!(ty.span()=> <#ty as ::theater_sdk::__private::IdParam>::from_id(&id))
}

/// Decodes optional bytes into the user's `Option<T>` parameter.
fn decode_option(ty: &Type, actor: &str, what: &str, bytes: TokenStream) -> TokenStream {
    quote_spanned! {ty.span()=>
        <#ty as ::theater_sdk::__private::DecodeOption>::decode_option(#bytes, #actor, #what)?
    }
}

/// The user's method `call` as a `Result<T, String>`: a plain value is `Ok`, an `Err(e)`
/// becomes `e.to_string()`. Spanned at the return type, so a wrong one is reported there.
fn as_result(ret: &Ret, call: TokenStream) -> TokenStream {
    match ret.kind {
        RetKind::Value => quote_spanned!(ret.span=> ::core::result::Result::Ok(#call)),
        RetKind::Result => quote_spanned! {ret.span=>
            #call.map_err(::theater_sdk::__private::error_string)
        },
    }
}

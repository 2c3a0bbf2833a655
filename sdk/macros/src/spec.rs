//! Reads an `#[actor]` impl block into an [`ActorSpec`], rejecting misuse with a message
//! that points at the user's code and says how to write it instead.

use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned;
use syn::{FnArg, ImplItem, ImplItemFn, ItemImpl, ReturnType, Signature, Type};

use crate::handlers::{Kind, Param};

/// The actor: its state type, `init`, and the handlers it defines.
pub struct ActorSpec {
    pub item: ItemImpl,
    pub name: String,
    pub init: Init,
    /// The optional `resume` hook for restarts and resumes.
    pub resume: Option<Resume>,
    pub handlers: Vec<Handler>,
}

/// The actor's `resume(id, state: Self)`.
pub struct Resume {
    pub id_ty: Type,
    pub state_ty: Type,
    pub ret: Ret,
}

/// The actor's `init`.
pub struct Init {
    pub id_ty: Type,
    /// The type of the optional second parameter (`Option<T>`), which receives the initial
    /// state bytes; without it, initial state bytes are the state to resume from.
    pub initial_ty: Option<Type>,
    pub ret: Ret,
}

/// One `handle_*` method.
pub struct Handler {
    pub kind: Kind,
    pub ident: syn::Ident,
    pub params: Vec<(Param, Type)>,
    pub ret: Ret,
}

/// The shape of a method's return type; the span is where type errors about it point.
pub struct Ret {
    pub kind: RetKind,
    pub span: Span,
}

pub enum RetKind {
    /// No return type or a plain value.
    Value,
    /// `Result<T, E>` (any path ending in `Result`); `E` becomes the error string.
    Result,
}

pub fn parse(attr: TokenStream, item: TokenStream) -> syn::Result<ActorSpec> {
    if !attr.is_empty() {
        return Err(syn::Error::new_spanned(
            attr,
            "`#[actor]` takes no arguments",
        ));
    }
    let item: ItemImpl = syn::parse2(item).map_err(|e| {
        syn::Error::new(
            e.span(),
            "`#[actor]` goes on the impl block of the actor's state type, e.g. `#[actor] impl Counter { ... }`",
        )
    })?;
    if let Some((_, path, _)) = &item.trait_ {
        return Err(syn::Error::new_spanned(
            path,
            "`#[actor]` goes on the state type's own impl block (`impl Counter { ... }`), not on a trait impl",
        ));
    }
    if !item.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &item.generics,
            "an actor's state type cannot be generic: `#[actor]` needs one concrete type",
        ));
    }
    let name = type_name(&item.self_ty)?;

    let mut errors: Vec<syn::Error> = Vec::new();
    let mut init = None;
    let mut resume = None;
    let mut handlers = Vec::new();
    for method in item.items.iter().filter_map(|i| match i {
        ImplItem::Fn(f) => Some(f),
        _ => None,
    }) {
        let ident = method.sig.ident.to_string();
        let parsed = if ident == "init" {
            parse_init(method).map(|i| init = Some(i))
        } else if ident == "resume" {
            parse_resume(method).map(|r| resume = Some(r))
        } else if let Some(kind) = Kind::from_method(&ident) {
            parse_handler(kind, method).map(|h| handlers.push(h))
        } else if ident.starts_with("handle_") {
            Err(unknown_handler(method))
        } else {
            Ok(())
        };
        errors.extend(parsed.err());
    }
    if let Some(error) = combine(errors) {
        return Err(error);
    }
    let init = init.ok_or_else(|| {
        syn::Error::new_spanned(
            &item.self_ty,
            format!("actor `{name}` has no `init`: add `fn init(id: String) -> Result<Self, String>` to this impl block"),
        )
    })?;
    Ok(ActorSpec {
        item,
        name,
        init,
        resume,
        handlers,
    })
}

/// The state type's name, for error messages at run time.
fn type_name(ty: &Type) -> syn::Result<String> {
    match ty {
        Type::Path(p) if p.qself.is_none() => match p.path.segments.last() {
            Some(last) => Ok(last.ident.to_string()),
            None => Err(syn::Error::new_spanned(
                ty,
                "`#[actor]` needs a named state type",
            )),
        },
        _ => Err(syn::Error::new_spanned(
            ty,
            "`#[actor]` needs a named state type (a struct or enum), e.g. `impl Counter { ... }`",
        )),
    }
}

fn parse_init(method: &ImplItemFn) -> syn::Result<Init> {
    const USAGE: &str =
        "`fn init(id: String) -> Result<Self, String>` or `fn init(id: String, initial: Option<T>) -> Result<Self, String>`";
    let sig = &method.sig;
    check_plain_fn(sig, "init")?;
    if let Some(receiver) = sig.receiver() {
        return Err(syn::Error::new_spanned(
            receiver,
            format!("`init` creates the actor, so it takes no `self`: {USAGE}"),
        ));
    }
    let mut types = typed_params(sig).into_iter();
    match (types.next(), types.next(), types.next()) {
        (Some(id_ty), initial_ty, None) => Ok(Init { id_ty, initial_ty, ret: ret_shape(sig) }),
        _ => Err(params_error(
                sig,
                format!("`init` takes the actor's id and, optionally, the initial state the host passed: {USAGE}"),
        )),
    }
}

fn parse_resume(method: &ImplItemFn) -> syn::Result<Resume> {
    const USAGE: &str = "`fn resume(id: String, state: Self) -> Result<Self, String>`";
    let sig = &method.sig;
    check_plain_fn(sig, "resume")?;
    if let Some(receiver) = sig.receiver() {
        return Err(syn::Error::new_spanned(
            receiver,
            format!("`resume` receives the restarted actor's last committed state as a parameter, not as `self`: {USAGE}"),
        ));
    }
    let mut types = typed_params(sig).into_iter();
    match (types.next(), types.next(), types.next()) {
        (Some(id_ty), Some(state_ty), None) => Ok(Resume {
            id_ty,
            state_ty,
            ret: ret_shape(sig),
        }),
        _ => Err(params_error(
            sig,
            format!("`resume` takes the actor's id and its last committed state: {USAGE}"),
        )),
    }
}

fn parse_handler(kind: Kind, method: &ImplItemFn) -> syn::Result<Handler> {
    let sig = &method.sig;
    let name = kind.method();
    let usage = kind.usage();
    check_plain_fn(sig, name)?;
    match sig.receiver() {
        Some(r) if r.reference.is_some() && r.colon_token.is_none() => {}
        Some(r) => {
            return Err(syn::Error::new_spanned(
                r,
                format!(
                    "`{name}` must borrow the state: take `&mut self` or `&self`, as in `{usage}`"
                ),
            ))
        }
        None => {
            return Err(params_error(
                sig,
                format!(
                    "`{name}` is a handler and takes `&mut self` (or `&self`) first: `{usage}`"
                ),
            ))
        }
    }
    let types = typed_params(sig);
    let Some(shape) = kind
        .shapes()
        .iter()
        .find(|shape| shape.len() == types.len())
    else {
        let counts: Vec<String> = kind.shapes().iter().map(|s| s.len().to_string()).collect();
        let plural = if kind.shapes().iter().any(|s| s.len() > 1) {
            "s"
        } else {
            ""
        };
        return Err(params_error(
            sig,
            format!(
                "`{name}` takes {} parameter{plural} after `&mut self`, found {}: `{usage}`",
                counts.join(" or "),
                types.len()
            ),
        ));
    };
    Ok(Handler {
        kind,
        ident: sig.ident.clone(),
        params: shape.iter().copied().zip(types).collect(),
        ret: ret_shape(sig),
    })
}

/// Rejects what a host call cannot run: async and generic functions.
fn check_plain_fn(sig: &Signature, name: &str) -> syn::Result<()> {
    if let Some(asyncness) = &sig.asyncness {
        return Err(syn::Error::new_spanned(
            asyncness,
            format!("`{name}` cannot be `async`: each host call runs it to completion"),
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &sig.generics,
            format!(
                "`{name}` cannot be generic: its parameter types decide how messages are decoded"
            ),
        ));
    }
    Ok(())
}

fn unknown_handler(method: &ImplItemFn) -> syn::Error {
    let known: Vec<&str> = Kind::ALL.iter().map(|k| k.method()).collect();
    syn::Error::new_spanned(
        &method.sig.ident,
        format!(
            "`{}` is not a Theater handler; handlers are {}. \
             Rename a helper method so it does not start with `handle_`",
            method.sig.ident,
            known.join(", ")
        ),
    )
}

/// The parameter types after the receiver.
fn typed_params(sig: &Signature) -> Vec<Type> {
    sig.inputs
        .iter()
        .filter_map(|arg| match arg {
            FnArg::Typed(t) => Some((*t.ty).clone()),
            FnArg::Receiver(_) => None,
        })
        .collect()
}

/// An error at the parameter list, or at the name when the list is empty.
fn params_error(sig: &Signature, message: String) -> syn::Error {
    if sig.inputs.is_empty() {
        syn::Error::new_spanned(&sig.ident, message)
    } else {
        syn::Error::new_spanned(&sig.inputs, message)
    }
}

fn ret_shape(sig: &Signature) -> Ret {
    match &sig.output {
        ReturnType::Default => Ret {
            kind: RetKind::Value,
            span: sig.ident.span(),
        },
        ReturnType::Type(_, ty) => {
            let is_result = matches!(&**ty, Type::Path(p)
                if p.path.segments.last().is_some_and(|s| s.ident == "Result"));
            Ret {
                kind: if is_result {
                    RetKind::Result
                } else {
                    RetKind::Value
                },
                span: ty.span(),
            }
        }
    }
}

fn combine(errors: Vec<syn::Error>) -> Option<syn::Error> {
    errors.into_iter().reduce(|mut all, e| {
        all.combine(e);
        all
    })
}

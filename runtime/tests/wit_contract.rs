//! The host serves the `theater:simple` contract exactly: a component generated from the WIT
//! itself (wit-component's dummy module for the SDK's world, which imports every interface)
//! must pass the sandbox check and link against the runtime with every handler granted. A
//! missing function or a signature that drifted from `wit/` fails the link, so this test
//! fails; a successful link reaches the dummy `init`, which traps by design.

use std::path::Path;

use theater_runtime::{Manifest, RuntimeError, Theater, TheaterConfig};
use wit_component::{ComponentEncoder, StringEncoding};
use wit_parser::{LiftLowerAbi, ManglingAndAbi, Resolve};

/// A component that imports every function of the world and exports its exports.
fn component_for_world(world_name: &str) -> Vec<u8> {
    component_for(world_name, None)
}

/// [`component_for_world`], for a world of `extra` (a WIT package using theater:simple) if
/// given, else of wit/ itself.
fn component_for(world_name: &str, extra: Option<&str>) -> Vec<u8> {
    let mut resolve = Resolve::default();
    let (mut pkg, _) = resolve
        .push_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit"))
        .expect("wit/ parses");
    if let Some(text) = extra {
        pkg = resolve
            .push_str("extra.wit", text)
            .expect("the extra package parses");
    }
    let world = resolve
        .select_world(&[pkg], Some(world_name))
        .expect("the world exists");
    let mut module =
        wit_component::dummy_module(&resolve, world, ManglingAndAbi::Legacy(LiftLowerAbi::Sync));
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        StringEncoding::UTF8,
        false,
    )
    .expect("metadata embeds");
    ComponentEncoder::default()
        .module(&module)
        .expect("module")
        .validate(true)
        .encode()
        .expect("component encodes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_function_of_the_contract_links_with_its_exact_signature() {
    let component = component_for_world("theater-actor");
    let imports = theater_runtime::sandbox::component_imports(&component, "dummy").unwrap();
    // `http-framework` is imported by the SDK's HTTP world, which also exports `http-handlers`.
    let http = component_for(
        "http-actor",
        Some(
            "package test:http;
            world http-actor {
                include theater:simple/theater-http-actor;
                export theater:simple/actor;
            }",
        ),
    );
    let http_imports = theater_runtime::sandbox::component_imports(&http, "dummy").unwrap();
    for interface in theater_runtime::manifest::HANDLER_TYPES
        .iter()
        .map(|(_, i)| *i)
    {
        assert!(
            imports.iter().chain(&http_imports).any(|i| i == interface),
            "the SDK worlds do not import {interface}: {imports:?} {http_imports:?}"
        );
    }
    // Its exports are looked up with their exact signatures when the actor starts.
    assert_links(
        &http,
        "[[handler]]\ntype = \"http-framework\"\n",
        "the HTTP world",
    )
    .await;

    let mut grants = String::new();
    for (handler, _) in theater_runtime::manifest::HANDLER_TYPES {
        grants.push_str(&format!("[[handler]]\ntype = \"{handler}\"\n"));
        if *handler == "filesystem" {
            grants.push_str("root = \"files\"\n");
        }
    }
    assert_links(&component, &grants, "the contract").await;
}

/// Spawn `component` under a manifest granting `grants` (a `files/` directory beside it):
/// it must link and reach its dummy `init`, which traps by design.
async fn assert_links(component: &[u8], grants: &str, what: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.wasm"), component).unwrap();
    std::fs::create_dir(dir.path().join("files")).unwrap();
    let manifest = format!("name = \"c\"\nversion = \"0\"\ncomponent = \"c.wasm\"\n{grants}");
    std::fs::write(dir.path().join("c.toml"), manifest).unwrap();
    let mut config = TheaterConfig::new(Some(dir.path().join("home")));
    config.logs = std::sync::Arc::new(|_| {});
    let theater = Theater::new(config).unwrap();
    match theater
        .spawn(
            Manifest::load(&dir.path().join("c.toml")).unwrap(),
            None,
            None,
        )
        .await
        .unwrap_err()
    {
        RuntimeError::InitFailed { error, .. } => {
            assert!(error.to_string().contains("unreachable"), "{error}")
        }
        other => panic!("{what} did not link: {other}"),
    }
}

/// `handle-child-external-stop` is the upstream Theater export, with upstream's exact
/// signature: `func(state: option<list<u8>>, params: tuple<string>) -> result<tuple<option<list<u8>>>, string>`.
#[test]
fn supervisor_handlers_include_handle_child_external_stop_with_its_upstream_signature() {
    let mut resolve = Resolve::default();
    let (pkg, _) = resolve
        .push_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit"))
        .expect("wit/ parses");
    let iface = resolve.packages[pkg].interfaces["supervisor-handlers"];
    let functions = &resolve.interfaces[iface].functions;
    let f = functions
        .get("handle-child-external-stop")
        .expect("supervisor-handlers has handle-child-external-stop");
    let show = |t: &wit_parser::Type| match t {
        wit_parser::Type::Id(id) => format!("{:?}", resolve.types[*id].kind),
        other => format!("{other:?}"),
    };
    let params: Vec<(String, String)> = f
        .params
        .iter()
        .map(|p| (p.name.clone(), show(&p.ty)))
        .collect();
    let exit = &functions["handle-child-exit"];
    assert_eq!(params.len(), 2, "{params:?}");
    assert_eq!(
        (params[0].0.as_str(), params[1].0.as_str()),
        ("state", "params")
    );
    assert_eq!(
        params[0].1,
        show(&exit.params[0].ty),
        "state is option<list<u8>> like every export's"
    );
    assert!(
        params[1].1.contains("Tuple") && params[1].1.contains("String"),
        "params is tuple<string>: {}",
        params[1].1
    );
    assert_eq!(
        f.result.as_ref().map(show),
        exit.result.as_ref().map(show),
        "the same result type as handle-child-exit"
    );
}

/// The additions of issue 16 are additions only: the SDK's world imports the name functions
/// and exports the optional `actor-resume`, while a component of an upstream world (no
/// `actor-resume`, no name functions) still links and reaches its `init`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_and_resume_are_additions_that_upstream_components_do_without() {
    let mut resolve = Resolve::default();
    let (pkg, _) = resolve
        .push_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit"))
        .expect("wit/ parses");
    let sdk = resolve
        .select_world(&[pkg], Some("theater-actor"))
        .expect("the SDK world");
    let exports: Vec<String> = resolve.worlds[sdk]
        .exports
        .keys()
        .map(|k| resolve.name_world_key(k))
        .collect();
    assert!(
        exports.iter().any(|e| e == "theater:simple/actor-resume"),
        "{exports:?}"
    );
    let host = resolve
        .interfaces
        .iter()
        .find(|(_, i)| i.name.as_deref() == Some("message-server-host"))
        .expect("message-server-host")
        .1;
    for f in [
        "register-name",
        "lookup-name",
        "current-sender",
        "send",
        "request",
    ] {
        assert!(
            host.functions.contains_key(f),
            "message-server-host lacks {f}"
        );
    }

    let component = component_for_world("message-server-actor");
    assert_links(&component, "", "an upstream-shaped component").await;
}

/// The type-only interfaces link without any grant, whatever else the component imports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn type_only_interfaces_link_without_a_grant() {
    let world = "package test:types;
        world types-user {
            use theater:simple/websocket-types.{websocket-message};
            use theater:simple/http-types.{http-request};
            import theater:simple/runtime;
            export theater:simple/actor;
            export shown: func(m: websocket-message, r: http-request) -> string;
        }";
    let component = component_for("types-user", Some(world));
    let imports = theater_runtime::sandbox::component_imports(&component, "types-user").unwrap();
    for interface in [
        "theater:simple/websocket-types",
        "theater:simple/http-types",
    ] {
        assert!(
            imports.iter().any(|i| i == interface),
            "the component does not import {interface}: {imports:?}"
        );
    }
    assert_links(
        &component,
        "",
        "a component using only type-only interfaces",
    )
    .await;
}

/// A WIT type as written: named types by their name, the rest spelled out.
fn render(resolve: &Resolve, ty: &wit_parser::Type) -> String {
    use wit_parser::Type;
    let id = match ty {
        Type::Id(id) => *id,
        Type::String => return "string".into(),
        Type::Bool => return "bool".into(),
        Type::U8 => return "u8".into(),
        Type::U16 => return "u16".into(),
        Type::U32 => return "u32".into(),
        Type::U64 => return "u64".into(),
        Type::S32 => return "s32".into(),
        Type::S64 => return "s64".into(),
        other => return format!("{other:?}"),
    };
    let def = &resolve.types[id];
    match &def.name {
        Some(name) => name.clone(),
        None => structure(resolve, &def.kind),
    }
}

/// A type definition's shape (`list<u8>`, `option<string>`, …), whatever it is named.
fn structure(resolve: &Resolve, kind: &wit_parser::TypeDefKind) -> String {
    use wit_parser::TypeDefKind;
    let list = |types: &[wit_parser::Type]| {
        types
            .iter()
            .map(|t| render(resolve, t))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let opt =
        |t: &Option<wit_parser::Type>| t.as_ref().map_or("_".to_string(), |t| render(resolve, t));
    match kind {
        TypeDefKind::Type(t) => render(resolve, t),
        TypeDefKind::List(t) => format!("list<{}>", render(resolve, t)),
        TypeDefKind::Option(t) => format!("option<{}>", render(resolve, t)),
        TypeDefKind::Tuple(t) => format!("tuple<{}>", list(&t.types)),
        TypeDefKind::Result(r) => format!("result<{}, {}>", opt(&r.ok), opt(&r.err)),
        other => format!("{other:?}"),
    }
}

/// A named type's definition: `type T` for an alias, `record { … }`, `variant { … }`.
fn definition(resolve: &Resolve, interface: wit_parser::InterfaceId, name: &str) -> String {
    use wit_parser::TypeDefKind;
    let id = resolve.interfaces[interface]
        .types
        .get(name)
        .unwrap_or_else(|| panic!("no type {name}"));
    match &resolve.types[*id].kind {
        TypeDefKind::Record(r) => {
            let fields: Vec<String> = r
                .fields
                .iter()
                .map(|f| format!("{}: {}", f.name, render(resolve, &f.ty)))
                .collect();
            format!("record {{ {} }}", fields.join(", "))
        }
        TypeDefKind::Variant(v) => {
            let cases: Vec<String> = v
                .cases
                .iter()
                .map(|c| {
                    c.ty.as_ref().map_or(c.name.clone(), |t| {
                        format!("{}({})", c.name, render(resolve, t))
                    })
                })
                .collect();
            format!("variant {{ {} }}", cases.join(", "))
        }
        other => format!("type {}", structure(resolve, other)),
    }
}

/// The original Theater's signatures (its `wit/`, mid-2025), as this contract must keep
/// them: interface, function, signature.
const UPSTREAM_FUNCTIONS: &[(&str, &str, &str)] = &[
    ("filesystem", "read-file", "func(path: string) -> result<list<u8>, string>"),
    ("filesystem", "write-file", "func(path: string, content: string) -> result<_, string>"),
    ("filesystem", "list-files", "func(path: string) -> result<list<string>, string>"),
    ("filesystem", "delete-file", "func(path: string) -> result<_, string>"),
    ("filesystem", "create-dir", "func(path: string) -> result<_, string>"),
    ("filesystem", "delete-dir", "func(path: string) -> result<_, string>"),
    ("filesystem", "path-exists", "func(path: string) -> result<bool, string>"),
    ("filesystem", "execute-command", "func(dir: string, command: string, args: list<string>) -> result<command-result, string>"),
    ("filesystem", "execute-nix-command", "func(dir: string, command: string) -> result<command-result, string>"),
    ("http-client", "send-http", "func(req: http-request) -> result<http-response, string>"),
    ("http-framework", "create-server", "func(config: server-config) -> result<server-id, string>"),
    ("http-framework", "get-server-info", "func(server-id: server-id) -> result<server-info, string>"),
    ("http-framework", "start-server", "func(server-id: server-id) -> result<u16, string>"),
    ("http-framework", "stop-server", "func(server-id: server-id) -> result<_, string>"),
    ("http-framework", "destroy-server", "func(server-id: server-id) -> result<_, string>"),
    ("http-framework", "register-handler", "func(handler-name: string) -> result<handler-id, string>"),
    ("http-framework", "add-route", "func(server-id: server-id, path: string, method: string, handler-id: handler-id) -> result<route-id, string>"),
    ("http-framework", "remove-route", "func(route-id: route-id) -> result<_, string>"),
    ("http-framework", "add-middleware", "func(server-id: server-id, path: string, handler-id: handler-id) -> result<middleware-id, string>"),
    ("http-framework", "remove-middleware", "func(middleware-id: middleware-id) -> result<_, string>"),
    (
        "http-framework",
        "enable-websocket",
        "func(server-id: server-id, path: string, connect-handler-id: option<handler-id>, message-handler-id: handler-id, disconnect-handler-id: option<handler-id>) -> result<_, string>",
    ),
    ("http-framework", "send-websocket-message", "func(server-id: server-id, connection-id: u64, message: websocket-message) -> result<_, string>"),
    ("http-framework", "close-websocket", "func(server-id: server-id, connection-id: u64) -> result<_, string>"),
    (
        "http-handlers",
        "handle-request",
        "func(state: option<list<u8>>, params: tuple<handler-id, http-request>) -> result<tuple<option<list<u8>>, tuple<http-response>>, string>",
    ),
    (
        "http-handlers",
        "handle-middleware",
        "func(state: option<list<u8>>, params: tuple<handler-id, http-request>) -> result<tuple<option<list<u8>>, tuple<middleware-result>>, string>",
    ),
    (
        "http-handlers",
        "handle-websocket-connect",
        "func(state: option<list<u8>>, params: tuple<handler-id, u64, string, option<string>>) -> result<tuple<option<list<u8>>>, string>",
    ),
    (
        "http-handlers",
        "handle-websocket-message",
        "func(state: option<list<u8>>, params: tuple<handler-id, u64, websocket-message>) -> result<tuple<option<list<u8>>, tuple<list<websocket-message>>>, string>",
    ),
    (
        "http-handlers",
        "handle-websocket-disconnect",
        "func(state: option<list<u8>>, params: tuple<handler-id, u64>) -> result<tuple<option<list<u8>>>, string>",
    ),
];

/// The original Theater's type definitions: interface, type, definition.
const UPSTREAM_TYPES: &[(&str, &str, &str)] = &[
    ("filesystem", "command-success", "record { stdout: string, stderr: string, exit-code: s32 }"),
    ("filesystem", "command-error", "record { message: string }"),
    ("filesystem", "command-result", "variant { success(command-success), error(command-error) }"),
    ("http-types", "bytes", "type list<u8>"),
    ("http-types", "http-request", "record { method: string, uri: string, headers: list<tuple<string, string>>, body: option<bytes> }"),
    ("http-types", "http-response", "record { status: u16, headers: list<tuple<string, string>>, body: option<bytes> }"),
    ("http-types", "server-config", "record { port: option<u16>, host: option<string>, tls-config: option<tls-config> }"),
    ("http-types", "tls-config", "record { cert-path: string, key-path: string }"),
    (
        "http-types",
        "server-info",
        "record { id: u64, port: u16, host: string, running: bool, routes-count: u32, middleware-count: u32, websocket-enabled: bool }",
    ),
    ("http-types", "middleware-result", "record { proceed: bool, request: http-request }"),
    ("http-framework", "server-id", "type u64"),
    ("http-framework", "handler-id", "type u64"),
    ("http-framework", "route-id", "type u64"),
    ("http-framework", "middleware-id", "type u64"),
    ("websocket-types", "message-type", "variant { text, binary, connect, close, ping, pong, other(string) }"),
    ("websocket-types", "websocket-message", "record { ty: message-type, data: option<list<u8>>, text: option<string> }"),
];

/// Ours is a superset of the original Theater's contract: every function and type it has,
/// under the same name with the same signature. A drift in any of them fails here.
#[test]
fn the_contract_keeps_the_original_theaters_signatures_exactly() {
    let drift = drift(UPSTREAM_FUNCTIONS, UPSTREAM_TYPES);
    assert!(
        drift.is_empty(),
        "signatures differ from the original Theater's:\n{}",
        drift.join("\n")
    );
}

/// `timers` (Theater's addition for periodic work) and the original `timing` beside it,
/// which the addition leaves exactly as it was.
const TIMER_FUNCTIONS: &[(&str, &str, &str)] = &[
    (
        "timers",
        "set-timeout",
        "func(delay: u64, msg: list<u8>) -> result<timer-id, string>",
    ),
    (
        "timers",
        "set-interval",
        "func(interval: u64, msg: list<u8>) -> result<timer-id, string>",
    ),
    (
        "timers",
        "cancel",
        "func(id: timer-id) -> result<_, string>",
    ),
    ("timing", "now", "func() -> u64"),
    (
        "timing",
        "sleep",
        "func(duration: u64) -> result<_, string>",
    ),
    (
        "timing",
        "deadline",
        "func(timestamp: u64) -> result<_, string>",
    ),
];

const TIMER_TYPES: &[(&str, &str, &str)] = &[("timers", "timer-id", "type u64")];

#[test]
fn the_timers_interface_keeps_its_signatures_and_timing_is_unchanged() {
    let drift = drift(TIMER_FUNCTIONS, TIMER_TYPES);
    assert!(
        drift.is_empty(),
        "timers/timing signatures drifted:\n{}",
        drift.join("\n")
    );
}

/// Every function and type of wit/ that differs from `functions` and `types` (interface,
/// name, signature or definition).
fn drift(functions: &[(&str, &str, &str)], types: &[(&str, &str, &str)]) -> Vec<String> {
    let mut resolve = Resolve::default();
    let (pkg, _) = resolve
        .push_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit"))
        .expect("wit/ parses");
    let interface = |name: &str| {
        *resolve.packages[pkg]
            .interfaces
            .get(name)
            .unwrap_or_else(|| panic!("wit/ has no interface {name}"))
    };
    let mut drift = Vec::new();
    for (iface, name, expected) in functions {
        let Some(f) = resolve.interfaces[interface(iface)].functions.get(*name) else {
            drift.push(format!("{iface}.{name}: missing"));
            continue;
        };
        let params: Vec<String> = f
            .params
            .iter()
            .map(|p| format!("{}: {}", p.name, render(&resolve, &p.ty)))
            .collect();
        let result = f
            .result
            .as_ref()
            .map_or(String::new(), |t| format!(" -> {}", render(&resolve, t)));
        let actual = format!("func({}){result}", params.join(", "));
        if actual != *expected {
            drift.push(format!(
                "{iface}.{name}:\n  expected {expected}\n  found    {actual}"
            ));
        }
    }
    for (iface, name, expected) in types {
        let actual = definition(&resolve, interface(iface), name);
        if actual != *expected {
            drift.push(format!(
                "{iface}.{name}:\n  expected {expected}\n  found    {actual}"
            ));
        }
    }
    drift
}

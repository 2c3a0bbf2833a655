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
    let mut resolve = Resolve::default();
    let (pkg, _) = resolve.push_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit")).expect("wit/ parses");
    let world = resolve.select_world(&[pkg], Some(world_name)).expect("the world exists");
    let mut module = wit_component::dummy_module(&resolve, world, ManglingAndAbi::Legacy(LiftLowerAbi::Sync));
    wit_component::embed_component_metadata(&mut module, &resolve, world, StringEncoding::UTF8, false).expect("metadata embeds");
    ComponentEncoder::default().module(&module).expect("module").validate(true).encode().expect("component encodes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_function_of_the_contract_links_with_its_exact_signature() {
    let component = component_for_world("theater-actor");
    let imports = theater_runtime::sandbox::component_imports(&component, "dummy").unwrap();
    for interface in theater_runtime::manifest::HANDLER_TYPES.iter().map(|(_, i)| *i) {
        assert!(imports.iter().any(|i| i == interface), "the SDK world does not import {interface}: {imports:?}");
    }

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("all.wasm"), &component).unwrap();
    std::fs::create_dir(dir.path().join("files")).unwrap();
    let mut manifest = String::from("name = \"all\"\nversion = \"0\"\ncomponent = \"all.wasm\"\n");
    for (handler, _) in theater_runtime::manifest::HANDLER_TYPES {
        manifest.push_str(&format!("[[handler]]\ntype = \"{handler}\"\n"));
        if *handler == "filesystem" {
            manifest.push_str("root = \"files\"\n");
        }
    }
    std::fs::write(dir.path().join("all.toml"), manifest).unwrap();

    let mut config = TheaterConfig::new(Some(dir.path().join("home")));
    config.logs = std::sync::Arc::new(|_| {});
    let theater = Theater::new(config).unwrap();
    let err = theater.spawn(Manifest::load(&dir.path().join("all.toml")).unwrap(), None, None).await.unwrap_err();
    match err {
        RuntimeError::InitFailed { error, .. } => assert!(error.to_string().contains("unreachable"), "{error}"),
        other => panic!("the contract did not link: {other}"),
    }
}

/// `handle-child-external-stop` is the upstream Theater export, with upstream's exact
/// signature: `func(state: option<list<u8>>, params: tuple<string>) -> result<tuple<option<list<u8>>>, string>`.
#[test]
fn supervisor_handlers_include_handle_child_external_stop_with_its_upstream_signature() {
    let mut resolve = Resolve::default();
    let (pkg, _) = resolve.push_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit")).expect("wit/ parses");
    let iface = resolve.packages[pkg].interfaces["supervisor-handlers"];
    let functions = &resolve.interfaces[iface].functions;
    let f = functions.get("handle-child-external-stop").expect("supervisor-handlers has handle-child-external-stop");
    let show = |t: &wit_parser::Type| match t {
        wit_parser::Type::Id(id) => format!("{:?}", resolve.types[*id].kind),
        other => format!("{other:?}"),
    };
    let params: Vec<(String, String)> = f.params.iter().map(|p| (p.name.clone(), show(&p.ty))).collect();
    let exit = &functions["handle-child-exit"];
    assert_eq!(params.len(), 2, "{params:?}");
    assert_eq!((params[0].0.as_str(), params[1].0.as_str()), ("state", "params"));
    assert_eq!(params[0].1, show(&exit.params[0].ty), "state is option<list<u8>> like every export's");
    assert!(params[1].1.contains("Tuple") && params[1].1.contains("String"), "params is tuple<string>: {}", params[1].1);
    assert_eq!(f.result.as_ref().map(show), exit.result.as_ref().map(show), "the same result type as handle-child-exit");
}

/// The additions of issue 16 are additions only: the SDK's world imports the name functions
/// and exports the optional `actor-resume`, while a component of an upstream world (no
/// `actor-resume`, no name functions) still links and reaches its `init`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_and_resume_are_additions_that_upstream_components_do_without() {
    let mut resolve = Resolve::default();
    let (pkg, _) = resolve.push_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit")).expect("wit/ parses");
    let sdk = resolve.select_world(&[pkg], Some("theater-actor")).expect("the SDK world");
    let exports: Vec<String> = resolve.worlds[sdk].exports.keys().map(|k| resolve.name_world_key(k)).collect();
    assert!(exports.iter().any(|e| e == "theater:simple/actor-resume"), "{exports:?}");
    let host = resolve.interfaces.iter().find(|(_, i)| i.name.as_deref() == Some("message-server-host")).expect("message-server-host").1;
    for f in ["register-name", "lookup-name", "current-sender", "send", "request"] {
        assert!(host.functions.contains_key(f), "message-server-host lacks {f}");
    }

    let component = component_for_world("message-server-actor");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.wasm"), &component).unwrap();
    std::fs::write(dir.path().join("old.toml"), "name = \"old\"\nversion = \"0\"\ncomponent = \"old.wasm\"\n").unwrap();
    let mut config = TheaterConfig::new(Some(dir.path().join("home")));
    config.logs = std::sync::Arc::new(|_| {});
    let theater = Theater::new(config).unwrap();
    match theater.spawn(Manifest::load(&dir.path().join("old.toml")).unwrap(), None, None).await.unwrap_err() {
        RuntimeError::InitFailed { error, .. } => assert!(error.to_string().contains("unreachable"), "{error}"),
        other => panic!("an upstream-shaped component did not link: {other}"),
    }
}

//! Guest bindings of the world `theater:simple/theater-http-actor`: the `http-framework`
//! imports and the `http-handlers` exports. Generated apart from [`super::bindings`] so
//! that `#[actor]` instantiates its export macro only for actors with HTTP or WebSocket
//! handlers: other actors' components neither export `http-handlers` nor import
//! `http-framework`. The shared `http-types` come from [`super::bindings`].

wit_bindgen::generate!({
    path: "../wit",
    world: "theater:simple/theater-http-actor",
    pub_export_macro: true,
    export_macro_name: "__export_theater_http_actor",
    // A path that resolves both here and in the actor's crate, where the export macro
    // expands (`theater_sdk` names the SDK inside itself too).
    with: {
        "theater:simple/http-types": theater_sdk::wasm::bindings::theater::simple::http_types,
    },
});

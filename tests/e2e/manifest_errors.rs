//! Every malformed-manifest case gets one clear message naming the problem and the fix,
//! a non-zero exit, and no panic output.

use theater_e2e::{assert_clean_failure, fixtures, Scratch};

fn run_manifest(s: &Scratch, text: &str) -> String {
    let path = s.file("manifest.toml", text);
    assert_clean_failure(&s.run(&["run", path.to_str().unwrap()]))
}

fn header() -> String {
    format!(
        "name = \"a\"\nversion = \"0.1.0\"\ncomponent = \"{}\"\n",
        fixtures().component("raw-counter").display()
    )
}

#[test]
fn unknown_key_names_the_line_and_the_key() {
    let s = Scratch::new();
    let e = run_manifest(&s, &format!("{}colour = \"red\"\n", header()));
    assert!(
        e.contains("manifest.toml:4:") && e.contains("unknown field `colour`"),
        "{e}"
    );
}

#[test]
fn unknown_handler_type_lists_the_valid_ones() {
    let s = Scratch::new();
    let e = run_manifest(
        &s,
        &format!("{}[[handler]]\ntype = \"teleport\"\n", header()),
    );
    assert!(
        e.contains("teleport") && e.contains("\"message-server\"") && e.contains("\"random\""),
        "{e}"
    );
}

#[test]
fn wrong_value_type_names_the_line() {
    let s = Scratch::new();
    let e = run_manifest(&s, &format!("{}[limits]\nmemory_mb = \"lots\"\n", header()));
    assert!(e.contains("manifest.toml:5:"), "{e}");
}

#[test]
fn missing_component_names_the_path_and_the_fix() {
    let s = Scratch::new();
    let e = run_manifest(
        &s,
        "name = \"a\"\nversion = \"1\"\ncomponent = \"target/theater/a.wasm\"\n",
    );
    assert!(
        e.contains("manifest.toml:3:")
            && e.contains("target/theater/a.wasm")
            && e.contains("theater build"),
        "{e}"
    );
}

#[test]
fn missing_init_state_file_is_named() {
    let s = Scratch::new();
    let e = run_manifest(&s, &format!("{}init_state = \"nope.json\"\n", header()));
    assert!(e.contains("init_state") && e.contains("nope.json"), "{e}");
}

#[test]
fn missing_manifest_file_is_named() {
    let s = Scratch::new();
    let e = assert_clean_failure(&s.run(&["run", "does/not/exist.toml"]));
    assert!(
        e.contains("cannot read manifest does/not/exist.toml"),
        "{e}"
    );
}

#[test]
fn not_toml_at_all_is_reported_with_a_line() {
    let s = Scratch::new();
    let e = run_manifest(&s, "this is not toml\n");
    assert!(e.contains("manifest.toml:1:"), "{e}");
}

#[test]
fn a_core_module_or_garbage_is_not_a_component() {
    let s = Scratch::new();
    let core = s.file(
        "core.wasm",
        [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    );
    let e = run_manifest(
        &s,
        &format!(
            "name = \"a\"\nversion = \"1\"\ncomponent = \"{}\"\n",
            core.display()
        ),
    );
    assert!(
        e.contains("core WebAssembly module, not a component") && e.contains("theater build"),
        "{e}"
    );
    let junk = s.file("junk.wasm", "hello");
    let e = run_manifest(
        &s,
        &format!(
            "name = \"a\"\nversion = \"1\"\ncomponent = \"{}\"\n",
            junk.display()
        ),
    );
    assert!(e.contains("not valid WebAssembly"), "{e}");
}

#[test]
fn out_of_range_limit_is_explained() {
    let s = Scratch::new();
    let e = run_manifest(&s, &format!("{}[limits]\nmemory_mb = 100000\n", header()));
    assert!(e.contains("memory_mb = 100000 is out of range"), "{e}");
}

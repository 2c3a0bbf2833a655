//! The OpenAPI 3.1 document of the API, served at `/openapi.json`. It is written by hand in
//! `openapi.json` beside this file; a test checks that it lists exactly the routes of
//! `routes::table`, so the two cannot drift apart.

use std::sync::LazyLock;

use axum::Json;
use serde_json::Value;

/// The document, with `info.version` set to this build's version.
static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
    let mut doc: Value = serde_json::from_str(include_str!("openapi.json")).unwrap_or_else(
        |e| serde_json::json!({"error": format!("openapi.json does not parse: {e}")}),
    );
    doc["info"]["version"] = Value::String(env!("CARGO_PKG_VERSION").into());
    doc
});

pub async fn document() -> Json<Value> {
    Json(DOCUMENT.clone())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::routes;

    #[test]
    fn every_route_is_documented_and_every_documented_route_exists() {
        let doc = &*DOCUMENT;
        assert_eq!(doc["openapi"], "3.1.0", "{doc}");
        let routes: BTreeSet<(String, String)> = routes::table()
            .iter()
            .map(|r| (r.path.to_string(), r.verb.as_str().to_lowercase()))
            .collect();
        let documented: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .expect("paths")
            .iter()
            .flat_map(|(path, ops)| {
                ops.as_object()
                    .expect("operations")
                    .keys()
                    .map(move |m| (path.clone(), m.clone()))
            })
            .collect();
        assert_eq!(routes, documented);
    }

    #[test]
    fn the_documented_refusals_match_the_guards() {
        for (path, ops) in DOCUMENT["paths"].as_object().expect("paths") {
            for (verb, op) in ops.as_object().expect("operations") {
                let responses = &op["responses"];
                let open = path == "/v1/health";
                assert_eq!(
                    responses.get("401").is_none(),
                    open,
                    "{verb} {path}: 401 unless it is the open health check"
                );
                assert_eq!(
                    op.get("security")
                        .is_some_and(|s| s == &serde_json::json!([])),
                    open,
                    "{verb} {path}"
                );
                for status in ["400", "403", "503"] {
                    assert!(
                        responses.get(status).is_some(),
                        "{verb} {path} lacks {status}"
                    );
                }
                assert_eq!(
                    responses.get("415").is_some(),
                    verb == "post",
                    "{verb} {path}: 415 is for bodies"
                );
                assert_eq!(
                    responses.get("429").is_some(),
                    path.ends_with("/events/stream"),
                    "{verb} {path}"
                );
            }
        }
    }

    #[test]
    fn every_reference_resolves() {
        fn refs(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(r)) = m.get("$ref") {
                        out.push(r.clone());
                    }
                    m.values().for_each(|v| refs(v, out));
                }
                Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let mut all = Vec::new();
        refs(&DOCUMENT, &mut all);
        assert!(!all.is_empty());
        for r in all {
            let pointer = r.strip_prefix('#').expect("local reference");
            assert!(DOCUMENT.pointer(pointer).is_some(), "dangling {r}");
        }
    }
}

//! Property test of the whole API against one real `theater server`: ten thousand random
//! combinations of method, path (real routes, real and mangled ids, percent-encodings,
//! junk), query, headers (token, content type, origin, host, Last-Event-ID) and body. No
//! answer may be a 5xx other than the documented 503/504, and the server must stay up,
//! with its actor's chain intact.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::Method;
use serde_json::json;
use theater_e2e::server::{Api, ServerProc};
use theater_e2e::{fixtures, texts, Scratch};

const CASES: u32 = 10_000;

/// One random request.
#[derive(Debug, Clone)]
struct Call {
    method: Method,
    path: String,
    query: Option<String>,
    token: Option<String>,
    content_type: Option<&'static str>,
    origin: Option<&'static str>,
    host: Option<String>,
    last_event_id: Option<String>,
    body: Vec<u8>,
}

/// What the strategies draw from: the real actor's id and manifest, the real token.
struct World {
    id: String,
    manifest: String,
    token: String,
    port: u16,
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        4 => Just(Method::GET),
        4 => Just(Method::POST),
        1 => Just(Method::PUT),
        1 => Just(Method::DELETE),
        1 => Just(Method::PATCH),
        1 => Just(Method::OPTIONS),
        1 => Just(Method::HEAD),
    ]
}

fn id_like(world: &World) -> impl Strategy<Value = String> {
    let id = world.id.clone();
    prop_oneof![
        3 => Just(id.clone()),
        2 => (4usize..=36).prop_map(move |n| id[..n].to_string()),
        1 => Just("%25%25%25%25%25%25%25%25".to_string()),
        1 => Just("7%25%25%25".to_string()),
        1 => "[a-f0-9%_.-]{0,40}",
        1 => "\\PC{0,12}".prop_map(|s| s.replace(['/', '?', '#'], "")),
    ]
}

fn path(world: &World) -> impl Strategy<Value = String> {
    let tails = [
        "",
        "/state",
        "/events",
        "/events/stream",
        "/send",
        "/request",
        "/stop",
        "/restart",
        "/nope",
        "/events/stream/x",
    ];
    prop_oneof![
        1 => Just("/v1/health".to_string()),
        1 => Just("/openapi.json".to_string()),
        2 => Just("/v1/actors".to_string()),
        1 => Just("/v1/tree".to_string()),
        6 => (id_like(world), proptest::sample::select(tails.to_vec())).prop_map(|(id, tail)| format!("/v1/actors/{id}{tail}")),
        1 => "/[a-z0-9/%._-]{0,30}",
    ]
}

fn query() -> impl Strategy<Value = Option<String>> {
    let keys = ["from", "limit", "type", "x", "from[]"];
    let values = [
        "0",
        "1",
        "-1",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
        "1e3",
        "",
        "wasm/",
        "%00",
        "%FF",
    ];
    proptest::option::of(
        proptest::collection::vec(
            (
                proptest::sample::select(keys.to_vec()),
                proptest::sample::select(values.to_vec()),
            ),
            1..3,
        )
        .prop_map(|pairs| {
            pairs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
        }),
    )
}

fn body(world: &World) -> impl Strategy<Value = Vec<u8>> {
    let manifest = world.manifest.clone();
    prop_oneof![
        2 => Just(Vec::new()),
        3 => "[a-z]{0,12}".prop_map(|t| json!({"text": t}).to_string().into_bytes()),
        1 => "[A-Za-z0-9+/=%]{0,16}".prop_map(|b| json!({"base64": b}).to_string().into_bytes()),
        1 => Just(json!({"text": "a", "base64": "Yg=="}).to_string().into_bytes()),
        1 => "\\PC{0,40}".prop_map(|m| json!({"manifest": m}).to_string().into_bytes()),
        1 => Just(json!({"manifest": manifest}).to_string().into_bytes()),
        1 => Just(json!({"manifest": "/etc/passwd"}).to_string().into_bytes()),
        2 => proptest::collection::vec(any::<u8>(), 0..64),
        1 => Just(b"null".to_vec()),
        1 => Just(b"{\"text\": \"inc\", \"extra\": 1}".to_vec()),
    ]
}

fn call(world: &World) -> impl Strategy<Value = Call> {
    let token = world.token.clone();
    let port = world.port;
    let tokens = prop_oneof![8 => Just(Some(token.clone())), 1 => Just(None), 1 => "[a-f0-9]{0,64}".prop_map(Some)];
    let content_types = proptest::option::of(proptest::sample::select(vec![
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ]));
    let origins = proptest::option::weighted(
        0.2,
        proptest::sample::select(vec!["http://evil.example", "null", "http://127.0.0.1"]),
    );
    let hosts = proptest::option::weighted(
        0.2,
        proptest::sample::select(vec![
            format!("localhost:{port}"),
            "evil.example".to_string(),
            format!("evil.example:{port}"),
            String::new(),
        ]),
    );
    let last_ids = proptest::option::weighted(0.2, "[0-9]{1,21}|-1|x");
    (
        method(),
        path(world),
        query(),
        tokens,
        content_types,
        origins,
        hosts,
        last_ids,
        body(world),
    )
        .prop_map(
            |(method, path, query, token, content_type, origin, host, last_event_id, body)| Call {
                method,
                path,
                query,
                token,
                content_type,
                origin,
                host,
                last_event_id,
                body,
            },
        )
}

/// Send one call; its status (the body of a stream is not waited for).
async fn send(api: &Api, call: &Call) -> Result<u16, String> {
    let mut path = call.path.clone();
    if let Some(q) = &call.query {
        path = format!("{path}?{q}");
    }
    let mut request = api
        .request(call.method.clone(), &path)
        .body(call.body.clone());
    if let Some(t) = &call.token {
        request = request.bearer_auth(t);
    }
    for (name, value) in [
        ("content-type", call.content_type.map(String::from)),
        ("origin", call.origin.map(String::from)),
        ("host", call.host.clone()),
        ("last-event-id", call.last_event_id.clone()),
    ] {
        if let Some(v) = value {
            request = request.header(name, v);
        }
    }
    let response = tokio::time::timeout(Duration::from_secs(30), request.send())
        .await
        .map_err(|_| format!("no answer: {call:?}"))?;
    response
        .map(|r| r.status().as_u16())
        .map_err(|e| format!("{e}: {call:?}"))
}

#[test]
fn ten_thousand_random_requests_get_no_undocumented_5xx_and_the_server_lives() {
    let s = Scratch::new();
    let server = ServerProc::start(&s, &[]);
    let api = Api::new(&server);
    let tokio = tokio::runtime::Runtime::new().unwrap();
    let manifest = s.manifest(
        "counter",
        &fixtures().component("raw-counter"),
        "[[handler]]\ntype = \"runtime\"\n",
    );
    let (status, view) = tokio.block_on(api.post("/v1/actors", json!({"manifest": manifest})));
    assert_eq!(status, 201, "{view}");
    let port = server.url.rsplit(':').next().unwrap().parse().unwrap();
    let world = World {
        id: view["id"].as_str().unwrap().to_string(),
        manifest: manifest.display().to_string(),
        token: api.token.clone().unwrap(),
        port,
    };

    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let seen = RefCell::new(BTreeMap::<u16, u32>::new());
    let result = runner.run(&call(&world), |call| {
        let status = tokio
            .block_on(send(&api, &call))
            .map_err(TestCaseError::fail)?;
        *seen.borrow_mut().entry(status).or_default() += 1;
        prop_assert!(
            status < 500 || status == 503 || status == 504,
            "{status} for {call:?}"
        );
        Ok(())
    });
    let seen = seen.into_inner();
    eprintln!("statuses over {CASES} requests: {seen:?}");
    if let Err(e) = result {
        panic!("{e}\nserver log:\n{}", server.log());
    }
    assert!(
        seen.len() >= 8,
        "the requests did not reach enough of the API: {seen:?}"
    );
    let (status, health) = tokio.block_on(api.get("/v1/health"));
    assert_eq!(
        (status, health["status"].as_str()),
        (200, Some("ok")),
        "the server died"
    );
    let out = s.run(&["verify", &world.id]);
    assert!(out.status.success(), "{}", texts(&out).1);
}

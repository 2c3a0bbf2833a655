//! The server's bounds and `--allow-dir`, attacked end to end against real server
//! processes: hundreds of event streams at once, connections past the limit, a call past
//! the request timeout, manifests outside the allowed directories. Each refusal has its
//! documented status, and the server keeps answering.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use theater_e2e::server::{Api, ServerProc};
use theater_e2e::{assert_clean_failure, fixtures, texts, Scratch};

const COUNTER_GRANTS: &str = "[[handler]]\ntype = \"runtime\"\n";

fn counter(s: &Scratch) -> PathBuf {
    s.manifest(
        "counter",
        &fixtures().component("raw-counter"),
        COUNTER_GRANTS,
    )
}

async fn start(api: &Api, manifest: &std::path::Path) -> String {
    let (status, view) = api.post("/v1/actors", json!({"manifest": manifest})).await;
    assert_eq!(status, 201, "{view}");
    view["id"].as_str().expect("id").to_string()
}

/// `GET /v1/health` from a fresh client: its status and how long it took.
async fn health(url: &str) -> (u16, Duration) {
    let began = Instant::now();
    let response = reqwest::Client::new()
        .get(format!("{url}/v1/health"))
        .send()
        .await
        .expect("health answers");
    (response.status().as_u16(), began.elapsed())
}

/// Open `n` event streams of `id` at once; the open ones (held) and the statuses.
async fn open_streams(api: &Api, id: &str, n: usize) -> (Vec<reqwest::Response>, Vec<u16>) {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let request = api
            .request(Method::GET, &format!("/v1/actors/{id}/events/stream"))
            .bearer_auth(api.token.clone().unwrap_or_default());
        tasks.push(tokio::spawn(async move {
            request.send().await.expect("the server answers")
        }));
    }
    let mut held = Vec::new();
    let mut statuses = Vec::new();
    for task in tasks {
        let response = task.await.expect("stream task");
        statuses.push(response.status().as_u16());
        if response.status() == 200 {
            held.push(response);
        } else {
            let body = response.text().await.unwrap_or_default();
            assert!(body.contains("event streams are open"), "{body}");
        }
    }
    (held, statuses)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_streams_get_429_past_the_limits_while_health_answers() {
    let s = Scratch::new();
    let server = ServerProc::start(&s, &[]);
    let api = Api::new(&server);
    let id = start(&api, &counter(&s)).await;

    // One client address: the per-client limit (default 64) decides.
    let (held, statuses) = open_streams(&api, &id, 500).await;
    assert_eq!(
        held.len(),
        theater_server::DEFAULT_MAX_STREAMS_PER_CLIENT,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
    let (status, took) = health(&server.url).await;
    assert_eq!(status, 200);
    assert!(
        took < Duration::from_secs(1),
        "health took {took:?} with the streams open"
    );
    // The streams still work, and their slots come back when they close.
    let (status, _) = api
        .post(&format!("/v1/actors/{id}/send"), json!({"text": "inc"}))
        .await;
    assert_eq!(status, 200);
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // The server notices the closed connections within moments.
        let (held, _) = open_streams(&api, &id, 1).await;
        if held.len() == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "closed streams' slots were not given back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(server);

    // The server-wide limit.
    let server = ServerProc::start(
        &s,
        &["--max-streams", "10", "--max-streams-per-client", "100"],
    );
    let api = Api::new(&server);
    let id = start(&api, &counter(&s)).await;
    let (held, statuses) = open_streams(&api, &id, 30).await;
    assert_eq!(
        (held.len(), statuses.iter().filter(|s| **s == 429).count()),
        (10, 20),
        "{statuses:?}"
    );
    assert_eq!(health(&server.url).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_limit_get_503_and_calls_past_the_timeout_get_503() {
    let s = Scratch::new();
    let server = ServerProc::start(&s, &["--max-connections", "4", "--request-timeout", "2s"]);
    // No idle pooled connections: each call's connection closes when it is answered, so
    // only the streams below hold slots (a pooled one would be a fifth, racing them).
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("a client");
    let api = Api {
        http,
        ..Api::new(&server)
    };
    // Four open event streams hold the four connections.
    let id = start(&api, &counter(&s)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (held, statuses) = open_streams(&api, &id, 4).await;
    assert_eq!(held.len(), 4, "{statuses:?}");
    let refused = reqwest::Client::new()
        .get(format!("{}/v1/health", server.url))
        .send()
        .await;
    let response = refused.expect("a refusal, not a dropped connection");
    assert_eq!(response.status().as_u16(), 503, "{}", server.log());
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("too many connections"));
    drop(held);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        health(&server.url).await.0,
        200,
        "closed connections free their slots"
    );

    // A call that takes longer than --request-timeout: 503 in about that time.
    let sleeper = start(
        &api,
        &theater_e2e::caps::caps_manifest(&s, "sleeper", &[], ""),
    )
    .await;
    let began = Instant::now();
    let (status, body) = api
        .post(
            &format!("/v1/actors/{sleeper}/request"),
            json!({"text": "timing.sleep 3000"}),
        )
        .await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("--request-timeout"),
        "{body}"
    );
    assert!(
        began.elapsed() < Duration::from_millis(2900),
        "cut at the timeout, not at the end of the sleep: {:?}",
        began.elapsed()
    );
    // The actor carries on: its next request is answered once the sleep is over.
    let (status, body) = api
        .post(
            &format!("/v1/actors/{sleeper}/request"),
            json!({"text": "timing.now"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn starts_past_max_actors_get_503_until_one_stops() {
    let s = Scratch::new();
    let server = ServerProc::start(&s, &["--max-actors", "2"]);
    let api = Api::new(&server);
    let m = counter(&s);
    let first = start(&api, &m).await;
    start(&api, &m).await;
    for _ in 0..3 {
        let (status, body) = api.post("/v1/actors", json!({"manifest": m})).await;
        assert_eq!(status, 503, "{body}");
        assert!(
            body["error"].as_str().unwrap().contains("--max-actors"),
            "{body}"
        );
    }
    let (_, list) = api.get("/v1/actors").await;
    assert_eq!(
        list["actors"].as_array().unwrap().len(),
        2,
        "a refused start left an actor behind: {list}"
    );
    let (status, _) = api
        .post(&format!("/v1/actors/{first}/stop"), json!(null))
        .await;
    assert_eq!(status, 200);
    start(&api, &m).await;
    let out = s.run(&["server", "--max-actors", "0"]);
    assert!(assert_clean_failure(&out).contains("--max-actors"));
}

#[tokio::test]
async fn allow_dir_confines_the_manifests_the_api_may_start() {
    let s = Scratch::new();
    let allowed = s.path().join("allowed");
    std::fs::create_dir_all(&allowed).unwrap();
    std::fs::copy(
        fixtures().component("raw-counter"),
        allowed.join("counter.wasm"),
    )
    .unwrap();
    let inside = allowed.join("counter.toml");
    std::fs::write(&inside, format!("name = \"counter\"\nversion = \"0.1.0\"\ncomponent = \"counter.wasm\"\n{COUNTER_GRANTS}")).unwrap();
    // Inside, but its component is outside.
    let leaky = allowed.join("leaky.toml");
    let outside_component = fixtures().component("raw-counter");
    std::fs::write(
        &leaky,
        format!(
            "name = \"leaky\"\nversion = \"0.1.0\"\ncomponent = \"{}\"\n{COUNTER_GRANTS}",
            outside_component.display()
        ),
    )
    .unwrap();
    let outside = counter(&s);
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, allowed.join("link.toml")).unwrap();

    let out = s.run(&[
        "server",
        "--allow-dir",
        s.path().join("nope").to_str().unwrap(),
    ]);
    assert!(
        assert_clean_failure(&out).contains("--allow-dir"),
        "{}",
        texts(&out).1
    );

    let server = ServerProc::start(&s, &["--allow-dir", allowed.to_str().unwrap()]);
    let api = Api::new(&server);
    let id = start(&api, &inside).await;
    let refusals = [
        outside.clone(),
        s.path().join("missing.toml"),
        allowed.join("../counter.toml"),
        allowed.join("link.toml"),
        leaky.clone(),
        PathBuf::from("/etc/passwd"),
    ];
    for path in &refusals {
        let (status, body) = api.post("/v1/actors", json!({"manifest": path})).await;
        assert_eq!(status, 403, "{}: {body}", path.display());
        let error = body["error"].as_str().unwrap();
        assert!(
            error.ends_with(
                "is not inside a directory this server allows manifests from (--allow-dir)"
            ),
            "{error}"
        );
    }
    let (status, list) = api.get("/v1/actors").await;
    assert_eq!(status, 200);
    assert_eq!(
        list["actors"].as_array().unwrap().len(),
        1,
        "only the allowed actor started: {list}"
    );
    assert_eq!(list["actors"][0]["id"], id.as_str());
    let out = s
        .theater()
        .env("THEATER_SERVER", &server.url)
        .args(["start", outside.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(assert_clean_failure(&out).contains("--allow-dir"));
}

//! What keeps `theater server` safe by default, attacked end to end against real server
//! processes: the access token and server.json, requests a foreign web page could send
//! (wrong content type, foreign `Origin`, rebinding `Host`), short or disguised id prefixes,
//! and numbers that would wrap around.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use theater_e2e::server::{free_port, Api, ServerProc};
use theater_e2e::{assert_clean_failure, fixtures, texts, Scratch};

const COUNTER_GRANTS: &str = "[[handler]]\ntype = \"runtime\"\n";

fn counter(s: &Scratch, name: &str) -> std::path::PathBuf {
    s.manifest(name, &fixtures().component("raw-counter"), COUNTER_GRANTS)
}

/// `theater ARGS` with no server or token given: what server.json says applies.
fn cli(s: &Scratch, args: &[&str]) -> std::process::Output {
    s.theater()
        .env_remove("THEATER_SERVER")
        .env_remove("THEATER_TOKEN")
        .args(args)
        .output()
        .expect("run theater")
}

fn cli_ok(s: &Scratch, args: &[&str]) -> String {
    let out = cli(s, args);
    let (stdout, stderr) = texts(&out);
    assert!(
        out.status.success(),
        "theater {args:?} failed:\n{stdout}{stderr}"
    );
    stdout
}

async fn actor_count(api: &Api) -> usize {
    let (status, list) = api.get("/v1/actors").await;
    assert_eq!(status, 200, "{list}");
    list["actors"].as_array().expect("actors").len()
}

#[tokio::test]
async fn a_random_token_is_required_and_the_cli_finds_it_in_server_json() {
    let s = Scratch::new();
    let server = ServerProc::start(&s, &[]);
    let api = Api::new(&server);

    // server.json: the address, a 64-hex-digit token and the pid, readable by the owner only.
    let file = server.home.join("server.json");
    let published: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(published["address"], server.url.as_str());
    let token = published["token"].as_str().expect("a token").to_string();
    assert!(
        token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()),
        "{token}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    // Without the token: 401 everywhere but the health check.
    for (method, path) in [
        (Method::GET, "/v1/actors"),
        (Method::GET, "/v1/tree"),
        (Method::GET, "/openapi.json"),
        (Method::POST, "/v1/actors"),
    ] {
        let request = api
            .request(method.clone(), path)
            .header("content-type", "application/json")
            .body("{}");
        let (status, body) = api.send(request).await;
        assert_eq!(status, 401, "{method} {path}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains("server.json"),
            "{body}"
        );
    }
    for wrong in [
        "wrong",
        &token[..63],
        &format!("{token}0"),
        &token.to_uppercase(),
    ] {
        let (status, _) = api
            .send(api.request(Method::GET, "/v1/actors").bearer_auth(wrong))
            .await;
        assert_eq!(status, 401, "{wrong}");
    }
    let (status, health) = api.send(api.request(Method::GET, "/v1/health")).await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));

    // The CLI with no flag at all reads server.json: address and token.
    let m = counter(&s, "counter");
    let id = cli_ok(&s, &["start", m.to_str().unwrap(), "--id-only"])
        .trim()
        .to_string();
    cli_ok(&s, &["send", &id, "inc"]);
    assert_eq!(cli_ok(&s, &["request", &id, "get"]).trim(), "1");
    assert!(cli_ok(&s, &["list"]).contains(&id));
    // Naming the same server keeps the file's token; another token given wins and fails.
    let out = s
        .theater()
        .env("THEATER_SERVER", &server.url)
        .args(["list"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", texts(&out).1);
    let out = s
        .theater()
        .env("THEATER_SERVER", &server.url)
        .env("THEATER_TOKEN", "nope")
        .args(["list"])
        .output()
        .unwrap();
    assert!(assert_clean_failure(&out).contains("wrong access token"));

    // A clean exit removes server.json; a killed server's file is named as stale.
    let status = server.terminate();
    assert!(status.success(), "{status}");
    assert!(!file.exists(), "server.json outlived its server");
    let server = ServerProc::start(&s, &[]);
    drop(server); // SIGKILL: no chance to clean up
    assert!(file.exists());
    let stderr = assert_clean_failure(&cli(&s, &["list"]));
    assert!(
        stderr.contains("no theater server at") && stderr.contains("no longer running"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_given_token_works_and_no_auth_is_for_loopback_only() {
    let s = Scratch::new();
    let port = free_port();
    let out = s.run(&["server", "--addr", &format!("0.0.0.0:{port}"), "--no-auth"]);
    let stderr = assert_clean_failure(&out);
    assert!(
        stderr.contains(&format!(
            "refusing to serve on 0.0.0.0:{port} without an access token"
        )),
        "{stderr}"
    );

    let server = ServerProc::start(&s, &["--token", "s3cret"]);
    assert_eq!(server.token.as_deref(), Some("s3cret"));
    let api = Api::new(&server);
    for token in ["wrong", "s3cre", "s3cret2", ""] {
        let (status, body) = api
            .send(api.request(Method::GET, "/v1/actors").bearer_auth(token))
            .await;
        assert_eq!(status, 401, "{token:?}: {body}");
    }
    assert_eq!(actor_count(&api).await, 0);
    let out = s
        .theater()
        .env("THEATER_SERVER", &server.url)
        .env("THEATER_TOKEN", "s3cret")
        .args(["list", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", texts(&out).1);
    drop(server);

    let server = ServerProc::start(&s, &["--no-auth"]);
    assert_eq!(server.token, None);
    assert!(
        server
            .log()
            .contains("warning: serving without an access token"),
        "{}",
        server.log()
    );
    let (status, list) = api
        .send(Api::new(&server).request(Method::GET, "/v1/actors"))
        .await;
    assert_eq!((status, list), (200, json!({"actors": []})));
    drop(server);

    // Every interface: a token is made, and any IP literal of the machine is a fine Host.
    let port = free_port();
    let server = ServerProc::start_at(&s, &format!("0.0.0.0:{port}"), &[]);
    let api = Api::new(&server);
    assert!(api.token.is_some());
    assert_eq!(actor_count(&api).await, 0);
    let as_host = |host: &str| {
        api.request(Method::GET, "/v1/health")
            .header("host", host.to_string())
    };
    assert_eq!(api.send(as_host(&format!("10.9.8.7:{port}"))).await.0, 200);
    assert_eq!(
        api.send(as_host(&format!("rebind.evil.example:{port}")))
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn requests_a_foreign_web_page_could_send_are_refused() {
    let s = Scratch::new();
    let server = ServerProc::start(&s, &[]);
    let api = Api::new(&server);
    let token = api.token.clone().expect("token");
    let m = counter(&s, "counter");
    let start = json!({"manifest": m}).to_string();
    let authed = |method: Method, path: &str| api.request(method, path).bearer_auth(&token);

    // No-preflight content types would start an actor: 415, and none starts.
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
    ] {
        let mut request = authed(Method::POST, "/v1/actors").body(start.clone());
        if let Some(ct) = ct {
            request = request.header("content-type", ct);
        }
        let (status, body) = api.send(request).await;
        assert_eq!(status, 415, "{ct:?}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains("application/json"),
            "{body}"
        );
    }
    assert_eq!(
        actor_count(&api).await,
        0,
        "a refused request started an actor"
    );

    let (status, view) = api.post("/v1/actors", json!({"manifest": m})).await;
    assert_eq!(status, 201, "{view}");
    let id = view["id"].as_str().unwrap().to_string();
    let (status, _) = api
        .send(authed(Method::POST, &format!("/v1/actors/{id}/send")).body(r#"{"text":"inc"}"#))
        .await;
    assert_eq!(status, 415);
    let (status, _) = api
        .send(
            authed(Method::POST, &format!("/v1/actors/{id}/stop"))
                .header("content-type", "text/plain"),
        )
        .await;
    assert_eq!(status, 415);
    assert_eq!(
        api.get(&format!("/v1/actors/{id}/state")).await.1["state"]["text"],
        "0",
        "a refused send was delivered"
    );

    // A foreign Origin: 403, even with the token and JSON; our own origin passes.
    let json_post = |origin: &str| {
        authed(Method::POST, "/v1/actors")
            .header("content-type", "application/json")
            .header("origin", origin.to_string())
            .body(start.clone())
    };
    for origin in [
        "http://evil.example",
        "null",
        &format!(
            "http://evil.example:{}",
            server.url.rsplit(':').next().unwrap()
        ),
    ] {
        let (status, body) = api.send(json_post(origin)).await;
        assert_eq!(status, 403, "{origin}: {body}");
        assert_eq!(
            api.send(authed(Method::GET, "/v1/actors").header("origin", origin.to_string()))
                .await
                .0,
            403
        );
    }
    assert_eq!(actor_count(&api).await, 1);
    assert_eq!(
        api.send(authed(Method::GET, "/v1/actors").header("origin", server.url.clone()))
            .await
            .0,
        200
    );

    // DNS rebinding: a Host that is not ours is refused; loopback names are fine.
    let port = server.url.rsplit(':').next().unwrap().to_string();
    for host in [
        format!("evil.example:{port}"),
        "evil.example".to_string(),
        format!("127.0.0.1:{}", free_port()),
    ] {
        let (status, body) = api
            .send(authed(Method::GET, "/v1/actors").header("host", host.clone()))
            .await;
        assert!((400..500).contains(&status), "{host}: {status} {body}");
        assert_eq!(
            api.send(
                api.request(Method::GET, "/v1/health")
                    .header("host", host.clone())
            )
            .await
            .0,
            400,
            "{host}"
        );
    }
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        assert_eq!(
            api.send(authed(Method::GET, "/v1/actors").header("host", host.clone()))
                .await
                .0,
            200,
            "{host}"
        );
    }

    // No CORS: a preflight gets no permission.
    let preflight = api
        .request(Method::OPTIONS, "/v1/actors")
        .header("origin", "http://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        preflight.status().is_client_error(),
        "{}",
        preflight.status()
    );
    assert!(
        preflight
            .headers()
            .keys()
            .all(|k| !k.as_str().starts_with("access-control-")),
        "{:?}",
        preflight.headers()
    );
    assert_eq!(actor_count(&api).await, 1);
}

#[tokio::test]
async fn short_or_disguised_id_prefixes_and_wrapping_numbers_get_400() {
    let s = Scratch::new();
    let server = ServerProc::start(&s, &[]);
    let api = Api::new(&server);
    let (status, view) = api
        .post("/v1/actors", json!({"manifest": counter(&s, "counter")}))
        .await;
    assert_eq!(status, 201, "{view}");
    let id = view["id"].as_str().unwrap().to_string();

    for prefix in [
        &id[..4],
        &id[..7],
        "7%25%25%25",
        &format!("{}%25", &id[..7]),
        "%25%25%25%25%25%25%25%25",
    ] {
        let (status, body) = api.get(&format!("/v1/actors/{prefix}")).await;
        assert_eq!(status, 400, "{prefix}: {body}");
        let (status, _) = api
            .post(&format!("/v1/actors/{prefix}/send"), json!({"text": "inc"}))
            .await;
        assert_eq!(status, 400, "{prefix}");
    }
    // `_` and `.` are id characters, matched literally (never as wildcards).
    let (status, body) = api.get(&format!("/v1/actors/{}_", &id[..7])).await;
    assert_eq!(status, 404, "{body}");
    let (status, found) = api.get(&format!("/v1/actors/{}", &id[..8])).await;
    assert_eq!((status, found["id"].as_str()), (200, Some(id.as_str())));
    let stderr = assert_clean_failure(&cli(&s, &["send", &id[..4], "inc"]));
    assert!(
        stderr.contains("at least its first 8 characters"),
        "{stderr}"
    );
    assert_eq!(
        api.get(&format!("/v1/actors/{id}/state")).await.1["state"]["text"],
        "0"
    );

    let events = format!("/v1/actors/{id}/events");
    for query in [
        "from=9223372036854775808",
        "from=18446744073709551615",
        "from=18446744073709551616",
        "from=-1",
        "limit=-1",
        "from=1e3",
    ] {
        let (status, body) = api.get(&format!("{events}?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
    }
    let (status, page) = api.get(&format!("{events}?from=9223372036854775807")).await;
    assert_eq!(
        (status, page["events"].as_array().map(Vec::len)),
        (200, Some(0)),
        "{page}"
    );
    let (status, page) = api
        .get(&format!("{events}?limit=18446744073709551615"))
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(!page["events"].as_array().unwrap().is_empty());

    let stream = format!("/v1/actors/{id}/events/stream");
    for last in ["18446744073709551615", "9223372036854775808", "-1", "seven"] {
        let request = api
            .request(Method::GET, &stream)
            .bearer_auth(api.token.as_deref().unwrap())
            .header("last-event-id", last);
        let (status, body) = tokio::time::timeout(Duration::from_secs(10), api.send(request))
            .await
            .expect("answered");
        assert_eq!(status, 400, "Last-Event-ID {last}: {body}");
    }
    let (status, _) = tokio::time::timeout(
        Duration::from_secs(10),
        api.get(&format!("{stream}?from=9223372036854775808")),
    )
    .await
    .unwrap();
    assert_eq!(status, 400);
}

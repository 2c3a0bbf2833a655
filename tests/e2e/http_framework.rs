//! Actors serve HTTP and WebSocket through `http-framework`: the `raw-http` fixture, written
//! against the original Theater's signatures, from the original's manifest forms (inline
//! `[[handler]]` under `theater run`, the older `[[handlers]]` under `theater server`),
//! driven by a real HTTP client (reqwest) and a real WebSocket client (tokio-tungstenite).
//! Every request, response and WebSocket message is in the actor's chain, which verifies
//! and replays hash for hash without a socket. http_hostile.rs attacks the servers.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use theater_e2e::http::{
    assert_verifies_and_replays, eventually, port_is_free, upstream_http_manifest, RunProc,
    UPSTREAM_INLINE, UPSTREAM_OLDER,
};
use theater_e2e::server::ServerProc;
use theater_e2e::{texts, Scratch};
use tokio_tungstenite::tungstenite::Message;

/// GET `url`: status and body.
async fn get(client: &reqwest::Client, url: &str) -> (u16, String) {
    let response = client.get(url).send().await.expect("send the request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("read the body"))
}

/// The fixture's pages, middleware and WebSocket echo, through `base` (`http://ADDR`).
async fn exercise(base: &str) {
    let client = reqwest::Client::new();
    assert_eq!(
        get(&client, &format!("{base}/hello")).await,
        (200, "hello, world".into())
    );
    assert_eq!(
        get(&client, &format!("{base}/users/42")).await,
        (200, "user 42".into())
    );
    let echoed = client
        .post(format!("{base}/echo"))
        .body("some bytes")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.text().await.unwrap(), "some bytes");
    assert_eq!(
        get(&client, &format!("{base}/private/x")).await.0,
        403,
        "the middleware refuses"
    );
    let with_key = client
        .get(format!("{base}/private/x"))
        .header("x-key", "open")
        .send()
        .await
        .unwrap();
    assert_eq!(with_key.status().as_u16(), 200);
    assert_eq!(get(&client, &format!("{base}/nothing")).await.0, 404);
    assert_eq!(
        client
            .delete(format!("{base}/hello"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        405
    );

    let ws_url = format!("{}/ws", base.replacen("http://", "ws://", 1));
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url)
        .await
        .expect("WebSocket connects");
    ws.send(Message::text("hi")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "hi", "echoed");
    ws.send(Message::binary(vec![0u8, 1, 2])).await.unwrap();
    match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
        Ok(Some(Ok(Message::Binary(data)))) => assert_eq!(&data[..], [0, 1, 2]),
        other => panic!("expected the binary echo, got {other:?}"),
    }
    ws.send(Message::text("push")).await.unwrap();
    assert_eq!(
        next_text(&mut ws).await,
        "pushed",
        "sent by the actor with send-websocket-message"
    );
    assert_eq!(next_text(&mut ws).await, "push", "then the echo");
    ws.send(Message::text("bye")).await.unwrap();
    match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
        Ok(Some(Ok(Message::Close(_))) | None | Some(Err(_))) => {}
        other => panic!("expected the actor to close the connection, got {other:?}"),
    }
}

async fn next_text<S>(ws: &mut S) -> String
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
        Ok(Some(Ok(Message::Text(text)))) => text.to_string(),
        other => panic!("expected a text message, got {other:?}"),
    }
}

/// The chain's event types, in order.
fn event_types(s: &Scratch, id: &str) -> Vec<String> {
    let out = s.run(&["export", id]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|e| e["type"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_http_serves_under_theater_run_and_replays_without_a_socket() {
    let s = Scratch::new();
    let manifest = upstream_http_manifest(&s, "web", UPSTREAM_INLINE);
    let mut run = RunProc::start(&s, &manifest, &[]);
    assert!(
        run.log().contains("original Theater's manifest format"),
        "{}",
        run.log()
    );
    assert!(run.log().contains("serving on 127.0.0.1:"), "{}", run.log());
    exercise(&format!("http://{}", run.addr)).await;
    assert!(
        run.stop().success(),
        "theater run stops the actor on SIGTERM:\n{}",
        run.log()
    );
    assert!(
        eventually(Duration::from_secs(10), || port_is_free(run.addr)),
        "the port is free again"
    );

    let types = event_types(&s, &run.id);
    for expected in [
        "theater:simple/http-framework/create-server",
        "theater:simple/http-framework/start-server",
        "theater:simple/http-framework/send-websocket-message",
        "theater:simple/http-framework/close-websocket",
    ] {
        assert!(
            types.iter().any(|t| t == expected),
            "{expected} in {types:?}"
        );
    }
    let out = s.run(&["events", &run.id, "--json"]);
    let events = texts(&out).0;
    for export in [
        "http-handlers.handle-request",
        "http-handlers.handle-middleware",
        "http-handlers.handle-websocket-connect",
        "http-handlers.handle-websocket-message",
        "http-handlers.handle-websocket-disconnect",
    ] {
        assert!(events.contains(export), "{export} recorded:\n{events}");
    }
    assert!(events.contains("hello, world"), "the response is recorded");
    // The replay opens no socket: with the recorded port taken by another listener, it
    // still answers start-server (and every request) from the chain.
    let _taken = std::net::TcpListener::bind(run.addr).expect("bind the recorded port");
    assert!(assert_verifies_and_replays(&s, &run.id) > 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_http_serves_a_thousand_concurrent_requests_under_theater_server() {
    let s = Scratch::new();
    // The original's older form, with Theater's default bounds (1024 connections).
    let manifest = upstream_http_manifest(&s, "web", UPSTREAM_OLDER);
    let server = ServerProc::start(&s, &[]);
    let cli = |args: &[&str]| server.client(&s, args);
    let id = cli(&["start", manifest.to_str().unwrap(), "--id-only"])
        .trim()
        .to_string();
    let view: Value = serde_json::from_str(&cli(&["inspect", &id, "--json"])).unwrap();
    let address = view["listening"][0]["address"]
        .as_str()
        .expect("a listening server")
        .to_string();
    assert_eq!(view["listening"][0]["server_id"], 1, "{view}");
    assert!(cli(&["inspect", &id]).contains(&format!("listens:  {address} (server 1)")));
    let base = format!("http://{address}");
    exercise(&base).await;

    let client = reqwest::Client::new();
    let requests = (0..1000).map(|i| {
        let client = client.clone();
        let url = format!("{base}/users/{i}");
        async move { (i, get(&client, &url).await) }
    });
    let answers = futures_util::future::join_all(requests).await;
    for (i, answer) in answers {
        assert_eq!(answer, (200, format!("user {i}")), "request {i}");
    }
    let state = cli(&["state", &id]);
    assert!(state.contains("served="), "{state}");

    cli(&["stop", &id]);
    assert!(eventually(Duration::from_secs(10), || port_is_free(
        address.parse().unwrap()
    )));
    let view: Value = serde_json::from_str(&cli(&["inspect", &id, "--json"])).unwrap();
    assert_eq!(
        view["listening"],
        Value::Array(vec![]),
        "a stopped actor listens nowhere"
    );
    drop(server);
    assert!(assert_verifies_and_replays(&s, &id) > 2000);
}

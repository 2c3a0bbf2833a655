//! Hostile clients and actors against `http-framework` servers (the `raw-http` fixture): too
//! big, too many, too slow, malformed, floods, addresses the grant does not allow, a port
//! already taken, an actor that never answers or panics. Each is refused with a clear
//! status or error; what the host refuses never reaches the actor; the host and other actors
//! live on, and every chain verifies and replays hash for hash.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use theater_e2e::http::{
    assert_verifies_and_replays, eventually, http_manifest, port_is_free, RunProc,
};
use theater_e2e::server::ServerProc;
use theater_e2e::{assert_clean_failure, texts, Scratch};
use tokio_tungstenite::tungstenite::Message;

/// Send raw bytes on a new connection and read what comes back until the server closes it
/// or 30 s pass.
fn raw_exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.write_all(request).expect("send");
    read_until_closed(&mut stream)
}

fn read_until_closed(stream: &mut TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("read timeout");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// The first line of a raw response (`HTTP/1.1 200 OK`).
fn status_line(response: &str) -> &str {
    response.lines().next().unwrap_or_default()
}

async fn get(url: &str) -> (u16, String) {
    let r = reqwest::get(url).await.expect("request");
    let status = r.status().as_u16();
    (status, r.text().await.unwrap_or_default())
}

/// How many `http-handlers` calls the actor's chain records.
fn handler_calls(s: &Scratch, id: &str) -> usize {
    let out = s.run(&["events", id, "--json"]);
    texts(&out)
        .0
        .matches("\"http-handlers.handle-request\"")
        .count()
        / 2
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_and_headers_over_the_grant_never_reach_the_actor() {
    let s = Scratch::new();
    let manifest = http_manifest(
        &s,
        "web",
        "max_body_bytes = 100\nmax_header_bytes = 1024\nmax_headers = 8",
        "",
    );
    let mut run = RunProc::start(&s, &manifest, &[]);
    let client = reqwest::Client::new();
    let post = |body: Vec<u8>| client.post(run.url("/echo")).body(body).send();
    assert_eq!(
        post(vec![b'a'; 101]).await.unwrap().status().as_u16(),
        413,
        "announced length"
    );
    // No content-length: the body is cut off at the limit as it streams in.
    let chunked = format!(
        "POST /echo HTTP/1.1\r\nhost: x\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n3c\r\n{}\r\n3c\r\n{}\r\n0\r\n\r\n",
        "b".repeat(60),
        "c".repeat(60)
    );
    let response = raw_exchange(run.addr, chunked.as_bytes());
    assert!(
        status_line(&response).starts_with("HTTP/1.1 413"),
        "streamed body: {response}"
    );
    let big_header = client
        .get(run.url("/hello"))
        .header("x-big", "v".repeat(2000))
        .send()
        .await
        .unwrap();
    assert_eq!(big_header.status().as_u16(), 431);
    let mut many = client.get(run.url("/hello"));
    for i in 0..20 {
        many = many.header(format!("x-h{i}"), "v");
    }
    assert_eq!(
        many.send().await.unwrap().status().as_u16(),
        431,
        "more headers than max_headers"
    );
    // A client's own route parameter is dropped: the actor sees the path's.
    let spoofed = client
        .get(run.url("/users/7"))
        .header("x-route-param-id", "evil")
        .send()
        .await
        .unwrap();
    assert_eq!(spoofed.text().await.unwrap(), "user 7");
    // The actor's own framing headers are dropped: the body it sent arrives whole.
    let framed = client.get(run.url("/bad-length")).send().await.unwrap();
    assert_eq!(framed.text().await.unwrap(), "short");
    let fits = post(vec![b'd'; 100]).await.unwrap();
    assert_eq!(
        (fits.status().as_u16(), fits.text().await.unwrap()),
        (200, "d".repeat(100))
    );
    assert!(run.stop().success(), "{}", run.log());
    assert_eq!(
        handler_calls(&s, &run.id),
        3,
        "only the three requests within the grant reached the actor"
    );
    assert_verifies_and_replays(&s, &run.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_slow_and_surplus_connections_are_refused_and_the_server_lives() {
    let s = Scratch::new();
    let manifest = http_manifest(
        &s,
        "web",
        "max_connections = 2\nrequest_timeout_ms = 500",
        "",
    );
    let mut run = RunProc::start(&s, &manifest, &[]);
    let response = raw_exchange(run.addr, b"GARBAGE\r\n\r\n");
    assert!(
        status_line(&response).starts_with("HTTP/1.1 400"),
        "{response}"
    );

    // A client that never finishes its headers is disconnected.
    let mut slow = TcpStream::connect(run.addr).unwrap();
    slow.write_all(b"GET /hello HTTP/1.1\r\nhost: x\r\n")
        .unwrap();
    let cut = read_until_closed(&mut slow);
    assert!(!cut.contains("hello, world"), "{cut}");
    // One that never finishes its body gets 408.
    let response = raw_exchange(
        run.addr,
        b"POST /echo HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: 10\r\n\r\nab",
    );
    assert!(
        status_line(&response).starts_with("HTTP/1.1 408"),
        "{response}"
    );

    // Two connections held open take both slots: a third is answered 503 and closed.
    let held: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(run.addr).unwrap())
        .collect();
    let response = raw_exchange(run.addr, b"GET /hello HTTP/1.1\r\nhost: x\r\n\r\n");
    assert!(
        status_line(&response).starts_with("HTTP/1.1 503"),
        "{response}"
    );
    assert!(
        response.to_ascii_lowercase().contains("retry-after: 1"),
        "{response}"
    );
    assert!(response.contains("max_connections = 2"), "{response}");
    drop(held);
    // The slots free as the held connections close (or time out): then it serves again.
    let url = run.url("/hello");
    let mut served = false;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !served && Instant::now() < deadline {
        served = matches!(reqwest::get(&url).await, Ok(r) if r.status() == 200);
    }
    assert!(served, "the server serves again once connections free up");
    assert!(run.running());
    assert!(run.stop().success(), "{}", run.log());
    assert_verifies_and_replays(&s, &run.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_off_the_bind_list_and_taken_ports_are_clear_errors() {
    let s = Scratch::new();
    let cases = [
        ("any-address", "", "host=0.0.0.0", "listening on 0.0.0.0:0 refused: not on this actor's bind list ([[handler]] type = \"http-framework\" bind = [\"127.0.0.1\", \"[::1]\"])"),
        ("port-zero", "bind = [\"127.0.0.1:8000-8099\"]", "", "listening on 127.0.0.1:0 refused"),
        ("port-out", "bind = [\"127.0.0.1:8000-8099\"]", "port=9000", "listening on 127.0.0.1:9000 refused"),
        ("named-host", "", "host=example.com", "host \"example.com\" is not an IP address"),
        ("no-servers", "max_servers = 0", "", "one more server would pass this actor's max_servers of 0"),
        ("tls", "", "tls=cert.pem", "TLS is not served by Theater's http-framework"),
    ];
    for (name, options, init, says) in cases {
        let manifest = http_manifest(&s, name, options, "");
        let init_file = s.file(&format!("{name}.init"), init);
        let out = s.run(&[
            "run",
            manifest.to_str().unwrap(),
            "--init-state",
            init_file.to_str().unwrap(),
        ]);
        let stderr = assert_clean_failure(&out);
        assert!(stderr.contains(says), "{name}: {stderr}");
    }
    // Not granted at all: refused before it runs, naming the entry to add.
    let ungranted = s.manifest(
        "ungranted",
        &theater_e2e::fixtures().component("raw-http"),
        "",
    );
    let stderr = assert_clean_failure(&s.run(&["run", ungranted.to_str().unwrap()]));
    assert!(stderr.contains("type = \"http-framework\""), "{stderr}");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let manifest = http_manifest(&s, "taken", "", "");
    let init_file = s.file("taken.init", format!("port={port}"));
    let out = s.run(&[
        "run",
        manifest.to_str().unwrap(),
        "--init-state",
        init_file.to_str().unwrap(),
        "--json",
    ]);
    let summary: Value = serde_json::from_slice(&out.stdout).expect("a JSON summary");
    let error = summary["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{summary}"
    );
    assert!(!out.status.success());
    assert_verifies_and_replays(&s, summary["actor_id"].as_str().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_actor_answers_500_its_supervisor_restarts_it_and_the_others_live() {
    let s = Scratch::new();
    let failing = http_manifest(
        &s,
        "failing",
        "",
        "restart = \"permanent\"\n[limits]\ncall_timeout_ms = 300\n",
    );
    let bystander = http_manifest(&s, "bystander", "", "");
    let server = ServerProc::start(&s, &[]);
    let cli = |args: &[&str]| server.client(&s, args);
    let address = |id: &str| -> Option<SocketAddr> {
        let view: Value = serde_json::from_str(&cli(&["inspect", id, "--json"])).unwrap();
        view["listening"][0]["address"]
            .as_str()
            .and_then(|a| a.parse().ok())
    };
    let id = cli(&["start", failing.to_str().unwrap(), "--id-only"])
        .trim()
        .to_string();
    let other = cli(&["start", bystander.to_str().unwrap(), "--id-only"])
        .trim()
        .to_string();
    let other_addr = address(&other).expect("the bystander listens");

    for (path, says) in [
        ("/bad-status", "status 1000"),
        ("/panic", "the actor failed"),
        ("/spin", "the actor failed"),
    ] {
        let first = address(&id).expect("the actor listens");
        let (status, body) = get(&format!("http://{first}{path}")).await;
        assert!(
            status == 500 && body.contains(says),
            "{path}: {status} {body}"
        );
        if path == "/bad-status" {
            continue;
        }
        // The failure closed its server; the root supervisor restarts it, and its init
        // listens again (on a new port: it asks for port 0).
        assert!(
            eventually(Duration::from_secs(30), || port_is_free(first)),
            "{path}: the old port is free"
        );
        let mut again = None;
        assert!(
            eventually(Duration::from_secs(30), || {
                again = address(&id);
                again.is_some()
            }),
            "{path}: restarted and listening"
        );
        let (status, body) = get(&format!("http://{}/hello", again.unwrap())).await;
        assert_eq!((status, body.as_str()), (200, "hello, world"), "{path}");
        assert_eq!(
            get(&format!("http://{other_addr}/hello")).await.0,
            200,
            "the bystander lives"
        );
    }
    let view: Value = serde_json::from_str(&cli(&["inspect", &id, "--json"])).unwrap();
    assert_eq!(view["restarts"], 2, "{view}");
    drop(server);
    assert_verifies_and_replays(&s, &id);
    assert_verifies_and_replays(&s, &other);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_flood_is_answered_in_order_and_an_oversized_message_closes_only_its_connection(
) {
    let s = Scratch::new();
    let manifest = http_manifest(&s, "web", "max_body_bytes = 1000", "");
    let mut run = RunProc::start(&s, &manifest, &[]);
    let url = format!("ws://{}/ws", run.addr);
    let (ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let (mut tx, mut rx) = ws.split();
    let flood = tokio::spawn(async move {
        for i in 0..500 {
            tx.send(Message::text(format!("m{i}"))).await.unwrap();
        }
        tx
    });
    for i in 0..500 {
        match tokio::time::timeout(Duration::from_secs(30), rx.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => assert_eq!(t.as_str(), format!("m{i}")),
            other => panic!("echo {i}: {other:?}"),
        }
    }
    let mut tx = flood.await.unwrap();
    tx.send(Message::text("x".repeat(2000))).await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match rx.next().await {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return true,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert_eq!(
        closed,
        Ok(true),
        "the oversized message closed the connection"
    );
    let (mut fresh, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    fresh.send(Message::text("still here")).await.unwrap();
    match tokio::time::timeout(Duration::from_secs(30), fresh.next()).await {
        Ok(Some(Ok(Message::Text(t)))) => assert_eq!(t.as_str(), "still here"),
        other => panic!("{other:?}"),
    }
    assert!(run.stop().success(), "{}", run.log());
    assert_verifies_and_replays(&s, &run.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_actor_that_stops_its_server_frees_the_port_and_lives_on() {
    let s = Scratch::new();
    let manifest = http_manifest(&s, "web", "", "");
    let mut run = RunProc::start(&s, &manifest, &[]);
    let response = reqwest::Client::new()
        .post(run.url("/stop-server"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "running: false");
    assert!(
        eventually(Duration::from_secs(10), || port_is_free(run.addr)),
        "stop-server frees the port"
    );
    assert!(run.running(), "the actor and theater run live on");
    assert!(run.stop().success(), "{}", run.log());
    assert_verifies_and_replays(&s, &run.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_serves_only_within_its_parents_grant() {
    let rig = theater_e2e::peers::PeerRig::new(std::sync::Arc::new(|_| {}));
    let parent_grant = "[[handler]]\ntype = \"http-framework\"\nbind = [\"127.0.0.1:20000-29999\"]\nmax_body_bytes = 100\n";
    rig.peer("parent", parent_grant);
    let parent = rig.start("parent").await;
    // Theater's default bind (any loopback port) and a larger body are wider than the parent's.
    http_manifest(&rig.s, "wide", "max_body_bytes = 1000", "");
    let refused = rig.ask(&parent, "spawn wide.toml").await;
    for says in [
        "asks for more than its parent holds",
        "[[handler]] type = \"http-framework\" bind: the child asks for \"127.0.0.1\"",
        "[[handler]] type = \"http-framework\" max_body_bytes: the child asks for 1000, the parent has 100",
    ] {
        assert!(refused.contains(says), "{says}: {refused}");
    }
    // Within the parent's range, on a port that is free now.
    let port = (20000..30000)
        .find(|p| port_is_free(SocketAddr::from(([127, 0, 0, 1], *p))))
        .expect("a free port in the parent's range");
    rig.s.file("narrow.init", format!("port={port}"));
    http_manifest(
        &rig.s,
        "narrow",
        &format!("bind = [\"127.0.0.1:{port}\"]\nmax_body_bytes = 100"),
        "init_state = \"narrow.init\"",
    );
    let child = rig.ask(&parent, "spawn narrow.toml").await;
    assert!(
        !child.starts_with("error") && !child.starts_with("err"),
        "{child}"
    );
    assert_eq!(
        rig.theater.listening_servers(&child)[0].address.port(),
        port,
        "the child listens where its grant allows"
    );
    let (status, body) = get(&format!("http://127.0.0.1:{port}/hello")).await;
    assert_eq!((status, body.as_str()), (200, "hello, world"));
    rig.theater.stop(&parent).await.expect("stop the tree");
    assert!(
        eventually(Duration::from_secs(10), || port_is_free(SocketAddr::from(
            ([127, 0, 0, 1], port)
        ))),
        "the child's server stopped with the tree"
    );
    rig.theater.shutdown().await.expect("flush");
    assert_verifies_and_replays(&rig.s, &child);
    assert_verifies_and_replays(&rig.s, &parent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_websocket_holds_its_connection_slot() {
    let s = Scratch::new();
    let manifest = http_manifest(&s, "web", "max_connections = 1", "");
    let mut run = RunProc::start(&s, &manifest, &[]);
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", run.addr))
        .await
        .unwrap();
    let response = raw_exchange(run.addr, b"GET /hello HTTP/1.1\r\nhost: x\r\n\r\n");
    assert!(
        status_line(&response).starts_with("HTTP/1.1 503"),
        "{response}"
    );
    drop(ws);
    let url = run.url("/hello");
    let mut served = false;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !served && Instant::now() < deadline {
        served = matches!(reqwest::get(&url).await, Ok(r) if r.status() == 200);
    }
    assert!(served, "the slot frees when the WebSocket closes");
    assert!(run.stop().success(), "{}", run.log());
    assert_verifies_and_replays(&s, &run.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_serving_its_chain_still_verifies() {
    let s = Scratch::new();
    let manifest = http_manifest(&s, "web", "", "");
    let mut run = RunProc::start(&s, &manifest, &[]);
    let client = reqwest::Client::new();
    let load: Vec<_> = (0..200)
        .map(|i| {
            let (client, url) = (client.clone(), run.url(&format!("/users/{i}")));
            tokio::spawn(async move { client.get(url).send().await.map(|r| r.status().as_u16()) })
        })
        .collect();
    // Kill it once some requests were answered, with others still in flight.
    let mut answered = false;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !answered && Instant::now() < deadline {
        answered = load.iter().any(|t| t.is_finished());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(!run.kill().success(), "killed");
    for task in load {
        // Answered, or cut off by the kill: never anything else.
        if let Ok(status) = task.await.unwrap() {
            assert_eq!(status, 200);
        }
    }
    let out = s.run(&["verify", &run.id]);
    let (stdout, stderr) = texts(&out);
    assert!(
        out.status.success(),
        "verify after the kill: {stdout}{stderr}"
    );
    assert!(port_is_free(run.addr), "the kill freed the port");
}

//! HTTP through an actor: the `raw-http` fixture serving `GET /hello` through
//! `http-framework` (each request a recorded `handle-request` call through its mailbox),
//! against a plain axum handler answering the same bytes, in the same process and run.
//! Both are driven by the same client: `CLIENTS` concurrent keep-alive connections, each
//! sending its share of `REQUESTS` one after the other, timing every request.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use theater_e2e::http::http_manifest;
use theater_e2e::Scratch;
use theater_runtime::Manifest;

use crate::report::{self, Latency, Table};
use crate::setup;

/// Concurrent clients, each on its own keep-alive connection.
const CLIENTS: usize = 32;
/// Requests per measured run, shared among the clients.
const REQUESTS: usize = 20_000;
/// Runs per side (alternating), the median's rate and the pooled latencies reported.
const RUNS: usize = 3;

/// What the fixture answers to `GET /hello`, and so the baseline too.
const HELLO: &str = "hello, world";

/// One measured run: requests per second and every request's latency.
struct Run {
    per_s: f64,
    latencies: Vec<Duration>,
}

pub fn run(table: &mut Table) {
    let scratch = Scratch::new();
    let path = http_manifest(&scratch, "web", "", "[limits]\nmailbox = 4096\n");
    let manifest = Manifest::load(&path).expect("the bench's manifest is valid");
    let (actor, plain) = setup::block_on(measure(&scratch, manifest));
    let median = |runs: &[Run]| report::median(runs.iter().map(|r| r.per_s).collect());
    let pooled = |runs: Vec<Run>| Latency::of(runs.into_iter().flat_map(|r| r.latencies).collect());
    let (actor_rate, plain_rate) = (median(&actor), median(&plain));
    let figure = format!(
        "GET /hello through an actor (raw-http: http-framework, one recorded handle-request call each) vs a plain axum handler answering the same bytes; {CLIENTS} keep-alive clients, {REQUESTS} requests a run, median of {RUNS} runs"
    );
    table.row(
        "http",
        format!("{figure}: requests/s"),
        report::rate(actor_rate, "req"),
        Some(report::rate(plain_rate, "req")),
        Some(report::slower_rate(actor_rate, plain_rate)),
        None,
    );
    let (actor, plain) = (pooled(actor), pooled(plain));
    for (name, a, p) in [("p50", actor.p50, plain.p50), ("p99", actor.p99, plain.p99)] {
        table.row(
            "http",
            format!("latency of one request under that load, {name} (all runs pooled)"),
            report::time(a),
            Some(report::time(p)),
            Some(report::slower(a, p)),
            None,
        );
    }
}

/// Runs of both sides, alternating, after a warm-up of each.
async fn measure(scratch: &Scratch, manifest: Manifest) -> (Vec<Run>, Vec<Run>) {
    let theater = setup::theater(&scratch.path().join("http"), 4);
    let id = theater
        .spawn(manifest, None, None)
        .await
        .expect("spawn raw-http");
    let actor = theater
        .listening_servers(&id)
        .first()
        .expect("raw-http listens")
        .address;
    let plain = plain_server().await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .expect("an HTTP client");
    for addr in [actor, plain] {
        load(&client, addr, REQUESTS / 10).await;
    }
    let (mut actor_runs, mut plain_runs) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        actor_runs.push(load(&client, actor, REQUESTS).await);
        plain_runs.push(load(&client, plain, REQUESTS).await);
    }
    theater.stop(&id).await.expect("stop raw-http");
    (actor_runs, plain_runs)
}

/// A plain axum server answering `GET /hello` as the fixture does.
async fn plain_server() -> SocketAddr {
    let app = axum::Router::new().route(
        "/hello",
        axum::routing::get(|| async { ([("content-type", "text/plain")], HELLO) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the baseline's port");
    let addr = listener.local_addr().expect("the baseline's address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// `requests` GETs of `/hello` on `addr` from `CLIENTS` concurrent clients; every answer
/// is checked.
async fn load(client: &reqwest::Client, addr: SocketAddr, requests: usize) -> Run {
    let url: Arc<str> = format!("http://{addr}/hello").into();
    let started = Instant::now();
    let workers: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (client, url) = (client.clone(), url.clone());
            let share = requests / CLIENTS + usize::from(i < requests % CLIENTS);
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(share);
                for _ in 0..share {
                    let sent = Instant::now();
                    let response = client.get(&*url).send().await.expect("a response");
                    assert_eq!(response.status(), 200, "{url}");
                    let body = response.text().await.expect("a body");
                    latencies.push(sent.elapsed());
                    assert_eq!(body, HELLO, "{url}");
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(requests);
    for worker in workers {
        latencies.extend(worker.await.expect("a client task"));
    }
    Run {
        per_s: report::per_second(requests as u64, started.elapsed()),
        latencies,
    }
}

//! Actors talking: requests, sends, channels and deferred replies between real fixture
//! actors, with their causal links in both chains followed to the exact events, and every failure mode a clear error
//! to the calling actor, which keeps running.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use theater_e2e::{chains, fixtures, Scratch};
use theater_runtime::chain::payload::decode;
use theater_runtime::chain::Event;
use theater_runtime::{Manifest, Theater, TheaterConfig};

const GRANTS: &str = "[[handler]]\ntype = \"message-server\"\n[[handler]]\ntype = \"supervisor\"\n";

async fn peer(theater: &Theater, s: &Scratch, name: &str, limits: &str) -> String {
    let m = s.manifest(
        name,
        &fixtures().component("raw-peer"),
        &format!("{GRANTS}{limits}"),
    );
    theater
        .spawn(Manifest::load(&m).unwrap(), None, None)
        .await
        .unwrap()
}

fn runtime(s: &Scratch) -> Theater {
    let mut config = TheaterConfig::new(Some(s.home()));
    config.logs = std::sync::Arc::new(|_| {});
    Theater::new(config).unwrap()
}

async fn ask(theater: &Theater, id: &str, msg: &str) -> String {
    String::from_utf8(theater.request(id, msg.as_bytes().to_vec()).await.unwrap()).unwrap()
}

fn chain(theater: &Theater, id: &str) -> Vec<Event> {
    chains::events(theater, id)
}

/// The `(actor, event)` of a causal link stored under `key` in an event's payload.
fn link(event: &Event, key: &str) -> Option<(String, Vec<u8>)> {
    use ciborium::value::Value;
    let Value::Map(fields) = decode(&event.payload).ok()? else {
        return None;
    };
    let (_, Value::Map(link)) = fields.into_iter().find(|(k, _)| k.as_text() == Some(key))? else {
        return None;
    };
    let get = |name: &str| {
        link.iter()
            .find(|(k, _)| k.as_text() == Some(name))
            .map(|(_, v)| v.clone())
    };
    Some((
        get("actor")?.into_text().ok()?,
        get("event")?.into_bytes().ok()?,
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_pong_a_thousand_requests_followed_through_cause_and_link_to_the_exact_events() {
    let s = Scratch::new();
    let theater = runtime(&s);
    let a = peer(&theater, &s, "a", "").await;
    let b = peer(&theater, &s, "b", "").await;
    assert_eq!(
        ask(&theater, &a, &format!("pingpong {b} 1000")).await,
        "ok 1000"
    );

    let a_chain = chain(&theater, &a);
    let b_chain = chain(&theater, &b);
    let b_by_hash: HashMap<[u8; 32], usize> = b_chain
        .iter()
        .enumerate()
        .map(|(i, e)| (e.hash, i))
        .collect();

    let requests: Vec<usize> = a_chain
        .iter()
        .enumerate()
        .filter(|(_, e)| e.event_type == "theater:simple/message-server-host/request")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(requests.len(), 1000);
    let mut answered = HashSet::new();
    for (n, &k) in requests.iter().enumerate() {
        // The event that sent ping n: A's `message/outgoing`, recorded just before the call's own event.
        let sent = &a_chain[k - 1];
        assert_eq!(
            sent.event_type,
            "message/outgoing",
            "A's event {} is not the sending event",
            k - 1
        );
        // B handled exactly that message: its call's cause names the sending event.
        let calls: Vec<usize> = b_chain
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.event_type == "wasm/call"
                    && link(e, "cause") == Some((a.clone(), sent.hash.to_vec()))
            })
            .map(|(j, _)| j)
            .collect();
        assert_eq!(
            calls.len(),
            1,
            "ping {n}: B's calls caused by A's event {}: {calls:?}",
            k - 1
        );
        let call = calls[0];
        let params = decode_json(&b_chain[call]);
        assert_eq!(
            params["params"][1],
            format!("ping {n}"),
            "ping {n} is the message B handled"
        );
        // A's request event links to B's result of that very call.
        let (actor, event) =
            link(&a_chain[k], "link").unwrap_or_else(|| panic!("request {n} has no link"));
        assert_eq!(actor, b);
        let result = b_by_hash
            .get(&<[u8; 32]>::try_from(event).unwrap())
            .copied()
            .unwrap_or_else(|| panic!("request {n} links outside B"));
        assert_eq!(
            (b_chain[result].event_type.as_str(), result),
            ("wasm/result", call + 1),
            "request {n} links to B's result of its call"
        );
        assert!(answered.insert(result), "two requests link to one result");
    }
}

fn decode_json(event: &Event) -> serde_json::Value {
    theater_runtime::chain::payload::bytes_to_json(&event.payload)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_to_a_stopped_actor_is_a_clear_error() {
    let s = Scratch::new();
    let theater = runtime(&s);
    let a = peer(&theater, &s, "a", "").await;
    let b = peer(&theater, &s, "b", "").await;
    theater.stop(&b).await.unwrap();
    let answer = ask(&theater, &a, &format!("ask {b} ping 1")).await;
    assert!(
        answer.starts_with("error: ")
            && answer.contains("not running")
            && answer.contains("stopped"),
        "{answer}"
    );
    let answer = ask(&theater, &a, "ask no-such-actor ping 1").await;
    assert!(
        answer.contains("no actor with id no-such-actor"),
        "{answer}"
    );
    assert_eq!(
        ask(&theater, &a, "ping 2").await,
        "pong 2",
        "the caller keeps running"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_mailbox_refuses_sends_with_a_clear_error() {
    let s = Scratch::new();
    let theater = runtime(&s);
    let a = peer(&theater, &s, "a", "").await;
    let b = peer(
        &theater,
        &s,
        "b",
        "[limits]\nmailbox = 2\ncall_timeout_ms = 3000",
    )
    .await;
    // Keep B busy so nothing drains its mailbox.
    let busy = {
        let theater = theater.clone();
        let b = b.clone();
        tokio::spawn(async move { theater.request(&b, b"spin".to_vec()).await })
    };
    // Wait until B has taken `spin` out of its mailbox and is running it.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !chain(&theater, &b)
        .iter()
        .any(|e| e.event_type == "wasm/call" && e.payload.windows(4).any(|w| w == b"spin"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "B never started spinning"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let answer = ask(&theater, &a, &format!("flood {b} 10")).await;
    assert!(
        answer.starts_with("refused 8 ") && answer.contains("mailbox is full (2 messages waiting)"),
        "{answer}"
    );
    assert_eq!(ask(&theater, &a, "ping 1").await, "pong 1");
    assert!(
        busy.await.unwrap().is_err(),
        "B's spin ends at its call timeout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_is_not_answered_in_time_fails_and_the_caller_goes_on() {
    let s = Scratch::new();
    let theater = runtime(&s);
    let a = peer(&theater, &s, "a", "[limits]\nrequest_timeout_ms = 300").await;
    let b = peer(&theater, &s, "b", "[limits]\ncall_timeout_ms = 3000").await;
    let started = std::time::Instant::now();
    let answer = ask(&theater, &a, &format!("ask {b} spin")).await;
    assert!(
        answer.contains("did not answer within 300 ms") && answer.contains("request_timeout_ms"),
        "{answer}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(ask(&theater, &a, "ping 1").await, "pong 1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_cycle_fails_at_once_instead_of_hanging() {
    let s = Scratch::new();
    let theater = runtime(&s);
    let a = peer(&theater, &s, "a", "").await;
    let b = peer(&theater, &s, "b", "").await;
    let started = std::time::Instant::now();
    // A asks B, and B (while A waits) asks A.
    let answer = ask(&theater, &a, &format!("ask {b} ask {a} ping 1")).await;
    assert!(
        answer.starts_with("error: request cycle:") && answer.contains(&a) && answer.contains(&b),
        "{answer}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "cycle detection should not wait for a timeout"
    );
    // A request to oneself is the smallest cycle.
    assert!(ask(&theater, &a, &format!("ask {a} ping 1"))
        .await
        .contains("request cycle"));
    assert_eq!(ask(&theater, &b, "ping 3").await, "pong 3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferred_replies_are_listed_answered_and_cancelled() {
    let s = Scratch::new();
    let theater = runtime(&s);
    let b = peer(&theater, &s, "b", "").await;
    let pending = {
        let (theater, b) = (theater.clone(), b.clone());
        tokio::spawn(async move { theater.request(&b, b"defer".to_vec()).await })
    };
    // One at a time, so which request is which does not depend on scheduling. (Request ids
    // count every request, the polling ones included, so they are read, not assumed.)
    let outstanding = |theater: Theater, b: String, n: usize| async move {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let ids = ask(&theater, &b, "outstanding").await;
            let ids: Vec<String> = ids
                .split(',')
                .filter(|i| !i.is_empty())
                .map(str::to_string)
                .collect();
            if ids.len() == n {
                return ids;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "expected {n} outstanding requests, have {ids:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let first = outstanding(theater.clone(), b.clone(), 1).await.remove(0);
    let cancelled = {
        let (theater, b) = (theater.clone(), b.clone());
        tokio::spawn(async move { theater.request(&b, b"defer".to_vec()).await })
    };
    let both = outstanding(theater.clone(), b.clone(), 2).await;
    let second = both.iter().find(|i| **i != first).cloned().unwrap();
    assert!(both.contains(&first));
    assert_eq!(
        ask(&theater, &b, &format!("respond {first} later")).await,
        "responded"
    );
    assert_eq!(pending.await.unwrap().unwrap(), b"later");
    assert_eq!(
        ask(&theater, &b, &format!("cancel {second}")).await,
        "cancelled"
    );
    assert!(cancelled
        .await
        .unwrap()
        .unwrap_err()
        .to_string()
        .contains(&format!("cancelled request {second}")));
    assert!(ask(&theater, &b, "respond req-9 x")
        .await
        .contains("no outstanding request req-9"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_open_carry_messages_both_ways_and_close() {
    let s = Scratch::new();
    let theater = runtime(&s);
    let a = peer(&theater, &s, "a", "").await;
    let b = peer(&theater, &s, "b", "").await;
    let channel = ask(&theater, &a, &format!("open {b} hello")).await;
    assert!(channel.starts_with("ch-"), "{channel}");
    assert_eq!(
        ask(&theater, &a, &format!("chsend {channel} data")).await,
        "sent"
    );
    assert_eq!(
        ask(&theater, &b, &format!("chsend {channel} back")).await,
        "sent"
    );
    assert_eq!(
        ask(&theater, &a, &format!("chclose {channel}")).await,
        "closed"
    );
    // Channel traffic is asynchronous: wait until B has handled the close.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !ask(&theater, &b, "log").await.contains("closed") {
        assert!(
            std::time::Instant::now() < deadline,
            "B never saw the close"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        ask(&theater, &b, "log").await,
        format!("open {channel} hello|chmsg {channel} data|closed {channel}")
    );
    assert_eq!(
        ask(&theater, &a, "log").await,
        format!("chmsg {channel} welcome|chmsg {channel} back")
    );
    // A closed channel is gone; a declined one never opens.
    assert!(ask(&theater, &a, &format!("chsend {channel} late"))
        .await
        .contains("no open channel"));
    assert!(ask(&theater, &a, &format!("open {b} reject"))
        .await
        .contains("declined the channel"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_learns_who_sent_the_message_and_replay_answers_it_from_the_chain() {
    let s = Scratch::new();
    let theater = runtime(&s);
    let a = peer(&theater, &s, "a", "").await;
    let b = peer(&theater, &s, "b", "").await;
    // B asked by A names A; asked from outside it names nobody; A asked from outside too.
    assert_eq!(ask(&theater, &a, &format!("ask {b} sender")).await, a);
    assert_eq!(ask(&theater, &b, "sender").await, "none");
    assert_eq!(ask(&theater, &a, "sender").await, "none");
    let calls: Vec<Event> = chain(&theater, &b)
        .into_iter()
        .filter(|e| e.event_type.ends_with("/current-sender"))
        .collect();
    assert_eq!(calls.len(), 2, "each answer is recorded");

    theater.stop(&b).await.unwrap();
    let events = chain(&theater, &b);
    let input = theater_runtime::replay::ReplayInput {
        events,
        component: None,
        blobs: Box::new(|_| None),
    };
    let report = theater.replay(input).await.unwrap();
    assert!(report.divergence.is_none(), "{:?}", report.divergence);
}

//! Timers end to end: the `raw-timers` fixture (wit-bindgen, no SDK) ticks N times from its
//! own interval timer under `theater run --wait`, then stops itself; its chain verifies and
//! `theater replay` says identical (the ticks are re-fed from the chain; no timer fires).
//! Hostile: too many timers, an interval of 0 or under the minimum, a huge delay, bad
//! manifest values, a flood of ticks on a full mailbox — each refused or contained while
//! the host and another actor live on and every chain verifies; a restart starts with no
//! timers.

use std::time::{Duration, Instant};

use serde_json::Value;
use theater_e2e::{assert_clean_failure, chains, fixtures, texts, Scratch};
use theater_runtime::{Manifest, Theater, TheaterConfig};

fn timers_manifest(s: &Scratch, name: &str, timers: &str, limits: &str) -> std::path::PathBuf {
    s.manifest(
        name,
        &fixtures().component("raw-timers"),
        &format!("[limits]\n{limits}\n[[handler]]\ntype = \"timers\"\n{timers}"),
    )
}

#[test]
fn a_timer_driven_actor_ticks_n_times_under_theater_run_and_replays_identically() {
    let s = Scratch::new();
    let m = timers_manifest(&s, "ticker", "min_interval_ms = 5", "");
    let out = s.run(&[
        "run",
        m.to_str().unwrap(),
        "--request",
        "start 5 10",
        "--wait",
        "--json",
    ]);
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    let run: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(run["messages"][0]["ok"], "ok 1", "{run}");
    assert_eq!(run["error"], Value::Null, "{run}");
    let ticks: Vec<&str> = stderr.lines().filter(|l| l.contains("] tick ")).collect();
    assert_eq!(
        ticks.len(),
        5,
        "five ticks, then it stopped itself: {stderr}"
    );
    assert!(ticks[4].ends_with("tick 5"), "{ticks:?}");
    let id = run["actor_id"].as_str().unwrap();
    let out = s.run(&["events", id, "--json"]);
    let events: Value = serde_json::from_slice(&out.stdout).unwrap();
    let events = events["events"]
        .as_array()
        .unwrap_or_else(|| events.as_array().unwrap());
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default())
        .collect();
    for t in [
        "theater:simple/timers/set-interval",
        "theater:simple/timers/cancel",
        "theater:simple/runtime/shutdown",
    ] {
        assert_eq!(
            types.iter().filter(|x| **x == t).count(),
            1,
            "{t}: {types:?}"
        );
    }
    // Each tick is a recorded delivery whose cause is the actor's own set-interval call.
    let outgoing = events
        .iter()
        .find(|e| e["type"] == "message/outgoing")
        .expect("set-interval records message/outgoing");
    let ticks: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "wasm/call" && e["view"]["export"] == "handle-send")
        .collect();
    assert_eq!(ticks.len(), 5, "{types:?}");
    for tick in ticks {
        assert_eq!(tick["view"]["params"], serde_json::json!(["tick"]));
        assert_eq!(tick["view"]["cause"]["actor"], id);
        assert_eq!(
            tick["view"]["cause"]["event"]
                .as_str()
                .map(|h| h.trim_start_matches("0x")),
            outgoing["hash"].as_str(),
        );
    }
    let out = s.run(&["verify", id]);
    assert!(out.status.success(), "{:?}", texts(&out));
    let out = s.run(&["replay", id]);
    let (stdout, stderr) = texts(&out);
    assert!(
        out.status.success() && stdout.starts_with(&format!("identical: {} events", run["events"])),
        "{stdout}{stderr}"
    );
}

/// A runtime with a bystander actor that must keep working.
struct Host {
    s: Scratch,
    theater: Theater,
    bystander: String,
}

impl Host {
    async fn new() -> Host {
        let s = Scratch::new();
        let mut config = TheaterConfig::new(Some(s.home()));
        config.logs = std::sync::Arc::new(|_| {});
        let theater = Theater::new(config).unwrap();
        let m = s.manifest("bystander", &fixtures().component("raw-counter"), "");
        let bystander = theater
            .spawn(Manifest::load(&m).unwrap(), None, None)
            .await
            .unwrap();
        Host {
            s,
            theater,
            bystander,
        }
    }

    async fn ticker(&self, timers: &str, limits: &str) -> String {
        let m = timers_manifest(&self.s, "ticker", timers, limits);
        self.theater
            .spawn(Manifest::load(&m).unwrap(), None, None)
            .await
            .unwrap()
    }

    async fn ask(&self, id: &str, msg: &str) -> String {
        chains::ask(&self.theater, id, msg).await
    }

    /// Handled `noop` ticks in `id`'s chain so far.
    fn noops(&self, id: &str) -> usize {
        chains::events(&self.theater, id)
            .iter()
            .filter(|e| e.event_type == "theater:simple/runtime/log")
            .count()
    }

    /// The bystander still works, and every chain verifies and replays identically.
    async fn assert_alive_verified_and_replayed(&self, ids: &[&str]) {
        self.theater
            .send(&self.bystander, b"inc".to_vec())
            .await
            .expect("the bystander still takes messages");
        for id in ids.iter().copied().chain([self.bystander.as_str()]) {
            chains::assert_verifies(&self.theater, id);
        }
        for id in ids {
            chains::assert_replays(&self.theater, id).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_timers_a_zero_or_short_interval_and_a_huge_delay_are_refused() {
    let h = Host::new().await;
    let a = h
        .ticker(
            "max_timers = 2\nmin_interval_ms = 50\nmax_delay_ms = 60000",
            "",
        )
        .await;
    assert_eq!(h.ask(&a, "interval 60000").await, "ok 1");
    assert_eq!(h.ask(&a, "timeout 60000").await, "ok 2");
    let third = h.ask(&a, "interval 60000").await;
    assert!(
        third.starts_with("err this actor already has 2 timers"),
        "{third}"
    );
    assert_eq!(h.ask(&a, "cancel 1").await, "ok cancelled");
    assert_eq!(
        h.ask(&a, "interval 60000").await,
        "ok 3",
        "room again after a cancel"
    );
    let cancelled = h.ask(&a, "cancel 1").await;
    assert!(cancelled.starts_with("err no live timer 1"), "{cancelled}");
    for (ask, says) in [
        (
            "interval 0",
            "interval of 0 ms refused: shorter than this actor's min_interval_ms",
        ),
        ("interval 49", "interval of 49 ms refused"),
        (
            "timeout 18446744073709551615",
            "delay of 18446744073709551615 ms refused: longer than this actor's max_delay_ms",
        ),
        ("interval 60001", "max_delay_ms of 60000"),
    ] {
        let refused = h.ask(&a, ask).await;
        assert!(
            refused.starts_with("err ") && refused.contains(says),
            "{ask}: {refused}"
        );
    }
    h.theater.stop(&a).await.unwrap();
    h.assert_alive_verified_and_replayed(&[&a]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_starts_with_no_timers() {
    let h = Host::new().await;
    let a = h.ticker("", "").await;
    assert_eq!(h.ask(&a, "interval 60000").await, "ok 1");
    h.theater.restart_actor(&a).await.unwrap();
    let after = h.ask(&a, "cancel 1").await;
    assert!(after.starts_with("err no live timer 1"), "{after}");
    assert_eq!(h.ask(&a, "timeout 60000").await, "ok 1", "ids start again");
    h.theater.stop(&a).await.unwrap();
    h.assert_alive_verified_and_replayed(&[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_ticks_on_a_full_mailbox_is_dropped_and_the_host_lives() {
    let h = Host::new().await;
    // Every millisecond, into a mailbox of 2, for an actor that takes a while per tick.
    let a = h.ticker("min_interval_ms = 1", "mailbox = 2").await;
    assert_eq!(h.ask(&a, "interval 1").await, "ok 1");
    let deadline = Instant::now() + Duration::from_secs(60);
    while h.noops(&a) < 20 {
        assert!(Instant::now() < deadline, "the ticks did not arrive");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Requests from outside wait for room, and are answered between ticks.
    assert_eq!(h.ask(&a, "cancel 1").await, "ok cancelled");
    h.theater.stop(&a).await.unwrap();
    h.assert_alive_verified_and_replayed(&[&a]).await;
}

#[test]
fn bad_timer_limits_in_a_manifest_are_errors_naming_the_key() {
    let s = Scratch::new();
    for (timers, says) in [
        ("min_interval_ms = 0", "min_interval_ms = 0 is out of range"),
        (
            "max_delay_ms = 86400001",
            "max_delay_ms = 86400001 is out of range",
        ),
        ("max_timers = 10001", "max_timers = 10001 is out of range"),
        ("max_timer = 1", "max_timer"),
    ] {
        let m = timers_manifest(&s, "bad", timers, "");
        let stderr = assert_clean_failure(&s.run(&["run", m.to_str().unwrap()]));
        assert!(stderr.contains(says), "{timers}: {stderr}");
    }
}

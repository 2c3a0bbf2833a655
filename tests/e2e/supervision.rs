//! Erlang/OTP supervision with real fixture actors: one test per row of the supervision
//! table. A supervisor (raw-peer) spawns children (raw-peer) from manifests; the tests make
//! children fail or exit and check who is restarted, with what state, and what the
//! supervisor's chain and code were told.

use std::time::{Duration, Instant};

use theater_e2e::peers::{PeerRig, PEER_GRANTS as GRANTS};
use theater_e2e::{fixtures, Scratch};
use theater_runtime::chain::{ChainReader, EventFilter};
use theater_runtime::{ActorStatus, Manifest, Theater, TheaterConfig};

struct Tree(PeerRig);

impl std::ops::Deref for Tree {
    type Target = PeerRig;
    fn deref(&self) -> &PeerRig {
        &self.0
    }
}

impl Tree {
    fn new() -> Tree {
        Tree(PeerRig::new(std::sync::Arc::new(|_| {})))
    }

    /// A supervisor with the given [supervision] table and children c1..cN with restart types.
    async fn supervisor_with(&self, supervision: &str, restarts: &[&str]) -> (String, Vec<String>) {
        self.peer("sup", &format!("[supervision]\n{supervision}"));
        let sup = self.start("sup").await;
        let mut children = Vec::new();
        for (i, restart) in restarts.iter().enumerate() {
            let name = format!("c{}", i + 1);
            self.peer(&name, &format!("restart = \"{restart}\""));
            let id = self.ask(&sup, &format!("spawn {name}.toml")).await;
            assert!(!id.starts_with("error"), "{id}");
            children.push(id);
        }
        (sup, children)
    }

    fn restarts(&self, id: &str) -> u32 {
        self.theater.actor(id).unwrap().restarts
    }

    fn status(&self, id: &str) -> ActorStatus {
        self.theater.actor(id).unwrap().handle.status()
    }

    fn event_types(&self, id: &str) -> Vec<String> {
        self.theater.db().sink().flush().unwrap();
        let reader = ChainReader::open(self.theater.db().path()).unwrap();
        reader
            .events(id, &EventFilter::default())
            .unwrap()
            .into_iter()
            .map(|e| e.event_type)
            .collect()
    }

    /// Wait until the supervisor's chain holds `n` events of type `t`.
    async fn wait_for_event(&self, id: &str, t: &str, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.event_types(id).iter().filter(|e| *e == t).count() < n {
            assert!(
                Instant::now() < deadline,
                "no {n} × {t} in {id}'s chain: {:?}",
                self.event_types(id)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_for_one_restarts_only_the_failed_child_with_its_last_committed_state() {
    let t = Tree::new();
    let (sup, c) = t
        .supervisor_with(
            "strategy = \"one-for-one\"",
            &["permanent", "permanent", "permanent"],
        )
        .await;
    t.theater.send(&c[1], b"inc".to_vec()).await.unwrap();
    t.theater.send(&c[1], b"inc".to_vec()).await.unwrap();
    assert!(t.ask(&c[1], "fail").await.contains("asked to fail"));
    t.wait_for_event(&sup, "supervision/restarted", 1).await;
    assert_eq!(t.restarts(&c[1]), 1);
    assert_eq!((t.restarts(&c[0]), t.restarts(&c[2])), (0, 0));
    assert_eq!(
        t.ask(&c[1], "get").await,
        "2",
        "restarted from its last committed state"
    );
    assert_eq!(t.status(&c[1]), ActorStatus::Running);
    assert_eq!(
        t.ask(&sup, "log").await,
        format!("child-error {}", c[1]),
        "the parent's code was told"
    );
    let types = t.event_types(&c[1]);
    assert!(
        types.contains(&"lifecycle/failed".to_string())
            && types.contains(&"lifecycle/restarted".to_string()),
        "chain continues: {types:?}"
    );
    assert_eq!(
        types.iter().filter(|t| *t == "lifecycle/started").count(),
        1,
        "one chain, not a new one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_for_all_restarts_every_child() {
    let t = Tree::new();
    let (sup, c) = t
        .supervisor_with(
            "strategy = \"one-for-all\"",
            &["permanent", "permanent", "permanent"],
        )
        .await;
    t.theater.send(&c[0], b"inc".to_vec()).await.unwrap();
    t.ask(&c[1], "fail").await;
    t.wait_for_event(&sup, "supervision/restarted", 3).await;
    assert_eq!(
        c.iter().map(|id| t.restarts(id)).collect::<Vec<_>>(),
        vec![1, 1, 1]
    );
    assert_eq!(
        t.ask(&c[0], "get").await,
        "1",
        "a sibling keeps its state too"
    );
    assert_eq!(t.ask(&sup, "children").await, c.join(","));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_for_one_restarts_the_failed_child_and_those_started_after_it() {
    let t = Tree::new();
    let (sup, c) = t
        .supervisor_with(
            "strategy = \"rest-for-one\"",
            &["permanent", "permanent", "permanent"],
        )
        .await;
    t.ask(&c[1], "fail").await;
    t.wait_for_event(&sup, "supervision/restarted", 2).await;
    assert_eq!(
        c.iter().map(|id| t.restarts(id)).collect::<Vec<_>>(),
        vec![0, 1, 1]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_child_that_exits_normally_and_a_temporary_one_that_fails_are_not_restarted() {
    let t = Tree::new();
    let (sup, c) = t
        .supervisor_with(
            "strategy = \"one-for-one\"",
            &["transient", "temporary", "transient"],
        )
        .await;
    assert_eq!(t.ask(&c[0], "exit").await, "exiting");
    t.ask(&c[1], "fail").await;
    t.wait_for_event(&sup, "supervision/not-restarted", 2).await;
    assert_eq!((t.restarts(&c[0]), t.restarts(&c[1])), (0, 0));
    assert_eq!(t.status(&c[0]), ActorStatus::Stopped);
    assert!(matches!(t.status(&c[1]), ActorStatus::Failed(_)));
    // The two notifications race each other; what matters is that both were delivered.
    let log = t.ask(&sup, "log").await;
    let mut seen: Vec<&str> = log.split('|').collect();
    seen.sort();
    let mut expected = [
        format!("child-error {}", c[1]),
        format!("child-exit {}", c[0]),
    ];
    expected.sort();
    assert_eq!(seen, expected);
    assert_eq!(
        t.ask(&sup, "children").await,
        c[2],
        "only the live child is still supervised"
    );
    // A transient child that fails is restarted.
    t.ask(&c[2], "fail").await;
    t.wait_for_event(&sup, "supervision/restarted", 1).await;
    assert_eq!(t.restarts(&c[2]), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exceeding_the_restart_intensity_stops_the_children_fails_the_supervisor_and_tells_its_parent(
) {
    let t = Tree::new();
    t.peer("grandparent", "");
    let gp = t.start("grandparent").await;
    t.peer(
        "sup",
        "restart = \"temporary\"\n[supervision]\nmax_restarts = 2\nwithin_secs = 30",
    );
    t.peer("c1", "");
    t.peer("c2", "");
    let sup = t.ask(&gp, "spawn sup.toml").await;
    let c1 = t.ask(&sup, "spawn c1.toml").await;
    let c2 = t.ask(&sup, "spawn c2.toml").await;
    for round in 1..=2 {
        t.ask(&c1, "fail").await;
        t.wait_for_event(&sup, "supervision/restarted", round).await;
    }
    t.ask(&c1, "fail").await;
    t.wait_for_event(&gp, "supervision/child-failed", 1).await;
    match t.status(&sup) {
        ActorStatus::Failed(reason) => {
            assert!(reason.contains("restart intensity exceeded"), "{reason}")
        }
        other => panic!("supervisor should have failed, is {other:?}"),
    }
    assert_eq!(t.status(&c2), ActorStatus::Stopped, "children are stopped");
    assert!(t
        .event_types(&sup)
        .contains(&"supervision/gave-up".to_string()));
    assert_eq!(
        t.ask(&gp, "log").await,
        format!("child-error {sup}"),
        "escalated to the parent's code"
    );
    // The grandparent's own policy applies to the supervisor: it is temporary, so it stays down.
    t.wait_for_event(&gp, "supervision/not-restarted", 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_strategy_only_calls_back_and_the_parent_restarts_by_hand() {
    let t = Tree::new();
    let (sup, c) = t
        .supervisor_with("strategy = \"manual\"", &["permanent"])
        .await;
    t.theater.send(&c[0], b"inc".to_vec()).await.unwrap();
    t.ask(&c[0], "fail").await;
    t.wait_for_event(&sup, "supervision/manual", 1).await;
    assert_eq!(t.restarts(&c[0]), 0);
    assert!(matches!(t.status(&c[0]), ActorStatus::Failed(_)));
    assert_eq!(t.ask(&sup, "log").await, format!("child-error {}", c[0]));
    // The parent's code decides: restart it by hand.
    assert_eq!(
        t.ask(&sup, &format!("restart-child {}", c[0])).await,
        "restarted"
    );
    assert_eq!(t.ask(&c[0], "get").await, "1");
    assert_eq!(t.ask(&sup, &format!("child-state {}", c[0])).await, "1");
    let events: u64 = t
        .ask(&sup, &format!("child-events {}", c[0]))
        .await
        .parse()
        .unwrap();
    assert!(events > 8, "{events}");
    assert_eq!(
        t.ask(&sup, &format!("stop-child {}", c[0])).await,
        "stopped"
    );
    assert_eq!(t.ask(&sup, "children").await, "");
    assert!(t
        .ask(&sup, "stop-child nobody")
        .await
        .contains("not a child of this actor"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_a_supervisor_stops_its_tree() {
    let t = Tree::new();
    let (sup, c) = t.supervisor_with("", &["permanent", "permanent"]).await;
    t.theater.stop(&sup).await.unwrap();
    for id in &c {
        assert_eq!(t.status(id), ActorStatus::Stopped);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_root_supervisor_restarts_top_level_actors_only_when_their_manifest_asks() {
    let s = Scratch::new();
    let mut config = TheaterConfig::new(Some(s.home()));
    config.logs = std::sync::Arc::new(|_| {});
    config.supervise_top_level = true;
    let theater = Theater::new(config).unwrap();
    let start = |name: &'static str, restart: &'static str| {
        let m = s.manifest(
            name,
            &fixtures().component("raw-peer"),
            &format!("restart = \"{restart}\"\n{GRANTS}"),
        );
        let theater = theater.clone();
        async move {
            theater
                .spawn(Manifest::load(&m).unwrap(), None, None)
                .await
                .unwrap()
        }
    };
    let permanent = start("permanent", "permanent").await;
    let temporary = start("temporary", "temporary").await;
    let m = s.manifest("unset", &fixtures().component("raw-peer"), GRANTS);
    let unset = theater
        .spawn(Manifest::load(&m).unwrap(), None, None)
        .await
        .unwrap();
    theater.request(&unset, b"fail".to_vec()).await.unwrap_err();
    theater.send(&permanent, b"inc".to_vec()).await.unwrap();
    theater
        .request(&permanent, b"fail".to_vec())
        .await
        .unwrap_err();
    theater
        .request(&temporary, b"fail".to_vec())
        .await
        .unwrap_err();
    let deadline = Instant::now() + Duration::from_secs(20);
    while theater.actor(&permanent).unwrap().restarts == 0 {
        assert!(
            Instant::now() < deadline,
            "the permanent top-level actor was not restarted"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        theater.request(&permanent, b"get".to_vec()).await.unwrap(),
        b"1"
    );
    // The failed call's error reaches the caller just before the actor's end is published.
    for id in [&temporary, &unset] {
        assert!(matches!(
            theater.actor(id).unwrap().handle.wait().await,
            ActorStatus::Failed(_)
        ));
    }
    assert_eq!(theater.actor(&temporary).unwrap().restarts, 0);
    assert_eq!(
        theater.actor(&unset).unwrap().restarts,
        0,
        "no `restart` in the manifest: the root leaves it down"
    );
}

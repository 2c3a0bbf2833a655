//! The kitchen on the native test host: each request answers from the test host's
//! deterministic services and records what left the actor.

use theater_sdk::http::{HttpRequest, HttpResponse};
use theater_sdk::serde_json::{json, Value};
use theater_sdk::{Outgoing, Raw, TestActor, TestHost};

use super::Kitchen;

fn kitchen() -> TestActor<Kitchen> {
    TestActor::<Kitchen>::init("kitchen-1").unwrap()
}

fn ask(kitchen: &mut TestActor<Kitchen>, request: Value) -> Value {
    kitchen.request::<Value>(&request).unwrap()
}

#[test]
fn logs_at_init() {
    assert_eq!(kitchen().logs(), ["kitchen kitchen-1 ready"]);
}

#[test]
fn random_is_deterministic_per_seed() {
    let (mut a, mut b) = (kitchen(), kitchen());
    let first = ask(&mut a, json!({"random": {}}));
    assert_eq!(first, ask(&mut b, json!({"random": {}})));
    assert_eq!(first["bytes"].as_array().map(Vec::len), Some(8));
    let range = first["range"].as_u64().unwrap();
    assert!((10..20).contains(&range));
    let float = first["float"].as_f64().unwrap();
    assert!((0.0..1.0).contains(&float));
    let uuid = first["uuid"].as_str().unwrap();
    assert_eq!((uuid.len(), &uuid[14..15]), (36, "4"));
}

#[test]
fn time_moves_only_when_the_actor_sleeps() {
    let host = TestHost::new();
    host.set_time(1_000);
    let mut kitchen = TestActor::<Kitchen>::init_on(&host, "k").unwrap();
    assert_eq!(ask(&mut kitchen, json!({"now": {}})), json!({"now": 1_000}));
    assert_eq!(
        ask(&mut kitchen, json!({"sleep": {"ms": 50}})),
        json!({"before": 1_000, "after": 1_050})
    );
    assert_eq!(host.now(), 1_050);
}

#[test]
fn environment_comes_from_the_host() {
    let host = TestHost::new();
    host.set_env("MODE", "test").set_env("LEVEL", "3");
    let mut kitchen = TestActor::<Kitchen>::init_on(&host, "k").unwrap();
    assert_eq!(
        ask(&mut kitchen, json!({"env": {"name": "MODE"}})),
        json!({"value": "test", "exists": true, "vars": [["LEVEL", "3"], ["MODE", "test"]]})
    );
    assert_eq!(
        ask(&mut kitchen, json!({"env": {"name": "HOME"}}))["exists"],
        json!(false)
    );
}

#[test]
fn store_round_trips() {
    let reply = ask(&mut kitchen(), json!({"store_roundtrip": {}}));
    assert_eq!(reply["text"], "hello");
    assert_eq!(reply["bytes"], json!([1, 2, 3]));
    assert_eq!(reply["exists"], true);
    assert_eq!(reply["by_label"], reply["replaced"]);
    assert_eq!(reply["labels"], json!(["greeting"]));
    assert_eq!(reply["content"], 3);
    // "hello" and "hello again" as JSON strings, plus three raw bytes.
    assert_eq!(reply["size"], 7 + 13 + 3);
}

#[test]
fn files_round_trip_and_leave_the_root_as_it_was() {
    let host = TestHost::new();
    host.set_file("kept.txt", "from the test");
    let mut kitchen = TestActor::<Kitchen>::init_on(&host, "k").unwrap();
    assert_eq!(
        ask(&mut kitchen, json!({"fs_roundtrip": {}})),
        json!({
            "listed": ["note.txt"],
            "text": "hello file",
            "metadata": {"kind": "file", "size": 10},
            "exists_after": false,
            "root": ["kept.txt"],
        })
    );
    assert_eq!(host.files().keys().collect::<Vec<_>>(), ["kept.txt"]);
}

#[test]
fn http_get_is_answered_from_script_and_recorded() {
    let host = TestHost::new();
    host.on_http("http://test.example/", |req| {
        Ok(
            HttpResponse::new(201, format!("{} {}", req.method, req.uri))
                .with_header("X-Test", "yes"),
        )
    });
    let mut kitchen = TestActor::<Kitchen>::init_on(&host, "k").unwrap();
    assert_eq!(
        ask(
            &mut kitchen,
            json!({"http_get": {"url": "http://test.example/a"}})
        ),
        json!({"status": 201, "x_test": "yes", "body": "GET http://test.example/a"})
    );
    assert_eq!(
        host.outgoing(),
        [Outgoing::Http {
            request: HttpRequest::get("http://test.example/a")
        }]
    );
    let err = kitchen
        .request::<Value>(&json!({"http_get": {"url": "http://other.example/"}}))
        .unwrap_err();
    assert!(err.contains("no HTTP response scripted"), "{err}");
}

#[test]
#[should_panic(expected = "kitchen panic requested")]
fn panics_propagate_natively() {
    ask(&mut kitchen(), json!({"panic": {}}));
}

#[test]
fn failures_are_the_requesters_errors() {
    assert_eq!(
        kitchen()
            .request::<Value>(&json!({"fail": {"error": "nope"}}))
            .unwrap_err(),
        "nope"
    );
}

#[test]
fn messages_are_recorded_and_requests_answered_from_script() {
    let host = TestHost::new();
    host.on_request("doubler", |n: u64| Ok(n * 2));
    let mut kitchen = TestActor::<Kitchen>::init_on(&host, "k").unwrap();
    ask(
        &mut kitchen,
        json!({"send": {"to": "peer", "msg": {"hi": 1}}}),
    );
    assert_eq!(host.sent::<Value>("peer").unwrap(), [json!({"hi": 1})]);
    assert_eq!(
        ask(
            &mut kitchen,
            json!({"request": {"to": "doubler", "msg": 21}})
        ),
        json!({"reply": 42})
    );
    let err = kitchen
        .request::<Value>(&json!({"request": {"to": "nobody", "msg": 1}}))
        .unwrap_err();
    assert!(
        err.contains("no reply scripted for requests to nobody"),
        "{err}"
    );

    let channel = ask(&mut kitchen, json!({"channel": {"to": "peer", "msg": "x"}}));
    let channel_id = channel["channel"].as_str().unwrap().to_string();
    let tail: Vec<Outgoing> = host.outgoing().into_iter().rev().take(3).rev().collect();
    assert_eq!(
        tail,
        [
            Outgoing::OpenChannel {
                to: "peer".into(),
                channel_id: channel_id.clone(),
                msg: b"\"x\"".to_vec()
            },
            Outgoing::ChannelMessage {
                channel_id: channel_id.clone(),
                msg: b"\"x\"".to_vec()
            },
            Outgoing::CloseChannel { channel_id },
        ]
    );
}

#[test]
fn deferred_requests_are_answered_later() {
    let mut kitchen = kitchen();
    assert_eq!(kitchen.request_raw(&json!({"defer": {}})).unwrap(), None);
    assert_eq!(
        ask(&mut kitchen, json!({"answer": {"value": "done"}})),
        json!({"answered": 1})
    );
    assert!(matches!(
        kitchen.host().outgoing().last(),
        Some(Outgoing::RespondToRequest { reply, .. }) if reply == b"\"done\""
    ));
}

#[test]
fn children_are_spawned_listed_and_stopped() {
    let mut kitchen = kitchen();
    let child = ask(
        &mut kitchen,
        json!({"spawn": {"manifest": "child.toml", "init": {"n": 1}}}),
    )["child"]
        .clone();
    assert_eq!(
        ask(&mut kitchen, json!({"children": {}})),
        json!({"children": [child]})
    );
    let id = child.as_str().unwrap();
    assert_eq!(
        ask(&mut kitchen, json!({"child_state": {"id": id}})),
        json!({"state": null})
    );
    assert_eq!(
        ask(&mut kitchen, json!({"restart_child": {"id": id}})),
        json!({"restarted": true})
    );
    assert_eq!(
        ask(&mut kitchen, json!({"stop_child": {"id": id}})),
        json!({"stopped": true})
    );
    assert_eq!(
        ask(&mut kitchen, json!({"stop_child": {"id": id}})),
        json!({"stopped": false})
    );
    assert!(matches!(
        &kitchen.host().outgoing()[0],
        Outgoing::Spawn { manifest, init: Some(init), .. } if manifest == "child.toml" && init == br#"{"n":1}"#
    ));

    kitchen.child_exit(id, Some(b"bye".to_vec())).unwrap();
    assert_eq!(
        kitchen.logs().last().unwrap(),
        &format!("child {id} exited (3 result bytes)")
    );
    assert_eq!(
        ask(&mut kitchen, json!({"state": {}}))["children"],
        json!([])
    );
}

#[test]
fn handlers_record_what_arrives() {
    let mut kitchen = kitchen();
    kitchen.send(&json!({"note": 1})).unwrap();
    let accept = kitchen.channel_open("ch", &json!("open")).unwrap();
    assert_eq!(accept.message.as_deref(), Some(&b"\"welcome\""[..]));
    kitchen.channel_message("ch", &Raw(b"2".to_vec())).unwrap();
    let state = ask(&mut kitchen, json!({"state": {}}));
    assert_eq!(state["received"], json!([{"note": 1}]));
    assert_eq!(state["channels"], json!(["ch"]));
    assert_eq!(state["channel_messages"], json!(["open", 2]));
    kitchen.channel_close("ch").unwrap();
    assert_eq!(
        ask(&mut kitchen, json!({"state": {}}))["channels"],
        json!([])
    );
}

#[test]
fn shutdown_and_log_are_recorded() {
    let mut kitchen = kitchen();
    ask(&mut kitchen, json!({"log": {"line": "hello"}}));
    assert_eq!(kitchen.logs().last().unwrap(), "hello");
    assert_eq!(
        ask(&mut kitchen, json!({"chain": {}})),
        json!({"events": 0})
    );
    ask(&mut kitchen, json!({"shutdown": {}}));
    assert_eq!(
        kitchen.host().outgoing(),
        [Outgoing::Shutdown { result: None }]
    );
}

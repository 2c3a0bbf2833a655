//! The typed host API against the native test host: what each call does, records and
//! answers, so actor tests can rely on it.

use std::collections::BTreeMap;

use theater_sdk::filesystem::{self, FileKind, FileMetadata};
use theater_sdk::http::{self, HttpRequest, HttpResponse};
use theater_sdk::store::{ContentRef, Store};
use theater_sdk::test_host::START_TIME_MS;
use theater_sdk::{
    environment, messages, random, runtime, supervisor, timing, Outgoing, Raw, TestHost,
};

/// Runs `f` on a fresh host and returns the host for inspection.
fn on_fresh_host(f: impl FnOnce() -> Result<(), String>) -> TestHost {
    let host = TestHost::new();
    host.enter(f).unwrap();
    host
}

#[test]
fn logs_are_captured_on_the_current_host() {
    let host = on_fresh_host(|| {
        theater_sdk::log("one");
        runtime::log(String::from("two"));
        Ok(())
    });
    assert_eq!(host.logs(), ["one", "two"]);
    assert!(TestHost::new().logs().is_empty());
}

#[test]
fn log_levels_are_prefixes_on_the_one_log() {
    let host = on_fresh_host(|| {
        runtime::debug("d");
        runtime::info("i");
        theater_sdk::warn(format!("w {}", 1));
        theater_sdk::error("e");
        Ok(())
    });
    assert_eq!(
        host.logs(),
        ["debug: d", "info: i", "warn: w 1", "error: e"]
    );
}

#[test]
fn the_sender_is_whoever_the_host_says_sent_the_message() {
    let host = on_fresh_host(|| {
        assert_eq!(
            messages::sender(),
            None,
            "from outside the actors by default"
        );
        Ok(())
    });
    host.set_sender(Some("pool-1"));
    host.enter(|| -> Result<(), String> {
        assert_eq!(messages::sender().as_deref(), Some("pool-1"));
        Ok(())
    })
    .unwrap();
}

#[test]
fn enter_restores_the_previous_host_even_after_a_panic() {
    let outer = TestHost::current();
    let inner = TestHost::new();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        inner.enter(|| {
            theater_sdk::log("inside");
            panic!("boom")
        })
    }));
    assert!(caught.is_err());
    theater_sdk::log("outside");
    assert_eq!(inner.logs(), ["inside"]);
    assert_eq!(outer.logs(), ["outside"]);
}

#[test]
fn messages_are_recorded_as_sent() {
    let host = on_fresh_host(|| {
        messages::send("a", &serde_json::json!({"add": 1}))?;
        messages::send("a", &Raw(vec![1, 2]))?;
        let channel = messages::open_channel("b", &"hello")?;
        messages::send_on_channel(&channel, &2u8)?;
        messages::close_channel(&channel)
    });
    let out = host.outgoing();
    assert_eq!(
        out[0],
        Outgoing::Send {
            to: "a".into(),
            msg: br#"{"add":1}"#.to_vec()
        }
    );
    assert_eq!(
        out[1],
        Outgoing::Send {
            to: "a".into(),
            msg: vec![1, 2]
        }
    );
    let Outgoing::OpenChannel {
        to,
        channel_id,
        msg,
    } = &out[2]
    else {
        panic!("{out:?}")
    };
    assert_eq!((to.as_str(), msg.as_slice()), ("b", &b"\"hello\""[..]));
    assert_eq!(
        out[3],
        Outgoing::ChannelMessage {
            channel_id: channel_id.clone(),
            msg: b"2".to_vec()
        }
    );
    assert_eq!(
        out[4],
        Outgoing::CloseChannel {
            channel_id: channel_id.clone()
        }
    );
    assert_eq!(
        host.sent::<serde_json::Value>("a").unwrap_err(),
        "not the expected JSON (expected value at line 1 column 1)"
    );
}

#[test]
fn requests_are_answered_from_the_script() {
    let host = TestHost::new();
    host.reply("fixed", &"always")
        .on_request("adder", |(a, b): (u32, u32)| Ok(a + b));
    host.on_request("picky", |_: u32| -> Result<u32, String> {
        Err("no thanks".into())
    });
    host.enter(|| {
        assert_eq!(messages::request::<String>("fixed", &1).unwrap(), "always");
        assert_eq!(messages::request::<u32>("adder", &(2, 3)).unwrap(), 5);
        assert_eq!(
            messages::request::<u32>("picky", &1).unwrap_err(),
            "no thanks"
        );
        let wrong = messages::request::<u32>("fixed", &1).unwrap_err();
        assert!(
            wrong.starts_with("reply from actor fixed: not the expected JSON"),
            "{wrong}"
        );
        let missing = messages::request::<u32>("nobody", &1).unwrap_err();
        assert!(
            missing.starts_with("test host: no reply scripted for requests to nobody"),
            "{missing}"
        );
    });
    assert_eq!(
        host.outgoing()[0],
        Outgoing::Request {
            to: "fixed".into(),
            msg: b"1".to_vec()
        }
    );
}

#[test]
fn a_responder_may_use_the_host_api() {
    let host = TestHost::new();
    host.on_request("echo", |text: String| {
        theater_sdk::log(format!("echo saw {text}"));
        Ok(text)
    });
    host.enter(|| assert_eq!(messages::request::<String>("echo", &"hi").unwrap(), "hi"));
    assert_eq!(host.logs(), ["echo saw hi"]);
}

#[test]
fn responding_needs_an_outstanding_request() {
    on_fresh_host(|| {
        assert!(messages::list_outstanding_requests().is_empty());
        let err = messages::respond_to_request("test-request-9", &1).unwrap_err();
        assert_eq!(err, "test host: no outstanding request test-request-9");
        assert!(messages::cancel_request("test-request-9").is_err());
        Ok(())
    });
}

#[test]
fn children_are_tracked() {
    let host = on_fresh_host(|| {
        let a = supervisor::spawn("a.toml")?;
        let b = supervisor::spawn_with("b.toml", &serde_json::json!({"n": 1}))?;
        let c = supervisor::resume("c.toml", &Raw(b"{}".to_vec()))?;
        assert_eq!(
            supervisor::list_children(),
            [a.clone(), b.clone(), c.clone()]
        );
        assert_eq!(supervisor::get_child_state::<Raw>(&a)?, None);
        assert!(supervisor::get_child_events(&b)?.is_empty());
        supervisor::restart_child(&b)?;
        supervisor::stop_child(&a)?;
        assert_eq!(
            supervisor::stop_child(&a).unwrap_err(),
            format!("test host: no child {a}")
        );
        assert!(supervisor::get_child_state::<Raw>("nobody").is_err());
        Ok(())
    });
    assert_eq!(host.children().len(), 2);
    assert!(matches!(&host.outgoing()[1],
        Outgoing::Spawn { manifest, init: Some(init), .. } if manifest == "b.toml" && init == br#"{"n":1}"#));
    assert!(matches!(&host.outgoing()[2], Outgoing::Resume { state: Some(s), .. } if s == b"{}"));
}

#[test]
fn shutdown_is_recorded() {
    let host = on_fresh_host(|| {
        runtime::shutdown()?;
        runtime::shutdown_with(&"bye")
    });
    assert_eq!(
        host.outgoing(),
        [
            Outgoing::Shutdown { result: None },
            Outgoing::Shutdown {
                result: Some(b"\"bye\"".to_vec())
            }
        ]
    );
    assert!(TestHost::new().enter(runtime::get_chain).events.is_empty());
}

#[test]
fn the_store_keeps_content_and_labels() {
    on_fresh_host(|| {
        let store = Store::new()?;
        let a = store.store(&"a")?;
        assert_eq!(store.store(&"a")?, a, "content-addressed");
        assert_eq!(store.get::<String>(&a)?, "a");
        let b = store.store_at_label("l", &Raw(vec![7]))?;
        store.label("l", &a)?;
        assert_eq!(
            store.get_by_label("l")?,
            Some(a.clone()),
            "the latest labelled"
        );
        store.remove_from_label("l", &a)?;
        assert_eq!(store.get_by_label("l")?, Some(b.clone()));
        let c = store.replace_content_at_label("l", &1u8)?;
        assert_eq!(store.get_by_label("l")?, Some(c.clone()));
        store.replace_at_label("m", &b)?;
        assert_eq!(store.list_labels()?, ["l", "m"]);
        store.remove_label("m")?;
        assert_eq!(store.list_labels()?, ["l"]);
        assert_eq!(store.list_all_content()?.len(), 3);
        assert_eq!(store.calculate_total_size()?, 3 + 1 + 1);
        assert!(store.exists(&b)?);
        let missing = ContentRef { hash: "0".into() };
        assert!(!store.exists(&missing)?);
        assert!(store.get::<Raw>(&missing).is_err());

        let reopened = Store::open(store.id());
        assert_eq!(reopened.get::<Raw>(&b)?, Raw(vec![7]));
        assert_eq!(
            Store::open("nope").list_labels().unwrap_err(),
            "test host: no store nope"
        );
        assert_eq!(
            serde_json::to_string(&store).map_err(|e| e.to_string())?,
            format!("\"{}\"", store.id())
        );
        Ok(())
    });
}

#[test]
fn time_is_deterministic() {
    let host = on_fresh_host(|| {
        assert_eq!(timing::now(), START_TIME_MS);
        timing::sleep(250)?;
        assert_eq!(timing::now(), START_TIME_MS + 250);
        timing::deadline(START_TIME_MS)?;
        assert_eq!(
            timing::now(),
            START_TIME_MS + 250,
            "a past deadline returns at once"
        );
        timing::deadline(START_TIME_MS + 1_000)
    });
    assert_eq!(host.now(), START_TIME_MS + 1_000);
    host.set_time(5);
    assert_eq!(host.enter(timing::now), 5);
}

#[test]
fn random_values_follow_the_seed() {
    let draw = |host: &TestHost| {
        host.enter(|| {
            (
                random::random_bytes(5).unwrap(),
                random::random_range(3, 4).unwrap(),
                random::random_float().unwrap(),
                random::generate_uuid().unwrap(),
            )
        })
    };
    let (a, b) = (TestHost::new(), TestHost::new());
    assert_eq!(draw(&a), draw(&b));
    b.set_seed(99);
    let (bytes, range, float, uuid) = draw(&b);
    assert_ne!(draw(&a).0, bytes);
    assert_eq!((bytes.len(), range), (5, 3));
    assert!((0.0..1.0).contains(&float));
    assert_eq!(uuid.len(), 36);
    assert_eq!(uuid.as_bytes()[14], b'4');
    assert!(a.enter(|| random::random_range(4, 4)).is_err());
}

#[test]
fn environment_is_what_the_test_sets() {
    let host = TestHost::new();
    host.set_env("B", "2").set_env("A", "1");
    host.enter(|| {
        assert_eq!(environment::get_var("A").as_deref(), Some("1"));
        assert_eq!(environment::get_var("C"), None);
        assert!(environment::exists("B") && !environment::exists("C"));
        assert_eq!(
            environment::list_vars(),
            [("A".into(), "1".into()), ("B".into(), "2".into())]
        );
    });
}

#[test]
fn the_filesystem_is_an_in_memory_tree() {
    let host = TestHost::new();
    host.set_file("seed/a.txt", "from the test");
    host.enter(|| -> Result<(), String> {
        assert_eq!(filesystem::read_file("./seed//a.txt")?, b"from the test");
        assert_eq!(filesystem::list_files("")?, ["seed"]);
        filesystem::create_dir("notes/2024")?;
        filesystem::create_dir("notes/2024")?;
        filesystem::write_file("notes/2024/b.txt", [1u8, 2])?;
        filesystem::write_file("notes/a.txt", "x")?;
        filesystem::write_file("notes/a.txt", "replaced")?;
        assert_eq!(filesystem::list_files("notes")?, ["2024", "a.txt"]);
        assert_eq!(filesystem::list_files(".")?, ["notes", "seed"]);
        assert_eq!(
            filesystem::metadata("notes/a.txt")?,
            FileMetadata {
                kind: FileKind::File,
                size: 8
            }
        );
        assert_eq!(filesystem::metadata("notes")?.kind, FileKind::Directory);
        assert!(filesystem::path_exists("notes/2024/b.txt")?);
        filesystem::delete_file("notes/a.txt")?;
        assert!(!filesystem::path_exists("notes/a.txt")?);
        filesystem::delete_dir("seed")?;
        Ok(())
    })
    .unwrap();
    assert_eq!(
        host.files(),
        BTreeMap::from([("notes/2024/b.txt".to_string(), vec![1, 2])])
    );
}

#[test]
fn the_filesystem_refuses_what_the_runtime_refuses() {
    on_fresh_host(|| {
        filesystem::create_dir("d")?;
        filesystem::write_file("f", "")?;
        let refused = |result: Result<Vec<u8>, String>| result.unwrap_err();
        assert!(refused(filesystem::read_file("../x")).contains("`..` is not allowed"));
        assert!(refused(filesystem::read_file("/etc/passwd")).contains("absolute paths"));
        assert_eq!(
            refused(filesystem::read_file("gone")),
            "\"gone\" does not exist"
        );
        assert_eq!(
            refused(filesystem::read_file("d")),
            "\"d\" is not a regular file"
        );
        assert!(
            filesystem::path_exists("a/../b").is_err(),
            "refused, not false"
        );
        let e = filesystem::write_file("no/dir/f", "x").unwrap_err();
        assert!(e.contains("create it with create-dir"), "{e}");
        assert!(filesystem::write_file("d", "x").is_err());
        assert!(filesystem::create_dir("f/sub").is_err());
        assert!(filesystem::delete_file("d").is_err());
        assert_eq!(
            filesystem::list_files("f").unwrap_err(),
            "\"f\" is not a directory"
        );
        assert_eq!(
            filesystem::delete_dir(".").unwrap_err(),
            "the filesystem root itself cannot be deleted"
        );
        Ok(())
    });
}

#[test]
#[should_panic(expected = "TestHost::set_file: path \"../x\" is refused")]
fn seeding_a_refused_path_is_a_test_error() {
    TestHost::new().set_file("../x", "");
}

#[test]
fn http_requests_are_recorded_and_answered_by_the_longest_prefix() {
    let host = TestHost::new();
    host.on_http("https://api.example.com/", |req| {
        Ok(
            HttpResponse::new(200, format!("{} {}", req.method, req.uri))
                .with_header("X-Kind", "api"),
        )
    })
    .on_http("https://api.example.com/down", |_| {
        Err("connection refused".into())
    });
    host.enter(|| {
        let response = http::get("https://api.example.com/items?page=2").unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(
            response.text(),
            Ok("GET https://api.example.com/items?page=2")
        );
        assert_eq!(response.header("x-kind"), Some("api"));
        assert_eq!(response.header("content-type"), None);
        let down = HttpRequest::new("POST", "https://api.example.com/down/now")
            .with_header("content-type", "text/plain")
            .with_body("hi");
        assert_eq!(http::send(down).unwrap_err(), "connection refused");
        let e = http::get("http://elsewhere.example/").unwrap_err();
        assert!(
            e.starts_with("test host: no HTTP response scripted for http://elsewhere.example/"),
            "{e}"
        );
    });
    assert_eq!(
        host.outgoing(),
        [
            Outgoing::Http {
                request: HttpRequest::get("https://api.example.com/items?page=2")
            },
            Outgoing::Http {
                request: HttpRequest {
                    method: "POST".into(),
                    uri: "https://api.example.com/down/now".into(),
                    headers: vec![("content-type".into(), "text/plain".into())],
                    body: Some(b"hi".to_vec()),
                }
            },
            Outgoing::Http {
                request: HttpRequest::get("http://elsewhere.example/")
            },
        ]
    );
    let binary = HttpResponse::new(200, vec![0xff]);
    assert!(binary
        .text()
        .unwrap_err()
        .starts_with("response body is not UTF-8"));
}

#[test]
fn an_http_responder_may_use_the_host_api_and_replace_itself() {
    let host = TestHost::new();
    host.on_http("http://flaky/", |_| {
        TestHost::current().on_http("http://flaky/", |_| Ok(HttpResponse::new(200, "up")));
        Err("first try fails".into())
    });
    host.enter(|| {
        assert_eq!(http::get("http://flaky/").unwrap_err(), "first try fails");
        assert_eq!(http::get("http://flaky/").unwrap().text(), Ok("up"));
    });
}

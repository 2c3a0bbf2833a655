//! `#[actor]` end to end on the native test host: what each handler form receives and
//! answers, and what the host sees when a handler is missing or fails.

use serde::{Deserialize, Serialize};
use theater_sdk::{
    actor, log, messages, ChannelAccept, ChildError, ErrorKind, Raw, Reply, TestActor, TestHost,
};

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Counter {
    count: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Msg {
    Add(u64),
    Fail {},
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Query {
    Get {},
}

#[actor]
impl Counter {
    fn init(id: String) -> Result<Self, String> {
        log(format!("{id} starting"));
        Ok(Counter { count: 0 })
    }

    fn handle_send(&mut self, msg: Msg) -> Result<(), String> {
        match msg {
            Msg::Add(n) => self.count += n,
            Msg::Fail {} => {
                self.count = 999;
                return Err("asked to fail".into());
            }
        }
        Ok(())
    }

    fn handle_request(&self, query: Query) -> u64 {
        match query {
            Query::Get {} => self.count,
        }
    }
}

#[test]
fn counter_counts_and_logs() {
    let mut counter = TestActor::<Counter>::init("c-1").unwrap();
    counter.send(&Msg::Add(2)).unwrap();
    counter.send(&serde_json::json!({"add": 3})).unwrap();
    assert_eq!(counter.request::<u64>(&Query::Get {}).unwrap(), 5);
    assert_eq!(counter.state(), Counter { count: 5 });
    assert_eq!(counter.state_bytes(), br#"{"count":5}"#);
    assert_eq!(counter.logs(), ["c-1 starting"]);
}

#[test]
fn terminal_json_reaches_the_handlers() {
    let mut counter = TestActor::<Counter>::init("c").unwrap();
    counter.send(&Raw(br#"{"add":4}"#.to_vec())).unwrap();
    let reply = counter
        .request_raw(&Raw(br#"{"get":{}}"#.to_vec()))
        .unwrap();
    assert_eq!(reply.as_deref(), Some(&b"4"[..]));
}

#[test]
fn a_failed_call_keeps_the_state() {
    let mut counter = TestActor::<Counter>::init("c").unwrap();
    counter.send(&Msg::Add(1)).unwrap();
    assert_eq!(counter.send(&Msg::Fail {}).unwrap_err(), "asked to fail");
    assert_eq!(counter.state().count, 1);
}

#[test]
fn malformed_messages_are_errors_naming_the_actor() {
    let mut counter = TestActor::<Counter>::init("c").unwrap();
    let err = counter.send(&Raw(b"{\"sub\":1}".to_vec())).unwrap_err();
    assert!(
        err.starts_with("actor Counter: cannot decode message: "),
        "{err}"
    );
    assert!(err.contains("unknown variant `sub`"), "{err}");
    let err = counter
        .request::<u64>(&Raw(b"not json".to_vec()))
        .unwrap_err();
    assert!(
        err.starts_with("actor Counter: cannot decode request: "),
        "{err}"
    );
}

#[test]
fn undefined_handlers_answer_with_an_error() {
    let mut counter = TestActor::<Counter>::init("c").unwrap();
    assert_eq!(
        counter.channel_open("ch", &()).unwrap_err(),
        "actor Counter does not handle channels (it defines no `handle_channel_open`)"
    );
    assert_eq!(
        counter.channel_message("ch", &()).unwrap_err(),
        "actor Counter does not handle channel messages (it defines no `handle_channel_message`)"
    );
    assert_eq!(
        counter.channel_close("ch").unwrap_err(),
        "actor Counter does not handle channel closes (it defines no `handle_channel_close`)"
    );
    let error = ChildError {
        kind: ErrorKind::Internal,
        data: None,
    };
    assert_eq!(
        counter.child_error("kid", error).unwrap_err(),
        "actor Counter does not handle child errors (it defines no `handle_child_error`)"
    );
    assert_eq!(
        counter.child_exit("kid", None).unwrap_err(),
        "actor Counter does not handle child exits (it defines no `handle_child_exit`)"
    );
}

#[test]
fn initial_state_bytes_resume_an_init_id_actor() {
    let host = TestHost::new();
    let counter = TestActor::<Counter>::init_with(&host, "c", &Counter { count: 41 }).unwrap();
    assert_eq!(counter.state().count, 41);
    assert!(counter.logs().is_empty(), "init must not run when resuming");
}

#[test]
fn initial_state_that_is_not_the_state_is_an_error() {
    let err = TestActor::<Counter>::init_with(&TestHost::new(), "c", &"nope")
        .err()
        .unwrap();
    assert!(
        err.starts_with("actor Counter: state is not a valid Counter"),
        "{err}"
    );
}

/// Takes its configuration from the initial bytes; handles everything else.
#[derive(Serialize, Deserialize, Default)]
struct Everything {
    greeting: String,
    pending: Vec<String>,
    channels: Vec<String>,
    failures: Vec<(String, ErrorKind)>,
    exits: Vec<(String, Option<u32>)>,
}

#[derive(Serialize, Deserialize)]
struct Config {
    greeting: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Ask {
    Greet { name: String },
    Later {},
    Answer { value: u32 },
}

#[actor]
impl Everything {
    fn init(_id: String, config: Option<Config>) -> Self {
        let greeting = config.map_or_else(|| "hello".to_string(), |c| c.greeting);
        Everything {
            greeting,
            ..Everything::default()
        }
    }

    fn handle_request(&mut self, request_id: String, ask: Ask) -> Result<Reply<String>, String> {
        match ask {
            Ask::Greet { name } => Ok(Reply::Now(format!("{} {name}", self.greeting))),
            Ask::Later {} => {
                self.pending.push(request_id);
                Ok(Reply::Deferred)
            }
            Ask::Answer { value } => {
                for id in self.pending.drain(..) {
                    messages::respond_to_request(&id, &value)?;
                }
                Ok(Reply::Now("answered".into()))
            }
        }
    }

    // Any `Display` error type will do.
    fn handle_send(&mut self, bytes: Raw) -> Result<(), std::fmt::Error> {
        self.greeting = String::from_utf8_lossy(&bytes.0).into_owned();
        Ok(())
    }

    fn handle_channel_open(
        &mut self,
        channel_id: String,
        greeting: String,
    ) -> Result<ChannelAccept, String> {
        if greeting == "let me in" {
            self.channels.push(channel_id);
            ChannelAccept::accept().with_message(&"welcome")
        } else {
            Ok(ChannelAccept::reject())
        }
    }

    // Ids may be borrowed for the call.
    fn handle_channel_message(&mut self, channel_id: &str, msg: serde_json::Value) {
        log(format!("{channel_id}: {msg}"));
    }

    fn handle_channel_close(&mut self, channel_id: String) {
        self.channels.retain(|c| *c != channel_id);
    }

    fn handle_child_error(&mut self, child_id: String, error: ChildError) {
        self.failures.push((child_id, error.kind));
    }

    fn handle_child_exit(&mut self, child_id: String, result: Option<u32>) {
        self.exits.push((child_id, result));
    }
}

#[test]
fn init_with_an_initial_parameter_gets_the_decoded_bytes() {
    let mut plain = TestActor::<Everything>::init("e").unwrap();
    assert_eq!(
        plain
            .request::<String>(&Ask::Greet { name: "ada".into() })
            .unwrap(),
        "hello ada"
    );

    let config = Config {
        greeting: "ahoy".into(),
    };
    let mut configured =
        TestActor::<Everything>::init_with(&TestHost::new(), "e", &config).unwrap();
    assert_eq!(
        configured
            .request::<String>(&Ask::Greet { name: "ada".into() })
            .unwrap(),
        "ahoy ada"
    );
}

#[test]
fn raw_messages_arrive_as_bytes() {
    let mut actor = TestActor::<Everything>::init("e").unwrap();
    actor.send(&Raw(b"hi".to_vec())).unwrap();
    assert_eq!(
        actor
            .request::<String>(&Ask::Greet { name: "bo".into() })
            .unwrap(),
        "hi bo"
    );
}

#[test]
fn deferred_replies_are_answered_later() {
    let mut actor = TestActor::<Everything>::init("e").unwrap();
    assert_eq!(actor.request_raw(&Ask::Later {}).unwrap(), None);
    let outstanding = actor.host().outstanding_requests();
    assert_eq!(outstanding.len(), 1);
    let err = actor.request::<String>(&Ask::Later {}).unwrap_err();
    assert!(err.contains("deferred its reply"), "{err}");

    assert_eq!(
        actor.request::<String>(&Ask::Answer { value: 7 }).unwrap(),
        "answered"
    );
    assert!(actor.host().outstanding_requests().is_empty());
    let responses: Vec<_> = actor
        .host()
        .outgoing()
        .into_iter()
        .filter_map(|out| match out {
            theater_sdk::Outgoing::RespondToRequest { request_id, reply } => {
                Some((request_id, reply))
            }
            _ => None,
        })
        .collect();
    assert_eq!(responses.len(), 2);
    assert_eq!(responses[0], (outstanding[0].clone(), b"7".to_vec()));
}

#[test]
fn channels_open_carry_messages_and_close() {
    let mut actor = TestActor::<Everything>::init("e").unwrap();
    let accept = actor.channel_open("ch-1", &"let me in").unwrap();
    assert_eq!(
        accept,
        ChannelAccept {
            accepted: true,
            message: Some(b"\"welcome\"".to_vec())
        }
    );
    assert!(!actor.channel_open("ch-2", &"knock").unwrap().accepted);
    actor
        .channel_message("ch-1", &serde_json::json!({"x": 1}))
        .unwrap();
    assert_eq!(actor.logs(), [r#"ch-1: {"x":1}"#]);
    actor.channel_close("ch-1").unwrap();
    assert!(actor.state().channels.is_empty());
}

#[test]
fn children_errors_and_exits_reach_the_parent() {
    let mut actor = TestActor::<Everything>::init("e").unwrap();
    actor
        .child_error(
            "kid",
            ChildError {
                kind: ErrorKind::OperationTimeout,
                data: None,
            },
        )
        .unwrap();
    actor.child_exit("kid", Some(b"3".to_vec())).unwrap();
    actor.child_exit("kid2", None).unwrap();
    let state = actor.state();
    assert_eq!(
        state.failures,
        [("kid".to_string(), ErrorKind::OperationTimeout)]
    );
    assert_eq!(
        state.exits,
        [("kid".to_string(), Some(3)), ("kid2".to_string(), None)]
    );
}

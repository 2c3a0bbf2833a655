//! The counter's logic on the native test host: no wasm, no runtime.

use theater_sdk::TestActor;

use super::{Counter, Msg, Query};

#[test]
fn adds_and_answers() {
    let mut counter = TestActor::<Counter>::init("counter-1").unwrap();
    counter.send(&Msg::Add(2)).unwrap();
    counter.send(&Msg::Add(3)).unwrap();
    assert_eq!(counter.request::<u64>(&Query::Get {}).unwrap(), 5);
    assert_eq!(counter.state().count, 5);
    assert_eq!(counter.logs(), ["counter counter-1 started"]);
}

#[test]
fn speaks_the_json_a_terminal_sends() {
    let mut counter = TestActor::<Counter>::init("counter-1").unwrap();
    counter
        .send(&theater_sdk::serde_json::json!({"add": 4}))
        .unwrap();
    let reply = counter
        .request_raw(&theater_sdk::Raw(br#"{"get":{}}"#.to_vec()))
        .unwrap();
    assert_eq!(reply.as_deref(), Some(&b"4"[..]));
}

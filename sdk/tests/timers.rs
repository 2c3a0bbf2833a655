//! Timers on the native test host: an `#[actor]` sets an interval and a timeout, the test
//! lists them and fires them, and each delivery reaches `handle_send` as the runtime's would.

use serde::{Deserialize, Serialize};
use theater_sdk::{actor, timers, TestActor, TestTimer};

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Ticker {
    ticks: u64,
    timer: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Msg {
    Start {},
    Tick {},
}

#[actor]
impl Ticker {
    fn init(_id: String) -> Result<Self, String> {
        timers::set_timeout(500, &Msg::Tick {})?;
        Ok(Ticker { ticks: 0, timer: 0 })
    }

    fn handle_send(&mut self, msg: Msg) -> Result<(), String> {
        match msg {
            Msg::Start {} => self.timer = timers::set_interval(100, &Msg::Tick {})?,
            Msg::Tick {} => {
                self.ticks += 1;
                if self.ticks == 3 {
                    timers::cancel(self.timer)?;
                }
            }
        }
        Ok(())
    }
}

#[test]
fn timers_are_listed_fired_into_handle_send_and_cancelled() {
    let mut a = TestActor::<Ticker>::init("t-1").unwrap();
    a.send(&Msg::Start {}).unwrap();
    let tick = br#"{"tick":{}}"#.to_vec();
    assert_eq!(
        a.host().timers(),
        [
            TestTimer {
                id: 1,
                msg: tick.clone(),
                every_ms: None,
                delay_ms: 500
            },
            TestTimer {
                id: 2,
                msg: tick,
                every_ms: Some(100),
                delay_ms: 100
            },
        ]
    );
    a.fire_timer(1).unwrap();
    assert_eq!(a.host().timers().len(), 1, "a fired timeout is gone");
    assert!(a.fire_timer(1).unwrap_err().contains("no live timer 1"));
    a.fire_timer(2).unwrap();
    a.fire_timer(2).unwrap();
    assert_eq!(a.state().ticks, 3);
    assert!(
        a.host().timers().is_empty(),
        "the third tick cancelled the interval"
    );
    assert!(timers_refuse_interval_zero(&a));
}

fn timers_refuse_interval_zero(a: &TestActor<Ticker>) -> bool {
    a.host()
        .enter(|| timers::set_interval(0, &Msg::Tick {}))
        .is_err_and(|e| e.contains("interval of 0 ms refused"))
}

//! One host call on an actor, independent of who hosts it: load the state, run the
//! handler, save the state. Shared by the wasm export glue and the native [`TestActor`], so
//! native tests exercise the same state round trip as the runtime.
//!
//! [`TestActor`]: crate::TestActor

use crate::actor::Actor;

/// Runs `init` and returns the first state bytes.
pub(crate) fn init<A: Actor>(id: String, initial: Option<Vec<u8>>) -> Result<Vec<u8>, String> {
    save(&A::on_init(id, initial)?)
}

/// Runs `resume` on the committed state the host passed and returns the state bytes. An
/// actor that never committed a state (the host passed none) starts as a new one.
pub(crate) fn resume<A: Actor>(id: String, state: Option<Vec<u8>>) -> Result<Vec<u8>, String> {
    let actor = match state {
        Some(bytes) => A::on_resume(id, load::<A>(&bytes)?)?,
        None => A::on_init(id, None)?,
    };
    save(&actor)
}

/// Runs a handler on the state the host passed; returns the new state bytes and the
/// handler's result.
pub(crate) fn call<A: Actor, R>(
    state: Option<Vec<u8>>,
    handler: impl FnOnce(&mut A) -> Result<R, String>,
) -> Result<(Vec<u8>, R), String> {
    let bytes = state.ok_or_else(|| {
        format!(
            "actor {}: the host passed no state (is the actor initialised?)",
            A::NAME
        )
    })?;
    let mut actor = load::<A>(&bytes)?;
    let result = handler(&mut actor)?;
    Ok((save(&actor)?, result))
}

/// Reads state bytes (`serde_json` of the actor type).
pub(crate) fn load<A: Actor>(bytes: &[u8]) -> Result<A, String> {
    A::from_state_bytes(bytes)
        .map_err(|e| format!("actor {}: state is not a valid {}: {e}", A::NAME, A::NAME))
}

fn save<A: Actor>(actor: &A) -> Result<Vec<u8>, String> {
    actor
        .to_state_bytes()
        .map_err(|e| format!("actor {}: cannot serialize state: {e}", A::NAME))
}

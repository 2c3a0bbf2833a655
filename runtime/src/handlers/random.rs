//! `theater:simple/random`: random bytes, integers, floats and UUIDs from a per-actor
//! ChaCha20 generator. With `seed` in the manifest the generator is seeded from it, so a run
//! repeats exactly (every actor started from that manifest draws the same sequence);
//! without, it is seeded from the operating system's entropy. Either way every value is
//! recorded, so replay answers with the values the actor saw.

use rand::rngs::{ChaCha20Rng, SysRng};
use rand::{Rng, RngExt, SeedableRng};
use wasmtime::component::Linker;

use super::{define_sync, Handler};
use crate::actor::ActorCtx;
use crate::manifest::{HandlerConfig, Manifest};

const INTERFACE: &str = "theater:simple/random";

/// Most bytes one `random-bytes` call returns (the host builds the answer in its own memory
/// before the guest's limits apply to it).
const MAX_RANDOM_BYTES: u32 = 1 << 20;

/// Serves `theater:simple/random`.
pub struct RandomHandler;

impl Handler for RandomHandler {
    fn interface(&self) -> &'static str {
        INTERFACE
    }

    fn link(&self, linker: &mut Linker<ActorCtx>) -> wasmtime::Result<()> {
        let mut inst = linker.instance(INTERFACE)?;
        define_sync(
            &mut inst,
            INTERFACE,
            "random-bytes",
            |ctx, (length,): (u32,)| Ok((draw(ctx, |rng| bytes(rng, length)),)),
        )?;
        define_sync(
            &mut inst,
            INTERFACE,
            "random-range",
            |ctx, (min, max): (u64, u64)| Ok((draw(ctx, |rng| range(rng, min, max)),)),
        )?;
        define_sync(&mut inst, INTERFACE, "random-float", |ctx, (): ()| {
            Ok((draw(ctx, |rng| Ok(rng.random::<f64>())),))
        })?;
        define_sync(&mut inst, INTERFACE, "generate-uuid", |ctx, (): ()| {
            Ok((draw(ctx, |rng| Ok(uuid(rng))),))
        })?;
        Ok(())
    }
}

/// The actor's generator, created on its first draw. `Err` if the operating system could
/// not provide entropy to seed it; every draw then reports that.
struct ActorRng(Result<ChaCha20Rng, String>);

impl ActorRng {
    fn new(manifest: &Manifest) -> ActorRng {
        match manifest.handler("random") {
            Some(HandlerConfig::Random { seed: Some(seed) }) => {
                ActorRng(Ok(ChaCha20Rng::seed_from_u64(*seed)))
            }
            _ => ActorRng(
                ChaCha20Rng::try_from_rng(&mut SysRng)
                    .map_err(|e| format!("no entropy from the operating system: {e}")),
            ),
        }
    }
}

/// Run `f` on the actor's generator.
fn draw<T>(
    ctx: &mut ActorCtx,
    f: impl FnOnce(&mut ChaCha20Rng) -> Result<T, String>,
) -> Result<T, String> {
    match &mut ctx.extension(ActorRng::new).0 {
        Ok(rng) => f(rng),
        Err(e) => Err(e.clone()),
    }
}

fn bytes(rng: &mut impl Rng, length: u32) -> Result<Vec<u8>, String> {
    if length > MAX_RANDOM_BYTES {
        return Err(format!(
            "random-bytes of {length} bytes refused: at most {MAX_RANDOM_BYTES} bytes per call"
        ));
    }
    let mut out = vec![0u8; length as usize];
    rng.fill_bytes(&mut out);
    Ok(out)
}

/// A uniform integer in `[min, max)`.
fn range(rng: &mut impl Rng, min: u64, max: u64) -> Result<u64, String> {
    if min >= max {
        return Err(format!("random-range({min}, {max}) refused: the range is [min, max), so min must be less than max"));
    }
    Ok(rng.random_range(min..max))
}

/// A version 4 UUID drawn from the actor's generator (so seeded runs repeat it too).
fn uuid(rng: &mut impl Rng) -> String {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    uuid::Builder::from_random_bytes(b).into_uuid().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_generators_repeat_and_values_are_in_range() {
        let mut a = ChaCha20Rng::seed_from_u64(7);
        let mut b = ChaCha20Rng::seed_from_u64(7);
        assert_eq!(bytes(&mut a, 32), bytes(&mut b, 32));
        assert_eq!(uuid(&mut a), uuid(&mut b));
        for _ in 0..100 {
            let v = range(&mut a, 10, 13).unwrap();
            assert!((10..13).contains(&v), "{v}");
        }
        assert_eq!(range(&mut a, 5, 6), Ok(5));
    }

    #[test]
    fn bad_requests_are_refused_not_trapped() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        assert!(range(&mut rng, 5, 5)
            .unwrap_err()
            .contains("min must be less than max"));
        assert!(bytes(&mut rng, MAX_RANDOM_BYTES + 1)
            .unwrap_err()
            .contains("at most"));
        assert_eq!(bytes(&mut rng, 0), Ok(vec![]));
    }

    #[test]
    fn uuids_are_version_4() {
        let u = uuid(&mut ChaCha20Rng::seed_from_u64(3));
        let parsed = uuid::Uuid::parse_str(&u).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
    }
}

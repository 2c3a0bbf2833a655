//! Golden chains: `theater test --record` saves the chains of passing scenario runs under
//! `tests/golden/<scenario>/<actor>.jsonl`; later runs replay each one against the freshly
//! built component, so a change in behaviour on recorded traffic fails the test suite with
//! the replay's divergence report.

use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use anyhow::Context;
use theater_runtime::chain::export::{export_actor, read_jsonl};
use theater_runtime::chain::ChainReader;
use theater_runtime::replay::{ReplayInput, ReplayReport};
use theater_runtime::{Manifest, Theater, TheaterConfig};

use super::format::Scenario;
use super::run::Run;

/// Where a scenario's golden chains live.
pub fn dir_for(scenario: &Scenario) -> PathBuf {
    let tests = scenario.path.parent().map(PathBuf::from).unwrap_or_default();
    let stem = scenario.path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    tests.join("golden").join(stem)
}

/// Save the chains of a passing run; returns the files written.
pub async fn record(run: &Run) -> anyhow::Result<Vec<PathBuf>> {
    let dir = dir_for(&run.outcome.scenario);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    run.theater.db().sink().flush_async().await?;
    let reader = ChainReader::open(run.theater.db().path())?;
    let mut written = Vec::new();
    for actor in &run.outcome.actors {
        let path = dir.join(format!("{}.jsonl", actor.name));
        let file = std::fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        export_actor(&reader, &actor.id, BufWriter::new(file)).with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// A golden chain with the manifest of the actor it belongs to.
pub struct Golden {
    pub path: PathBuf,
    pub manifest: PathBuf,
}

/// The golden chains of a scenario that still names their actors.
pub fn find(scenario: &Scenario) -> Vec<Golden> {
    let dir = dir_for(scenario);
    let base = scenario.path.parent().map(PathBuf::from).unwrap_or_default();
    scenario
        .actors
        .iter()
        .map(|a| Golden { path: dir.join(format!("{}.jsonl", a.name)), manifest: base.join(&a.manifest) })
        .filter(|g| g.path.is_file())
        .collect()
}

/// Replay one golden chain against the component its actor's manifest names now.
pub async fn check(golden: &Golden, data_dir: &Path) -> anyhow::Result<ReplayReport> {
    let manifest = Manifest::load(&golden.manifest)?;
    let file = std::fs::File::open(&golden.path).with_context(|| format!("cannot open {}", golden.path.display()))?;
    let exported = read_jsonl(BufReader::new(file), &golden.path.display().to_string())?;
    let blobs = exported.blobs;
    let mut config = TheaterConfig::new(Some(data_dir.to_path_buf()));
    config.logs = std::sync::Arc::new(|_| {});
    let theater = Theater::new(config)?;
    let input = ReplayInput { events: exported.events, component: Some(manifest.component.clone()), blobs: Box::new(move |h| blobs.get(h).cloned()) };
    Ok(theater.replay(input).await?)
}

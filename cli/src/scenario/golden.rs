//! Golden chains: `theater test --record` saves the chains of passing scenario runs under
//! `tests/golden/<scenario>/<actor>.jsonl` — every actor of the run, spawned children as
//! `<parent>.child-<n>.jsonl` — and later runs replay each one against the freshly built
//! component, so a change in behaviour on recorded traffic, in any actor of the tree, fails
//! the test suite with the replay's divergence report. Scenarios run with derived ids and a
//! logical clock, so recording an unchanged scenario again writes the same bytes.

use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use anyhow::Context;
use theater_runtime::chain::export::{read_jsonl, JsonlWriter};
use theater_runtime::chain::ChainReader;
use theater_runtime::replay::{recorded_manifest, ReplayInput, ReplayReport};
use theater_runtime::{Manifest, Theater, TheaterConfig};

use super::format::Scenario;
use super::run::Run;

/// Where a scenario's golden chains live.
pub fn dir_for(scenario: &Scenario) -> PathBuf {
    let tests = scenario
        .path
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default();
    let stem = scenario
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    tests.join("golden").join(stem)
}

/// Save the chains of a passing run — every actor it ran, the ones its actors spawned
/// included — replacing the scenario's earlier recording; returns the files written. Each
/// file holds the events (and the initial state), without a signed head: the run's ids,
/// clock and key would otherwise make every recording differ.
pub async fn record(run: &Run) -> anyhow::Result<Vec<PathBuf>> {
    let dir = dir_for(&run.outcome.scenario);
    remove_recordings(&dir)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    run.theater.db().sink().flush_async().await?;
    let reader = ChainReader::open(run.theater.db().path())?;
    let actors = reader.actors()?;
    let mut written = Vec::new();
    let mut queue: Vec<(String, String)> = run
        .outcome
        .actors
        .iter()
        .map(|a| (a.name.clone(), a.id.clone()))
        .collect();
    while let Some((name, id)) = queue.pop() {
        let children = actors
            .iter()
            .filter(|a| a.parent_id.as_deref() == Some(id.as_str()));
        queue.extend(
            children
                .enumerate()
                .map(|(k, child)| (format!("{name}{CHILD}{k}"), child.actor_id.clone())),
        );
        let path = dir.join(format!("{name}.jsonl"));
        write_events(&reader, &id, &path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    written.sort();
    Ok(written)
}

/// How a spawned child's file is named after its parent's: `main.child-0.jsonl`.
const CHILD: &str = ".child-";

fn remove_recordings(dir: &Path) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for path in entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
    {
        std::fs::remove_file(&path)
            .with_context(|| format!("cannot replace {}", path.display()))?;
    }
    Ok(())
}

fn write_events(reader: &ChainReader, id: &str, path: &Path) -> anyhow::Result<()> {
    let mut writer = JsonlWriter::new(BufWriter::new(std::fs::File::create(path)?));
    reader.scan(id, 0, |event| -> anyhow::Result<bool> {
        writer.event(&event, |h| reader.blob(h).ok().flatten())?;
        Ok(true)
    })?;
    writer.finish()?;
    Ok(())
}

/// A golden chain, with the manifest of its `[[actor]]` (none for a spawned child: its
/// component is the one its recorded manifest names, rebuilt by the same build).
pub struct Golden {
    pub path: PathBuf,
    pub manifest: Option<PathBuf>,
}

/// The golden chains of a scenario whose actors (or whose children's parents) it still names.
pub fn find(scenario: &Scenario) -> Vec<Golden> {
    let dir = dir_for(scenario);
    let base = scenario
        .path
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut found: Vec<Golden> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .filter_map(|path| {
            let stem = path.file_stem()?.to_string_lossy().into_owned();
            let (root, child) = match stem.split_once(CHILD) {
                Some((root, _)) => (root.to_string(), true),
                None => (stem, false),
            };
            let actor = scenario.actors.iter().find(|a| a.name == root)?;
            Some(Golden {
                manifest: (!child).then(|| base.join(&actor.manifest)),
                path,
            })
        })
        .collect();
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

/// Replay one golden chain against the component its actor's manifest names now.
pub async fn check(golden: &Golden, data_dir: &Path) -> anyhow::Result<ReplayReport> {
    let file = std::fs::File::open(&golden.path)
        .with_context(|| format!("cannot open {}", golden.path.display()))?;
    let exported = read_jsonl(BufReader::new(file), &golden.path.display().to_string())?;
    let manifest = match (&golden.manifest, exported.events.first()) {
        (Some(path), _) => Manifest::load(path)?,
        (None, Some(first)) => (*recorded_manifest(first)?).clone(),
        (None, None) => anyhow::bail!(
            "{} holds no events; re-record it with `theater test --record`",
            golden.path.display()
        ),
    };
    let blobs = exported.blobs;
    let mut config = TheaterConfig::new(Some(data_dir.to_path_buf()));
    config.logs = std::sync::Arc::new(|_| {});
    let theater = Theater::new(config)?;
    let input = ReplayInput {
        events: exported.events,
        component: Some(manifest.component.clone()),
        blobs: Box::new(move |h| blobs.get(h).cloned()),
    };
    Ok(theater.replay(input).await?)
}

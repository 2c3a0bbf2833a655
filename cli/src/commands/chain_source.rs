//! Where `verify` and `replay` get a chain: an exported JSON Lines file if the argument
//! names one, else an actor id (or unique prefix) in the chain database.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use theater_chain::export::read_jsonl;
use theater_chain::{BlobLookup, ChainReader, Event, EventFilter};

use super::chain_db;

/// A chain and a way to look up the state values it refers to.
pub struct Source {
    pub events: Vec<Event>,
    pub blobs: Box<BlobLookup>,
}

pub fn load(target: &str, data_dir: Option<PathBuf>) -> anyhow::Result<Source> {
    let path = Path::new(target);
    if path.is_file() {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let exported = read_jsonl(BufReader::new(file), target)?;
        let blobs = exported.blobs;
        return Ok(Source {
            events: exported.events,
            blobs: Box::new(move |h| blobs.get(h).cloned()),
        });
    }
    let reader = ChainReader::open(&chain_db(data_dir))?;
    let events = reader.events(target, &EventFilter::default())?;
    let reader = Mutex::new(reader);
    Ok(Source {
        events,
        blobs: Box::new(move |h| reader.lock().ok().and_then(|r| r.blob(h).ok().flatten())),
    })
}

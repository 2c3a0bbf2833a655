//! An actor's first event, `lifecycle/started`, read back: the manifest it ran under, the
//! hash of its component and the name it was started with — what a replay and a resume
//! need to run that actor again exactly as it was.

use std::path::Path;
use std::sync::Arc;

use crate::chain::payload::{decode, Fields};
use crate::chain::{Event, Hash};
use crate::manifest::Manifest;

/// Why a chain's first event cannot be read as a start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StartError {
    #[error("the chain's first event is {0}, not lifecycle/started")]
    NotAStart(String),
    #[error("its lifecycle/started event is malformed: {0}")]
    Malformed(String),
}

/// The fields of a recorded `lifecycle/started` event.
pub(crate) struct RecordedStart {
    pub actor: String,
    pub manifest: Arc<Manifest>,
    pub component: Hash,
    /// The name given with `theater start --name` (or `spawn_named`).
    pub registered_name: Option<String>,
}

impl RecordedStart {
    /// Read `e`, which must be an actor's first event.
    pub fn read(e: &Event) -> Result<RecordedStart, StartError> {
        if e.event_type != "lifecycle/started" {
            return Err(StartError::NotAStart(e.event_type.clone()));
        }
        let bad = StartError::Malformed;
        let mut f = Fields::new(decode(&e.payload).map_err(|p| bad(p.to_string()))?)
            .map_err(|p| bad(p.to_string()))?;
        let text: String = f.get("manifest").map_err(|p| bad(p.to_string()))?;
        let origin: String = f
            .get::<Option<String>>("origin")
            .ok()
            .flatten()
            .unwrap_or_else(|| "<recorded manifest>".into());
        let base_dir: String = f
            .get::<Option<String>>("base_dir")
            .ok()
            .flatten()
            .unwrap_or_else(|| ".".into());
        let manifest = Manifest::parse_recorded(&text, Path::new(&base_dir), &origin)
            .map_err(|e| bad(e.to_string()))?;
        let component: Vec<u8> = f.get("component").map_err(|p| bad(p.to_string()))?;
        Ok(RecordedStart {
            actor: f.get("actor").map_err(|p| bad(p.to_string()))?,
            manifest: Arc::new(manifest),
            component: component
                .try_into()
                .map_err(|_| bad("component hash is not 32 bytes".into()))?,
            registered_name: f.get::<Option<String>>("registered_name").ok().flatten(),
        })
    }
}

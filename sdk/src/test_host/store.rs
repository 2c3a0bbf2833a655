//! The in-memory content store behind the test host's `store` interface.
//!
//! A label holds a list of content addresses: `label` and `store-at-label` add to it,
//! `remove-from-label` removes one, the `replace-*` calls make it hold just one, and
//! `get-by-label` answers the most recently added.

use std::collections::{BTreeMap, HashMap};

use super::rng::content_hash;
use crate::host::store::ContentRef;

#[derive(Default)]
pub(crate) struct Stores {
    stores: HashMap<String, Store>,
}

#[derive(Default)]
struct Store {
    content: BTreeMap<String, Vec<u8>>,
    labels: BTreeMap<String, Vec<ContentRef>>,
}

impl Stores {
    pub(crate) fn create(&mut self, id: String) {
        self.stores.insert(id, Store::default());
    }

    fn get_mut(&mut self, id: &str) -> Result<&mut Store, String> {
        self.stores
            .get_mut(id)
            .ok_or_else(|| format!("test host: no store {id}"))
    }

    pub(crate) fn store(&mut self, id: &str, content: &[u8]) -> Result<ContentRef, String> {
        let store = self.get_mut(id)?;
        let hash = content_hash(content);
        store.content.insert(hash.clone(), content.to_vec());
        Ok(ContentRef { hash })
    }

    pub(crate) fn get(&mut self, id: &str, r: &ContentRef) -> Result<Vec<u8>, String> {
        let store = self.get_mut(id)?;
        store
            .content
            .get(&r.hash)
            .cloned()
            .ok_or_else(|| format!("test host: no content {} in store {id}", r.hash))
    }

    pub(crate) fn exists(&mut self, id: &str, r: &ContentRef) -> Result<bool, String> {
        Ok(self.get_mut(id)?.content.contains_key(&r.hash))
    }

    pub(crate) fn label(&mut self, id: &str, label: &str, r: &ContentRef) -> Result<(), String> {
        let refs = self
            .get_mut(id)?
            .labels
            .entry(label.to_string())
            .or_default();
        refs.retain(|x| x != r);
        refs.push(r.clone());
        Ok(())
    }

    pub(crate) fn get_by_label(
        &mut self,
        id: &str,
        label: &str,
    ) -> Result<Option<ContentRef>, String> {
        Ok(self
            .get_mut(id)?
            .labels
            .get(label)
            .and_then(|refs| refs.last().cloned()))
    }

    pub(crate) fn remove_label(&mut self, id: &str, label: &str) -> Result<(), String> {
        self.get_mut(id)?.labels.remove(label);
        Ok(())
    }

    pub(crate) fn remove_from_label(
        &mut self,
        id: &str,
        label: &str,
        r: &ContentRef,
    ) -> Result<(), String> {
        if let Some(refs) = self.get_mut(id)?.labels.get_mut(label) {
            refs.retain(|x| x != r);
        }
        Ok(())
    }

    pub(crate) fn replace_at_label(
        &mut self,
        id: &str,
        label: &str,
        r: &ContentRef,
    ) -> Result<(), String> {
        self.get_mut(id)?
            .labels
            .insert(label.to_string(), vec![r.clone()]);
        Ok(())
    }

    pub(crate) fn list_labels(&mut self, id: &str) -> Result<Vec<String>, String> {
        Ok(self.get_mut(id)?.labels.keys().cloned().collect())
    }

    pub(crate) fn list_all_content(&mut self, id: &str) -> Result<Vec<ContentRef>, String> {
        Ok(self
            .get_mut(id)?
            .content
            .keys()
            .map(|hash| ContentRef { hash: hash.clone() })
            .collect())
    }

    pub(crate) fn total_size(&mut self, id: &str) -> Result<u64, String> {
        Ok(self
            .get_mut(id)?
            .content
            .values()
            .map(|c| c.len() as u64)
            .sum())
    }
}

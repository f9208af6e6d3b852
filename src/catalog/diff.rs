//! What changed between two catalogues: the `diff` of `models.refresh` and `models/changed`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::pipeline::Catalogue;

/// Added, removed and changed model ids between two catalogues.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Diff {
    /// Ids new in the second catalogue.
    pub added: Vec<String>,
    /// Ids gone from the second catalogue.
    pub removed: Vec<String>,
    /// Ids whose metadata changed.
    pub changed: Vec<String>,
}

impl Diff {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// Every model of `catalogue` as added (a diff against nothing).
    pub fn all_added(catalogue: &Catalogue) -> Diff {
        Diff {
            added: catalogue.models.iter().map(|m| m.id.clone()).collect(),
            ..Diff::default()
        }
    }
}

/// Compares two catalogues by id; a model counts as changed when any of its fields differ.
pub fn diff(old: &Catalogue, new: &Catalogue) -> Diff {
    let mut d = Diff::default();
    for m in &new.models {
        match old.get(&m.id) {
            None => d.added.push(m.id.clone()),
            Some(o) if o != m => d.changed.push(m.id.clone()),
            Some(_) => {}
        }
    }
    for m in &old.models {
        if new.get(&m.id).is_none() {
            d.removed.push(m.id.clone());
        }
    }
    d
}

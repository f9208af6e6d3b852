//! The catalogue pipeline: normalised gateway entries + combo definitions + the models.dev
//! index + overrides → one [`Catalogue`] that answers every read method. Pure: no I/O, built
//! once per change of its inputs and shared read-only.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use super::combos::{flatten, ComboDef};
use super::extras::{self, GatewayExtras};
use super::matcher::{MatchOutcome, Matcher};
use super::merge::merge;
use super::model::{ComboInfo, Model};
use super::normalise::GatewayModel;
use super::overrides::{self, OverrideRule};
use super::resolve::apply_combo;
pub use super::resolve::{Resolution, ResolvedMember};
use crate::modelsdev::index::DevIndex;

/// At most this many ids are named in one summarising warning.
const NAMED_IN_WARNING: usize = 5;

/// The enriched catalogue and what it was built from.
pub struct Catalogue {
    /// Every model, in gateway order, then `addIfMissing` additions.
    pub models: Vec<Model>,
    pub(super) index: HashMap<String, usize>,
    pub(super) combos: HashMap<String, ComboDef>,
    pub(super) combos_known: bool,
    pub(super) dev: Option<Arc<DevIndex>>,
    pub(super) matcher: Arc<Matcher>,
    /// Warnings produced while building (ambiguous matches, cycles…).
    pub warnings: Vec<String>,
    /// Host views serialized once per key (e.g. the OpenCode block per base URL and API mode).
    views: std::sync::Mutex<HashMap<String, Arc<serde_json::value::RawValue>>>,
}

/// Everything the pipeline reads.
pub struct Inputs<'a> {
    /// Normalised `/models` entries.
    pub gateway: &'a [GatewayModel],
    /// Combo definitions, when they could be read.
    pub combos: Option<&'a [ComboDef]>,
    /// The models.dev index, when enabled and available.
    pub dev: Option<Arc<DevIndex>>,
    /// The id matcher (built from the alias options).
    pub matcher: Arc<Matcher>,
    /// User overrides.
    pub overrides: &'a [OverrideRule],
    /// Prices, names and provider state from the management API, when read.
    pub extras: Option<&'a GatewayExtras>,
}

impl Catalogue {
    /// Runs the pipeline.
    pub fn build(inputs: Inputs<'_>) -> Catalogue {
        let mut warnings = Vec::new();
        let mut ambiguous: Vec<String> = Vec::new();
        let combos: HashMap<String, ComboDef> = inputs
            .combos
            .unwrap_or_default()
            .iter()
            .map(|c| (c.name.clone(), c.clone()))
            .collect();
        let ids: std::collections::HashSet<&str> =
            inputs.gateway.iter().map(|g| g.id.as_str()).collect();

        let mut models: Vec<Model> = Vec::with_capacity(inputs.gateway.len());
        for g in inputs.gateway {
            let is_combo = g.is_combo || combos.contains_key(&g.id);
            let dev = match (&inputs.dev, is_combo) {
                (Some(index), false) => {
                    match inputs.matcher.find(index, &g.id, g.owned_by.as_deref()) {
                        MatchOutcome::Found { model, .. } => Some(model),
                        MatchOutcome::Ambiguous { candidates } => {
                            ambiguous.push(format!("{} ({})", g.id, candidates.join(", ")));
                            None
                        }
                        MatchOutcome::NotFound => None,
                    }
                }
                _ => None,
            };
            let mut m = merge(g, dev);
            if let Some(parent) = &g.parent {
                if ids.contains(parent.as_str()) {
                    m.alias_of = Some(parent.clone());
                }
            }
            if is_combo {
                m.combo = Some(ComboInfo {
                    strategy: None,
                    members: Vec::new(),
                    resolved: false,
                });
            }
            models.push(m);
        }
        if !ambiguous.is_empty() {
            warnings.push(summarise(
                "models.dev match is ambiguous, metadata left unknown for",
                &ambiguous,
            ));
        }
        if let Some(x) = inputs.extras {
            extras::apply(&mut models, x);
        }
        overrides::apply(&mut models, inputs.overrides);

        let mut catalogue = Catalogue::from_models(models, inputs.matcher);
        catalogue.combos = combos;
        catalogue.combos_known = inputs.combos.is_some();
        catalogue.dev = inputs.dev;
        catalogue.warnings = warnings;
        catalogue.compute_combos();
        if let Some(x) = inputs.extras {
            let members: HashMap<String, Vec<String>> = catalogue
                .combos
                .keys()
                .map(|name| {
                    let flat = flatten(name, &catalogue.combos);
                    (
                        name.clone(),
                        flat.members.into_iter().map(|m| m.id).collect(),
                    )
                })
                .collect();
            extras::apply_to_combos(&mut catalogue.models, x, |id| members.get(id).cloned());
        }
        // Overrides win over computed combo values too.
        overrides::apply(&mut catalogue.models, inputs.overrides);
        catalogue
    }

    /// A catalogue of ready-made models (the fallback list): no combos, no models.dev.
    pub fn from_models(models: Vec<Model>, matcher: Arc<Matcher>) -> Catalogue {
        Catalogue {
            index: models
                .iter()
                .enumerate()
                .map(|(i, m)| (m.id.clone(), i))
                .collect(),
            models,
            combos: HashMap::new(),
            combos_known: false,
            dev: None,
            matcher,
            warnings: Vec::new(),
            views: Default::default(),
        }
    }

    /// A host view of this catalogue, built and serialized once per `key`.
    pub fn view<'s, T: Serialize>(
        &'s self,
        key: &str,
        build: impl FnOnce(&'s [Model]) -> T,
    ) -> Arc<serde_json::value::RawValue> {
        let mut views = self.views.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(v) = views.get(key) {
            return v.clone();
        }
        let raw: Arc<serde_json::value::RawValue> =
            serde_json::value::to_raw_value(&build(&self.models))
                .map(Arc::from)
                .unwrap_or_else(|_| Arc::from(serde_json::value::RawValue::NULL.to_owned()));
        views.insert(key.to_string(), raw.clone());
        raw
    }

    /// The models as JSON, serialized once per catalogue (hosts list the same catalogue often).
    pub fn models_json(&self) -> Arc<serde_json::value::RawValue> {
        self.view("models", |models| models)
    }

    /// Fills every combo model from its members.
    fn compute_combos(&mut self) {
        let mut updates: Vec<(usize, Model)> = Vec::new();
        let mut cycles = Vec::new();
        let mut truncated = Vec::new();
        for (i, m) in self.models.iter().enumerate() {
            if m.combo.is_none() {
                continue;
            }
            let Some(def) = self.combos.get(&m.id) else {
                continue;
            };
            let resolution = self.resolve_def(def, m.context_window);
            for c in &resolution.cycles {
                cycles.push(c.join(" → "));
            }
            if resolution.truncated {
                truncated.push(m.id.clone());
            }
            let mut updated = m.clone();
            apply_combo(&mut updated, def, &resolution);
            updates.push((i, updated));
        }
        for (i, m) in updates {
            self.models[i] = m;
        }
        if !cycles.is_empty() {
            self.warnings
                .push(summarise("combo cycle ignored", &cycles));
        }
        if !truncated.is_empty() {
            self.warnings.push(summarise(
                "combo expands past the 1024-member limit, the rest not followed, for",
                &truncated,
            ));
        }
        let unresolved = self
            .models
            .iter()
            .filter(|m| matches!(&m.combo, Some(c) if !c.resolved))
            .count();
        if unresolved > 0 && self.combos_known {
            self.warnings.push(format!(
                "{unresolved} combo(s) listed by /models have no definition on the gateway; their limits are what /models says"
            ));
        }
    }

    /// Looks a model up by exact id.
    pub fn get(&self, id: &str) -> Option<&Model> {
        self.index.get(id).map(|&i| &self.models[i])
    }

    /// Whether combo definitions were available.
    pub fn combos_known(&self) -> bool {
        self.combos_known
    }
}

fn summarise(what: &str, items: &[String]) -> String {
    let shown: Vec<&str> = items
        .iter()
        .take(NAMED_IN_WARNING)
        .map(String::as_str)
        .collect();
    let more = items.len().saturating_sub(NAMED_IN_WARNING);
    if more > 0 {
        format!(
            "{what} {} model(s): {} and {more} more",
            items.len(),
            shown.join("; ")
        )
    } else {
        format!("{what}: {}", shown.join("; "))
    }
}

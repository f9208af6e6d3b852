//! The catalogue pipeline: normalised gateway entries + combo definitions + the models.dev
//! index + overrides → one [`Catalogue`] that answers every read method. Pure: no I/O, built
//! once per change of its inputs and shared read-only.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;

use super::capabilities::{has_metadata, lowest_common, Capabilities};
use super::combos::{direct_member_ids, flatten, ComboDef, FlatMember};
use super::extras::{self, GatewayExtras};
use super::matcher::{MatchOutcome, Matcher};
use super::merge::{from_dev, merge};
use super::model::{ComboInfo, Model, Origin, Pricing};
use super::normalise::GatewayModel;
use super::overrides::{self, OverrideRule};
use crate::modelsdev::index::DevIndex;

/// At most this many ids are named in one summarising warning.
const NAMED_IN_WARNING: usize = 5;

/// The enriched catalogue and what it was built from.
pub struct Catalogue {
    /// Every model, in gateway order, then `addIfMissing` additions.
    pub models: Vec<Model>,
    index: HashMap<String, usize>,
    combos: HashMap<String, ComboDef>,
    combos_known: bool,
    dev: Option<Arc<DevIndex>>,
    matcher: Arc<Matcher>,
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

/// One member of a resolved combo.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedMember {
    /// Where the member sits and its weight.
    #[serde(flatten)]
    pub member: FlatMember,
    /// Whether metadata was found for it.
    pub resolved: bool,
    /// Its metadata, when found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<Model>,
    /// Why it is unresolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A combo resolved to its members.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Resolution {
    /// Routing strategy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    /// Description from the gateway.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Direct members (model ids and nested combo names).
    pub direct_members: Vec<String>,
    /// Every model reached, depth first.
    pub members: Vec<ResolvedMember>,
    /// Cycles found (each a chain of combo names); never followed.
    pub cycles: Vec<Vec<String>>,
    /// The combo expands to more than `MAX_MEMBERS` (1024) members; the rest were not followed.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub truncated: bool,
    /// The lowest common capabilities of the members.
    pub capabilities: Capabilities,
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

    /// The metadata of any model id: the gateway's (enriched) entry, else a models.dev match.
    /// On failure, the reason.
    pub fn member_model(&self, id: &str) -> Result<Cow<'_, Model>, String> {
        if let Some(m) = self.get(id) {
            if has_metadata(m) {
                return Ok(Cow::Borrowed(m));
            }
            if m.combo.is_some() {
                return Err("a combo without known limits".into());
            }
        }
        let listed = self.get(id).is_some();
        let Some(index) = &self.dev else {
            return Err(if listed {
                "listed by the gateway without metadata, and models.dev is disabled or unavailable"
                    .into()
            } else {
                "not listed by the gateway, and models.dev is disabled or unavailable".into()
            });
        };
        match self.matcher.find(index, id, None) {
            MatchOutcome::Found { model, .. } => Ok(Cow::Owned(from_dev(id, model))),
            MatchOutcome::Ambiguous { candidates } => Err(format!(
                "models.dev match is ambiguous: {}",
                candidates.join(", ")
            )),
            MatchOutcome::NotFound => Err(if listed {
                "listed by the gateway without metadata, and no models.dev entry matches".into()
            } else {
                "not listed by the gateway, and no models.dev entry matches".into()
            }),
        }
    }

    /// The model ids an active combo reaches (through nested combos), without resolving their
    /// metadata; `None` when the combo is not defined or not active.
    pub fn combo_member_ids(&self, name: &str) -> Option<Vec<String>> {
        self.combos.get(name).filter(|d| d.active)?;
        let flat = flatten(name, &self.combos);
        Some(
            flat.members
                .into_iter()
                .filter(|m| m.problem.is_none())
                .map(|m| m.id)
                .collect(),
        )
    }

    /// Whether `name` is defined on the gateway but switched off (`isActive: false`).
    pub fn combo_inactive(&self, name: &str) -> bool {
        self.combos.get(name).is_some_and(|d| !d.active)
    }

    /// Resolves an active combo by name, or `None` when no such combo is served.
    pub fn resolve_combo(&self, name: &str) -> Option<Resolution> {
        let def = self.combos.get(name).filter(|d| d.active)?;
        let gateway_context = self
            .get(name)
            .and_then(|m| match m.provenance.get("contextWindow") {
                Some(Origin::Gateway) => m.context_window,
                _ => None,
            })
            .or(def.context_length);
        Some(self.resolve_def(def, gateway_context))
    }

    fn resolve_def(&self, def: &ComboDef, gateway_context: Option<u64>) -> Resolution {
        let flat = flatten(&def.name, &self.combos);
        let members: Vec<ResolvedMember> = flat
            .members
            .into_iter()
            .map(|member| {
                if let Some(problem) = &member.problem {
                    let reason = Some(problem.clone());
                    return ResolvedMember {
                        member,
                        resolved: false,
                        model: None,
                        reason,
                    };
                }
                match self.member_model(&member.id) {
                    Ok(model) => ResolvedMember {
                        member,
                        resolved: true,
                        model: Some(model.into_owned()),
                        reason: None,
                    },
                    Err(reason) => ResolvedMember {
                        member,
                        resolved: false,
                        model: None,
                        reason: Some(reason),
                    },
                }
            })
            .collect();
        let pairs: Vec<(String, Option<&Model>)> = members
            .iter()
            .map(|m| (m.member.id.clone(), m.model.as_ref()))
            .collect();
        let capabilities = lowest_common(&pairs, gateway_context.or(def.context_length));
        Resolution {
            strategy: def.strategy.clone(),
            description: def.description.clone(),
            direct_members: direct_member_ids(def),
            members,
            cycles: flat.cycles,
            truncated: flat.truncated,
            capabilities,
        }
    }

    /// Lowest common capabilities of arbitrary ids; a combo id is expanded to its members.
    pub fn capabilities_of(&self, ids: &[String]) -> (Capabilities, Vec<String>) {
        let mut owned: Vec<(String, Option<Model>)> = Vec::new();
        let mut notes = Vec::new();
        let mut gateway_context = None;
        for id in ids {
            if let Some(res) = self.resolve_combo(id) {
                if ids.len() == 1 {
                    gateway_context = res.capabilities.gateway_context_window;
                }
                for c in &res.cycles {
                    notes.push(format!("combo cycle ignored: {}", c.join(" → ")));
                }
                for m in res.members {
                    if let Some(r) = &m.reason {
                        notes.push(format!("{}: {r}", m.member.id));
                    }
                    owned.push((m.member.id, m.model));
                }
                continue;
            }
            if self.combo_inactive(id) {
                notes.push(format!(
                    "{id}: combo is inactive on the gateway (isActive: false)"
                ));
                owned.push((id.clone(), None));
                continue;
            }
            match self.member_model(id) {
                Ok(m) => owned.push((id.clone(), Some(m.into_owned()))),
                Err(reason) => {
                    notes.push(format!("{id}: {reason}"));
                    owned.push((id.clone(), None));
                }
            }
        }
        let pairs: Vec<(String, Option<&Model>)> = owned
            .iter()
            .map(|(id, m)| (id.clone(), m.as_ref()))
            .collect();
        (lowest_common(&pairs, gateway_context), notes)
    }
}

/// Writes a combo's computed values onto its model entry.
fn apply_combo(m: &mut Model, def: &ComboDef, r: &Resolution) {
    m.combo = Some(ComboInfo {
        strategy: def.strategy.clone(),
        members: r.direct_members.clone(),
        resolved: true,
    });
    let caps = &r.capabilities;
    let prov = &mut m.provenance;
    if let Some(computed) = caps.computed_context_window {
        let gateway = m.context_window.or(def.context_length);
        if gateway.is_some_and(|g| g < computed) {
            m.context_window = gateway;
            prov.insert("contextWindow", Origin::Gateway);
        } else {
            m.context_window = Some(computed);
            prov.insert("contextWindow", Origin::Combo);
        }
    } else if m.context_window.is_none() && def.context_length.is_some() {
        m.context_window = def.context_length;
        prov.insert("contextWindow", Origin::Gateway);
    }
    let mut set_u = |slot: &mut Option<u64>, name: &'static str, v: Option<u64>| {
        if let Some(v) = v {
            let lower = slot.map_or(v, |g| g.min(v));
            if Some(lower) != *slot {
                prov.insert(name, Origin::Combo);
            }
            *slot = Some(lower);
        }
    };
    set_u(&mut m.max_tokens, "maxTokens", caps.max_tokens);
    let mut set_b = |slot: &mut Option<bool>, name: &'static str, v: Option<bool>| {
        if let Some(v) = v {
            *slot = Some(v);
            m.provenance.insert(name, Origin::Combo);
        }
    };
    set_b(
        &mut m.supports_vision,
        "supportsVision",
        caps.supports_vision,
    );
    set_b(&mut m.supports_tools, "supportsTools", caps.supports_tools);
    set_b(
        &mut m.supports_reasoning,
        "supportsReasoning",
        caps.supports_reasoning,
    );
    set_b(
        &mut m.supports_attachment,
        "supportsAttachment",
        caps.supports_attachment,
    );
    set_b(
        &mut m.supports_temperature,
        "supportsTemperature",
        caps.supports_temperature,
    );
    set_b(
        &mut m.supports_streaming,
        "supportsStreaming",
        caps.supports_streaming,
    );
    if m.pricing.is_none() {
        if let Some(range) = &caps.pricing {
            // The most expensive member: a cost estimate that never under-reports.
            m.pricing = Some(Pricing {
                input: range.input.map(|r| r.max),
                output: range.output.map(|r| r.max),
                ..Pricing::default()
            });
            m.provenance.insert("pricing", Origin::Combo);
        }
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

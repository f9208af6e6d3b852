//! Combos inside a built catalogue: resolving a combo to its members through nested combos,
//! the metadata of any member id, and the lowest common capabilities of a set of ids — and
//! writing a combo's computed values onto its own model entry.

use std::borrow::Cow;

use schemars::JsonSchema;
use serde::Serialize;

use super::capabilities::{has_metadata, lowest_common, Capabilities};
use super::combos::{direct_member_ids, flatten, ComboDef, FlatMember};
use super::matcher::MatchOutcome;
use super::merge::from_dev;
use super::model::{ComboInfo, Model, Origin, Pricing};
use super::pipeline::Catalogue;

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

    pub(super) fn resolve_def(&self, def: &ComboDef, gateway_context: Option<u64>) -> Resolution {
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
pub(super) fn apply_combo(m: &mut Model, def: &ComboDef, r: &Resolution) {
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

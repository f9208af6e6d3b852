//! What the gateway's management API adds to the catalogue (issue 15): its own prices (which win
//! over models.dev), display names, provider alias ↔ id, and which providers have a usable
//! connection. Pure: built by the management layer from `/api/pricing`, `/api/pricing/models`
//! and `/api/providers`, applied after the models.dev merge and before user overrides.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::model::{Model, Origin, Pricing};

/// The management data the catalogue reads. Every part is optional: a refused or absent
/// endpoint leaves its part empty and the catalogue as it was.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GatewayExtras {
    /// Provider key (alias or id) → model id → prices (USD per million tokens).
    pub prices: BTreeMap<String, BTreeMap<String, Pricing>>,
    /// Provider id → model id → display name.
    pub names: BTreeMap<String, BTreeMap<String, String>>,
    /// Any provider key (alias, id, custom prefix) → every key of the same provider.
    pub provider_keys: BTreeMap<String, Vec<String>>,
    /// Provider keys with at least one active, passing connection; `None` when unknown.
    pub usable: Option<BTreeSet<String>>,
}

impl GatewayExtras {
    /// True when nothing was learnt.
    pub fn is_empty(&self) -> bool {
        self.prices.is_empty() && self.names.is_empty() && self.usable.is_none()
    }

    /// The provider keys a model may be filed under: its id's prefix, its `owned_by`, and
    /// their aliases/ids; with the bare model id (after the prefix).
    pub fn keys_of<'m>(&self, id: &'m str, owned_by: Option<&str>) -> (Vec<String>, &'m str) {
        let (prefix, bare) = match id.split_once('/') {
            Some((p, rest)) => (Some(p), rest),
            None => (None, id),
        };
        let mut keys: Vec<String> = Vec::new();
        for k in [prefix, owned_by].into_iter().flatten() {
            if k == "combo" {
                continue;
            }
            let more = self.provider_keys.get(k).cloned().unwrap_or_default();
            for k in std::iter::once(k.to_string()).chain(more) {
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
        (keys, bare)
    }

    /// Whether a non-combo model is usable: `None` when connections are unknown.
    pub fn model_usable(&self, id: &str, owned_by: Option<&str>) -> Option<bool> {
        let usable = self.usable.as_ref()?;
        let (keys, _) = self.keys_of(id, owned_by);
        Some(keys.iter().any(|k| usable.contains(k)))
    }

    fn price(&self, keys: &[String], bare: &str) -> Option<Pricing> {
        let bare_nomodels = bare.strip_prefix("models/").unwrap_or(bare);
        keys.iter().find_map(|k| {
            let models = self.prices.get(k)?;
            models
                .get(bare)
                .or_else(|| models.get(bare_nomodels))
                .cloned()
        })
    }

    fn name(&self, keys: &[String], bare: &str) -> Option<String> {
        keys.iter()
            .find_map(|k| self.names.get(k)?.get(bare).cloned())
    }
}

/// Applies prices, names and usability to gateway models (combos are handled by
/// [`apply_to_combos`] once their members are known). Gateway prices replace models.dev's and
/// are marked `gateway`; a name is filled only where the gateway's `/models` gave none.
pub fn apply(models: &mut [Model], extras: &GatewayExtras) {
    if extras.is_empty() {
        return;
    }
    for m in models.iter_mut().filter(|m| m.combo.is_none()) {
        let (keys, bare) = extras.keys_of(&m.id, m.owned_by.as_deref());
        if keys.is_empty() {
            continue;
        }
        if let Some(p) = extras.price(&keys, bare) {
            let p = match (&m.pricing, m.provenance.get("pricing")) {
                // The gateway's own /models price stays; /api/pricing fills what it lacks.
                (Some(old), Some(Origin::Gateway)) => Pricing {
                    input: old.input.or(p.input),
                    output: old.output.or(p.output),
                    cache_read: old.cache_read.or(p.cache_read),
                    cache_write: old.cache_write.or(p.cache_write),
                },
                _ => p,
            };
            m.pricing = Some(p);
            m.provenance.insert("pricing", Origin::Gateway);
        }
        if m.name == m.id {
            if let Some(name) = extras.name(&keys, bare) {
                m.name = name;
                m.provenance.insert("name", Origin::Gateway);
            }
        }
        if let Some(u) = extras.model_usable(&m.id, m.owned_by.as_deref()) {
            m.usable = Some(u);
            m.provenance.insert("usable", Origin::Gateway);
        }
    }
}

/// A combo is usable when any of its members (followed through nested combos) is usable.
/// `members` gives a combo's flattened member ids.
pub fn apply_to_combos(
    models: &mut [Model],
    extras: &GatewayExtras,
    members: impl Fn(&str) -> Option<Vec<String>>,
) {
    if extras.usable.is_none() {
        return;
    }
    let by_id: HashMap<String, Option<bool>> = models
        .iter()
        .filter(|m| m.combo.is_none())
        .map(|m| (m.id.clone(), m.usable))
        .collect();
    for m in models.iter_mut().filter(|m| m.combo.is_some()) {
        let Some(ids) = members(&m.id) else { continue };
        let any = ids.iter().any(|id| match by_id.get(id) {
            Some(u) => u.unwrap_or(true),
            None => extras.model_usable(id, None).unwrap_or(true),
        });
        m.usable = Some(any);
        m.provenance.insert("usable", Origin::Gateway);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(id: &str, owned_by: &str) -> Model {
        Model {
            id: id.into(),
            name: id.into(),
            owned_by: Some(owned_by.into()),
            ..Model::default()
        }
    }

    #[test]
    fn prices_names_and_usability_through_aliases() {
        let mut x = GatewayExtras::default();
        x.prices.insert(
            "kmca".into(),
            BTreeMap::from([(
                "kimi-k2.6".into(),
                Pricing {
                    input: Some(1.0),
                    ..Pricing::default()
                },
            )]),
        );
        x.names.insert(
            "kimi-coding-apikey".into(),
            BTreeMap::from([("kimi-k2.6".into(), "Kimi K2.6".into())]),
        );
        for k in ["kmca", "kimi-coding-apikey"] {
            x.provider_keys
                .insert(k.into(), vec!["kmca".into(), "kimi-coding-apikey".into()]);
        }
        x.usable = Some(BTreeSet::from(["kimi-coding-apikey".to_string()]));
        let mut ms = vec![
            model("kimi-coding-apikey/kimi-k2.6", "kimi-coding-apikey"),
            model("cc/claude", "claude"),
        ];
        let mut dev = Pricing {
            input: Some(9.0),
            output: Some(9.0),
            ..Pricing::default()
        };
        ms[0].pricing = Some(dev.clone());
        ms[0].provenance.insert("pricing", Origin::ModelsDev);
        apply(&mut ms, &x);
        dev.input = Some(1.0);
        dev.output = None;
        assert_eq!(ms[0].pricing, Some(dev));
        assert_eq!(ms[0].provenance["pricing"], Origin::Gateway);
        assert_eq!(ms[0].name, "Kimi K2.6");
        assert_eq!((ms[0].usable, ms[1].usable), (Some(true), Some(false)));
    }
}

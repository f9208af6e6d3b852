//! `GET /api/pricing` (USD per million tokens per provider and model) and `GET /api/pricing/models`
//! (provider alias ↔ id, display names per model).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{number, text};
use crate::catalog::model::Pricing;

/// Gateway prices keyed by provider key (an alias such as `cx` or an id such as `openai`) and
/// model id within it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GatewayPrices {
    /// provider key → model → prices.
    pub by_provider: BTreeMap<String, BTreeMap<String, Pricing>>,
}

/// One provider of `/api/pricing/models`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProviderInfo {
    /// Canonical provider id (`kimi-coding-apikey`).
    pub id: String,
    /// Short alias (`kmca`); equals the id for providers without one.
    pub alias: String,
    /// Display name of the provider.
    pub name: Option<String>,
    /// Model id → display name (only names that say more than the id).
    pub model_names: BTreeMap<String, String>,
}

/// The parsed `/api/pricing/models`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProviderCatalog {
    /// Providers keyed by their canonical id.
    pub providers: BTreeMap<String, ProviderInfo>,
    /// Alias → canonical id.
    pub alias_to_id: BTreeMap<String, String>,
}

impl ProviderCatalog {
    /// The canonical id for an alias or id (itself when unknown).
    pub fn canonical<'a>(&'a self, key: &'a str) -> &'a str {
        self.alias_to_id.get(key).map(String::as_str).unwrap_or(key)
    }

    /// Every key a provider may be filed under: the key itself, its canonical id, its alias.
    pub fn keys_for(&self, key: &str) -> Vec<String> {
        let mut out = vec![key.to_string()];
        let id = self.canonical(key).to_string();
        if let Some(p) = self.providers.get(&id) {
            for k in [&p.id, &p.alias] {
                if !out.contains(k) {
                    out.push(k.clone());
                }
            }
        } else if !out.contains(&id) {
            out.push(id);
        }
        out
    }
}

fn price(v: &Value, field: &str) -> Option<f64> {
    number(v.get(field)).filter(|x| *x >= 0.0)
}

/// Parses `/api/pricing`: `{<provider>: {<model>: {input, output, cached, reasoning?, cache_creation?}}}`.
/// `cached` becomes `cacheRead`, `cache_creation` `cacheWrite`; entries without any price are skipped.
pub fn parse_pricing(body: &Value) -> Result<GatewayPrices, String> {
    let obj = body
        .as_object()
        .ok_or_else(|| "expected an object keyed by provider".to_string())?;
    let mut by_provider = BTreeMap::new();
    for (provider, models) in obj {
        let Some(models) = models.as_object() else {
            continue;
        };
        let mut out = BTreeMap::new();
        for (model, p) in models {
            let pricing = Pricing {
                input: price(p, "input"),
                output: price(p, "output"),
                cache_read: price(p, "cached").or_else(|| price(p, "cache_read")),
                cache_write: price(p, "cache_creation").or_else(|| price(p, "cache_write")),
            };
            if !pricing.is_empty() {
                out.insert(model.clone(), pricing);
            }
        }
        if !out.is_empty() {
            by_provider.insert(provider.clone(), out);
        }
    }
    Ok(GatewayPrices { by_provider })
}

/// Parses `/api/pricing/models`: `{<alias>: {id, alias, name, models:[{id, name, custom}]}}`.
pub fn parse_pricing_models(body: &Value) -> Result<ProviderCatalog, String> {
    let obj = body
        .as_object()
        .ok_or_else(|| "expected an object keyed by provider alias".to_string())?;
    let mut cat = ProviderCatalog::default();
    for (key, p) in obj {
        if !p.is_object() {
            continue;
        }
        let id = text(p.get("id")).unwrap_or_else(|| key.clone());
        let alias = text(p.get("alias")).unwrap_or_else(|| key.clone());
        let mut model_names = BTreeMap::new();
        for m in p
            .get("models")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(mid), Some(name)) = (text(m.get("id")), text(m.get("name"))) else {
                continue;
            };
            if name != mid {
                model_names.insert(mid, name);
            }
        }
        for a in [key, &alias, &id] {
            cat.alias_to_id.insert(a.clone(), id.clone());
        }
        let entry = cat
            .providers
            .entry(id.clone())
            .or_insert_with(|| ProviderInfo {
                id: id.clone(),
                alias: alias.clone(),
                name: text(p.get("name")),
                model_names: BTreeMap::new(),
            });
        entry.model_names.extend(model_names);
    }
    Ok(cat)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pricing_maps_cached_and_cache_creation() {
        let p = parse_pricing(
            &json!({"cx": {"gpt-5.5": {"input": 5, "output": 30, "cached": 0.5,
            "reasoning": 30, "cache_creation": 5}, "free": {}}, "bad": 3}),
        )
        .unwrap();
        let m = &p.by_provider["cx"]["gpt-5.5"];
        assert_eq!(
            (m.input, m.output, m.cache_read, m.cache_write),
            (Some(5.0), Some(30.0), Some(0.5), Some(5.0))
        );
        assert!(!p.by_provider["cx"].contains_key("free"));
        assert!(parse_pricing(&json!([])).is_err());
    }

    #[test]
    fn pricing_models_alias_and_names() {
        let c = parse_pricing_models(
            &json!({"kmca": {"id": "kimi-coding-apikey", "alias": "kmca",
            "models": [{"id": "kimi-k2.6", "name": "Kimi K2.6"}, {"id": "x", "name": "x"}]}}),
        )
        .unwrap();
        assert_eq!(c.canonical("kmca"), "kimi-coding-apikey");
        assert_eq!(
            c.providers["kimi-coding-apikey"].model_names["kimi-k2.6"],
            "Kimi K2.6"
        );
        assert!(!c.providers["kimi-coding-apikey"]
            .model_names
            .contains_key("x"));
        assert_eq!(c.keys_for("kmca"), vec!["kmca", "kimi-coding-apikey"]);
    }
}

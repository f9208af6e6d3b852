//! The two reads the service makes of the management API: the catalogue's extras (prices,
//! names, provider state) with each catalogue load, and the live health inputs (monitoring,
//! analytics, latency statistics, provider state) on the health TTL. Endpoints are asked
//! concurrently; each refusal is one warning; absent endpoints are skipped silently.

use std::collections::BTreeMap;
use std::time::Duration;

use super::analytics::{parse_analytics, parse_latency_stats, ModelStats};
use super::client::{self, MgmtAuth};
use super::monitoring::{parse_monitoring, Monitoring};
use super::pricing::{parse_pricing, parse_pricing_models, GatewayPrices, ProviderCatalog};
use super::providers::{parse_providers, Providers};
use crate::catalog::extras::GatewayExtras;
use crate::http::Http;

/// Where and how to ask.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// `scheme://host[:port]` of the gateway.
    pub origin: &'a str,
    /// Credentials.
    pub auth: MgmtAuth<'a>,
    /// One request's timeout.
    pub timeout: Duration,
}

impl Target<'_> {
    fn had_token(&self) -> bool {
        self.auth.token.is_some_and(|t| !t.trim().is_empty())
    }
}

/// Everything the live health derivation reads.
#[derive(Debug, Clone, Default)]
pub struct HealthInputs {
    /// `/api/monitoring/health`; `None` when unavailable.
    pub monitoring: Option<Monitoring>,
    /// `/api/providers`; `None` when unavailable.
    pub providers: Option<Providers>,
    /// Per-model statistics: latency stats (3.8.x) first, then analytics for the rest.
    pub stats: Vec<ModelStats>,
    /// One per refused or failed endpoint.
    pub warnings: Vec<String>,
}

/// Fetches `/api/pricing`, `/api/pricing/models` and `/api/providers` and builds the extras.
pub async fn catalog_extras(http: &Http, t: Target<'_>) -> (GatewayExtras, Vec<String>) {
    let (p, pm, pr) = tokio::join!(
        client::get(http, t.origin, client::PRICING, t.auth, t.timeout),
        client::get(http, t.origin, client::PRICING_MODELS, t.auth, t.timeout),
        client::get(http, t.origin, client::PROVIDERS, t.auth, t.timeout),
    );
    let mut warnings = Vec::new();
    let (prices, w1) = client::read(client::PRICING, p, t.had_token(), parse_pricing);
    let (catalog, w2) = client::read(
        client::PRICING_MODELS,
        pm,
        t.had_token(),
        parse_pricing_models,
    );
    let (providers, w3) = client::read(client::PROVIDERS, pr, t.had_token(), parse_providers);
    warnings.extend([w1, w2, w3].into_iter().flatten());
    (
        to_extras(prices.as_ref(), catalog.as_ref(), providers.as_ref()),
        warnings,
    )
}

/// Fetches the health inputs.
pub async fn health_inputs(http: &Http, t: Target<'_>) -> HealthInputs {
    let (mon, pr, an, ls) = tokio::join!(
        client::get(http, t.origin, client::MONITORING, t.auth, t.timeout),
        client::get(http, t.origin, client::PROVIDERS, t.auth, t.timeout),
        client::get(http, t.origin, client::ANALYTICS, t.auth, t.timeout),
        client::get(http, t.origin, client::LATENCY_STATS, t.auth, t.timeout),
    );
    let tok = t.had_token();
    let (monitoring, w1) = client::read(client::MONITORING, mon, tok, parse_monitoring);
    let (providers, w2) = client::read(client::PROVIDERS, pr, tok, parse_providers);
    let (analytics, w3) = client::read(client::ANALYTICS, an, tok, parse_analytics);
    let (latency, w4) = client::read(client::LATENCY_STATS, ls, tok, parse_latency_stats);
    let mut stats = latency.unwrap_or_default();
    for a in analytics.unwrap_or_default() {
        if !stats
            .iter()
            .any(|s| s.model == a.model && s.provider == a.provider)
        {
            stats.push(a);
        }
    }
    HealthInputs {
        monitoring,
        providers,
        stats,
        warnings: [w1, w2, w3, w4].into_iter().flatten().collect(),
    }
}

/// Builds the catalogue extras from whatever was read.
pub fn to_extras(
    prices: Option<&GatewayPrices>,
    catalog: Option<&ProviderCatalog>,
    providers: Option<&Providers>,
) -> GatewayExtras {
    let mut x = GatewayExtras {
        prices: prices.map(|p| p.by_provider.clone()).unwrap_or_default(),
        ..GatewayExtras::default()
    };
    let mut groups: Vec<Vec<String>> = Vec::new();
    if let Some(c) = catalog {
        for p in c.providers.values() {
            if !p.model_names.is_empty() {
                x.names.insert(p.id.clone(), p.model_names.clone());
            }
            let mut g = vec![p.id.clone()];
            if p.alias != p.id {
                g.push(p.alias.clone());
            }
            groups.push(g);
        }
        for (alias, id) in &c.alias_to_id {
            if alias != id {
                if let Some(g) = groups.iter_mut().find(|g| g[0] == *id) {
                    if !g.contains(alias) {
                        g.push(alias.clone());
                    }
                }
            }
        }
    }
    if let Some(p) = providers {
        for (prefix, id) in p.prefixes() {
            match groups.iter_mut().find(|g| g.contains(&id)) {
                Some(g) if !g.contains(&prefix) => g.push(prefix),
                Some(_) => {}
                None => groups.push(vec![id, prefix]),
            }
        }
        x.usable = Some(p.usable());
    }
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for g in groups.into_iter().filter(|g| g.len() > 1) {
        for k in &g {
            keys.insert(k.clone(), g.clone());
        }
    }
    x.provider_keys = keys;
    x
}

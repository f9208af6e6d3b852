//! `models.health`: live per-model health from the gateway's management API, answered from a
//! short-lived cache (`healthTtl`, single-flight) without rebuilding the catalogue; and, while
//! a host listens, the `models/health` notification when a model's state changes.

use std::collections::BTreeMap;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;

use super::{Api, SourceInfo};
use crate::health::cache::HealthReading;
use crate::health::derive::{derive, HealthMap};
use crate::health::watch::{changes, HealthChange};
use crate::health::{Health, HealthState};
use crate::service::{CallContext, Freshness, Service};

super::call_params! {
/// `models.health` params.
pub struct ModelsHealthParams {
    /// Only these model ids (default: every catalogue model).
    pub ids: Option<Vec<String>>,
}
}

/// `models.health` result.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelsHealthResult {
    /// Health by model id.
    pub models: BTreeMap<String, Health>,
    /// How many models are in each state.
    pub counts: BTreeMap<String, usize>,
    /// When the gateway was asked (RFC 3339).
    pub checked_at: String,
    /// True when the reading came from the cache (younger than `healthTtl`).
    pub cached: bool,
    /// The gateway's version, from its monitoring endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_version: Option<String>,
    /// The gateway.
    #[serde(rename = "baseURL")]
    pub base_url: String,
    /// The catalogue's origin; `warnings` also name each management endpoint that refused.
    #[serde(flatten)]
    pub origin: SourceInfo,
}

/// `models/health` notification params.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthChangedParams {
    /// The gateway.
    #[serde(rename = "baseURL")]
    pub base_url: String,
    /// When the gateway was asked.
    pub checked_at: String,
    /// Models whose state changed.
    pub changes: Vec<HealthChange>,
}

/// The health reading for a call (see [`Service::health_reading`]).
pub async fn reading(svc: &Arc<Service>, ctx: &CallContext) -> (Arc<HealthReading>, bool) {
    svc.health_reading(ctx).await
}

/// A reading younger than `healthTtl`, without waiting for one (for hot calls).
pub fn peek_reading(svc: &Service, ctx: &CallContext) -> Option<Arc<HealthReading>> {
    svc.peek_health(ctx)
}

/// The health map of a catalogue under a reading (derived once per pair).
pub fn health_map(
    reading: &HealthReading,
    catalogue: &Arc<crate::catalog::pipeline::Catalogue>,
) -> Arc<HealthMap> {
    let now = reading.fetched_at;
    reading.for_catalogue(catalogue, |inputs| {
        derive(
            &catalogue.models,
            |id| catalogue.combo_member_ids(id),
            inputs,
            now,
            &reading.checked_at,
        )
    })
}

/// Starts the `models/health` watcher for this gateway and credentials if a host listens and
/// none runs: it polls every `healthTtl` (through the same cache) while the host listens and
/// notifies state changes.
fn watch(svc: &Arc<Service>, ctx: &CallContext, first: Arc<HealthMap>) {
    let key = Service::health_key(ctx);
    if !svc.host_listens() || !svc.start_health_watch(&key) {
        return;
    }
    let (svc2, ctx) = (svc.clone(), ctx.clone());
    svc.spawn_background(async move {
        let mut last = first;
        loop {
            tokio::time::sleep(ctx.opts.health_ttl).await;
            if !svc2.host_listens() {
                break;
            }
            let view = svc2.catalogue(&ctx, Freshness::CacheFirst).await;
            let (r, _) = reading(&svc2, &ctx).await;
            let now = health_map(&r, &view.catalogue);
            let ch = changes(&last, &now);
            if !ch.is_empty() {
                let params = HealthChangedParams {
                    base_url: crate::display::redact_url(&ctx.opts.base_url),
                    checked_at: r.checked_at.clone(),
                    changes: ch,
                };
                svc2.notify_host("models/health", json!(params));
            }
            last = now;
        }
        svc2.stop_health_watch(&key);
    });
}

/// Registers `models.health`.
pub fn register(api: &mut Api) {
    api.method(
        "models.health",
        "Live health of each model (ok, degraded, down, unknown; reason, retryAfterMs, latency, success rate) from the gateway's monitoring, providers and usage statistics, cached for healthTtl.",
        |svc: Arc<Service>, p: ModelsHealthParams| async move {
            let ctx = svc.context(p.options.as_ref(), p.api_key.as_deref());
            let view = svc.catalogue(&ctx, Freshness::CacheFirst).await;
            let (r, cached) = reading(&svc, &ctx).await;
            let map = health_map(&r, &view.catalogue);
            let models: BTreeMap<String, Health> = match &p.ids {
                None => (*map).clone(),
                Some(ids) => ids
                    .iter()
                    .map(|id| {
                        let h = map.get(id).cloned().unwrap_or_else(|| Health {
                            state: HealthState::Unknown,
                            reason: Some("not in the catalogue".into()),
                            retry_after_ms: None,
                            latency_ms: None,
                            success_rate: None,
                            checked_at: r.checked_at.clone(),
                        });
                        (id.clone(), h)
                    })
                    .collect(),
            };
            let mut counts = BTreeMap::new();
            for h in models.values() {
                *counts.entry(h.state.as_str().to_string()).or_insert(0) += 1;
            }
            watch(&svc, &ctx, map);
            Ok(ModelsHealthResult {
                models,
                counts,
                checked_at: r.checked_at.clone(),
                cached,
                gateway_version: r.inputs.monitoring.as_ref().and_then(|m| m.version.clone()),
                base_url: crate::display::redact_url(&ctx.opts.base_url),
                origin: SourceInfo::of(&view, r.inputs.warnings.clone()),
            })
        },
    );
}

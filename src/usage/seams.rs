//! What the ledger tells the rest of the service: pure functions over ledger records.
//! - [`recent_models`] feeds the curated view's usage memory (issue 14: models a user actually
//!   used stay visible in the curated list).
//! - [`observed_health`] feeds model health (issue 15: failures and latencies that hosts saw
//!   sharpen the gateway's own health data).

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::record::LedgerRecord;
use super::summary::served_of;

/// A model a host used recently.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecentModel {
    /// The catalogue id requested (a model or a combo).
    pub model: String,
    /// When it was last requested (ms since the epoch).
    pub last_used: u64,
    /// How often it was requested in the records given.
    pub requests: u64,
}

/// The models requested in `records`, most recently used first, at most `limit`. The
/// curated view (issue 14) keeps these visible; pass records of the window it remembers.
/// Served members are not listed: a user picks the combo, not its members.
pub fn recent_models(records: &[LedgerRecord], limit: usize) -> Vec<RecentModel> {
    let mut by_model: HashMap<&str, RecentModel> = HashMap::new();
    for r in records {
        let e = by_model.entry(&r.model).or_insert_with(|| RecentModel {
            model: r.model.clone(),
            last_used: r.at,
            requests: 0,
        });
        e.requests += 1;
        e.last_used = e.last_used.max(r.at);
    }
    let mut out: Vec<RecentModel> = by_model.into_values().collect();
    out.sort_by(|a, b| {
        b.last_used
            .cmp(&a.last_used)
            .then(b.requests.cmp(&a.requests))
            .then_with(|| a.model.cmp(&b.model))
    });
    out.truncate(limit);
    out
}

/// What hosts observed of one model.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObservedHealth {
    /// The model that answered (catalogue id when mapped); the requested one when nothing
    /// answered.
    pub model: String,
    /// Requests seen.
    pub requests: u64,
    /// Of which failed.
    pub failures: u64,
    /// When the last failure started (ms since the epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_failure_at: Option<u64>,
    /// The last failure's (redacted) message or HTTP status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Median time to the last byte of the successful requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_latency_ms: Option<u64>,
    /// Median time to the first byte of the successful streams.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_ttft_ms: Option<u64>,
}

/// Per model, the failures and latencies hosts saw, sorted by model id. Health (issue 15)
/// combines them with the gateway's own view: e.g. hide a model whose recent requests all
/// failed, or rank by median latency. Pass the records of the window that should count.
pub fn observed_health(records: &[LedgerRecord]) -> Vec<ObservedHealth> {
    struct Acc {
        h: ObservedHealth,
        lat: Vec<u64>,
        ttft: Vec<u64>,
    }
    let mut by_model: HashMap<String, Acc> = HashMap::new();
    for r in records {
        let key = served_of(r).unwrap_or_else(|| r.model.clone());
        let acc = by_model.entry(key.clone()).or_insert_with(|| Acc {
            h: ObservedHealth {
                model: key,
                requests: 0,
                failures: 0,
                last_failure_at: None,
                last_error: None,
                median_latency_ms: None,
                median_ttft_ms: None,
            },
            lat: Vec::new(),
            ttft: Vec::new(),
        });
        acc.h.requests += 1;
        if r.ok {
            acc.lat.extend(r.latency_ms);
            acc.ttft.extend(r.ttft_ms);
        } else {
            acc.h.failures += 1;
            if acc.h.last_failure_at.is_none_or(|t| r.at >= t) {
                acc.h.last_failure_at = Some(r.at);
                acc.h.last_error = r
                    .error
                    .clone()
                    .or_else(|| (r.status != 0).then(|| format!("HTTP {}", r.status)));
            }
        }
    }
    let mut out: Vec<ObservedHealth> = by_model
        .into_values()
        .map(|mut a| {
            a.h.median_latency_ms = median(&mut a.lat);
            a.h.median_ttft_ms = median(&mut a.ttft);
            a.h
        })
        .collect();
    out.sort_by(|a, b| a.model.cmp(&b.model));
    out
}

fn median(v: &mut [u64]) -> Option<u64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    Some(v[v.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(at: u64, model: &str, served: Option<&str>, ok: bool, lat: u64) -> LedgerRecord {
        LedgerRecord {
            at,
            model: model.into(),
            served_model: None,
            served_id: served.map(String::from),
            provider: None,
            tokens_in: 0,
            tokens_out: 0,
            cost_usd: 0.0,
            latency_ms: Some(lat),
            ttft_ms: Some(lat / 2),
            cache_hit: None,
            fallback_attempts: None,
            status: if ok { 200 } else { 503 },
            ok,
            host: None,
            session_id: None,
            error: None,
        }
    }

    #[test]
    fn recent_models_newest_first_and_limited() {
        let rs = vec![
            rec(1, "a", None, true, 1),
            rec(5, "b", None, true, 1),
            rec(3, "a", None, true, 1),
            rec(2, "c", None, true, 1),
        ];
        let got = recent_models(&rs, 2);
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].model.as_str(), got[0].last_used), ("b", 5));
        assert_eq!((got[1].model.as_str(), got[1].requests), ("a", 2));
        assert!(recent_models(&[], 5).is_empty());
    }

    #[test]
    fn health_per_served_model() {
        let rs = vec![
            rec(1, "combo", Some("m/a"), true, 100),
            rec(2, "combo", Some("m/a"), true, 300),
            rec(3, "combo", Some("m/a"), true, 200),
            rec(4, "combo", Some("m/b"), false, 0),
            rec(5, "m/b", None, false, 0),
        ];
        let got = observed_health(&rs);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].model, "m/a");
        assert_eq!((got[0].requests, got[0].failures), (3, 0));
        assert_eq!(got[0].median_latency_ms, Some(200));
        assert_eq!(got[0].median_ttft_ms, Some(100));
        assert_eq!(got[1].model, "m/b");
        assert_eq!((got[1].requests, got[1].failures), (2, 2));
        assert_eq!(got[1].last_failure_at, Some(5));
        assert_eq!(got[1].last_error.as_deref(), Some("HTTP 503"));
        assert_eq!(got[1].median_latency_ms, None);
    }
}

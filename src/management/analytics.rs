//! Per-model latency and success rate: `GET /api/usage/analytics?range=1d` (`byModel`, 3.7.9
//! and later) and `GET /api/usage/model-latency-stats?windowHours=24` (3.8.x, with percentiles).

use serde_json::Value;

use super::{millis, number, text};

/// Statistics of one model as served by one provider.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelStats {
    /// Provider id.
    pub provider: Option<String>,
    /// Bare model id as the gateway records it.
    pub model: String,
    /// Requests counted.
    pub requests: u64,
    /// Average latency in ms.
    pub avg_latency_ms: Option<u64>,
    /// Median latency in ms (3.8.x).
    pub p50_latency_ms: Option<u64>,
    /// 95th percentile latency in ms (3.8.x).
    pub p95_latency_ms: Option<u64>,
    /// Success rate, 0..1.
    pub success_rate: Option<f64>,
}

fn stats(e: &Value, rate: Option<f64>) -> Option<ModelStats> {
    Some(ModelStats {
        provider: text(e.get("provider")),
        model: text(e.get("rawModel")).or_else(|| text(e.get("model")))?,
        requests: number(e.get("requests").or_else(|| e.get("totalRequests")))
            .map(|x| x.max(0.0) as u64)
            .unwrap_or(0),
        avg_latency_ms: millis(e.get("avgLatencyMs")),
        p50_latency_ms: millis(e.get("p50LatencyMs")),
        p95_latency_ms: millis(e.get("p95LatencyMs")),
        success_rate: rate.map(|r| r.clamp(0.0, 1.0)),
    })
}

/// Parses `/api/usage/analytics`: `byModel[{model, provider, rawModel, requests, avgLatencyMs,
/// successRatePct}]` (percent, a number or a string such as `"100.00"`).
pub fn parse_analytics(body: &Value) -> Result<Vec<ModelStats>, String> {
    let list = body
        .get("byModel")
        .and_then(Value::as_array)
        .ok_or_else(|| "expected {byModel: [...]}".to_string())?;
    Ok(list
        .iter()
        .filter_map(|e| stats(e, number(e.get("successRatePct")).map(|p| p / 100.0)))
        .collect())
}

/// Parses `/api/usage/model-latency-stats`: `entries[{provider, model, totalRequests,
/// successRate (0..1), avgLatencyMs, p50LatencyMs, p95LatencyMs}]`.
pub fn parse_latency_stats(body: &Value) -> Result<Vec<ModelStats>, String> {
    let list = body
        .get("entries")
        .or_else(|| body.get("data"))
        .and_then(Value::as_array)
        .ok_or_else(|| "expected {entries: [...]}".to_string())?;
    Ok(list
        .iter()
        .filter_map(|e| stats(e, number(e.get("successRate"))))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn analytics_percent_strings_and_latency_stats() {
        let a = parse_analytics(
            &json!({"byModel": [{"model": "m", "provider": "p", "rawModel": "m",
            "requests": 4, "avgLatencyMs": 130, "successRatePct": "75.00"}, {"requests": 1}]}),
        )
        .unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].success_rate, Some(0.75));
        let l = parse_latency_stats(
            &json!({"entries": [{"provider": "p", "model": "m", "totalRequests": 10,
            "successRate": 0.9, "avgLatencyMs": 100.4, "p50LatencyMs": 80, "p95LatencyMs": 300}]}),
        )
        .unwrap();
        assert_eq!(
            (l[0].requests, l[0].p95_latency_ms, l[0].avg_latency_ms),
            (10, Some(300), Some(100))
        );
        assert!(parse_analytics(&json!({})).is_err());
    }
}

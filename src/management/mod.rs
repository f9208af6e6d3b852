//! The gateway's management API (`{origin}/api/*`) as read-only inputs: who may be asked with
//! which credential ([`client`]), and one pure parser per endpoint (pricing and display names,
//! provider connections, monitoring, usage analytics, latency statistics). Nothing here knows
//! the catalogue or the health rules; they read the parsed shapes.

pub mod analytics;
pub mod client;
pub mod fetch;
pub mod monitoring;
pub mod pricing;
pub mod providers;

/// A number from JSON that a gateway may send as a number or a numeric string
/// (`"successRatePct": "100.00"` in 3.7.9).
pub(crate) fn number(v: Option<&serde_json::Value>) -> Option<f64> {
    match v? {
        serde_json::Value::Number(n) => n.as_f64().filter(|x| x.is_finite()),
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
        _ => None,
    }
}

/// A non-empty string field.
pub(crate) fn text(v: Option<&serde_json::Value>) -> Option<String> {
    v.and_then(serde_json::Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A non-negative whole number of milliseconds (fractions and negatives clamped).
pub(crate) fn millis(v: Option<&serde_json::Value>) -> Option<u64> {
    number(v).map(|x| x.max(0.0).min(u64::MAX as f64 / 2.0) as u64)
}

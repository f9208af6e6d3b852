//! From what a host saw to one ledger record: the raw attribution of `usage.record` (contract
//! in CONTRACTS.md) is normalised here, so the header/trailer semantics live in one place.
//! Pure: no I/O, the clock and the catalogue ids are passed in.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Longest string kept from a host or the gateway (ids, provider, session, error).
const MAX_TEXT: usize = 200;

/// `usage.record` params: what a host saw of one request to the gateway's own origin.
/// Unknown fields are ignored (hosts may send more than this service reads).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RawAttribution {
    /// The model id the host requested (a catalogue id: a model or a combo).
    pub model: String,
    /// `opencode` | `vscode` | `pi` | `nvim` | `script`.
    pub host: Option<String>,
    /// The host's session id, when it has one.
    pub session_id: Option<String>,
    /// When the request started, ms since the epoch (default: when the record arrives).
    pub at: Option<f64>,
    /// HTTP status; 0 when no response arrived.
    pub status: Option<f64>,
    /// The request completed without error.
    pub ok: Option<bool>,
    /// The request asked for a stream.
    pub stream: Option<bool>,
    /// A short error message (never a key, never prompt text).
    pub error: Option<String>,
    /// Host-measured time to the last byte.
    pub latency_ms: Option<f64>,
    /// Host-measured time to the first byte of a stream.
    pub ttft_ms: Option<f64>,
    /// Every `x-omniroute-*` header and trailing SSE comment, keyed without the prefix
    /// (lower-case); a trailer has already overridden a header of the same name.
    pub omniroute: Option<BTreeMap<String, Value>>,
    /// The response body's (or last chunk's) `usage` object.
    pub usage: Option<Value>,
    /// The response body's `model` field.
    pub body_model: Option<String>,
    /// Options (for `cacheDir`, and the catalogue used to map served ids).
    #[schemars(with = "Option<crate::options::OptionsInput>")]
    pub options: Option<Value>,
}

/// One line of the ledger. Never a key or prompt text: ids, counts, times and a short,
/// redacted error.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LedgerRecord {
    /// When the request started, ms since the epoch.
    pub at: u64,
    /// The model requested (a combo or a model id).
    pub model: String,
    /// The model the gateway says answered, as it names it (`mock-small`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_model: Option<String>,
    /// The served model as a catalogue id (`mock/mock-small`), when the naming allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_id: Option<String>,
    /// The gateway's provider (node) id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Prompt tokens.
    #[serde(default)]
    pub tokens_in: u64,
    /// Completion tokens.
    #[serde(default)]
    pub tokens_out: u64,
    /// Cost in USD as the gateway computed it.
    #[serde(default)]
    pub cost_usd: f64,
    /// Time to the last byte (host-measured, else the gateway's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Time to the first byte of a stream (host-measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_ms: Option<u64>,
    /// The gateway answered from its cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_hit: Option<bool>,
    /// Fallbacks the gateway tried before the member that answered (3.8+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_attempts: Option<u64>,
    /// HTTP status; 0 when no response arrived.
    #[serde(default)]
    pub status: u16,
    /// The request completed without error.
    pub ok: bool,
    /// Which host sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The host's session id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// A short error message, redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Normalises a host's raw attribution. `now_ms` is the default start time; `catalogue_ids`
/// (the current catalogue's model ids, possibly empty) maps the served model back to a
/// catalogue id. Rules: tokens, cost and gateway latency come from the `omniroute` values when
/// non-zero (trailers, or headers of a non-streamed answer), else from `usage`, else the zero
/// the headers said; the served model from `omniroute.model`, else the body's `model`.
pub fn normalise(raw: &RawAttribution, now_ms: u64, catalogue_ids: &[&str]) -> LedgerRecord {
    let om = raw.omniroute.clone().unwrap_or_default();
    let get = |k: &str| om.get(k).and_then(value_text);
    let usage = raw.usage.as_ref().filter(|u| u.is_object());
    let usage_num = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| usage.and_then(|u| u.get(*k)).and_then(number))
    };

    let tokens_in = pick(
        get("tokens-in").and_then(|s| parse_num(&s)),
        usage_num(&["prompt_tokens", "input_tokens"]),
    );
    let tokens_out = pick(
        get("tokens-out").and_then(|s| parse_num(&s)),
        usage_num(&["completion_tokens", "output_tokens"]),
    );
    let cost = pick(
        get("response-cost").and_then(|s| parse_num(&s)),
        usage_num(&["cost"]),
    );
    let gateway_latency = get("latency-ms")
        .and_then(|s| parse_num(&s))
        .filter(|v| *v > 0.0);

    let served_model = get("model")
        .or_else(|| raw.body_model.clone())
        .map(|s| clip(&s))
        .filter(|s| !s.is_empty());
    let provider = get("provider").map(|s| clip(&s)).filter(|s| !s.is_empty());
    let served_id = served_model
        .as_deref()
        .map(|s| map_served_id(s, catalogue_ids));

    let status = raw
        .status
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1000.0)
        .map(|s| s as u16)
        .unwrap_or(0);
    let ok = raw.ok.unwrap_or(true) && (1..400).contains(&status);
    let cache_hit = get("cache-hit")
        .or_else(|| get("cache"))
        .and_then(|s| parse_bool(&s));

    LedgerRecord {
        at: raw
            .at
            .filter(|a| a.is_finite() && *a > 0.0)
            .map(|a| a as u64)
            .unwrap_or(now_ms),
        model: clip(&raw.model),
        served_model,
        served_id,
        provider,
        tokens_in: to_u64(tokens_in),
        tokens_out: to_u64(tokens_out),
        cost_usd: cost.filter(|c| c.is_finite() && *c >= 0.0).unwrap_or(0.0),
        latency_ms: raw
            .latency_ms
            .filter(|v| v.is_finite() && *v >= 0.0)
            .or(gateway_latency)
            .map(|v| v as u64),
        ttft_ms: raw
            .ttft_ms
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(|v| v as u64),
        cache_hit,
        fallback_attempts: get("fallback-attempts")
            .and_then(|s| parse_num(&s))
            .map(|v| v as u64),
        status,
        ok,
        host: raw.host.as_deref().map(clip).filter(|s| !s.is_empty()),
        session_id: raw
            .session_id
            .as_deref()
            .map(clip)
            .filter(|s| !s.is_empty()),
        error: raw
            .error
            .as_deref()
            .map(|e| clip(&redact(e)))
            .filter(|s| !s.is_empty()),
    }
}

/// The served model as a catalogue id: itself when the catalogue has it, else the one
/// catalogue id ending in `/<served>` (`mock-small` → `mock/mock-small`), else as the gateway
/// named it (no catalogue loaded, or ambiguous).
pub fn map_served_id(served: &str, catalogue_ids: &[&str]) -> String {
    if catalogue_ids.contains(&served) {
        return served.to_string();
    }
    let suffix = format!("/{served}");
    let mut found = catalogue_ids.iter().filter(|id| id.ends_with(&suffix));
    match (found.next(), found.next()) {
        (Some(one), None) => one.to_string(),
        _ => served.to_string(),
    }
}

/// A non-zero first choice, else the second, else the first (a zero), else none.
fn pick(primary: Option<f64>, secondary: Option<f64>) -> Option<f64> {
    match (primary, secondary) {
        (Some(p), _) if p != 0.0 => Some(p),
        (_, Some(s)) => Some(s),
        (p, None) => p,
    }
}

fn to_u64(v: Option<f64>) -> u64 {
    v.filter(|x| x.is_finite() && *x >= 0.0)
        .map(|x| x.round() as u64)
        .unwrap_or(0)
}

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => parse_num(s),
        _ => None,
    }
}

fn parse_num(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "hit" | "yes" => Some(true),
        "false" | "0" | "miss" | "no" | "bypass" => Some(false),
        _ => None,
    }
}

/// At most [`MAX_TEXT`] characters, control characters dropped.
fn clip(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(MAX_TEXT)
        .collect::<String>()
        .trim()
        .to_string()
}

/// Blanks anything that looks like a credential (`Bearer …`, `sk-…`, `key=…`).
pub fn redact(text: &str) -> String {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r"(?i)(bearer\s+\S+|\bsk-[A-Za-z0-9_\-]{6,}|\b(api[_-]?key|token|key)\s*[=:]\s*\S+)",
        )
        .ok()
    });
    match re {
        Some(re) => re.replace_all(text, "[redacted]").into_owned(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(v: Value) -> RawAttribution {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn stream_trailers_and_usage_win_over_zero_headers() {
        let r = raw(json!({
            "model": "mock-combo", "status": 200, "ok": true, "stream": true,
            "latencyMs": 812, "ttftMs": 140, "host": "opencode", "sessionId": "ses_1",
            "omniroute": {"model": "mock-small", "provider": "openai-compatible-chat-x",
                "tokens-in": "0", "tokens-out": "0", "response-cost": "0.0000012",
                "latency-ms": "158", "cache-hit": "false"},
            "usage": {"prompt_tokens": 5, "completion_tokens": 4}
        }));
        let rec = normalise(&r, 42, &["mock/mock-small", "mock-combo"]);
        assert_eq!(rec.tokens_in, 5);
        assert_eq!(rec.tokens_out, 4);
        assert_eq!(rec.cost_usd, 0.0000012);
        assert_eq!(rec.served_model.as_deref(), Some("mock-small"));
        assert_eq!(rec.served_id.as_deref(), Some("mock/mock-small"));
        assert_eq!(rec.latency_ms, Some(812));
        assert_eq!(rec.ttft_ms, Some(140));
        assert_eq!(rec.cache_hit, Some(false));
        assert_eq!(rec.at, 42);
        assert!(rec.ok);
    }

    #[test]
    fn non_zero_headers_win_over_usage_and_gateway_latency_is_the_fallback() {
        let r = raw(json!({"model": "m", "status": 200, "ok": true,
            "omniroute": {"tokens-in": "7", "tokens-out": 3, "latency-ms": "90"},
            "usage": {"prompt_tokens": 5, "completion_tokens": 4}, "bodyModel": "m-served"}));
        let rec = normalise(&r, 1, &[]);
        assert_eq!((rec.tokens_in, rec.tokens_out), (7, 3));
        assert_eq!(rec.latency_ms, Some(90));
        assert_eq!(rec.served_model.as_deref(), Some("m-served"));
        assert_eq!(
            rec.served_id.as_deref(),
            Some("m-served"),
            "no catalogue: left bare"
        );
    }

    #[test]
    fn failures_and_redaction() {
        let r = raw(json!({"model": "m", "status": 0, "ok": false,
            "error": "fetch failed: Bearer sk-abcdef123456 rejected\u{1b}[31m"}));
        let rec = normalise(&r, 1, &[]);
        assert!(!rec.ok);
        assert_eq!(rec.status, 0);
        let e = rec.error.unwrap();
        assert!(!e.contains("sk-abc") && !e.contains('\u{1b}'), "{e}");
        let r = raw(json!({"model": "m", "status": 502, "ok": true}));
        assert!(!normalise(&r, 1, &[]).ok, "an HTTP error is never ok");
    }

    #[test]
    fn served_id_mapping() {
        let ids = [
            "mock/mock-small",
            "mockr/mock-large",
            "mock/mock-large",
            "combo",
        ];
        assert_eq!(map_served_id("mock-small", &ids), "mock/mock-small");
        assert_eq!(map_served_id("combo", &ids), "combo");
        assert_eq!(map_served_id("mock-large", &ids), "mock-large", "ambiguous");
        assert_eq!(map_served_id("other", &ids), "other");
    }
}

//! The catalogue an export is built from, obtained in-process through the service's public
//! JSON-RPC methods (`models.list`, `opencode.provider`) exactly as `omniroute-rpc call` does,
//! so the export sees what every host sees (options, filters, combos' lowest common limits)
//! without depending on the service's internals.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::api::Api;
use crate::env::Env;
use crate::rpc::dispatch::Dispatcher;
use crate::service::{Notifier, Service};

/// One chat model as the exports need it. `None` = unknown.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatModel {
    /// Gateway id (what the tool sends as `model`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Context window.
    pub context: Option<u64>,
    /// Output limit.
    pub output: Option<u64>,
    /// Image input.
    pub vision: Option<bool>,
    /// Tool calling.
    pub tools: Option<bool>,
    /// Reasoning.
    pub reasoning: Option<bool>,
    /// File attachments.
    pub attachment: Option<bool>,
    /// USD per million input tokens.
    pub cost_in: Option<f64>,
    /// USD per million output tokens.
    pub cost_out: Option<f64>,
    /// USD per million cached input tokens read.
    pub cache_read: Option<f64>,
    /// USD per million input tokens written to the cache.
    pub cache_write: Option<f64>,
}

/// What the gateway offers, ready for the target builders.
#[derive(Debug, Clone)]
pub struct Catalogue {
    /// The gateway base URL the models are served at.
    pub base_url: String,
    /// `live`, `cache`, `stale` or `snapshot`.
    pub source: String,
    /// The service's warnings (invalid options, failed refreshes …).
    pub warnings: Vec<String>,
    /// Chat models, sorted by id, alias twins left out.
    pub models: Vec<ChatModel>,
    /// `responses` when the user's `apiMode` says so.
    pub responses_api: bool,
    /// The `opencode.provider` block (only fetched for the OpenCode target).
    pub opencode: Option<Value>,
}

/// Which options the user gave: `OMNIROUTE_OPTIONS` (a JSON object), then the flags.
pub fn options(env: &Env, base_url: Option<&str>, timeout_ms: u64) -> Result<Value, String> {
    let mut options = match env.options_json.as_deref() {
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err("OMNIROUTE_OPTIONS is not a JSON object".into()),
            Err(e) => return Err(format!("OMNIROUTE_OPTIONS is not valid JSON: {e}")),
        },
        _ => Map::new(),
    };
    if let Some(url) = base_url {
        options.insert("baseURL".into(), json!(url));
    }
    options
        .entry("requestTimeoutMs")
        .or_insert(json!(timeout_ms));
    Ok(Value::Object(options))
}

/// Fetches the catalogue (and the OpenCode block when `with_opencode`). Refuses the built-in
/// fallback models: a file must never be filled with guesses because the gateway was down.
pub fn fetch(env: Env, options: Value, with_opencode: bool) -> Result<Catalogue, String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(async move {
        let service = Arc::new(Service::new(env, Notifier::none()));
        let dispatcher = Api::new(service.clone()).into_dispatcher();
        let params = json!({"refresh": true, "options": options});
        let listed = call(&dispatcher, "models.list", params.clone()).await;
        let provider = match (&listed, with_opencode) {
            (Ok(_), true) => Some(call(&dispatcher, "opencode.provider", params).await),
            _ => None,
        };
        service.stop_background();
        let listed = listed?;
        let opencode = match provider {
            Some(Ok(mut r)) => Some(
                r.get_mut("provider")
                    .map(Value::take)
                    .unwrap_or(Value::Null),
            ),
            Some(Err(e)) => return Err(e),
            None => None,
        };
        let mut cat = from_list(&listed)?;
        cat.responses_api = options_api_mode(&options) == Some("responses");
        cat.opencode = opencode;
        Ok(cat)
    })
}

fn options_api_mode(options: &Value) -> Option<&str> {
    options.get("apiMode").and_then(Value::as_str)
}

async fn call(d: &Dispatcher, method: &str, params: Value) -> Result<Value, String> {
    let params = serde_json::value::to_raw_value(&params)
        .map_err(|e| format!("unreadable {method} params: {e}"))?;
    let text = d.call("1", method, Some(&params)).await.into_text();
    let mut v: Value =
        serde_json::from_str(&text).map_err(|e| format!("unreadable {method} answer: {e}"))?;
    if let Some(err) = v.get("error") {
        let message = err
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("error");
        let kind = err
            .get("data")
            .and_then(|d| d.get("kind"))
            .and_then(Value::as_str)
            .map(|k| format!(" [{k}]"))
            .unwrap_or_default();
        return Err(format!("{method} failed: {message}{kind}"));
    }
    Ok(v.get_mut("result").map(Value::take).unwrap_or(Value::Null))
}

/// Builds the catalogue from a `models.list` result.
pub fn from_list(result: &Value) -> Result<Catalogue, String> {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let source = s(result, "source").unwrap_or_default();
    let base_url = s(result, "baseURL").unwrap_or_default();
    if source == "fallback" {
        return Err(format!(
            "no OmniRoute gateway answered at {base_url} and nothing is cached; nothing exported (start the gateway or pass --base-url)"
        ));
    }
    let models = result
        .get("models")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let listed: std::collections::HashSet<String> =
        models.iter().filter_map(|m| s(m, "id")).collect();
    let mut out: Vec<ChatModel> = models
        .iter()
        .filter(|m| s(m, "kind").is_none_or(|k| k == "chat"))
        .filter(|m| !s(m, "aliasOf").is_some_and(|a| listed.contains(&a)))
        .filter_map(|m| {
            let id = s(m, "id")?;
            let b = |k: &str| m.get(k).and_then(Value::as_bool);
            let n = |k: &str| m.get(k).and_then(Value::as_u64).filter(|v| *v > 0);
            let price = |k: &str| {
                m.get("pricing")
                    .and_then(|p| p.get(k))
                    .and_then(Value::as_f64)
            };
            Some(ChatModel {
                name: s(m, "name")
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| id.clone()),
                id,
                context: n("contextWindow"),
                output: n("maxTokens"),
                vision: b("supportsVision"),
                tools: b("supportsTools"),
                reasoning: b("supportsReasoning"),
                attachment: b("supportsAttachment"),
                cost_in: price("input"),
                cost_out: price("output"),
                cache_read: price("cacheRead"),
                cache_write: price("cacheWrite"),
            })
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out.dedup_by(|a, b| a.id == b.id);
    let warnings = result
        .get("warnings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|w| w.as_str().map(str::to_string))
        .collect();
    Ok(Catalogue {
        base_url,
        source,
        warnings,
        models: out,
        responses_api: false,
        opencode: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_models_only_sorted_without_alias_twins() {
        let result = json!({"source": "live", "baseURL": "http://g/v1", "models": [
            {"id": "z/chat", "name": "Z", "kind": "chat", "contextWindow": 1000, "maxTokens": 100,
             "pricing": {"input": 1.5, "cacheRead": 0.1}},
            {"id": "e/embed", "name": "E", "kind": "embedding"},
            {"id": "a/twin", "name": "T", "kind": "chat", "aliasOf": "z/chat"},
            {"id": "b/alone", "name": "", "kind": "chat", "aliasOf": "gone", "contextWindow": 0}
        ]});
        let cat = from_list(&result).unwrap();
        let ids: Vec<&str> = cat.models.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["b/alone", "z/chat"]);
        assert_eq!(cat.models[0].name, "b/alone");
        assert_eq!(cat.models[0].context, None);
        assert_eq!(cat.models[1].cost_in, Some(1.5));
        assert_eq!(cat.models[1].cache_read, Some(0.1));
        assert_eq!(cat.base_url, "http://g/v1");
    }

    #[test]
    fn fallback_is_refused() {
        let e = from_list(&json!({"source": "fallback", "baseURL": "http://x/v1", "models": []}))
            .unwrap_err();
        assert!(e.contains("no OmniRoute gateway answered at http://x/v1"));
    }
}

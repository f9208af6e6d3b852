//! Normalisation of the gateway's `/models` entries: every spelling OmniRoute (and other
//! OpenAI-compatible gateways) use for limits and capabilities is read into one shape, and
//! OmniRoute's generic placeholder metadata is recognised and treated as unknown.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::model::{ModelKind, Pricing};

/// One gateway entry after normalisation. `None` = the gateway did not say.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GatewayModel {
    /// Model id.
    pub id: String,
    /// Display name, when the gateway sends one.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// `owned_by`.
    pub owned_by: Option<String>,
    /// `parent` (alias twins: the alias id this canonical entry belongs to).
    pub parent: Option<String>,
    /// Classification from `type`.
    pub kind: ModelKind,
    /// `owned_by == "combo"`.
    pub is_combo: bool,
    /// Context window.
    pub context: Option<u64>,
    /// Max output tokens.
    pub max_output: Option<u64>,
    /// Vision (capabilities.vision or `image` in input modalities).
    pub vision: Option<bool>,
    /// Tool calling.
    pub tools: Option<bool>,
    /// Reasoning / thinking.
    pub reasoning: Option<bool>,
    /// Attachments.
    pub attachment: Option<bool>,
    /// Temperature.
    pub temperature: Option<bool>,
    /// Streaming.
    pub streaming: Option<bool>,
    /// Input modalities.
    pub input_modalities: Option<Vec<String>>,
    /// Output modalities.
    pub output_modalities: Option<Vec<String>>,
    /// Prices, when the gateway sends them.
    pub pricing: Option<Pricing>,
    /// Release date.
    pub release_date: Option<String>,
    /// Family.
    pub family: Option<String>,
    /// Lifecycle status (`deprecated`, `beta`, …), when the gateway says.
    pub status: Option<String>,
    /// Last update date (YYYY-MM-DD), when the gateway says.
    pub last_updated: Option<String>,
    /// The gateway marks the model free (`free`/`isFree`/`is_free`, or an id ending in `:free`).
    pub free: Option<bool>,
    /// The entry carried OmniRoute's placeholder metadata (which was dropped).
    pub placeholder: bool,
}

/// Parses a `/models` body: `{data: [...]}` (or a bare array). Entries without a string id are
/// skipped with a warning. Errors only when the body has no list at all.
pub fn parse_models_body(body: &Value) -> Result<(Vec<GatewayModel>, Vec<String>), String> {
    let list = match body {
        Value::Object(o) => match o.get("data") {
            Some(Value::Array(a)) => a,
            Some(Value::Null) | None => match o.get("models") {
                Some(Value::Array(a)) => a,
                _ => return Err("the body has no `data` array".into()),
            },
            Some(_) => return Err("`data` is not an array".into()),
        },
        Value::Array(a) => a,
        _ => return Err("the body is not a JSON object".into()),
    };
    let mut out = Vec::with_capacity(list.len());
    let mut skipped = 0usize;
    let mut seen = std::collections::HashSet::with_capacity(list.len());
    let mut duplicates = 0usize;
    for entry in list {
        match normalise_entry(entry) {
            Some(m) => {
                if seen.insert(m.id.clone()) {
                    out.push(m);
                } else {
                    duplicates += 1;
                }
            }
            None => skipped += 1,
        }
    }
    let mut warnings = Vec::new();
    if skipped > 0 {
        warnings.push(format!(
            "skipped {skipped} gateway model entr{} without a usable string `id`",
            if skipped == 1 { "y" } else { "ies" }
        ));
    }
    if duplicates > 0 {
        warnings.push(format!(
            "ignored {duplicates} duplicate gateway model id(s)"
        ));
    }
    Ok((out, warnings))
}

/// Normalises one entry; `None` when it has no usable id.
pub fn normalise_entry(entry: &Value) -> Option<GatewayModel> {
    let obj = entry.as_object()?;
    let id = obj.get("id")?.as_str()?.trim();
    if id.is_empty() || id.len() > 512 {
        return None;
    }
    let caps = obj.get("capabilities").and_then(Value::as_object);
    let cap = |names: &[&str]| -> Option<bool> {
        names.iter().find_map(|n| {
            caps.and_then(|c| c.get(*n))
                .and_then(Value::as_bool)
                .or_else(|| obj.get(*n).and_then(Value::as_bool))
        })
    };
    let input_modalities = modalities(obj, &["input_modalities", "inputModalities"], "input");
    let output_modalities = modalities(obj, &["output_modalities", "outputModalities"], "output");
    let owned_by = string(obj, &["owned_by", "ownedBy"]);
    let is_combo = owned_by.as_deref() == Some("combo");

    let mut max_output = number(
        obj,
        &[
            "max_output_tokens",
            "maxOutputTokens",
            "max_tokens",
            "maxTokens",
            "output_token_limit",
        ],
    )
    .or_else(|| limit(obj, "output"));
    let mut tools = cap(&[
        "tool_calling",
        "tools",
        "function_calling",
        "supportsTools",
        "tool_call",
    ]);
    let mut reasoning = cap(&["reasoning", "thinking", "supportsReasoning"]);
    let max_input = number(obj, &["max_input_tokens", "maxInputTokens"]);
    let mut context = number(
        obj,
        &[
            "context_length",
            "contextLength",
            "context_window",
            "contextWindow",
            "input_token_limit",
        ],
    )
    .or(max_input)
    .or_else(|| limit(obj, "context"));
    let placeholder = is_placeholder(caps, max_output);
    if placeholder {
        max_output = None;
        tools = None;
        reasoning = None;
        // OmniRoute 3.7.9 also stamps `context_length: 128000` on catalogue entries it has no
        // data for; a combo's context_length is set by hand, and `max_input_tokens` is real.
        if !is_combo && max_input.is_none() {
            context = None;
        }
    }
    let vision = cap(&["vision", "supportsVision"]).or_else(|| {
        input_modalities
            .as_ref()
            .map(|m| m.iter().any(|x| x == "image"))
    });

    Some(GatewayModel {
        id: id.to_string(),
        name: string(obj, &["name", "display_name", "displayName"]),
        description: string(obj, &["description"]),
        parent: string(obj, &["parent"]).filter(|p| p != id),
        kind: ModelKind::from_gateway_type(obj.get("type").and_then(Value::as_str)),
        is_combo,
        owned_by,
        context,
        max_output,
        vision,
        tools,
        reasoning,
        attachment: cap(&["attachment", "supportsAttachment"]),
        temperature: cap(&["temperature", "supportsTemperature"]),
        streaming: cap(&["streaming", "supportsStreaming"]),
        input_modalities,
        output_modalities,
        pricing: pricing(obj),
        release_date: string(obj, &["release_date", "releaseDate"]),
        family: string(obj, &["family"]),
        status: string(obj, &["status"]),
        last_updated: string(
            obj,
            &["last_updated", "lastUpdated", "updated_at", "updatedAt"],
        ),
        free: obj
            .get("free")
            .or_else(|| obj.get("isFree"))
            .or_else(|| obj.get("is_free"))
            .and_then(Value::as_bool)
            .or_else(|| id.ends_with(":free").then_some(true)),
        placeholder,
    })
}

/// OmniRoute gives every entry without real limits `max_output_tokens: 8192` and
/// `capabilities {tool_calling: true, reasoning: true}` — also entries that carry real vision
/// data (3.7.9's gpt-4o). That pattern means the output limit, tools and reasoning are unknown.
fn is_placeholder(caps: Option<&Map<String, Value>>, max_output: Option<u64>) -> bool {
    let Some(caps) = caps else { return false };
    max_output == Some(8192)
        && caps.get("tool_calling") == Some(&Value::Bool(true))
        && caps.get("reasoning") == Some(&Value::Bool(true))
}

fn string(obj: &Map<String, Value>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| {
        obj.get(*n)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    })
}

fn number(obj: &Map<String, Value>, names: &[&str]) -> Option<u64> {
    names.iter().find_map(|n| positive(obj.get(*n)?))
}

fn positive(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && *f >= 1.0)
                    .map(|f| f as u64)
            })
            .filter(|x| *x > 0),
        Value::String(s) => s.trim().parse::<u64>().ok().filter(|x| *x > 0),
        _ => None,
    }
}

fn limit(obj: &Map<String, Value>, key: &str) -> Option<u64> {
    positive(obj.get("limit")?.as_object()?.get(key)?)
}

fn modalities(obj: &Map<String, Value>, names: &[&str], nested: &str) -> Option<Vec<String>> {
    let v = names
        .iter()
        .find_map(|n| obj.get(*n))
        .or_else(|| obj.get("modalities")?.as_object()?.get(nested))?;
    let list: Vec<String> = v
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .map(|s| s.to_ascii_lowercase())
        .collect();
    Some(list)
}

fn price(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64().filter(|f| f.is_finite() && *f >= 0.0),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && *f >= 0.0),
        _ => None,
    }
}

fn pricing(obj: &Map<String, Value>) -> Option<Pricing> {
    let p = obj
        .get("pricing")
        .or_else(|| obj.get("cost"))?
        .as_object()?;
    let pick = |names: &[&str]| names.iter().find_map(|n| price(p.get(*n)));
    let out = Pricing {
        input: pick(&["input", "prompt"]),
        output: pick(&["output", "completion"]),
        cache_read: pick(&["cacheRead", "cache_read"]),
        cache_write: pick(&["cacheWrite", "cache_write"]),
    };
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn captured(name: &str) -> Vec<GatewayModel> {
        let path = format!("{}/tests/e2e/captured/{name}", env!("CARGO_MANIFEST_DIR"));
        let v: Value =
            serde_json::from_slice(&std::fs::read(path).expect("captured file")).expect("json");
        v["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .filter_map(normalise_entry)
            .collect()
    }

    #[test]
    fn real_omniroute_379_entries() {
        let chat = captured("models-entries-openai-chat.json");
        let get = |id: &str| chat.iter().find(|m| m.id == id).expect(id).clone();
        let real = get("openai/gpt-5.5");
        assert!(!real.placeholder);
        assert_eq!(
            (real.context, real.max_output),
            (Some(1_050_000), Some(128_000))
        );
        let stamped = get("openai/gpt-5.4");
        assert!(stamped.placeholder);
        assert_eq!(
            (stamped.context, stamped.max_output, stamped.tools),
            (None, None, None)
        );
        let gpt4o = get("openai/gpt-4o");
        assert!(gpt4o.placeholder);
        assert_eq!(gpt4o.vision, Some(true), "real vision data survives");
        assert_eq!((gpt4o.max_output, gpt4o.reasoning), (None, None));
        let combos = captured("models-entries-combos.json");
        assert!(combos.iter().all(|c| c.is_combo && c.max_output.is_none()));
        let weighted = combos
            .iter()
            .find(|c| c.id == "e2e-weighted")
            .expect("weighted");
        assert_eq!(
            weighted.context,
            Some(64_000),
            "a combo's hand-set context is real"
        );
        let twins = captured("models-entries-alias-twins.json");
        assert!(twins
            .iter()
            .any(|t| t.parent.as_deref() == Some("kmca/kimi-k2.6")));
        let nonchat = captured("models-entries-nonchat.json");
        assert!(
            nonchat.iter().all(|m| m.kind != ModelKind::Chat),
            "{nonchat:?}"
        );
    }

    #[test]
    fn placeholder_is_unknown() {
        let m = normalise_entry(
            &json!({"id":"c1","owned_by":"combo","max_output_tokens":8192,
            "capabilities":{"tool_calling":true,"reasoning":true}}),
        )
        .expect("entry");
        assert!(m.is_combo && m.placeholder);
        assert_eq!((m.max_output, m.tools, m.reasoning), (None, None, None));
    }

    #[test]
    fn real_metadata_is_kept() {
        let m = normalise_entry(&json!({"id":"cx/gpt-5","owned_by":"codex","context_length":400000,
            "max_output_tokens":128000,"capabilities":{"tool_calling":true,"reasoning":true,"vision":true},
            "input_modalities":["text","image"],"parent":"cx/gpt-5"}))
        .expect("entry");
        assert!(!m.placeholder);
        assert_eq!(m.context, Some(400000));
        assert_eq!(m.max_output, Some(128000));
        assert_eq!(m.vision, Some(true));
        assert_eq!(m.parent, None);
    }

    #[test]
    fn bad_entries_are_skipped() {
        let (models, warnings) = parse_models_body(
            &json!({"data":[{"id":1},{"x":2},"str",{"id":"ok","type":"embedding"}]}),
        )
        .expect("list");
        assert_eq!(models.len(), 1);
        assert_eq!(models[0].kind, ModelKind::Embedding);
        assert_eq!(warnings.len(), 1);
        assert!(parse_models_body(&json!({"data":null})).is_err());
    }
}

//! User overrides (`modelMetadata`): parsed once per options value, applied last so they win
//! over the gateway and models.dev. Object form keyed by id, or an array of blocks whose
//! `match` is a literal id or `{"regex": "...", "flags": "i"}`; the first matching block wins.

use regex::{Regex, RegexBuilder};
use serde_json::{Map, Value};

use super::model::{Model, Origin, Pricing};

/// How a rule selects models.
#[derive(Debug, Clone)]
pub enum Selector {
    /// One exact model id.
    Id(String),
    /// A regular expression over the id (linear-time `regex` engine: no catastrophic backtracking).
    Regex(Regex),
}

/// One parsed override block.
#[derive(Debug, Clone)]
pub struct OverrideRule {
    /// Which models it applies to.
    pub selector: Selector,
    /// Add a model with this id when the gateway does not list it (literal ids only).
    pub add_if_missing: bool,
    /// The fields to set.
    pub fields: OverrideFields,
}

/// Fields an override may set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OverrideFields {
    /// Display name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Context window.
    pub context_window: Option<u64>,
    /// Max output.
    pub max_tokens: Option<u64>,
    /// Flags.
    pub supports_streaming: Option<bool>,
    /// Vision.
    pub supports_vision: Option<bool>,
    /// Tools.
    pub supports_tools: Option<bool>,
    /// Reasoning.
    pub supports_reasoning: Option<bool>,
    /// Attachments.
    pub supports_attachment: Option<bool>,
    /// Temperature.
    pub supports_temperature: Option<bool>,
    /// Prices (merged field by field).
    pub pricing: Option<Pricing>,
}

/// The largest regex the service compiles for an override (bytes of compiled program).
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Parses `modelMetadata`; invalid blocks are skipped with a warning naming them.
pub fn parse_overrides(v: &Value) -> (Vec<OverrideRule>, Vec<String>) {
    let mut rules = Vec::new();
    let mut warnings = Vec::new();
    match v {
        Value::Object(map) => {
            for (id, block) in map {
                let label = format!("modelMetadata[{id:?}]");
                match block {
                    Value::Object(b) => {
                        if let Some(fields) = parse_fields(b, &label, &mut warnings) {
                            rules.push(OverrideRule {
                                selector: Selector::Id(id.clone()),
                                add_if_missing: b.get("addIfMissing") == Some(&Value::Bool(true)),
                                fields,
                            });
                        }
                    }
                    _ => warnings.push(format!("{label} must be an object; skipped")),
                }
            }
        }
        Value::Array(blocks) => {
            for (i, block) in blocks.iter().enumerate() {
                let label = format!("modelMetadata[{i}]");
                let Value::Object(b) = block else {
                    warnings.push(format!("{label} must be an object; skipped"));
                    continue;
                };
                let selector = match b.get("match") {
                    Some(Value::String(id)) if !id.is_empty() => Selector::Id(id.clone()),
                    Some(Value::Object(m)) => match m.get("regex").and_then(Value::as_str) {
                        Some(pattern) => {
                            let flags = m.get("flags").and_then(Value::as_str).unwrap_or("");
                            match compile(pattern, flags) {
                                Ok(re) => Selector::Regex(re),
                                Err(why) => {
                                    warnings.push(format!("{label}.match: {why}; block skipped"));
                                    continue;
                                }
                            }
                        }
                        None => {
                            warnings.push(format!(
                                "{label}.match must be an id string or {{\"regex\": \"...\"}}; block skipped"
                            ));
                            continue;
                        }
                    },
                    _ => {
                        warnings.push(format!(
                            "{label} has no usable `match` (an id string or {{\"regex\": \"...\"}}); block skipped"
                        ));
                        continue;
                    }
                };
                let add_if_missing = b.get("addIfMissing") == Some(&Value::Bool(true));
                if add_if_missing && matches!(selector, Selector::Regex(_)) {
                    warnings.push(format!(
                        "{label}: `addIfMissing` needs a literal id in `match`, not a regex; ignored"
                    ));
                }
                if let Some(fields) = parse_fields(b, &label, &mut warnings) {
                    rules.push(OverrideRule {
                        add_if_missing: add_if_missing && matches!(selector, Selector::Id(_)),
                        selector,
                        fields,
                    });
                }
            }
        }
        Value::Null => {}
        _ => warnings.push("option `modelMetadata` must be an object or an array; ignored".into()),
    }
    (rules, warnings)
}

fn compile(pattern: &str, flags: &str) -> Result<Regex, String> {
    let mut b = RegexBuilder::new(pattern);
    b.size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT);
    for f in flags.chars() {
        match f {
            'i' => b.case_insensitive(true),
            'm' => b.multi_line(true),
            's' => b.dot_matches_new_line(true),
            'x' => b.ignore_whitespace(true),
            'u' | 'g' => &mut b, // JavaScript flags with no meaning here
            other => return Err(format!("unknown regex flag {other:?} (use i, m, s, x)")),
        };
    }
    b.build()
        .map_err(|e| format!("invalid regex {pattern:?}: {e}"))
}

fn parse_fields(
    b: &Map<String, Value>,
    label: &str,
    w: &mut Vec<String>,
) -> Option<OverrideFields> {
    let mut f = OverrideFields::default();
    let mut bad = false;
    for (k, v) in b {
        let mut flag = |slot: &mut Option<bool>| match v {
            Value::Bool(x) => *slot = Some(*x),
            _ => {
                w.push(format!("{label}.{k} must be true or false; field ignored"));
            }
        };
        match k.as_str() {
            "match" | "addIfMissing" => {}
            "name" | "description" => match v.as_str() {
                Some(s) if k == "name" => f.name = Some(s.to_string()),
                Some(s) => f.description = Some(s.to_string()),
                None => w.push(format!("{label}.{k} must be a string; field ignored")),
            },
            "contextWindow" | "maxTokens" => match v.as_u64().filter(|x| *x > 0) {
                Some(x) if k == "contextWindow" => f.context_window = Some(x),
                Some(x) => f.max_tokens = Some(x),
                None => w.push(format!(
                    "{label}.{k} must be a positive integer; field ignored"
                )),
            },
            "supportsStreaming" => flag(&mut f.supports_streaming),
            "supportsVision" => flag(&mut f.supports_vision),
            "supportsTools" => flag(&mut f.supports_tools),
            "supportsReasoning" => flag(&mut f.supports_reasoning),
            "supportsAttachment" => flag(&mut f.supports_attachment),
            "supportsTemperature" => flag(&mut f.supports_temperature),
            "pricing" => match v.as_object() {
                Some(p) => {
                    let get = |n: &str| {
                        p.get(n)
                            .and_then(Value::as_f64)
                            .filter(|x| *x >= 0.0 && x.is_finite())
                    };
                    f.pricing = Some(Pricing {
                        input: get("input"),
                        output: get("output"),
                        cache_read: get("cacheRead"),
                        cache_write: get("cacheWrite"),
                    });
                }
                None => w.push(format!("{label}.pricing must be an object; field ignored")),
            },
            other => {
                w.push(format!("{label}: unknown field `{other}` ignored"));
            }
        }
        if k == "match" && !(v.is_string() || v.is_object()) {
            bad = true;
        }
    }
    (!bad).then_some(f)
}

impl OverrideRule {
    /// Whether this rule applies to `id`.
    pub fn matches(&self, id: &str) -> bool {
        match &self.selector {
            Selector::Id(x) => x == id,
            Selector::Regex(re) => re.is_match(id),
        }
    }
}

/// Applies the first matching rule to each model, then adds `addIfMissing` models.
pub fn apply(models: &mut Vec<Model>, rules: &[OverrideRule]) {
    if rules.is_empty() {
        return;
    }
    for m in models.iter_mut() {
        if let Some(rule) = rules.iter().find(|r| r.matches(&m.id)) {
            apply_fields(m, &rule.fields);
        }
    }
    let present: std::collections::HashSet<String> = models.iter().map(|m| m.id.clone()).collect();
    for rule in rules.iter().filter(|r| r.add_if_missing) {
        if let Selector::Id(id) = &rule.selector {
            if !present.contains(id) && !models.iter().any(|m| &m.id == id) {
                let mut m = Model {
                    id: id.clone(),
                    name: id.clone(),
                    ..Model::default()
                };
                m.provenance.insert("id", Origin::Override);
                apply_fields(&mut m, &rule.fields);
                models.push(m);
            }
        }
    }
}

fn apply_fields(m: &mut Model, f: &OverrideFields) {
    let mut set = |name: &'static str| {
        m.provenance.insert(name, Origin::Override);
    };
    macro_rules! put {
        ($field:ident, $name:literal) => {
            if let Some(v) = &f.$field {
                set($name);
                m.$field = Some(v.clone());
            }
        };
    }
    if let Some(n) = &f.name {
        set("name");
        m.name = n.clone();
    }
    put!(description, "description");
    put!(context_window, "contextWindow");
    put!(max_tokens, "maxTokens");
    put!(supports_streaming, "supportsStreaming");
    put!(supports_vision, "supportsVision");
    put!(supports_tools, "supportsTools");
    put!(supports_reasoning, "supportsReasoning");
    put!(supports_attachment, "supportsAttachment");
    put!(supports_temperature, "supportsTemperature");
    if let Some(p) = &f.pricing {
        set("pricing");
        let cur = m.pricing.get_or_insert_with(Pricing::default);
        cur.input = p.input.or(cur.input);
        cur.output = p.output.or(cur.output);
        cur.cache_read = p.cache_read.or(cur.cache_read);
        cur.cache_write = p.cache_write.or(cur.cache_write);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model(id: &str) -> Model {
        Model {
            id: id.into(),
            name: id.into(),
            ..Model::default()
        }
    }

    #[test]
    fn first_matching_block_wins_and_add_if_missing() {
        let (rules, w) = parse_overrides(&json!([
            {"match": {"regex": "^CX/", "flags": "i"}, "contextWindow": 1000},
            {"match": "cx/a", "contextWindow": 5},
            {"match": "new/x", "addIfMissing": true, "name": "New", "supportsTools": false},
            {"match": {"regex": "(unclosed"}},
            {"nomatch": 1},
            "junk"
        ]));
        assert_eq!(rules.len(), 3);
        assert_eq!(w.len(), 3, "{w:?}");
        let mut models = vec![model("cx/a"), model("other")];
        apply(&mut models, &rules);
        assert_eq!(models[0].context_window, Some(1000));
        assert_eq!(
            models[0].provenance.get("contextWindow"),
            Some(&Origin::Override)
        );
        assert_eq!(models[1].context_window, None);
        assert_eq!(models[2].id, "new/x");
        assert_eq!(models[2].supports_tools, Some(false));
    }

    #[test]
    fn object_form() {
        let (rules, w) = parse_overrides(&json!({"a": {"maxTokens": 7, "supportsVision": "yes"}}));
        assert_eq!(rules.len(), 1);
        assert_eq!(w.len(), 1);
        let mut models = vec![model("a")];
        apply(&mut models, &rules);
        assert_eq!(models[0].max_tokens, Some(7));
    }

    #[test]
    fn catastrophic_pattern_is_linear() {
        let (rules, w) = parse_overrides(&json!([{"match": {"regex": "^(a+)+$"}, "maxTokens": 1}]));
        assert!(w.is_empty());
        let id = format!("{}b", "a".repeat(50_000));
        let start = std::time::Instant::now();
        assert!(!rules[0].matches(&id));
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
    }
}

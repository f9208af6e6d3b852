//! Lowest common capabilities of a set of models (a combo's members, or any list of ids):
//! limits are minima over members whose value is known, flags are true only when every known
//! member has them and explicitly false when any known member lacks them. Unknown members are
//! listed, never counted with a made-up default.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::model::Model;

/// A min–max price range in USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Range {
    /// Cheapest member.
    pub min: f64,
    /// Most expensive member.
    pub max: f64,
}

/// Price ranges over the members with known prices.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PriceRange {
    /// Input tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Range>,
    /// Output tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Range>,
}

/// The lowest common capabilities of a set of models.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    /// Smallest known context window (the gateway's own figure when it is lower).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    /// Smallest context window computed from the members alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub computed_context_window: Option<u64>,
    /// The context window the gateway states for the combo itself, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_context_window: Option<u64>,
    /// Smallest known output limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// Every known member takes images (false if any known member does not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_vision: Option<bool>,
    /// Tool calling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_tools: Option<bool>,
    /// Reasoning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_reasoning: Option<bool>,
    /// Attachments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_attachment: Option<bool>,
    /// Temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_temperature: Option<bool>,
    /// Streaming.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_streaming: Option<bool>,
    /// Price ranges.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pricing: Option<PriceRange>,
    /// Member ids that were counted.
    pub members: Vec<String>,
    /// Member ids left out because nothing is known about them.
    pub unknown: Vec<String>,
}

/// True when a model carries at least one limit or capability worth counting.
pub fn has_metadata(m: &Model) -> bool {
    m.context_window.is_some()
        || m.max_tokens.is_some()
        || m.supports_vision.is_some()
        || m.supports_tools.is_some()
        || m.supports_reasoning.is_some()
        || m.supports_attachment.is_some()
        || m.supports_temperature.is_some()
}

/// Computes the lowest common capabilities. Each member is `(id, metadata if known)`; duplicate
/// ids count once. `gateway_context` is the combo's own stated context, if any.
pub fn lowest_common(
    members: &[(String, Option<&Model>)],
    gateway_context: Option<u64>,
) -> Capabilities {
    let mut caps = Capabilities {
        gateway_context_window: gateway_context,
        ..Capabilities::default()
    };
    let mut known: Vec<&Model> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (id, model) in members {
        if !seen.insert(id.as_str()) {
            continue;
        }
        match model {
            Some(m) if has_metadata(m) => {
                caps.members.push(id.clone());
                known.push(m);
            }
            _ => caps.unknown.push(id.clone()),
        }
    }
    caps.computed_context_window = known.iter().filter_map(|m| m.context_window).min();
    caps.context_window = match (caps.computed_context_window, gateway_context) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    caps.max_tokens = known.iter().filter_map(|m| m.max_tokens).min();
    let all = |get: fn(&Model) -> Option<bool>| -> Option<bool> {
        if known.is_empty() {
            return None;
        }
        if known.iter().any(|m| get(m) == Some(false)) {
            Some(false)
        } else if known.iter().all(|m| get(m) == Some(true)) {
            Some(true)
        } else {
            None
        }
    };
    caps.supports_vision = all(|m| m.supports_vision);
    caps.supports_tools = all(|m| m.supports_tools);
    caps.supports_reasoning = all(|m| m.supports_reasoning);
    caps.supports_attachment = all(|m| m.supports_attachment);
    caps.supports_temperature = all(|m| m.supports_temperature);
    caps.supports_streaming = all(|m| m.supports_streaming);
    let range = |get: fn(&Model) -> Option<f64>| -> Option<Range> {
        let values: Vec<f64> = known.iter().filter_map(|m| get(m)).collect();
        let min = values.iter().copied().reduce(f64::min)?;
        let max = values.iter().copied().reduce(f64::max)?;
        Some(Range { min, max })
    };
    let pricing = PriceRange {
        input: range(|m| m.pricing.as_ref()?.input),
        output: range(|m| m.pricing.as_ref()?.output),
    };
    if pricing.input.is_some() || pricing.output.is_some() {
        caps.pricing = Some(pricing);
    }
    caps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::model::Pricing;

    fn m(ctx: Option<u64>, out: Option<u64>, tools: Option<bool>, vision: Option<bool>) -> Model {
        Model {
            context_window: ctx,
            max_tokens: out,
            supports_tools: tools,
            supports_vision: vision,
            pricing: Some(Pricing {
                input: ctx.map(|c| c as f64 / 1000.0),
                ..Pricing::default()
            }),
            ..Model::default()
        }
    }

    #[test]
    fn minima_and_explicit_false() {
        let a = m(Some(200_000), Some(8_000), Some(true), Some(true));
        let b = m(Some(100_000), None, Some(false), Some(true));
        let c = m(None, Some(4_000), Some(true), None);
        let caps = lowest_common(
            &[
                ("a".into(), Some(&a)),
                ("b".into(), Some(&b)),
                ("c".into(), Some(&c)),
                ("u".into(), None),
                ("a".into(), Some(&a)),
            ],
            Some(90_000),
        );
        assert_eq!(caps.context_window, Some(90_000));
        assert_eq!(caps.computed_context_window, Some(100_000));
        assert_eq!(caps.max_tokens, Some(4_000));
        assert_eq!(caps.supports_tools, Some(false));
        assert_eq!(caps.supports_vision, None); // c does not say
        assert_eq!(caps.unknown, vec!["u".to_string()]);
        assert_eq!(caps.members.len(), 3);
        let p = caps.pricing.expect("pricing").input.expect("input");
        assert_eq!((p.min, p.max), (100.0, 200.0));
    }

    #[test]
    fn unknown_members_never_drag_limits_down() {
        let a = m(Some(200_000), Some(8_000), Some(true), Some(true));
        let caps = lowest_common(&[("a".into(), Some(&a)), ("x".into(), None)], None);
        assert_eq!(caps.context_window, Some(200_000));
        assert_eq!(caps.supports_tools, Some(true));
    }
}

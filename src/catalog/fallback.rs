//! The old plugin's four fallback models, served only when the gateway cannot be reached and
//! nothing was ever cached. Never stored as if live.

use super::model::{Model, ModelKind, Origin};

/// `(id, name, context, max output, vision, tools)` exactly as the old plugin had them.
const FALLBACK: [(&str, &str, u64, u64, bool, bool); 4] = [
    ("gpt-4o", "GPT-4o", 128_000, 4_096, true, true),
    ("gpt-4o-mini", "GPT-4o Mini", 128_000, 4_096, true, true),
    (
        "claude-3-5-sonnet",
        "Claude 3.5 Sonnet",
        200_000,
        8_192,
        true,
        true,
    ),
    (
        "llama-3-1-405b",
        "Llama 3.1 405B",
        128_000,
        4_096,
        false,
        true,
    ),
];

/// The fallback models, every value marked `default`.
pub fn fallback_models() -> Vec<Model> {
    FALLBACK
        .iter()
        .map(|&(id, name, context, output, vision, tools)| {
            let mut m = Model {
                id: id.into(),
                name: name.into(),
                kind: ModelKind::Chat,
                context_window: Some(context),
                max_tokens: Some(output),
                supports_streaming: Some(true),
                supports_vision: Some(vision),
                supports_tools: Some(tools),
                ..Model::default()
            };
            for field in [
                "contextWindow",
                "maxTokens",
                "supportsStreaming",
                "supportsVision",
                "supportsTools",
            ] {
                m.provenance.insert(field, Origin::Default);
            }
            m
        })
        .collect()
}

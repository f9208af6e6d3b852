//! The OpenCode view: the complete `provider.omniroute` block, with OpenCode's defaults filled
//! in (it needs both limits on every model) and non-chat models and alias twins left out, so
//! the OpenCode plugin is a few lines of glue.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::model::{Model, ModelKind};

/// Context window used when nothing is known (the old plugin's default).
pub const DEFAULT_CONTEXT: u64 = 128_000;
/// Output limit used when nothing is known (the old plugin's default).
pub const DEFAULT_OUTPUT: u64 = 4_096;
/// Input modalities OpenCode understands.
const OPENCODE_MODALITIES: [&str; 5] = ["text", "audio", "image", "video", "pdf"];

/// `limit` of an OpenCode model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Limit {
    /// Context window.
    pub context: u64,
    /// Output tokens.
    pub output: u64,
}

/// `modalities` of an OpenCode model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Modalities {
    /// Input modalities.
    pub input: Vec<String>,
    /// Output modalities.
    pub output: Vec<String>,
}

/// `cost` of an OpenCode model (USD per million tokens).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Cost {
    /// Input.
    pub input: f64,
    /// Output.
    pub output: f64,
    /// Cache read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_read: Option<f64>,
    /// Cache write.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<f64>,
}

/// One model in OpenCode's provider config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OpencodeModel {
    /// Display name.
    pub name: String,
    /// Both limits, always set.
    pub limit: Limit,
    /// Input/output modalities.
    pub modalities: Modalities,
    /// Tool calling (default true, as the old plugin).
    pub tool_call: bool,
    /// Reasoning.
    pub reasoning: bool,
    /// File/image attachments.
    pub attachment: bool,
    /// Temperature accepted.
    pub temperature: bool,
    /// Prices (0 when unknown).
    pub cost: Cost,
    /// Release date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_date: Option<String>,
    /// Family.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Reasoning-effort variants for reasoning models.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variants: Option<BTreeMap<String, Value>>,
}

/// `options` of the provider block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProviderOptions {
    /// Gateway base URL.
    #[serde(rename = "baseURL")]
    pub base_url: String,
}

/// The whole `provider.omniroute` block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProviderBlock {
    /// `OmniRoute`.
    pub name: String,
    /// AI SDK package for the API mode.
    pub npm: String,
    /// Environment variables OpenCode may read the key from.
    pub env: Vec<String>,
    /// Provider options.
    pub options: ProviderOptions,
    /// Models by id.
    pub models: BTreeMap<String, OpencodeModel>,
}

/// Which OpenAI API the host should talk to the gateway with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum ApiMode {
    /// `/chat/completions` (`@ai-sdk/openai-compatible`).
    #[default]
    Chat,
    /// `/responses` (`@ai-sdk/openai`).
    Responses,
}

/// How a model is marked in OpenCode's picker (from its live health).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Serving with trouble: `⚠ ` before the name.
    Degraded,
    /// Not serving now: `✖ ` before the name; left out with `hideUnhealthy`.
    Down,
}

impl Mark {
    /// The short, stable prefix put before the display name.
    pub fn prefix(self) -> &'static str {
        match self {
            Mark::Degraded => "⚠ ",
            Mark::Down => "✖ ",
        }
    }
}

/// What a host view leaves out (options `usableOnly`, `hideUnhealthy`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewFilter {
    /// Leave out models known to be unusable (`usable: false`).
    pub usable_only: bool,
    /// Leave out models marked down.
    pub hide_unhealthy: bool,
}

/// Builds the provider block from catalogue models (all of them, or the ones a view shows)
/// for the gateway at `base_url`.
pub fn provider_block<'a, I>(models: I, base_url: &str, api_mode: ApiMode) -> ProviderBlock
where
    I: IntoIterator<Item = &'a Model>,
    I::IntoIter: Clone,
{
    provider_block_marked(
        models,
        base_url,
        api_mode,
        ViewFilter::default(),
        &std::collections::HashMap::new(),
    )
}

/// Builds the provider block with a filter and health marks: marked models get the mark's
/// prefix in their display name.
pub fn provider_block_marked<'a, I>(
    models: I,
    base_url: &str,
    api_mode: ApiMode,
    filter: ViewFilter,
    marks: &std::collections::HashMap<String, Mark>,
) -> ProviderBlock
where
    I: IntoIterator<Item = &'a Model>,
    I::IntoIter: Clone,
{
    let models = models.into_iter();
    let npm = match api_mode {
        ApiMode::Chat => "@ai-sdk/openai-compatible",
        ApiMode::Responses => "@ai-sdk/openai",
    };
    let listed: std::collections::HashSet<&str> = models.clone().map(|m| m.id.as_str()).collect();
    let models = models
        .filter(|m| m.kind == ModelKind::Chat)
        .filter(|m| !m.alias_of.as_deref().is_some_and(|a| listed.contains(a)))
        .filter(|m| !(filter.usable_only && m.usable == Some(false)))
        .filter(|m| !(filter.hide_unhealthy && marks.get(&m.id) == Some(&Mark::Down)))
        .map(|m| {
            let mut om = opencode_model(m);
            if let Some(mark) = marks.get(&m.id) {
                om.name = format!("{}{}", mark.prefix(), om.name);
            }
            (m.id.clone(), om)
        })
        .collect();
    ProviderBlock {
        name: "OmniRoute".into(),
        npm: npm.into(),
        env: vec!["OMNIROUTE_API_KEY".into()],
        options: ProviderOptions {
            base_url: base_url.to_string(),
        },
        models,
    }
}

fn opencode_model(m: &Model) -> OpencodeModel {
    let vision = m.supports_vision.unwrap_or(false);
    let mut input: Vec<String> = m
        .input_modalities
        .iter()
        .flatten()
        .filter(|x| OPENCODE_MODALITIES.contains(&x.as_str()))
        .cloned()
        .collect();
    if !input.iter().any(|x| x == "text") {
        input.insert(0, "text".into());
    }
    if vision && !input.iter().any(|x| x == "image") {
        input.push("image".into());
    }
    let reasoning = m.supports_reasoning.unwrap_or(false);
    let variants = reasoning.then(|| {
        ["low", "medium", "high"]
            .iter()
            .map(|e| (e.to_string(), json!({"reasoningEffort": e})))
            .collect()
    });
    let p = m.pricing.clone().unwrap_or_default();
    OpencodeModel {
        name: m.name.clone(),
        limit: Limit {
            context: m.context_window.unwrap_or(DEFAULT_CONTEXT),
            output: m.max_tokens.unwrap_or(DEFAULT_OUTPUT),
        },
        modalities: Modalities {
            input,
            output: vec!["text".into()],
        },
        tool_call: m.supports_tools.unwrap_or(true),
        reasoning,
        attachment: m.supports_attachment.unwrap_or(vision),
        temperature: m.supports_temperature.unwrap_or(false),
        cost: Cost {
            input: p.input.unwrap_or(0.0),
            output: p.output.unwrap_or(0.0),
            cache_read: p.cache_read,
            cache_write: p.cache_write,
        },
        release_date: m.release_date.clone(),
        family: m.family.clone(),
        variants,
    }
}

//! The catalogue's data types: one enriched [`Model`] per gateway entry, with where each value
//! came from. Field names follow the old plugin's `OmniRouteModel` so host APIs map 1:1.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a model is for. Chat models are what coding tools offer; the rest are listed but
/// classified so hosts can leave them out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Text/chat completion (no `type` on the gateway entry).
    #[default]
    Chat,
    /// Embeddings.
    Embedding,
    /// Image generation.
    Image,
    /// Reranking.
    Rerank,
    /// Speech or transcription.
    Audio,
    /// Moderation.
    Moderation,
    /// Video generation.
    Video,
    /// Music generation.
    Music,
    /// A `type` this version does not know.
    Other,
}

impl ModelKind {
    /// Maps the gateway's `type` field.
    pub fn from_gateway_type(t: Option<&str>) -> ModelKind {
        match t.map(|s| s.to_ascii_lowercase()) {
            None => ModelKind::Chat,
            Some(s) => match s.as_str() {
                "" | "chat" | "text" | "llm" | "completion" => ModelKind::Chat,
                "embedding" | "embeddings" => ModelKind::Embedding,
                "image" | "images" => ModelKind::Image,
                "rerank" => ModelKind::Rerank,
                "audio" | "speech" | "transcription" | "tts" | "stt" => ModelKind::Audio,
                "moderation" => ModelKind::Moderation,
                "video" => ModelKind::Video,
                "music" => ModelKind::Music,
                _ => ModelKind::Other,
            },
        }
    }
}

/// Where a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Origin {
    /// Stated by the gateway's `/models` (or its combo definition).
    #[serde(rename = "gateway")]
    Gateway,
    /// Filled from the models.dev catalogue.
    #[serde(rename = "models.dev")]
    ModelsDev,
    /// Computed from a combo's members.
    #[serde(rename = "combo")]
    Combo,
    /// Set by the user's `modelMetadata`.
    #[serde(rename = "override")]
    Override,
    /// A built-in default (fallback models; host views).
    #[serde(rename = "default")]
    Default,
}

/// Prices in USD per million tokens.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pricing {
    /// Input tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<f64>,
    /// Output tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<f64>,
    /// Cached input reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_read: Option<f64>,
    /// Cache writes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<f64>,
}

impl Pricing {
    /// True when no price is known.
    pub fn is_empty(&self) -> bool {
        self.input.is_none()
            && self.output.is_none()
            && self.cache_read.is_none()
            && self.cache_write.is_none()
    }
}

/// A combo's definition as seen on a model entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComboInfo {
    /// Routing strategy (`priority`, `weighted`, …) when the gateway told us.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    /// Direct members: model ids and nested combo names, in the gateway's order.
    pub members: Vec<String>,
    /// Whether the member list is known (false when combo definitions could not be read).
    pub resolved: bool,
}

/// The models.dev entry a model was matched to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DevRef {
    /// models.dev provider id.
    pub provider: String,
    /// Model id within that provider.
    pub id: String,
}

/// One catalogue entry. Absent fields are unknown.
// Serialized only, never read back: the disk snapshot keeps the gateway's data, not built models.
#[derive(Debug, Clone, PartialEq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    /// Gateway model id (what a host sends as `model`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Free text from the gateway or an override.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What the model is for.
    pub kind: ModelKind,
    /// The gateway's `owned_by` (provider id, or `combo`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<String>,
    /// Context window in tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    /// Maximum output tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// Streaming support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_streaming: Option<bool>,
    /// Image input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_vision: Option<bool>,
    /// Tool calling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_tools: Option<bool>,
    /// Reasoning / thinking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_reasoning: Option<bool>,
    /// File attachments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_attachment: Option<bool>,
    /// Accepts a temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supports_temperature: Option<bool>,
    /// Prices per million tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
    /// Release date (YYYY-MM-DD) from models.dev or the gateway.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_date: Option<String>,
    /// Model family from models.dev or the gateway.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Last update date (YYYY-MM-DD) from the gateway or models.dev.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    /// Lifecycle status from the gateway or models.dev (`deprecated`, `beta`, `alpha`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The gateway marks this model free of charge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free: Option<bool>,
    /// Input modalities (`text`, `image`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_modalities: Option<Vec<String>>,
    /// Output modalities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_modalities: Option<Vec<String>>,
    /// This entry is the canonical twin of the listed alias id (same model, other prefix).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias_of: Option<String>,
    /// Present on combos.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub combo: Option<ComboInfo>,
    /// The matched models.dev entry, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub models_dev: Option<DevRef>,
    /// False when the model's provider has no active, passing connection on the gateway
    /// (`/api/providers`); a combo is usable when any member is. Absent when unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usable: Option<bool>,
    /// Field name → where its value came from.
    pub provenance: BTreeMap<&'static str, Origin>,
}

/// Where a catalogue answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Fetched from the gateway for this call.
    Live,
    /// From memory, within `modelCacheTtl`.
    Cache,
    /// From memory, older than `modelCacheTtl` (a refresh failed or runs in the background).
    Stale,
    /// From the disk snapshot of an earlier process.
    Snapshot,
    /// Built-in fallback models: the gateway could not be reached and nothing was cached.
    Fallback,
}

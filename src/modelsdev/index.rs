//! The models.dev catalogue (`api.json`) parsed leniently into an index that is built once per
//! download and then answers lookups with hash look-ups only.
//!
//! Parsing streams the document through hand-written serde visitors: nothing builds a
//! `serde_json::Value` tree, only the fields we use are kept, and a wrongly typed field becomes
//! "unknown" instead of failing its entry. A provider or model entry that is not an object (or a
//! provider without a `models` object) is skipped and counted; only a document whose top level is
//! not a JSON object (or is not JSON at all) is an error.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::de::Deserializer;

use super::lenient::{RawModel, TopVisitor};

/// One models.dev model entry, reduced to the fields the catalogue enrichment uses.
///
/// Everything except the two ids is optional because models.dev omits fields freely; a field of
/// the wrong type is recorded as `None` (unknown) rather than guessed. Limits of `0` are also
/// `None`: models.dev uses `0` for "not applicable" and a zero limit is never a usable value.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DevModel {
    /// models.dev provider id, as spelled in the catalogue (the key of the top-level object).
    pub provider: String,
    /// Model id inside that provider, as spelled in the catalogue (may contain `/`).
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Model family (e.g. `gpt`, `claude-sonnet`).
    pub family: Option<String>,
    /// Release date as models.dev writes it (usually `YYYY-MM-DD`).
    pub release_date: Option<String>,
    /// Last update date as models.dev writes it.
    #[serde(default)]
    pub last_updated: Option<String>,
    /// `status`: `alpha`, `beta` or `deprecated`.
    #[serde(default)]
    pub status: Option<String>,
    /// Accepts file attachments.
    pub attachment: Option<bool>,
    /// Supports reasoning / thinking.
    pub reasoning: Option<bool>,
    /// Accepts a `temperature` parameter.
    pub temperature: Option<bool>,
    /// Supports tool calls.
    pub tool_call: Option<bool>,
    /// `limit.context`: context window in tokens.
    pub context: Option<u64>,
    /// `limit.output`: maximum output tokens.
    pub output: Option<u64>,
    /// `modalities.input` (`text`, `image`, `audio`, `video`, `pdf`).
    pub input_modalities: Option<Vec<String>>,
    /// `modalities.output`.
    pub output_modalities: Option<Vec<String>>,
    /// `cost.input`, USD per million input tokens.
    pub cost_input: Option<f64>,
    /// `cost.output`, USD per million output tokens.
    pub cost_output: Option<f64>,
    /// `cost.cache_read`, USD per million cached input tokens read.
    pub cost_cache_read: Option<f64>,
    /// `cost.cache_write`, USD per million input tokens written to the cache.
    pub cost_cache_write: Option<f64>,
}

/// Why a models.dev document could not be indexed at all (single broken entries never are).
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The document is JSON but its top level is not an object keyed by provider id.
    #[error("models.dev catalogue: the top level is not a JSON object ({0})")]
    NotAnObject(String),
    /// The document is not well-formed JSON (truncated download, HTML error page, ...).
    #[error("models.dev catalogue is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// One provider of the index: its models by lowercased key.
#[derive(Debug, Default)]
struct ProviderSlot {
    models: HashMap<Box<str>, u32>,
}

/// The models.dev catalogue indexed for case-insensitive lookups.
///
/// Built once per download with [`DevIndex::parse`]; immutable afterwards, so it is `Send + Sync`
/// and can be shared behind an `Arc`. Every lookup is one or two hash look-ups on keys that were
/// lowercased at build time.
#[derive(Debug, Default)]
pub struct DevIndex {
    models: Vec<DevModel>,
    /// lowercased provider id -> its models
    providers: HashMap<Box<str>, ProviderSlot>,
    /// lowercased model key -> indices into `models`, one per provider, sorted by provider id
    by_key: HashMap<Box<str>, Vec<u32>>,
    skipped: usize,
    /// What the server said about the downloaded body (for the next conditional GET) and its
    /// hash (an identical download is not parsed again).
    validators: crate::http::Validators,
}

/// Iterator over the entries that share one model key across providers
/// (see [`DevIndex::providers_with`]), in provider-id order.
#[derive(Debug, Clone)]
pub struct SameKeyModels<'a> {
    models: &'a [DevModel],
    ids: std::slice::Iter<'a, u32>,
}

impl<'a> Iterator for SameKeyModels<'a> {
    type Item = &'a DevModel;

    fn next(&mut self) -> Option<&'a DevModel> {
        let i = *self.ids.next()?;
        self.models.get(i as usize)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ids.size_hint()
    }
}

impl ExactSizeIterator for SameKeyModels<'_> {}

/// Lowercase `s`, borrowing when it is already lowercase (the common case for ids).
pub(crate) fn lower(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        if s.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(s.to_ascii_lowercase())
        } else {
            Cow::Borrowed(s)
        }
    } else {
        let l = s.to_lowercase();
        if l == s {
            Cow::Borrowed(s)
        } else {
            Cow::Owned(l)
        }
    }
}

impl DevIndex {
    /// The validators of the body this index was built from.
    pub fn validators(&self) -> &crate::http::Validators {
        &self.validators
    }

    /// Records the validators of the body this index was built from.
    pub fn set_validators(&mut self, v: crate::http::Validators) {
        self.validators = v;
    }

    /// Parse the raw `api.json` bytes and build the index.
    ///
    /// Broken provider or model entries are skipped and counted ([`DevIndex::skipped`]), never
    /// fatal. Errors only when the document is not JSON or its top level is not an object.
    pub fn parse(bytes: &[u8]) -> Result<DevIndex, IndexError> {
        let mut builder = Builder::default();
        // Validating UTF-8 once up front is much cheaper than per string; invalid UTF-8 goes
        // through the byte reader, which reports where the problem is.
        let is_object = match std::str::from_utf8(bytes) {
            Ok(text) => run(&mut serde_json::Deserializer::from_str(text), &mut builder)?,
            Err(_) => run(
                &mut serde_json::Deserializer::from_slice(bytes),
                &mut builder,
            )?,
        };
        if !is_object {
            return Err(IndexError::NotAnObject(
                "expected an object keyed by provider id".to_owned(),
            ));
        }
        let index = builder.finish();
        if index.skipped > 0 {
            tracing::warn!(
                skipped = index.skipped,
                "models.dev catalogue: skipped broken entries"
            );
        }
        tracing::debug!(
            providers = index.provider_count(),
            models = index.len(),
            "models.dev catalogue indexed"
        );
        Ok(index)
    }

    /// Number of broken provider or model entries that were skipped while parsing.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// Number of model entries in the index (across all providers).
    pub fn len(&self) -> usize {
        self.models.len()
    }

    /// True when the catalogue holds no model at all.
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    /// Number of providers in the index (including providers that list no usable model).
    pub fn provider_count(&self) -> usize {
        self.providers.len()
    }

    /// True when models.dev knows this provider id (case-insensitive). The matcher uses it to
    /// tell "known provider without this model" from "unknown prefix".
    pub fn has_provider(&self, provider: &str) -> bool {
        self.providers.contains_key(lower(provider).as_ref())
    }

    /// Exact lookup of `model_key` inside `provider`, case-insensitive on both.
    pub fn get(&self, provider: &str, model_key: &str) -> Option<&DevModel> {
        let slot = self.providers.get(lower(provider).as_ref())?;
        let i = *slot.models.get(lower(model_key).as_ref())?;
        self.models.get(i as usize)
    }

    /// Every entry, one per provider, whose model key equals `model_key` (case-insensitive),
    /// in provider-id order. One hash look-up; used by the matcher's global search.
    pub fn providers_with(&self, model_key: &str) -> SameKeyModels<'_> {
        let ids: &[u32] = self
            .by_key
            .get(lower(model_key).as_ref())
            .map_or(&[], Vec::as_slice);
        SameKeyModels {
            models: &self.models,
            ids: ids.iter(),
        }
    }

    /// All entries, in catalogue order (useful for tests, statistics and benchmarks).
    pub fn models(&self) -> &[DevModel] {
        &self.models
    }
}

// ---------------------------------------------------------------------------------------------
// Building

/// Stream the whole document into `b`; `Ok(false)` when the top level is not an object.
fn run<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
    b: &mut Builder,
) -> Result<bool, serde_json::Error> {
    let is_object = de.deserialize_any(TopVisitor::new(b))?;
    de.end()?;
    Ok(is_object)
}

#[derive(Default)]
pub(super) struct Builder {
    models: Vec<DevModel>,
    providers: HashMap<Box<str>, ProviderSlot>,
    pub(super) skipped: usize,
}

impl Builder {
    /// Make sure the provider (already lowercased) has a slot; two spellings of one provider id
    /// that differ only in case share it.
    pub(super) fn ensure_provider(&mut self, provider_lc: &str) {
        if !self.providers.contains_key(provider_lc) {
            self.providers
                .insert(provider_lc.into(), ProviderSlot::default());
        }
    }

    pub(super) fn add(&mut self, provider: &str, provider_lc: &str, key: String, raw: RawModel) {
        let next = self.models.len();
        let (Some(slot), Ok(next_u32)) = (self.providers.get_mut(provider_lc), u32::try_from(next))
        else {
            self.skipped += 1;
            return;
        };
        let key_lc: Box<str> = lower(&key).into();
        let model = raw.into_model(provider.to_owned(), key);
        match slot.models.get(&key_lc).copied() {
            // A duplicate key in one provider: the later entry wins, as in a JSON object.
            Some(existing) => {
                if let Some(m) = self.models.get_mut(existing as usize) {
                    *m = model;
                }
            }
            None => {
                slot.models.insert(key_lc, next_u32);
                self.models.push(model);
            }
        }
    }

    fn finish(self) -> DevIndex {
        let mut by_key: HashMap<Box<str>, Vec<u32>> = HashMap::with_capacity(self.models.len() / 2);
        for slot in self.providers.values() {
            for (key, &i) in &slot.models {
                match by_key.get_mut(key) {
                    Some(ids) => ids.push(i),
                    None => {
                        by_key.insert(key.clone(), vec![i]);
                    }
                }
            }
        }
        let models = self.models;
        for ids in by_key.values_mut().filter(|ids| ids.len() > 1) {
            ids.sort_by(|&a, &b| {
                let pa = models.get(a as usize).map(|m| m.provider.as_str());
                let pb = models.get(b as usize).map(|m| m.provider.as_str());
                pa.cmp(&pb)
            });
            ids.shrink_to_fit();
        }
        DevIndex {
            models,
            providers: self.providers,
            by_key,
            skipped: self.skipped,
            validators: crate::http::Validators::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> Vec<u8> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/modelsdev-api.json"
        );
        std::fs::read(path).expect("fixture readable")
    }

    #[test]
    fn parses_the_whole_fixture() {
        let idx = DevIndex::parse(&fixture()).expect("fixture parses");
        assert_eq!(idx.provider_count(), 147);
        assert_eq!(idx.len(), 5276);
        assert_eq!(idx.skipped(), 0);
        assert!(!idx.is_empty());
    }

    #[test]
    fn typed_fields_are_read() {
        let idx = DevIndex::parse(&fixture()).expect("fixture parses");
        let m = idx.get("openai", "gpt-5.5").expect("gpt-5.5");
        assert_eq!(m.provider, "openai");
        assert_eq!(m.id, "gpt-5.5");
        assert_eq!(m.name.as_deref(), Some("GPT-5.5"));
        assert_eq!(m.family.as_deref(), Some("gpt"));
        assert_eq!(m.release_date.as_deref(), Some("2026-04-23"));
        assert_eq!(m.attachment, Some(true));
        assert_eq!(m.reasoning, Some(true));
        assert_eq!(m.temperature, Some(false));
        assert_eq!(m.tool_call, Some(true));
        assert_eq!((m.context, m.output), (Some(1_050_000), Some(128_000)));
        assert_eq!(
            m.input_modalities.as_deref(),
            Some(&["text".to_owned(), "image".to_owned(), "pdf".to_owned()][..])
        );
        assert_eq!(
            m.output_modalities.as_deref(),
            Some(&["text".to_owned()][..])
        );
        assert_eq!(m.cost_input, Some(5.0));
        assert_eq!(m.cost_output, Some(30.0));
        assert_eq!(m.cost_cache_read, Some(0.5));
        assert_eq!(m.cost_cache_write, None);
    }

    #[test]
    fn lookups_are_case_insensitive_and_keep_original_spelling() {
        let idx = DevIndex::parse(&fixture()).expect("fixture parses");
        let m = idx.get("MiniMax", "minimax-m2.5").expect("MiniMax-M2.5");
        assert_eq!(m.id, "MiniMax-M2.5");
        assert_eq!(m.provider, "minimax");
        assert!(idx.get("OPENAI", "GPT-5.5").is_some());
        assert!(idx.get("openrouter", "OpenAI/GPT-4o").is_some());
        assert!(idx.get("openai", "gpt-9.9").is_none());
        assert!(idx.get("nope", "gpt-5.5").is_none());
        assert!(idx.has_provider("GitHub-Copilot"));
        assert!(!idx.has_provider("cx"));
    }

    #[test]
    fn providers_with_lists_every_provider_sorted() {
        let idx = DevIndex::parse(&fixture()).expect("fixture parses");
        let hits: Vec<&str> = idx
            .providers_with("GLM-4.6")
            .map(|m| m.provider.as_str())
            .collect();
        assert!(hits.contains(&"zai") && hits.contains(&"zhipuai"));
        let mut sorted = hits.clone();
        sorted.sort_unstable();
        assert_eq!(hits, sorted);
        assert_eq!(idx.providers_with("GLM-4.6").len(), hits.len());
        assert_eq!(idx.providers_with("no-such-model").len(), 0);
        // every fixture entry is reachable through both lookups
        for m in idx.models() {
            assert!(std::ptr::eq(idx.get(&m.provider, &m.id).expect("get"), m));
            assert!(idx.providers_with(&m.id).any(|x| std::ptr::eq(x, m)));
        }
    }

    #[test]
    fn broken_entries_are_skipped_and_counted() {
        let doc = br#"{
            "broken-provider": "not an object",
            "no-models": { "id": "no-models", "name": "x" },
            "models-array": { "models": [1, 2] },
            "good": { "id": "good", "models": {
                "ok": { "id": "ok", "limit": { "context": 1000, "output": 100 } },
                "broken-model": 42,
                "null-model": null,
                "weird-fields": {
                    "name": 7, "reasoning": "yes", "tool_call": true,
                    "limit": { "context": "128k", "output": -5 },
                    "modalities": { "input": ["text", 3, "image"], "output": "text" },
                    "cost": [1, 2],
                    "extra": { "deep": [ { "x": null } ] }
                },
                "float-limits": { "limit": { "context": 200000.0, "output": 0 },
                                  "cost": { "input": 1.5, "output": -1, "cache_read": "0.1" } },
                "Dup": { "name": "first" },
                "dup": { "name": "second" }
            } },
            "empty": { "models": {} }
        }"#;
        let idx = DevIndex::parse(doc).expect("lenient parse");
        // broken-provider, no-models, models-array, broken-model, null-model
        assert_eq!(idx.skipped(), 5);
        assert_eq!(idx.provider_count(), 2); // good + empty
        assert!(idx.has_provider("empty"));
        assert_eq!(idx.len(), 4); // ok, weird-fields, float-limits, dup
        let ok = idx.get("good", "ok").expect("ok");
        assert_eq!((ok.context, ok.output), (Some(1000), Some(100)));
        let w = idx.get("good", "weird-fields").expect("weird kept");
        assert_eq!(w.name, None);
        assert_eq!(w.reasoning, None);
        assert_eq!(w.tool_call, Some(true));
        assert_eq!((w.context, w.output), (None, None));
        assert_eq!(
            w.input_modalities.as_deref(),
            Some(&["text".to_owned(), "image".to_owned()][..])
        );
        assert_eq!(w.output_modalities, None);
        assert_eq!(w.cost_input, None);
        let f = idx.get("good", "float-limits").expect("float kept");
        assert_eq!((f.context, f.output), (Some(200_000), None));
        assert_eq!(
            (f.cost_input, f.cost_output, f.cost_cache_read),
            (Some(1.5), None, None)
        );
        let d = idx.get("good", "DUP").expect("dup");
        assert_eq!(d.name.as_deref(), Some("second"));
        assert_eq!(d.id, "dup");
    }

    #[test]
    fn fixture_with_a_broken_provider_and_model_still_parses() {
        let mut v: serde_json::Value = serde_json::from_slice(&fixture()).expect("json");
        let top = v.as_object_mut().expect("object");
        top.insert("zz-broken".into(), serde_json::json!([1, 2, 3]));
        let openai = top
            .get_mut("openai")
            .and_then(|p| p.get_mut("models"))
            .and_then(|m| m.as_object_mut())
            .expect("openai models");
        openai.insert("broken".into(), serde_json::json!("nope"));
        let bytes = serde_json::to_vec(&v).expect("serialise");
        let idx = DevIndex::parse(&bytes).expect("still parses");
        assert_eq!(idx.skipped(), 2);
        assert_eq!(idx.len(), 5276);
        assert_eq!(idx.provider_count(), 147);
        assert!(idx.get("openai", "gpt-5.5").is_some());
    }

    #[test]
    fn top_level_errors() {
        assert!(matches!(
            DevIndex::parse(b"[1,2]"),
            Err(IndexError::NotAnObject(_))
        ));
        assert!(matches!(
            DevIndex::parse(b"\"x\""),
            Err(IndexError::NotAnObject(_))
        ));
        assert!(matches!(
            DevIndex::parse(b"null"),
            Err(IndexError::NotAnObject(_))
        ));
        assert!(matches!(
            DevIndex::parse(b"<html>502</html>"),
            Err(IndexError::Json(_))
        ));
        assert!(matches!(
            DevIndex::parse(br#"{"a": {"models": {"#),
            Err(IndexError::Json(_))
        ));
        assert!(matches!(DevIndex::parse(b"{} x"), Err(IndexError::Json(_))));
        let empty = DevIndex::parse(b"{}").expect("empty object is fine");
        assert!(empty.is_empty());
        assert_eq!(empty.provider_count(), 0);
    }

    #[test]
    fn index_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<DevIndex>();
    }
}

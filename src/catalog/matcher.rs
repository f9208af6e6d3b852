//! The one matcher from gateway model ids to models.dev entries (`reference/modelsdev.md` §3).
//!
//! Used for ordinary gateway models, combo members and capability maths alike, so every caller
//! gets the same answer for the same id. The rules, in order:
//!
//! 1. drop a leading `omniroute/`; the first path segment is the gateway prefix, the rest the
//!    model key (no `/` → no prefix, the whole id is the key);
//! 2. drop a leading `models/` from the key (old Gemini imports);
//! 3. candidate providers: the prefix through the alias table (user aliases replace defaults),
//!    the prefix itself, `owned_by` through the same table;
//! 4. in each candidate that models.dev knows: the exact key, then the key without a
//!    reasoning-variant suffix, then without a date suffix, then without both (a stripped form
//!    only counts when that entry exists). A version number is never touched;
//! 5. only when no candidate is a models.dev provider (unknown prefix, no prefix): the same key
//!    forms across all providers, accepted only when unambiguous (one provider, the model's own
//!    lab, or all candidates agreeing on context *and* output); otherwise [`MatchOutcome::Ambiguous`].
//!
//! Everything is case-insensitive. A lookup costs a handful of hash look-ups and allocates at
//! most the lowercased id and `owned_by` (plus the candidate list of an ambiguous answer).

use std::collections::{BTreeMap, HashMap};

use crate::modelsdev::index::{lower, DevIndex, DevModel};

/// Default OmniRoute prefix → models.dev provider aliases (contract §3). Any other prefix maps
/// to itself.
const DEFAULT_ALIASES: &[(&str, &str)] = &[
    ("openai", "openai"),
    ("oai", "openai"),
    ("cx", "openai"),
    ("codex", "openai"),
    ("anthropic", "anthropic"),
    ("claude", "anthropic"),
    ("cc", "anthropic"),
    ("gemini", "google"),
    ("google", "google"),
    ("gemini-cli", "google"),
    ("gc", "google"),
    ("antigravity", "google"),
    ("ag", "google"),
    ("vertex", "google"),
    ("kimi", "moonshotai"),
    ("moonshot", "moonshotai"),
    ("kmc", "moonshotai"),
    ("kimi-coding", "moonshotai"),
    ("kmca", "moonshotai"),
    ("kimi-coding-apikey", "moonshotai"),
    ("deepseek", "deepseek"),
    ("ds", "deepseek"),
    ("qwen", "alibaba"),
    ("qw", "alibaba"),
    ("alibaba", "alibaba"),
    ("ali", "alibaba"),
    ("gh", "github-copilot"),
    ("github", "github-copilot"),
    ("glm", "zai"),
    ("glmt", "zai"),
    ("zai", "zai"),
    ("xai", "xai"),
    ("grok", "xai"),
    ("pplx", "perplexity"),
    ("perplexity", "perplexity"),
    ("together", "togetherai"),
    ("hf", "huggingface"),
    ("ollamacloud", "ollama-cloud"),
];

/// Reasoning-effort / thinking suffixes that OmniRoute appends to a model id to pick a variant
/// of the same model (contract §3 step 4).
const VARIANT_SUFFIXES: &[&str] = &[
    "-low",
    "-medium",
    "-high",
    "-xhigh",
    "-minimal",
    "-none",
    "-thinking",
];

/// How many variant suffixes may be peeled off one after the other (`-thinking-high`).
const MAX_VARIANT_DEPTH: usize = 2;

/// Upper bound on the key forms: exact, the variant strips, the date strip, and the
/// variant+date combinations.
const FORMS_CAP: usize = 2 + 3 * MAX_VARIANT_DEPTH;

/// Which rule produced a match; recorded as provenance detail and shown in diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MatchRule {
    /// The key exists as is in a candidate provider.
    Exact,
    /// A candidate provider has the key without its reasoning-variant suffix (`-xhigh`, ...).
    VariantStripped,
    /// A candidate provider has the key without its date suffix (`-2025-08-07`, `-0528`, ...).
    DateStripped,
    /// A candidate provider has the key without both a variant and a date suffix.
    VariantDateStripped,
    /// Global search (no known provider prefix): exactly one provider has the key.
    GlobalUnique,
    /// Global search: several providers have the key, the model's own lab among them.
    GlobalLab,
    /// Global search: several providers have the key and all agree on context and output.
    GlobalAgreeing,
}

/// The answer of [`Matcher::find`].
#[derive(Debug, Clone, PartialEq)]
pub enum MatchOutcome<'a> {
    /// One models.dev entry describes this id.
    Found {
        /// The matched entry.
        model: &'a DevModel,
        /// The rule that matched it.
        rule: MatchRule,
    },
    /// Several providers have the key and disagree: no match, the caller warns with these
    /// `provider/model` candidates (a wrong limit is worse than an unknown one).
    Ambiguous {
        /// `provider/model` ids of the disagreeing entries, in provider order.
        candidates: Vec<String>,
    },
    /// models.dev has nothing for this id.
    NotFound,
}

impl<'a> MatchOutcome<'a> {
    /// The matched entry, if any (convenience for callers that do not care about the rule).
    pub fn model(&self) -> Option<&'a DevModel> {
        match self {
            MatchOutcome::Found { model, .. } => Some(model),
            _ => None,
        }
    }
}

/// Maps gateway ids onto models.dev entries with the default alias table plus user aliases.
///
/// Cheap to build, immutable, `Send + Sync`; build it once per configuration.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// lowercased prefix → lowercased models.dev provider id (defaults overlaid by user entries)
    aliases: HashMap<String, String>,
}

impl Default for Matcher {
    /// A matcher with the default alias table only.
    fn default() -> Self {
        Matcher::new(&BTreeMap::new())
    }
}

impl Matcher {
    /// Build a matcher from the default alias table and `user_aliases`
    /// (`modelsDev.providerAliases`: gateway prefix → models.dev provider id). Keys are
    /// case-insensitive; a user entry replaces the default for its prefix. Entries with an empty
    /// key or value are ignored.
    pub fn new(user_aliases: &BTreeMap<String, String>) -> Matcher {
        let mut aliases: HashMap<String, String> = DEFAULT_ALIASES
            .iter()
            .map(|&(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        for (prefix, provider) in user_aliases {
            let (prefix, provider) = (prefix.trim(), provider.trim());
            if prefix.is_empty() || provider.is_empty() {
                tracing::warn!(
                    prefix,
                    provider,
                    "modelsDev.providerAliases: ignoring an entry with an empty side"
                );
                continue;
            }
            aliases.insert(lower(prefix).into_owned(), lower(provider).into_owned());
        }
        Matcher { aliases }
    }

    /// The models.dev provider a gateway prefix (or `owned_by`) stands for: the alias when one
    /// exists (user first, then defaults), else the prefix itself, lowercased.
    pub fn provider_for<'s>(&'s self, prefix: &'s str) -> std::borrow::Cow<'s, str> {
        let lc = lower(prefix.trim());
        match self.aliases.get(lc.as_ref()) {
            Some(p) => std::borrow::Cow::Borrowed(p.as_str()),
            None => lc,
        }
    }

    /// The alias target of a lowercased prefix, or the prefix itself.
    fn alias<'s>(&'s self, prefix_lc: &'s str) -> &'s str {
        self.aliases
            .get(prefix_lc)
            .map_or(prefix_lc, String::as_str)
    }

    /// Match one gateway id (e.g. `cx/gpt-5.1-codex-mini`, `gemini/models/gemini-3-flash-preview`,
    /// `openrouter/openai/gpt-4o`, or a bare `gpt-4o`) with its `owned_by` when known.
    pub fn find<'a>(
        &self,
        index: &'a DevIndex,
        gateway_id: &str,
        owned_by: Option<&str>,
    ) -> MatchOutcome<'a> {
        let id = lower(gateway_id.trim());
        let id: &str = &id;
        let id = id.strip_prefix("omniroute/").unwrap_or(id);
        let (prefix, key) = match id.split_once('/') {
            Some((p, k)) => (Some(p), k),
            None => (None, id),
        };
        let key = key.strip_prefix("models/").unwrap_or(key);
        if key.is_empty() {
            return MatchOutcome::NotFound;
        }
        let forms = KeyForms::new(key);

        // Step 3: candidate providers, in order, without repeats.
        let owned = owned_by.map(|o| lower(o.trim())).filter(|o| !o.is_empty());
        let mut candidates: [Option<&str>; 3] = [None; 3];
        if let Some(p) = prefix.filter(|p| !p.is_empty()) {
            candidates[0] = Some(self.alias(p));
            candidates[1] = Some(p);
        }
        if let Some(o) = owned.as_deref() {
            candidates[2] = Some(self.alias(o));
        }
        if candidates[1] == candidates[0] {
            candidates[1] = None;
        }
        if candidates[2] == candidates[0] || candidates[2] == candidates[1] {
            candidates[2] = None;
        }

        // Step 4: per candidate, every key form in order.
        let mut known_provider = false;
        for provider in candidates.iter().flatten() {
            if !index.has_provider(provider) {
                continue;
            }
            known_provider = true;
            for (form, rule) in forms.iter() {
                if let Some(model) = index.get(provider, form) {
                    return MatchOutcome::Found { model, rule };
                }
            }
        }
        if known_provider {
            // The gateway named a provider models.dev knows and it lacks this model: do not
            // borrow another provider's limits for it.
            return MatchOutcome::NotFound;
        }

        // Step 5: global search, first key form that any provider has decides.
        for (form, _) in forms.iter() {
            let hits = index.providers_with(form);
            let count = hits.len();
            if count == 0 {
                continue;
            }
            let mut hits_again = hits.clone();
            let Some(first) = hits_again.next() else {
                continue;
            };
            if count == 1 {
                return MatchOutcome::Found {
                    model: first,
                    rule: MatchRule::GlobalUnique,
                };
            }
            if let Some(lab) = lab_of(form) {
                if let Some(model) = hits.clone().find(|m| m.provider.eq_ignore_ascii_case(lab)) {
                    return MatchOutcome::Found {
                        model,
                        rule: MatchRule::GlobalLab,
                    };
                }
            }
            let agree = first.context.is_some()
                && first.output.is_some()
                && hits_again.all(|m| m.context == first.context && m.output == first.output);
            if agree {
                return MatchOutcome::Found {
                    model: first,
                    rule: MatchRule::GlobalAgreeing,
                };
            }
            return MatchOutcome::Ambiguous {
                candidates: hits.map(|m| format!("{}/{}", m.provider, m.id)).collect(),
            };
        }
        MatchOutcome::NotFound
    }
}

/// The key forms tried in one provider, most specific first: exact, variant-stripped,
/// date-stripped, both. Slices of the lowercased key; no allocation.
struct KeyForms<'k> {
    forms: [Option<(&'k str, MatchRule)>; FORMS_CAP],
    len: usize,
}

impl<'k> KeyForms<'k> {
    fn new(key: &'k str) -> KeyForms<'k> {
        let mut out = KeyForms {
            forms: [None; FORMS_CAP],
            len: 0,
        };
        out.push(key, MatchRule::Exact);
        // variant suffixes, peeled one at a time (`x-thinking-high` → `x-thinking` → `x`)
        let mut variants: [Option<&str>; MAX_VARIANT_DEPTH] = [None; MAX_VARIANT_DEPTH];
        let mut cur = key;
        for slot in variants.iter_mut() {
            match strip_variant(cur) {
                Some(base) => {
                    *slot = Some(base);
                    cur = base;
                }
                None => break,
            }
        }
        for v in variants.iter().flatten() {
            out.push(v, MatchRule::VariantStripped);
        }
        let dated = strip_date(key);
        if let Some(d) = dated {
            out.push(d, MatchRule::DateStripped);
        }
        // variant after the date (`o3-mini-2025-01-31-high`) ...
        for v in variants.iter().flatten() {
            if let Some(d) = strip_date(v) {
                out.push(d, MatchRule::VariantDateStripped);
            }
        }
        // ... or before it (`claude-x-thinking-20250219`)
        if let Some(d) = dated {
            if let Some(v) = strip_variant(d) {
                out.push(v, MatchRule::VariantDateStripped);
            }
        }
        out
    }

    fn push(&mut self, form: &'k str, rule: MatchRule) {
        let already = self
            .forms
            .get(..self.len)
            .unwrap_or_default()
            .iter()
            .flatten()
            .any(|(f, _)| *f == form);
        if !already && !form.is_empty() {
            if let Some(slot) = self.forms.get_mut(self.len) {
                *slot = Some((form, rule));
                self.len += 1;
            }
        }
    }

    fn iter(&self) -> impl Iterator<Item = (&'k str, MatchRule)> + '_ {
        self.forms
            .get(..self.len)
            .unwrap_or_default()
            .iter()
            .flatten()
            .copied()
    }
}

/// The key without one trailing reasoning-variant suffix, if it has one and something remains.
fn strip_variant(key: &str) -> Option<&str> {
    VARIANT_SUFFIXES
        .iter()
        .find_map(|s| key.strip_suffix(s))
        .filter(|base| !base.is_empty() && !base.ends_with('/'))
}

/// The key without a trailing date: `-YYYY-MM-DD`, `-YYYYMMDD` or `-MMDD`, each checked to be a
/// plausible calendar date (so `-2507` or `-2411`, which are year-month tags, stay).
fn strip_date(key: &str) -> Option<&str> {
    let b = key.as_bytes();
    let n = b.len();
    let dash = |back: usize| n.checked_sub(back).and_then(|i| b.get(i)) == Some(&b'-');
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = b.get(r)?;
        if s.iter().all(u8::is_ascii_digit) {
            Some(s.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
        } else {
            None
        }
    };
    let date_ok = |y: Option<u32>, m: u32, d: u32| {
        y.is_none_or(|y| (1990..=2099).contains(&y))
            && (1..=12).contains(&m)
            && (1..=31).contains(&d)
    };
    let base = |cut: usize| -> Option<&str> {
        let base = key.get(..cut)?;
        (!base.is_empty() && !base.ends_with('/')).then_some(base)
    };
    // -YYYY-MM-DD
    if n > 11 && dash(11) && dash(6) && dash(3) {
        if let (Some(y), Some(m), Some(d)) = (
            digits(n - 10..n - 6),
            digits(n - 5..n - 3),
            digits(n - 2..n),
        ) {
            if date_ok(Some(y), m, d) {
                return base(n - 11);
            }
        }
    }
    // -YYYYMMDD
    if n > 9 && dash(9) {
        if let (Some(y), Some(m), Some(d)) =
            (digits(n - 8..n - 4), digits(n - 4..n - 2), digits(n - 2..n))
        {
            if date_ok(Some(y), m, d) {
                return base(n - 9);
            }
        }
    }
    // -MMDD
    if n > 5 && dash(5) {
        if let (Some(m), Some(d)) = (digits(n - 4..n - 2), digits(n - 2..n)) {
            if date_ok(None, m, d) {
                return base(n - 5);
            }
        }
    }
    None
}

/// The models.dev provider of the lab that makes a model, judged from the model name (the last
/// path segment of the key); used to settle global searches (contract §3 step 5).
fn lab_of(key: &str) -> Option<&'static str> {
    let name = key.rsplit('/').next().unwrap_or(key);
    let starts = |p: &str| name.starts_with(p);
    let o_series = name.len() > 1
        && name.starts_with('o')
        && name.as_bytes().get(1).is_some_and(u8::is_ascii_digit);
    if starts("gpt") || starts("chatgpt") || starts("codex") || o_series {
        Some("openai")
    } else if starts("claude") {
        Some("anthropic")
    } else if starts("gemini") || starts("gemma") {
        Some("google")
    } else if starts("kimi") {
        Some("moonshotai")
    } else if starts("deepseek") {
        Some("deepseek")
    } else if starts("grok") {
        Some("xai")
    } else if starts("qwen") {
        Some("alibaba")
    } else if starts("glm") {
        Some("zhipuai")
    } else if starts("mistral") || starts("devstral") || starts("codestral") || starts("magistral")
    {
        Some("mistral")
    } else if starts("minimax") {
        Some("minimax")
    } else {
        None
    }
}

#[cfg(test)]
#[path = "matcher_tests.rs"]
mod tests;

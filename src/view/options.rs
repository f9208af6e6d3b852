//! The view options (what is shown, never the maths), read leniently like every other option:
//! an invalid value never fails a call, the default is used and a warning names the option.
//!
//! Names and meanings follow OmniRoute's own OpenCode plugin so its users keep their config;
//! the plugin's `features` block is read too (a top-level option wins over `features.X`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::pattern::IdPatterns;

/// Default of `showcasePerOwner`.
pub const DEFAULT_SHOWCASE: usize = 10;
/// Default of `freshPerOwner`.
pub const DEFAULT_FRESH: usize = 10;
/// Default of `freshWindowDays`.
pub const DEFAULT_FRESH_DAYS: u32 = 90;
/// Upper bound of the per-owner counts.
const MAX_PER_OWNER: u64 = 10_000;
/// Upper bound of `freshWindowDays` (about 30 years).
const MAX_DAYS: u64 = 10_950;

/// Which models a view starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ViewMode {
    /// Every model (what the old plugin showed); a non-empty `visibleModels` is an allowlist.
    #[default]
    All,
    /// Per owner the newest `showcasePerOwner` plus up to `freshPerOwner` recent ones; combos,
    /// recently used models and `visibleModels` matches added; deprecated models and flat
    /// effort variants left out.
    Curated,
}

/// The view options as a host writes them (flattened into the options object).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ViewOptionsInput {
    /// Ids or globs to show. `"*"` = everything; `*` any run, `?` one character; an entry
    /// without `/` matches by suffix (`claude-opus-4-7` matches `cc/claude-opus-4-7`). With
    /// `view: "all"` a non-empty list is an allowlist; with `"curated"` it adds to the curated
    /// set. A literal entry (no wildcard) always shows that model, whatever `toolsOnly`,
    /// `visionOnly`, `freeOnly` or `providersAllow` say, unless `hiddenModels` hides it.
    pub visible_models: Option<Vec<String>>,
    /// Ids or globs to hide (same forms as `visibleModels`). Deny wins over everything.
    pub hidden_models: Option<Vec<String>>,
    /// Provider prefixes to keep (`cx`, `gemini`, …): the id's first segment or `owned_by`.
    /// Combos are not provider models and are kept.
    pub providers_allow: Option<Vec<String>>,
    /// Keep only models known to call tools (unknown is not proof). Default false.
    pub tools_only: Option<bool>,
    /// Keep only models known to accept images. Default false.
    pub vision_only: Option<bool>,
    /// Keep only models whose known input and output prices are 0, or that the gateway marks
    /// free. Default false.
    pub free_only: Option<bool>,
    /// `"all"` (default) or `"curated"`.
    pub view: Option<ViewMode>,
    /// Curated view: newest models kept per owner (default 10).
    pub showcase_per_owner: Option<u64>,
    /// Curated view: further models per owner released or updated within `freshWindowDays`
    /// (default 10).
    pub fresh_per_owner: Option<u64>,
    /// Curated view: what counts as fresh, in days (default 90).
    pub fresh_window_days: Option<u64>,
}

/// The option names this module reads (for hosts that check for a user-set filter).
pub const VIEW_OPTION_NAMES: [&str; 10] = [
    "visibleModels",
    "hiddenModels",
    "providersAllow",
    "toolsOnly",
    "visionOnly",
    "freeOnly",
    "view",
    "showcasePerOwner",
    "freshPerOwner",
    "freshWindowDays",
];

/// Validated view options.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewOptions {
    /// `visibleModels`.
    pub visible: IdPatterns,
    /// `hiddenModels`.
    pub hidden: IdPatterns,
    /// `providersAllow`, lowercased; empty = every provider.
    pub providers_allow: Vec<String>,
    /// `toolsOnly`.
    pub tools_only: bool,
    /// `visionOnly`.
    pub vision_only: bool,
    /// `freeOnly`.
    pub free_only: bool,
    /// `view`.
    pub mode: ViewMode,
    /// `showcasePerOwner`.
    pub showcase_per_owner: usize,
    /// `freshPerOwner`.
    pub fresh_per_owner: usize,
    /// `freshWindowDays`.
    pub fresh_window_days: u32,
    /// A stable text of the raw values, to key memoised views.
    pub fingerprint: String,
}

impl Default for ViewOptions {
    fn default() -> Self {
        ViewOptions {
            visible: IdPatterns::default(),
            hidden: IdPatterns::default(),
            providers_allow: Vec::new(),
            tools_only: false,
            vision_only: false,
            free_only: false,
            mode: ViewMode::All,
            showcase_per_owner: DEFAULT_SHOWCASE,
            fresh_per_owner: DEFAULT_FRESH,
            fresh_window_days: DEFAULT_FRESH_DAYS,
            fingerprint: String::new(),
        }
    }
}

impl ViewOptions {
    /// Reads the view options from a merged options object, pushing one warning per invalid
    /// value. Each name is read at the top level, else from a `features` object.
    pub fn parse(merged: &Map<String, Value>, warnings: &mut Vec<String>) -> ViewOptions {
        let features = merged.get("features").and_then(Value::as_object);
        let get = |k: &str| {
            merged
                .get(k)
                .filter(|v| !v.is_null())
                .or_else(|| features.and_then(|f| f.get(k)).filter(|v| !v.is_null()))
        };
        let mut fingerprint = String::new();
        for name in VIEW_OPTION_NAMES {
            if let Some(v) = get(name) {
                fingerprint.push_str(name);
                fingerprint.push('=');
                fingerprint.push_str(&v.to_string());
                fingerprint.push(';');
            }
        }
        let w = warnings;
        let mode = match get("view") {
            None => ViewMode::All,
            Some(Value::String(s)) if s == "all" => ViewMode::All,
            Some(Value::String(s)) if s == "curated" => ViewMode::Curated,
            Some(other) => {
                w.push(format!(
                    "option `view` must be \"all\" or \"curated\", got {other}; using \"all\""
                ));
                ViewMode::All
            }
        };
        ViewOptions {
            visible: IdPatterns::new(strings(get("visibleModels"), "visibleModels", w)),
            hidden: IdPatterns::new(strings(get("hiddenModels"), "hiddenModels", w)),
            providers_allow: strings(get("providersAllow"), "providersAllow", w)
                .into_iter()
                .map(|p| p.trim().trim_end_matches('/').to_lowercase())
                .filter(|p| !p.is_empty())
                .collect(),
            tools_only: flag(get("toolsOnly"), "toolsOnly", w),
            vision_only: flag(get("visionOnly"), "visionOnly", w),
            free_only: flag(get("freeOnly"), "freeOnly", w),
            mode,
            showcase_per_owner: count(
                get("showcasePerOwner"),
                "showcasePerOwner",
                DEFAULT_SHOWCASE as u64,
                MAX_PER_OWNER,
                w,
            ) as usize,
            fresh_per_owner: count(
                get("freshPerOwner"),
                "freshPerOwner",
                DEFAULT_FRESH as u64,
                MAX_PER_OWNER,
                w,
            ) as usize,
            fresh_window_days: count(
                get("freshWindowDays"),
                "freshWindowDays",
                DEFAULT_FRESH_DAYS as u64,
                MAX_DAYS,
                w,
            ) as u32,
            fingerprint,
        }
    }

    /// True when the user set any filter that narrows the list (a curated view, an allowlist,
    /// a hide list, a provider list or a capability filter).
    pub fn any_filter(&self) -> bool {
        self.mode == ViewMode::Curated
            || !self.visible.is_empty()
            || !self.hidden.is_empty()
            || !self.providers_allow.is_empty()
            || self.tools_only
            || self.vision_only
            || self.free_only
    }
}

fn strings(v: Option<&Value>, name: &str, w: &mut Vec<String>) -> Vec<String> {
    match v {
        None => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => {
            let mut out = Vec::with_capacity(a.len());
            for (i, x) in a.iter().enumerate() {
                match x {
                    Value::String(s) => out.push(s.clone()),
                    other => w.push(format!(
                        "option `{name}[{i}]` must be a string, got {other}; ignored"
                    )),
                }
            }
            out
        }
        Some(other) => {
            w.push(format!(
                "option `{name}` must be a list of strings, got {other}; ignored"
            ));
            Vec::new()
        }
    }
}

fn flag(v: Option<&Value>, name: &str, w: &mut Vec<String>) -> bool {
    match v {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            w.push(format!(
                "option `{name}` must be true or false, got {other}; using false"
            ));
            false
        }
    }
}

fn count(v: Option<&Value>, name: &str, default: u64, max: u64, w: &mut Vec<String>) -> u64 {
    match v {
        None => default,
        Some(Value::Number(n)) if n.as_u64().is_some_and(|x| x <= max) => {
            n.as_u64().unwrap_or(default)
        }
        Some(other) => {
            w.push(format!(
                "option `{name}` must be a whole number from 0 to {max}, got {other}; using {default}"
            ));
            default
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> (ViewOptions, Vec<String>) {
        let mut w = Vec::new();
        let o = ViewOptions::parse(v.as_object().expect("object"), &mut w);
        (o, w)
    }

    #[test]
    fn defaults() {
        let (o, w) = parse(json!({}));
        assert!(w.is_empty());
        assert_eq!(o, ViewOptions::default());
        assert!(!o.any_filter());
    }

    #[test]
    fn every_option_read() {
        let (o, w) = parse(json!({"visibleModels": ["cx/*"], "hiddenModels": "gpt-4o",
            "providersAllow": ["CX", "gemini/"], "toolsOnly": true, "visionOnly": true,
            "freeOnly": true, "view": "curated", "showcasePerOwner": 3, "freshPerOwner": 0,
            "freshWindowDays": 30}));
        assert!(w.is_empty(), "{w:?}");
        assert!(o.visible.matches("cx/gpt-5"));
        assert!(o.hidden.matches("openai/gpt-4o"));
        assert_eq!(o.providers_allow, ["cx", "gemini"]);
        assert!(o.tools_only && o.vision_only && o.free_only);
        assert_eq!(o.mode, ViewMode::Curated);
        assert_eq!(
            (o.showcase_per_owner, o.fresh_per_owner, o.fresh_window_days),
            (3, 0, 30)
        );
        assert!(o.any_filter());
        assert!(o.fingerprint.contains("toolsOnly=true"));
    }

    #[test]
    fn the_plugins_features_block_is_read_and_top_level_wins() {
        let (o, w) = parse(
            json!({"features": {"visibleModels": ["a/b"], "toolsOnly": true},
            "toolsOnly": false}),
        );
        assert!(w.is_empty());
        assert!(o.visible.matches("a/b"));
        assert!(!o.tools_only);
    }

    #[test]
    fn invalid_values_warn_and_default() {
        let (o, w) = parse(
            json!({"visibleModels": [1, "ok/x"], "hiddenModels": {"a": 1},
            "toolsOnly": "yes", "view": "fancy", "showcasePerOwner": -1,
            "freshWindowDays": 1e9}),
        );
        assert!(o.visible.matches("ok/x"));
        assert!(o.hidden.is_empty());
        assert!(!o.tools_only);
        assert_eq!(o.mode, ViewMode::All);
        assert_eq!(o.showcase_per_owner, DEFAULT_SHOWCASE);
        assert_eq!(o.fresh_window_days, DEFAULT_FRESH_DAYS);
        for name in [
            "visibleModels[0]",
            "hiddenModels",
            "toolsOnly",
            "view",
            "showcasePerOwner",
            "freshWindowDays",
        ] {
            assert!(
                w.iter().any(|x| x.contains(&format!("`{name}`"))),
                "{name}: {w:?}"
            );
        }
    }
}

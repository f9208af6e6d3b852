//! Host options: the old plugin's `provider.omniroute.options` (same names, same defaults) plus
//! a few new ones. Parsing is lenient by design: an invalid value never fails a call; the
//! default is used and a warning names the option.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use crate::catalog::opencode::ApiMode;
use crate::catalog::overrides::{parse_overrides, OverrideRule};
use crate::env::Env;
use crate::view::{ViewOptions, ViewOptionsInput};

/// The default gateway address (the OmniRoute default port).
pub const DEFAULT_BASE_URL: &str = "http://localhost:20128/v1";
/// The default models.dev catalogue address.
pub const DEFAULT_MODELS_DEV_URL: &str = "https://models.dev/api.json";

/// Options as a host writes them (the JSON shape documented in the schema). Every field is
/// optional; the service reads them leniently (see [`Options::parse`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OptionsInput {
    /// Gateway base URL, http(s). Default `http://localhost:20128/v1` (or `OMNIROUTE_BASE_URL`).
    /// A trailing slash is fine; a URL with no path gets `/v1`.
    #[serde(rename = "baseURL")]
    pub base_url: Option<String>,
    /// `chat` (default) or `responses`.
    pub api_mode: Option<ApiMode>,
    /// How long a fetched model list is fresh, in ms (default 300000).
    pub model_cache_ttl: Option<u64>,
    /// Without an explicit `refresh`, whether `models.list` waits for a fresh list (default true).
    pub refresh_on_list: Option<bool>,
    /// models.dev enrichment settings.
    pub models_dev: Option<ModelsDevInput>,
    /// Per-model overrides: an object keyed by model id, or an array of blocks with `match`
    /// (a literal id or `{"regex": "...", "flags": "i"}`) and optional `addIfMissing`.
    pub model_metadata: Option<Value>,
    /// Timeout of one gateway HTTP request in ms (default 30000).
    pub request_timeout_ms: Option<u64>,
    /// Directory for the disk snapshot and the models.dev copy (default `$XDG_CACHE_HOME/omniroute-rpc`).
    pub cache_dir: Option<String>,
    /// Never touch the network: answer from memory and disk only (default false).
    pub offline: Option<bool>,
    /// How long a start-up call (`startup: true`) waits for the gateway before it answers from
    /// memory or the disk snapshot and keeps refreshing in the background, in ms (default 800).
    pub startup_wait_ms: Option<u64>,
    /// Oldest disk snapshot served at start-up, in ms (default 7 days); an older one is served
    /// only when the gateway is unreachable, with a warning saying its age.
    pub snapshot_max_age: Option<u64>,
    /// Token for the gateway's management API (`/api/*` only, sent as Bearer; never to `/v1/*`
    /// or another origin). Default `OMNIROUTE_MANAGEMENT_API_KEY`, else the one `auth.connect` stored.
    pub management_token: Option<String>,
    /// Host views leave out models whose provider has no active, passing connection (default false).
    pub usable_only: Option<bool>,
    /// Host views leave out models whose health is `down` (default false).
    pub hide_unhealthy: Option<bool>,
    /// How long a health reading is reused, in ms (default 15000); also the shortest interval of
    /// the `models/health` notification poll.
    pub health_ttl: Option<u64>,
    /// What is shown: filters and the curated view (OmniRoute's OpenCode plugin names).
    #[serde(flatten)]
    pub view: ViewOptionsInput,
}

/// The `modelsDev` block.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelsDevInput {
    /// Use models.dev to fill missing metadata (default true).
    pub enabled: Option<bool>,
    /// Catalogue URL (default `https://models.dev/api.json`).
    pub url: Option<String>,
    /// Download timeout in ms (default 5000).
    pub timeout_ms: Option<u64>,
    /// How long a downloaded catalogue is fresh, in ms (default 86400000).
    pub cache_ttl: Option<u64>,
    /// Gateway prefix → models.dev provider id; entries win over the built-in table.
    pub provider_aliases: Option<BTreeMap<String, String>>,
}

/// models.dev settings after validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelsDevOptions {
    /// Enrichment on or off.
    pub enabled: bool,
    /// Where the catalogue is downloaded from.
    pub url: String,
    /// Download timeout.
    pub timeout: Duration,
    /// Freshness of a downloaded copy.
    pub cache_ttl: Duration,
    /// User alias table (keys lowercased).
    pub provider_aliases: BTreeMap<String, String>,
}

/// Validated options in effect for one call.
#[derive(Debug, Clone)]
pub struct Options {
    /// Normalised base URL without a trailing slash, e.g. `http://localhost:20128/v1`.
    pub base_url: String,
    /// API mode for host views.
    pub api_mode: ApiMode,
    /// Model list freshness.
    pub model_cache_ttl: Duration,
    /// See [`OptionsInput::refresh_on_list`].
    pub refresh_on_list: bool,
    /// models.dev settings.
    pub models_dev: ModelsDevOptions,
    /// Parsed override rules, in order.
    pub overrides: Vec<OverrideRule>,
    /// A stable text of the raw overrides, to key memoised catalogues.
    pub overrides_fingerprint: String,
    /// Gateway request timeout.
    pub request_timeout: Duration,
    /// Cache directory.
    pub cache_dir: PathBuf,
    /// No network at all.
    pub offline: bool,
    /// See [`OptionsInput::startup_wait_ms`].
    pub startup_wait: Duration,
    /// See [`OptionsInput::snapshot_max_age`].
    pub snapshot_max_age: Duration,
    /// What is shown (filters, curated view); never changes the maths.
    pub view: ViewOptions,
    /// `managementToken` from the options, when given (see [`OptionsInput::management_token`]).
    pub management_token: Option<Secret>,
    /// See [`OptionsInput::usable_only`].
    pub usable_only: bool,
    /// See [`OptionsInput::hide_unhealthy`].
    pub hide_unhealthy: bool,
    /// Health reading freshness.
    pub health_ttl: Duration,
}

/// A credential that never prints: `Debug` shows `Secret(***)`, so options can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential (trimmed).
    pub fn new(s: &str) -> Secret {
        Secret(s.trim().to_string())
    }

    /// The credential itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Largest accepted duration, to keep arithmetic safe (about 10 years).
const MAX_MS: u64 = 315_360_000_000;

impl Options {
    /// Reads options from layered JSON objects (later layers win, `modelsDev` merged key by
    /// key). Returns the options and one warning per invalid value.
    pub fn parse(layers: &[&Value], env: &Env) -> (Options, Vec<String>) {
        let merged = merge_layers(layers);
        let mut w = Vec::new();
        let get = |k: &str| merged.get(k).filter(|v| !v.is_null());

        let env_base = env.base_url.clone();
        let base_url = match get("baseURL").or_else(|| get("baseUrl")) {
            Some(Value::String(s)) => normalise_base_url(s).unwrap_or_else(|why| {
                w.push(format!("option `baseURL`: {why}; using the default"));
                default_base_url(env_base.as_deref())
            }),
            Some(_) => {
                w.push("option `baseURL` must be a string; using the default".into());
                default_base_url(env_base.as_deref())
            }
            None => default_base_url(env_base.as_deref()),
        };
        let api_mode = match get("apiMode") {
            Some(Value::String(s)) if s == "chat" => ApiMode::Chat,
            Some(Value::String(s)) if s == "responses" => ApiMode::Responses,
            Some(other) => {
                w.push(format!(
                    "option `apiMode` must be \"chat\" or \"responses\", got {other}; using \"chat\""
                ));
                ApiMode::Chat
            }
            None => ApiMode::Chat,
        };
        let model_cache_ttl = ms(get("modelCacheTtl"), "modelCacheTtl", 300_000, &mut w);
        let refresh_on_list = boolean(get("refreshOnList"), "refreshOnList", true, &mut w);
        let request_timeout = ms(get("requestTimeoutMs"), "requestTimeoutMs", 30_000, &mut w);
        let offline = boolean(get("offline"), "offline", false, &mut w);
        let startup_wait = ms(get("startupWaitMs"), "startupWaitMs", 800, &mut w);
        let snapshot_max_age = ms(
            get("snapshotMaxAge"),
            "snapshotMaxAge",
            7 * 24 * 3_600_000,
            &mut w,
        );
        let cache_dir = match get("cacheDir") {
            Some(Value::String(s)) if !s.is_empty() => PathBuf::from(s),
            Some(_) => {
                w.push("option `cacheDir` must be a non-empty string; using the default".into());
                env.cache_dir.clone()
            }
            None => env.cache_dir.clone(),
        };

        let md = match get("modelsDev") {
            Some(Value::Object(m)) => m.clone(),
            Some(_) => {
                w.push("option `modelsDev` must be an object; using the defaults".into());
                Map::new()
            }
            None => Map::new(),
        };
        let mget = |k: &str| md.get(k).filter(|v| !v.is_null());
        let md_url = match mget("url") {
            Some(Value::String(s)) => match Url::parse(s) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => s.clone(),
                _ => {
                    w.push(format!(
                        "option `modelsDev.url` must be an http(s) URL, got {s:?}; using the default"
                    ));
                    DEFAULT_MODELS_DEV_URL.into()
                }
            },
            Some(_) => {
                w.push("option `modelsDev.url` must be a string; using the default".into());
                DEFAULT_MODELS_DEV_URL.into()
            }
            None => DEFAULT_MODELS_DEV_URL.into(),
        };
        let mut provider_aliases = BTreeMap::new();
        match mget("providerAliases") {
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    match v {
                        Value::String(p) if !p.trim().is_empty() => {
                            provider_aliases.insert(k.to_ascii_lowercase(), p.trim().to_string());
                        }
                        _ => w.push(format!(
                            "option `modelsDev.providerAliases.{k}` must be a provider id string; ignored"
                        )),
                    }
                }
            }
            Some(_) => {
                w.push("option `modelsDev.providerAliases` must be an object; ignored".into())
            }
            None => {}
        }
        let models_dev = ModelsDevOptions {
            enabled: boolean(mget("enabled"), "modelsDev.enabled", true, &mut w),
            url: md_url,
            timeout: ms(mget("timeoutMs"), "modelsDev.timeoutMs", 5_000, &mut w),
            cache_ttl: ms(mget("cacheTtl"), "modelsDev.cacheTtl", 86_400_000, &mut w),
            provider_aliases,
        };

        let management_token = match get("managementToken") {
            Some(Value::String(t)) if !t.trim().is_empty() => Some(Secret::new(t)),
            Some(Value::String(_)) => None,
            Some(_) => {
                w.push("option `managementToken` must be a string; ignored".into());
                None
            }
            None => None,
        };
        let usable_only = boolean(get("usableOnly"), "usableOnly", false, &mut w);
        let hide_unhealthy = boolean(get("hideUnhealthy"), "hideUnhealthy", false, &mut w);
        let health_ttl = ms(get("healthTtl"), "healthTtl", 15_000, &mut w);

        let view = ViewOptions::parse(&merged, &mut w);
        let (overrides, overrides_fingerprint) = match get("modelMetadata") {
            Some(v) => {
                let (rules, warnings) = parse_overrides(v);
                w.extend(warnings);
                (rules, v.to_string())
            }
            None => (Vec::new(), String::new()),
        };

        (
            Options {
                base_url,
                api_mode,
                model_cache_ttl,
                refresh_on_list,
                models_dev,
                overrides,
                overrides_fingerprint,
                request_timeout,
                cache_dir,
                offline,
                startup_wait,
                snapshot_max_age,
                management_token,
                usable_only,
                hide_unhealthy,
                health_ttl,
                view,
            },
            w,
        )
    }

    /// A fingerprint of every option that can shape a catalogue view, for persisted views.
    /// It is taken over all the options with those that only change timing or where files
    /// live set to their defaults, so an option added later is covered without a change here
    /// (at worst a view is built again). Credentials print as `***`.
    pub fn view_fingerprint(&self) -> String {
        let mut o = self.clone();
        o.model_cache_ttl = Duration::ZERO;
        o.refresh_on_list = false;
        o.request_timeout = Duration::ZERO;
        o.cache_dir = PathBuf::new();
        o.offline = false;
        o.startup_wait = Duration::ZERO;
        o.snapshot_max_age = Duration::ZERO;
        o.management_token = None;
        o.health_ttl = Duration::ZERO;
        o.models_dev.timeout = Duration::ZERO;
        o.models_dev.cache_ttl = Duration::ZERO;
        // Parsed forms whose print may depend on hashing; their raw text is in the fingerprints.
        o.overrides = Vec::new();
        o.view.visible = Default::default();
        o.view.hidden = Default::default();
        crate::hash::sha256_hex(format!("{o:?}").as_bytes())[..32].to_string()
    }

    /// `scheme://host[:port]` of the base URL, for the management API (`/api/combos`).
    pub fn origin(&self) -> String {
        match Url::parse(&self.base_url) {
            Ok(u) => u.origin().ascii_serialization(),
            Err(_) => self.base_url.clone(),
        }
    }

    /// `{baseURL}/{path}` with exactly one slash between them.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}/{}", self.base_url, path.trim_start_matches('/'))
    }
}

fn merge_layers(layers: &[&Value]) -> Map<String, Value> {
    let mut merged = Map::new();
    for layer in layers {
        let Value::Object(obj) = layer else { continue };
        for (k, v) in obj {
            match (merged.get_mut(k), v) {
                (Some(Value::Object(old)), Value::Object(new)) if k == "modelsDev" => {
                    for (nk, nv) in new {
                        old.insert(nk.clone(), nv.clone());
                    }
                }
                _ => {
                    merged.insert(k.clone(), v.clone());
                }
            }
        }
    }
    merged
}

fn default_base_url(env: Option<&str>) -> String {
    env.and_then(|e| normalise_base_url(e).ok())
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_string())
}

/// Validates and normalises a gateway URL: http(s) only, no trailing slash, `/v1` when the
/// URL has no path at all (fixes the old plugin's plain concatenation).
pub fn normalise_base_url(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    let url = Url::parse(trimmed).map_err(|e| format!("{trimmed:?} is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{trimmed:?} must use http or https"));
    }
    if url.host_str().is_none() {
        return Err(format!("{trimmed:?} has no host"));
    }
    let mut out = url.to_string();
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{trimmed:?} must not have a query or fragment"));
    }
    while out.ends_with('/') {
        out.pop();
    }
    if url.path() == "/" || url.path().is_empty() {
        out.push_str("/v1");
    }
    Ok(out)
}

fn ms(v: Option<&Value>, name: &str, default: u64, w: &mut Vec<String>) -> Duration {
    match v {
        None => Duration::from_millis(default),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(x) if (1.0..=MAX_MS as f64).contains(&x) => Duration::from_millis(x as u64),
            _ => {
                w.push(format!(
                    "option `{name}` must be a number of milliseconds from 1 to {MAX_MS}, got {n}; using {default}"
                ));
                Duration::from_millis(default)
            }
        },
        Some(other) => {
            w.push(format!(
                "option `{name}` must be a number of milliseconds, got {other}; using {default}"
            ));
            Duration::from_millis(default)
        }
    }
}

fn boolean(v: Option<&Value>, name: &str, default: bool, w: &mut Vec<String>) -> bool {
    match v {
        None => default,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            w.push(format!(
                "option `{name}` must be true or false, got {other}; using {default}"
            ));
            default
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn base_url_normalisation() {
        assert_eq!(
            normalise_base_url("http://h:20128/v1/").unwrap(),
            "http://h:20128/v1"
        );
        assert_eq!(
            normalise_base_url("http://h:20128/v1").unwrap(),
            "http://h:20128/v1"
        );
        assert_eq!(
            normalise_base_url("http://h:20128").unwrap(),
            "http://h:20128/v1"
        );
        assert_eq!(
            normalise_base_url("https://h/api/v1//").unwrap(),
            "https://h/api/v1"
        );
        assert!(normalise_base_url("file:///etc/passwd").is_err());
        assert!(normalise_base_url("nope").is_err());
    }

    #[test]
    fn invalid_values_fall_back_with_warnings() {
        let v = json!({"baseURL": "ftp://x", "apiMode": "grpc", "modelCacheTtl": -5,
            "refreshOnList": "yes", "modelsDev": {"timeoutMs": 1e300, "url": "file:///x"}});
        let (o, w) = Options::parse(&[&v], &Env::default());
        assert_eq!(o.api_mode, ApiMode::Chat);
        assert_eq!(o.model_cache_ttl, Duration::from_millis(300_000));
        assert!(o.refresh_on_list);
        assert_eq!(o.models_dev.timeout, Duration::from_millis(5000));
        assert_eq!(o.models_dev.url, DEFAULT_MODELS_DEV_URL);
        for name in [
            "baseURL",
            "apiMode",
            "modelCacheTtl",
            "refreshOnList",
            "modelsDev.timeoutMs",
            "modelsDev.url",
        ] {
            assert!(
                w.iter().any(|x| x.contains(&format!("`{name}`"))),
                "{name}: {w:?}"
            );
        }
    }

    #[test]
    fn layers_merge_models_dev_per_key() {
        let a = json!({"modelsDev": {"enabled": false, "timeoutMs": 10}, "apiMode": "responses"});
        let b = json!({"modelsDev": {"timeoutMs": 20}});
        let (o, w) = Options::parse(&[&a, &b], &Env::default());
        assert!(w.is_empty());
        assert!(!o.models_dev.enabled);
        assert_eq!(o.models_dev.timeout, Duration::from_millis(20));
        assert_eq!(o.api_mode, ApiMode::Responses);
    }
}

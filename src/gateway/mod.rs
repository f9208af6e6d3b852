//! The OmniRoute gateway as a client sees it: the model list and the combo definitions, each
//! fetched with the options' timeout and mapped to the service's typed errors (the URL is
//! named, the key never is).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::catalog::combos::{parse_combos_body, ComboDef};
use crate::catalog::normalise::{parse_models_body, GatewayModel};
use crate::error::ServiceError;
use crate::http::{FetchError, Http, HttpResponse, MAX_BODY};
use crate::options::Options;

/// What one gateway fetch produced.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GatewayData {
    /// Normalised `/models` entries.
    pub models: Vec<GatewayModel>,
    /// Combo definitions; `None` when they could not be read (then /models is all we know).
    pub combos: Option<Vec<ComboDef>>,
    /// Which endpoint the combos came from.
    pub combos_endpoint: Option<String>,
    /// Warnings about skipped entries or unreadable combos.
    pub warnings: Vec<String>,
    /// Prices, names and provider state from the management API (`/api/*`), when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extras: Option<crate::catalog::extras::GatewayExtras>,
}

fn map_fetch(url: &str, e: FetchError) -> ServiceError {
    match e {
        FetchError::Timeout(t) => ServiceError::GatewayTimeout {
            url: url.into(),
            timeout_ms: t.as_millis() as u64,
        },
        FetchError::Unreachable(reason) => ServiceError::GatewayUnreachable {
            url: url.into(),
            reason,
        },
        FetchError::TooLarge(_) | FetchError::Body(_) => ServiceError::BadGatewayResponse {
            url: url.into(),
            reason: e.to_string(),
        },
    }
}

/// GET `url` and insist on a 2xx JSON answer.
async fn get_ok(
    http: &Http,
    url: &str,
    key: Option<&str>,
    timeout: Duration,
) -> Result<HttpResponse, ServiceError> {
    let resp = http
        .get(url, key, timeout, MAX_BODY)
        .await
        .map_err(|e| map_fetch(url, e))?;
    match resp.status {
        200..=299 => Ok(resp),
        401 | 403 => Err(ServiceError::AuthRejected {
            url: url.into(),
            status: resp.status,
        }),
        s => Err(ServiceError::BadGatewayResponse {
            url: url.into(),
            reason: format!("HTTP {s}"),
        }),
    }
}

/// Fetches and normalises `GET {baseURL}/models`.
pub async fn fetch_models(
    http: &Http,
    opts: &Options,
    key: Option<&str>,
) -> Result<(Vec<GatewayModel>, Vec<String>), ServiceError> {
    let url = opts.endpoint("models");
    let resp = get_ok(http, &url, key, opts.request_timeout).await?;
    // Parsing a large list is CPU work: off the runtime, overlapping the models.dev parse.
    let parsed = tokio::task::spawn_blocking(move || parse_models_body(&resp.json()?))
        .await
        .map_err(|e| ServiceError::Internal(format!("model list parse failed: {e}")))?;
    parsed.map_err(|reason| ServiceError::BadGatewayResponse { url, reason })
}

/// Fetches combo definitions: `{baseURL}/combos` (gateways ≥ 3.8), falling back to
/// `{origin}/api/combos` on a 404 or a non-JSON answer. Never fails: unreadable combos are
/// `None` plus a warning, so the model list is never broken by them.
pub async fn fetch_combos(
    http: &Http,
    opts: &Options,
    key: Option<&str>,
) -> (Option<Vec<ComboDef>>, Option<String>, Vec<String>) {
    let mut warnings = Vec::new();
    let v1 = opts.endpoint("combos");
    match http.get(&v1, key, opts.request_timeout, MAX_BODY).await {
        Ok(resp) if (200..300).contains(&resp.status) => {
            if let Ok(body) = resp.json() {
                match parse_combos_body(&body) {
                    Ok((defs, w)) => return (Some(defs), Some(v1), w),
                    Err(why) => warnings.push(format!("{v1}: {why}; trying the management API")),
                }
            }
        }
        Ok(resp) if resp.status == 404 => {}
        Ok(resp) if matches!(resp.status, 401 | 403) => {
            warnings.push(format!(
                "{v1} answered HTTP {}; trying the management API",
                resp.status
            ));
        }
        Ok(resp) => warnings.push(format!("{v1} answered HTTP {}", resp.status)),
        Err(e) => {
            warnings.push(format!(
                "combo definitions unavailable ({v1}: {e}); combos keep what /models says"
            ));
            return (None, None, warnings);
        }
    }

    let api = format!("{}/api/combos", opts.origin());
    // The management API is open from loopback on a fresh install, and OmniRoute 3.7.9 answers
    // 403 to any Bearer key there: ask without the key first, then with it (3.8 `manage` scope).
    let mut last = String::new();
    let mut attempts = vec![None];
    if let Some(k) = key.filter(|k| !k.is_empty()) {
        attempts.push(Some(k));
    }
    for attempt_key in attempts {
        match http
            .get(&api, attempt_key, opts.request_timeout, MAX_BODY)
            .await
        {
            Ok(resp) if (200..300).contains(&resp.status) => {
                match resp.json().and_then(|body| parse_combos_body(&body)) {
                    Ok((defs, w)) => {
                        warnings.extend(w);
                        return (Some(defs), Some(api), warnings);
                    }
                    Err(why) => last = why,
                }
                break;
            }
            Ok(resp) if matches!(resp.status, 401 | 403) => last = format!("HTTP {}", resp.status),
            Ok(resp) => {
                last = format!("HTTP {}", resp.status);
                break;
            }
            Err(e) => {
                last = e.to_string();
                break;
            }
        }
    }
    warnings.push(format!(
        "combo definitions unavailable ({api}: {last}); combos keep what /models says about them"
    ));
    (None, None, warnings)
}

/// Fetches the model list and the combo definitions concurrently.
pub async fn fetch_all(
    http: &Http,
    opts: &Options,
    key: Option<&str>,
) -> Result<GatewayData, ServiceError> {
    let (models, combos) =
        tokio::join!(fetch_models(http, opts, key), fetch_combos(http, opts, key));
    let (models, mut warnings) = models?;
    let (combos, combos_endpoint, w) = combos;
    warnings.extend(w);
    Ok(GatewayData {
        models,
        combos,
        combos_endpoint,
        warnings,
        extras: None,
    })
}

/// Checks a key against `/models`; returns the number of models it sees.
pub async fn check_key(http: &Http, opts: &Options, key: &str) -> Result<usize, ServiceError> {
    fetch_models(http, opts, Some(key))
        .await
        .map(|(m, _)| m.len())
}

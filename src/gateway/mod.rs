//! The OmniRoute gateway as a client sees it: the model list and the combo definitions, each
//! fetched with the options' timeout and mapped to the service's typed errors (the URL is
//! named, the key never is).

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::catalog::combos::{parse_combos_body, ComboDef};
use crate::catalog::normalise::{parse_models_body, GatewayModel};
use crate::error::ServiceError;
use crate::http::{FetchError, Http, HttpResponse, Validators, MAX_BODY};
use crate::options::Options;

/// What one gateway fetch produced.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GatewayData {
    /// Normalised `/models` entries (shared: an unchanged list is reused, never re-parsed).
    pub models: Arc<Vec<GatewayModel>>,
    /// What the gateway said about the `/models` body's version, for the next conditional GET.
    #[serde(default)]
    pub validators: Validators,
    /// Combo definitions; `None` when they could not be read (then /models is all we know).
    pub combos: Option<Vec<ComboDef>>,
    /// Which endpoint the combos came from.
    pub combos_endpoint: Option<String>,
    /// Warnings about skipped entries or unreadable combos.
    pub warnings: Vec<String>,
    /// The model-list parse's own warnings (kept with a list reused unchanged).
    #[serde(default)]
    pub list_warnings: Vec<String>,
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

/// GET `url` and insist on a 2xx JSON answer (or a 304 when `known` validators were sent).
async fn get_ok(
    http: &Http,
    url: &str,
    key: Option<&str>,
    timeout: Duration,
    known: Option<&Validators>,
) -> Result<HttpResponse, ServiceError> {
    let resp = http
        .get_if_changed(url, key, timeout, MAX_BODY, known)
        .await
        .map_err(|e| map_fetch(url, e))?;
    match resp.status {
        200..=299 => Ok(resp),
        304 if known.is_some() => Ok(resp),
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

/// What `GET {baseURL}/models` brought.
pub enum ModelsFetch {
    /// A new list, parsed and normalised, with its warnings.
    Changed(Vec<GatewayModel>, Vec<String>, Validators),
    /// The list the caller already has: a `304`, or a byte-identical body (not parsed).
    Unchanged(Validators, &'static str),
}

/// Fetches and normalises `GET {baseURL}/models`; with `known` validators of the list the
/// caller holds, an unchanged list is neither downloaded again (304) nor parsed (same hash).
pub async fn fetch_models(
    http: &Http,
    opts: &Options,
    key: Option<&str>,
    known: Option<&Validators>,
) -> Result<ModelsFetch, ServiceError> {
    let url = opts.endpoint("models");
    let resp = get_ok(http, &url, key, opts.request_timeout, known).await?;
    if let Some(k) = known {
        if resp.status == 304 {
            let mut v = k.clone();
            v.etag = resp.validators.etag.clone().or(v.etag);
            v.last_modified = resp.validators.last_modified.clone().or(v.last_modified);
            return Ok(ModelsFetch::Unchanged(v, "HTTP 304"));
        }
        if resp.validators.same_body(k) {
            return Ok(ModelsFetch::Unchanged(resp.validators, "same body"));
        }
    }
    let validators = resp.validators.clone();
    // Parsing a large list is CPU work: off the runtime, overlapping the models.dev parse.
    let parsed = tokio::task::spawn_blocking(move || parse_models_body(&resp.json()?))
        .await
        .map_err(|e| ServiceError::Internal(format!("model list parse failed: {e}")))?;
    let (models, warnings) =
        parsed.map_err(|reason| ServiceError::BadGatewayResponse { url, reason })?;
    Ok(ModelsFetch::Changed(models, warnings, validators))
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

/// Fetches the model list and the combo definitions concurrently. With `previous` data, an
/// unchanged model list is taken over from it (shared, not parsed again).
pub async fn fetch_all(
    http: &Http,
    opts: &Options,
    key: Option<&str>,
    previous: Option<&GatewayData>,
) -> Result<GatewayData, ServiceError> {
    let known = previous.map(|p| &p.validators);
    let (models, combos) = tokio::join!(
        fetch_models(http, opts, key, known),
        fetch_combos(http, opts, key)
    );
    let (models, mut warnings, validators) = match (models?, previous) {
        (ModelsFetch::Changed(m, w, v), _) => (Arc::new(m), w, v),
        (ModelsFetch::Unchanged(v, why), Some(p)) => {
            tracing::debug!("the gateway's model list is unchanged ({why}): not parsed again");
            (p.models.clone(), p.list_warnings.clone(), v)
        }
        (ModelsFetch::Unchanged(..), None) => {
            return Err(ServiceError::Internal(
                "an unchanged list with nothing to keep".into(),
            ))
        }
    };
    let list_warnings = warnings.clone();
    let (combos, combos_endpoint, w) = combos;
    warnings.extend(w);
    Ok(GatewayData {
        models,
        validators,
        list_warnings,
        combos,
        combos_endpoint,
        warnings,
        extras: None,
    })
}

/// Checks a key against `/models`; returns the number of models it sees.
pub async fn check_key(http: &Http, opts: &Options, key: &str) -> Result<usize, ServiceError> {
    fetch_models(http, opts, Some(key), None)
        .await
        .map(|fetched| match fetched {
            ModelsFetch::Changed(m, _, _) => m.len(),
            ModelsFetch::Unchanged(..) => 0,
        })
}

//! Who is asked what on the management API. Credentials policy (issue 15):
//! - a management token goes to `{origin}/api/*` only, as Bearer, and nowhere else;
//! - without one, ask with no `Authorization` first (3.7.9 with login off, loopback before
//!   setup), then with the API key (3.8 keys with a `manage` scope);
//! - the inference key is never sent where a management token is configured;
//! - a refusal is one warning naming what is lost, never an error of the call; a 404 (an
//!   endpoint this gateway version lacks) is skipped silently.

use std::time::Duration;

use serde_json::Value;

use crate::http::{Http, MAX_BODY};

/// The credentials for one management request.
#[derive(Debug, Clone, Copy, Default)]
pub struct MgmtAuth<'a> {
    /// The management token (`managementToken` / `OMNIROUTE_MANAGEMENT_API_KEY`).
    pub token: Option<&'a str>,
    /// The inference API key, tried only when there is no token and anonymous access is refused.
    pub api_key: Option<&'a str>,
}

impl<'a> MgmtAuth<'a> {
    /// The Bearer values to try, in order (`None` = no `Authorization` header).
    pub fn attempts(&self) -> Vec<Option<&'a str>> {
        let nonempty = |k: Option<&'a str>| k.filter(|k| !k.trim().is_empty());
        match nonempty(self.token) {
            Some(t) => vec![Some(t)],
            None => {
                let mut v = vec![None];
                if let Some(k) = nonempty(self.api_key) {
                    v.push(Some(k));
                }
                v
            }
        }
    }
}

/// What one management endpoint gave.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiAnswer {
    /// A 2xx JSON body.
    Json(Value),
    /// The gateway has no such endpoint (404, or an HTML page): skipped silently.
    Absent,
    /// Every credential was refused (401/403); the last status.
    Refused(u16),
    /// Unreachable, timed out, an unexpected status or a non-JSON body.
    Failed(String),
}

/// One management endpoint: its path and what the user loses without it (for the warning).
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// Path with query, starting with `/api/`.
    pub path: &'static str,
    /// Finishes "without it, …".
    pub loses: &'static str,
}

/// `/api/monitoring/health`.
pub const MONITORING: Endpoint = Endpoint {
    path: "/api/monitoring/health",
    loses: "circuit breakers and lockouts are not known (health is unknown)",
};
/// `/api/providers`.
pub const PROVIDERS: Endpoint = Endpoint {
    path: "/api/providers",
    loses: "provider connections are not known (usable and usableOnly do not apply)",
};
/// `/api/pricing`.
pub const PRICING: Endpoint = Endpoint {
    path: "/api/pricing",
    loses: "gateway prices are not shown (models.dev prices are used)",
};
/// `/api/pricing/models`.
pub const PRICING_MODELS: Endpoint = Endpoint {
    path: "/api/pricing/models",
    loses: "gateway display names and provider aliases are not known",
};
/// `/api/usage/analytics` (last day).
pub const ANALYTICS: Endpoint = Endpoint {
    path: "/api/usage/analytics?range=1d",
    loses: "per-model latency and success rate are not shown",
};
/// `/api/usage/model-latency-stats` (3.8.x).
pub const LATENCY_STATS: Endpoint = Endpoint {
    path: "/api/usage/model-latency-stats?windowHours=24",
    loses: "latency percentiles are not shown",
};

/// `{origin}{path}` — refuses anything but an `/api/` path, so a token can never leave the
/// management API of the gateway's own origin.
pub fn api_url(origin: &str, path: &str) -> Option<String> {
    if !path.starts_with("/api/") || path.contains("//") || path.contains('@') {
        return None;
    }
    Some(format!("{}{}", origin.trim_end_matches('/'), path))
}

/// GETs one management endpoint with the credentials policy above.
pub async fn get(
    http: &Http,
    origin: &str,
    ep: Endpoint,
    auth: MgmtAuth<'_>,
    timeout: Duration,
) -> ApiAnswer {
    let Some(url) = api_url(origin, ep.path) else {
        return ApiAnswer::Failed(format!("{} is not a management path", ep.path));
    };
    let mut last = ApiAnswer::Failed("no attempt".into());
    for bearer in auth.attempts() {
        match http.get(&url, bearer, timeout, MAX_BODY).await {
            Ok(resp) if (200..300).contains(&resp.status) => {
                let html = resp
                    .content_type
                    .as_deref()
                    .is_some_and(|c| c.contains("text/html"));
                return match resp.json() {
                    Ok(v) => ApiAnswer::Json(v),
                    Err(_) if html => ApiAnswer::Absent,
                    Err(e) => ApiAnswer::Failed(e),
                };
            }
            Ok(resp) if resp.status == 404 || resp.status == 405 => return ApiAnswer::Absent,
            Ok(resp) if matches!(resp.status, 401 | 403) => last = ApiAnswer::Refused(resp.status),
            Ok(resp) => return ApiAnswer::Failed(format!("HTTP {}", resp.status)),
            Err(e) => return ApiAnswer::Failed(e.to_string()),
        }
    }
    last
}

/// The warning for an answer that is neither data nor absent; `None` otherwise.
pub fn warning(ep: Endpoint, answer: &ApiAnswer, had_token: bool) -> Option<String> {
    match answer {
        ApiAnswer::Json(_) | ApiAnswer::Absent => None,
        ApiAnswer::Refused(status) => Some(if had_token {
            format!(
                "{} refused the management token (HTTP {status}): {}",
                ep.path, ep.loses
            )
        } else {
            format!(
                "{} needs management access (HTTP {status}): {}; set the `managementToken` option or OMNIROUTE_MANAGEMENT_API_KEY",
                ep.path, ep.loses
            )
        }),
        ApiAnswer::Failed(why) => Some(format!("{} failed ({why}): {}", ep.path, ep.loses)),
    }
}

/// Parses a JSON answer with `parse`; the warning when it cannot be used. Absent → `(None, None)`.
pub fn read<T>(
    ep: Endpoint,
    answer: ApiAnswer,
    had_token: bool,
    parse: fn(&Value) -> Result<T, String>,
) -> (Option<T>, Option<String>) {
    match answer {
        ApiAnswer::Json(v) => match parse(&v) {
            Ok(t) => (Some(t), None),
            Err(why) => (
                None,
                Some(format!(
                    "{} gave an unexpected shape ({why}): {}",
                    ep.path, ep.loses
                )),
            ),
        },
        other => (None, warning(ep, &other, had_token)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_follow_the_policy() {
        let a = MgmtAuth {
            token: Some("t"),
            api_key: Some("k"),
        };
        assert_eq!(a.attempts(), vec![Some("t")]);
        let b = MgmtAuth {
            token: None,
            api_key: Some("k"),
        };
        assert_eq!(b.attempts(), vec![None, Some("k")]);
        let c = MgmtAuth {
            token: Some(" "),
            api_key: None,
        };
        assert_eq!(c.attempts(), vec![None]);
    }

    #[test]
    fn only_api_paths_on_the_origin() {
        assert_eq!(
            api_url("http://h:1/", "/api/pricing").as_deref(),
            Some("http://h:1/api/pricing")
        );
        assert!(api_url("http://h:1", "/v1/models").is_none());
        assert!(api_url("http://h:1", "/api//evil.example/x").is_none());
        assert!(api_url("http://h:1", "https://x/api/").is_none());
    }

    #[test]
    fn warnings_name_what_is_lost() {
        let w = warning(PRICING, &ApiAnswer::Refused(403), false).unwrap();
        assert!(w.contains("/api/pricing") && w.contains("403") && w.contains("managementToken"));
        assert!(warning(PRICING, &ApiAnswer::Absent, false).is_none());
    }
}

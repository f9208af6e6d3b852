//! `auth.connect`, `auth.status`, `auth.disconnect`: the API key, checked against the gateway
//! and kept where OpenCode keeps credentials. Results show a hint, never the key.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{key_hint, Api, NoParams};
use crate::error::ServiceError;
use crate::gateway;
use crate::options::{normalise_base_url, OptionsInput};
use crate::service::KeySource;

/// `auth.connect` params.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthConnectParams {
    /// The OmniRoute API key (any format: dashboard keys look like `sk-…`, fixed server keys need not).
    pub api_key: String,
    /// Gateway to check it against (else the options' `baseURL`).
    #[serde(rename = "baseURL")]
    pub base_url: Option<String>,
    /// Store it in OpenCode's credentials file (default true). False: only check it and use it
    /// for this session (what OpenCode's `authorize` wants, since OpenCode stores it itself).
    pub persist: Option<bool>,
    /// Options for this call.
    #[schemars(with = "Option<OptionsInput>")]
    pub options: Option<Value>,
    /// A management token for the gateway's `/api/*` (sent there only): checked against
    /// `/api/providers`, then stored and used like the key. Never echoed.
    pub management_token: Option<String>,
}

/// `auth.connect` result.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthConnectResult {
    /// `sk-…4d79`.
    pub key_hint: String,
    /// The gateway that accepted the key.
    #[serde(rename = "baseURL")]
    pub base_url: String,
    /// How many models the key sees.
    pub model_count: usize,
    /// Whether the key was written to the credentials file.
    pub stored: bool,
    /// The credentials file, when written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_file: Option<String>,
    /// Whether a management token was given and stored (or kept for the session).
    pub management_token_stored: bool,
    /// Option warnings.
    pub warnings: Vec<String>,
}

/// `auth.status` params.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthStatusParams {
    /// Options for this call.
    #[schemars(with = "Option<OptionsInput>")]
    pub options: Option<Value>,
}

/// `auth.status` result.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthStatusResult {
    /// Where the key in use comes from.
    pub source: KeySource,
    /// Hint of that key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_hint: Option<String>,
    /// OpenCode's credentials file path.
    pub auth_file: String,
    /// The gateway in use.
    #[serde(rename = "baseURL")]
    pub base_url: String,
    /// Whether a management token is configured (the token itself is never shown).
    pub management_token: TokenStatus,
    /// Problems found (e.g. a corrupt credentials file).
    pub warnings: Vec<String>,
}

/// Presence of the management token.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenStatus {
    /// A token is configured.
    pub present: bool,
    /// Where it comes from (`param` = the `managementToken` option).
    pub source: KeySource,
}

/// `auth.disconnect` result.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthDisconnectResult {
    /// Whether an `omniroute` entry was removed.
    pub removed: bool,
    /// The credentials file.
    pub auth_file: String,
}

/// Registers the `auth.*` methods.
pub fn register(api: &mut Api) {
    api.method(
        "auth.connect",
        "Checks an API key against the gateway, then stores it in OpenCode's credentials file (merging, atomic, 0600).",
        |svc, p: AuthConnectParams| async move {
            let key = p.api_key.trim().to_string();
            if key.is_empty() {
                return Err(ServiceError::InvalidParams("`apiKey` is empty".into()));
            }
            let mut layer = p.options.clone().unwrap_or_else(|| json!({}));
            if let Some(url) = &p.base_url {
                // An explicit gateway that is unusable is an error here, not a silent default:
                // the key would be checked against (and stored for) another gateway.
                normalise_base_url(url)
                    .map_err(|why| ServiceError::InvalidParams(format!("`baseURL`: {why}")))?;
                if let Value::Object(o) = &mut layer {
                    o.insert("baseURL".into(), json!(url));
                }
            }
            let ctx = svc.context(Some(&layer), Some(&key));
            let model_count = gateway::check_key(svc.http(), &ctx.opts, &key).await?;
            let token = p
                .management_token
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            let mut warnings = ctx.warnings.clone();
            if let Some(t) = &token {
                check_token(&svc, &ctx, t, &mut warnings).await?;
            }
            let persist = p.persist.unwrap_or(true);
            if let (Some(t), true) = (&token, persist) {
                let (creds, t) = (svc.credentials().clone(), t.clone());
                tokio::task::spawn_blocking(move || creds.store_management_token(&t))
                    .await
                    .map_err(|e| ServiceError::Internal(e.to_string()))??;
            }
            if let Some(t) = &token {
                svc.set_session_token(Some(t.clone()));
            }
            let auth_file = if persist {
                // A lock and an fsync: off the runtime.
                let (creds, k) = (svc.credentials().clone(), key.clone());
                let path = tokio::task::spawn_blocking(move || creds.store_key(&k))
                    .await
                    .map_err(|e| ServiceError::Internal(e.to_string()))??;
                Some(path.display().to_string())
            } else {
                None
            };
            svc.set_session_key(Some(key.clone()));
            Ok(AuthConnectResult {
                key_hint: key_hint(&key),
                base_url: crate::display::redact_url(&ctx.opts.base_url),
                model_count,
                stored: auth_file.is_some(),
                auth_file,
                management_token_stored: token.is_some(),
                warnings,
            })
        },
    );
    api.method(
        "auth.status",
        "Where the key in use comes from (session, credentials file, OMNIROUTE_API_KEY) and its hint.",
        |svc, p: AuthStatusParams| async move {
            let ctx = svc.context(p.options.as_ref(), None);
            Ok(AuthStatusResult {
                source: ctx.key_source,
                key_hint: ctx.key.as_deref().map(key_hint),
                auth_file: svc.credentials().path().display().to_string(),
                base_url: crate::display::redact_url(&ctx.opts.base_url),
                management_token: TokenStatus {
                    present: ctx.management_token.is_some(),
                    source: ctx.token_source,
                },
                warnings: ctx.warnings,
            })
        },
    );
    api.method(
        "auth.disconnect",
        "Removes the omniroute entry from the credentials file (every other entry stays) and forgets the session key.",
        |svc, _: NoParams| async move {
            svc.set_session_key(None);
            svc.set_session_token(None);
            let creds = svc.credentials().clone();
            let (removed, path) = tokio::task::spawn_blocking(move || creds.remove_key())
                .await
                .map_err(|e| ServiceError::Internal(e.to_string()))??;
            Ok(AuthDisconnectResult {
                removed,
                auth_file: path.display().to_string(),
            })
        },
    );
}

/// Checks a management token against `{origin}/api/providers` (that token only, no fallback):
/// a refusal is an error (nothing is stored); an endpoint this gateway lacks or an
/// unreachable gateway is a warning.
async fn check_token(
    svc: &crate::service::Service,
    ctx: &crate::service::CallContext,
    token: &str,
    warnings: &mut Vec<String>,
) -> Result<(), ServiceError> {
    use crate::management::client::{self, ApiAnswer, MgmtAuth};
    let origin = ctx.opts.origin();
    let auth = MgmtAuth {
        token: Some(token),
        api_key: None,
    };
    let ep = client::PROVIDERS;
    let shown = crate::display::redact_url(&format!("{origin}{}", ep.path));
    match client::get(svc.http(), &origin, ep, auth, ctx.opts.request_timeout).await {
        ApiAnswer::Json(_) => Ok(()),
        ApiAnswer::Refused(status) => Err(ServiceError::AuthRejected { url: shown, status }),
        ApiAnswer::Absent => {
            warnings.push(format!(
                "{shown} does not exist on this gateway; the management token was not checked"
            ));
            Ok(())
        }
        ApiAnswer::Failed(why) => {
            warnings.push(format!(
                "the management token could not be checked ({shown}: {why})"
            ));
            Ok(())
        }
    }
}

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
    /// Problems found (e.g. a corrupt credentials file).
    pub warnings: Vec<String>,
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
            let auth_file = if p.persist.unwrap_or(true) {
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
                warnings: ctx.warnings,
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
                warnings: ctx.warnings,
            })
        },
    );
    api.method(
        "auth.disconnect",
        "Removes the omniroute entry from the credentials file (every other entry stays) and forgets the session key.",
        |svc, _: NoParams| async move {
            svc.set_session_key(None);
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

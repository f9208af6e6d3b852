//! `cache.clear`: forget cached data in memory and on disk.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Api;
use crate::options::OptionsInput;
use crate::service::Service;

/// What to clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum CacheScope {
    /// The gateway's model lists (memory and disk snapshots).
    Models,
    /// Combo definitions; they are fetched with the model list, so the lists go too.
    Combos,
    /// The models.dev copy and its index.
    ModelsDev,
    /// Everything (default).
    #[default]
    All,
}

/// `cache.clear` params.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CacheClearParams {
    /// What to clear (default `all`).
    pub scope: Option<CacheScope>,
    /// Options (for `cacheDir`).
    #[schemars(with = "Option<OptionsInput>")]
    pub options: Option<Value>,
}

/// `cache.clear` result.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CacheClearResult {
    /// The scopes cleared.
    pub cleared: Vec<CacheScope>,
    /// Cache files removed from disk.
    pub files_removed: usize,
}

/// Registers `cache.clear`.
pub fn register(api: &mut Api) {
    api.method(
        "cache.clear",
        "Clears cached model lists, combo definitions and/or the models.dev copy, in memory and on disk.",
        |svc: Arc<Service>, p: CacheClearParams| async move {
            let ctx = svc.context(p.options.as_ref(), None);
            let scope = p.scope.unwrap_or_default();
            let (models, dev, cleared) = match scope {
                CacheScope::Models => (true, false, vec![CacheScope::Models]),
                CacheScope::Combos => (true, false, vec![CacheScope::Combos, CacheScope::Models]),
                CacheScope::ModelsDev => (false, true, vec![CacheScope::ModelsDev]),
                CacheScope::All => (true, true, vec![CacheScope::Models, CacheScope::Combos, CacheScope::ModelsDev]),
            };
            let files_removed = svc.clear_cache(&ctx, models, dev);
            Ok(CacheClearResult {
                cleared,
                files_removed,
            })
        },
    );
}

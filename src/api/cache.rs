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
pub enum Scope {
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
pub struct ClearParams {
    /// What to clear (default `all`).
    pub scope: Option<Scope>,
    /// Options (for `cacheDir`).
    #[schemars(with = "Option<OptionsInput>")]
    pub options: Option<Value>,
}

/// `cache.clear` result.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClearResult {
    /// The scopes cleared.
    pub cleared: Vec<Scope>,
    /// Cache files removed from disk.
    pub files_removed: usize,
}

/// Registers `cache.clear`.
pub fn register(api: &mut Api) {
    api.method(
        "cache.clear",
        "Clears cached model lists, combo definitions and/or the models.dev copy, in memory and on disk.",
        |svc: Arc<Service>, p: ClearParams| async move {
            let ctx = svc.context(p.options.as_ref(), None);
            let scope = p.scope.unwrap_or_default();
            let (models, dev, cleared) = match scope {
                Scope::Models => (true, false, vec![Scope::Models]),
                Scope::Combos => (true, false, vec![Scope::Combos, Scope::Models]),
                Scope::ModelsDev => (false, true, vec![Scope::ModelsDev]),
                Scope::All => (true, true, vec![Scope::Models, Scope::Combos, Scope::ModelsDev]),
            };
            let files_removed = svc.clear_cache(&ctx, models, dev);
            Ok(ClearResult {
                cleared,
                files_removed,
            })
        },
    );
}

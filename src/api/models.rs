//! `models.list` and `models.refresh`: the enriched catalogue, saying where it came from.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Api, Raw, SourceInfo};
use crate::catalog::model::Model;
use crate::options::{Options, OptionsInput};
use crate::service::{diff, CatalogView, Diff, Freshness, Service};

/// `models.list` params.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelsListParams {
    /// true: wait for a fresh list; false: answer from memory/disk at once (refreshing in the
    /// background when older than `modelCacheTtl`); absent: `refreshOnList` decides.
    pub refresh: Option<bool>,
    /// Options for this call.
    #[schemars(with = "Option<OptionsInput>")]
    pub options: Option<Value>,
    /// A key for this call.
    pub api_key: Option<String>,
}

/// `models.refresh` params.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelsRefreshParams {
    /// Options for this call.
    #[schemars(with = "Option<OptionsInput>")]
    pub options: Option<Value>,
    /// A key for this call.
    pub api_key: Option<String>,
}

/// `models.list` result.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelsListResult {
    /// The models.
    pub models: Raw<Vec<Model>>,
    /// How many.
    pub count: usize,
    /// The gateway.
    #[serde(rename = "baseURL")]
    pub base_url: String,
    /// Where the list came from.
    #[serde(flatten)]
    pub origin: SourceInfo,
}

/// `models.refresh` result.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelsRefreshResult {
    /// The new catalogue.
    #[serde(flatten)]
    pub list: ModelsListResult,
    /// What changed since the catalogue this session saw last.
    pub diff: Diff,
}

/// Maps the `refresh` param and `refreshOnList` to a freshness.
pub fn freshness(refresh: Option<bool>, opts: &Options) -> Freshness {
    match refresh {
        Some(true) => Freshness::Refresh,
        Some(false) => Freshness::CacheFirst,
        None if opts.refresh_on_list => Freshness::Refresh,
        None => Freshness::WithinTtl,
    }
}

/// The result shape for a catalogue view.
pub fn list_result(view: &CatalogView, opts: &Options) -> ModelsListResult {
    ModelsListResult {
        models: Raw::new(view.catalogue.models_json()),
        count: view.catalogue.models.len(),
        base_url: opts.base_url.clone(),
        origin: SourceInfo::of(view, []),
    }
}

/// Registers `models.list` and `models.refresh`.
pub fn register(api: &mut Api) {
    api.method(
        "models.list",
        "The enriched model catalogue with source, fetchedAt and warnings.",
        |svc: Arc<Service>, p: ModelsListParams| async move {
            let ctx = svc.context(p.options.as_ref(), p.api_key.as_deref());
            let view = svc.catalogue(&ctx, freshness(p.refresh, &ctx.opts)).await;
            Ok(list_result(&view, &ctx.opts))
        },
    );
    api.method(
        "models.refresh",
        "Refetches the gateway's models and combos and models.dev; returns the catalogue and a diff.",
        |svc: Arc<Service>, p: ModelsRefreshParams| async move {
            let ctx = svc.context(p.options.as_ref(), p.api_key.as_deref());
            let before = svc.peek(&ctx).await;
            let mut warnings = Vec::new();
            svc.refresh_models_dev(&ctx.opts, &mut warnings).await;
            let view = svc.catalogue(&ctx, Freshness::Refresh).await;
            let d = before.map(|b| diff(&b, &view.catalogue)).unwrap_or_else(|| Diff {
                added: view.catalogue.models.iter().map(|m| m.id.clone()).collect(),
                ..Diff::default()
            });
            let mut list = list_result(&view, &ctx.opts);
            list.origin.warnings.extend(warnings);
            Ok(ModelsRefreshResult { list, diff: d })
        },
    );
}

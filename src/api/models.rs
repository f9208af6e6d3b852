//! `models.list` and `models.refresh`: the enriched catalogue, saying where it came from.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;

use super::{Api, Raw, SourceInfo};
use crate::catalog::diff::{diff, Diff};
use crate::catalog::model::Model;
use crate::options::Options;
use crate::service::{CatalogView, Freshness, Service};

super::call_params! {
/// `models.list` params.
pub struct ModelsListParams {
    /// true: wait for a fresh list; false: answer from memory/disk at once (refreshing in the
    /// background when older than `modelCacheTtl`); absent: `refreshOnList` decides.
    pub refresh: Option<bool>,
}
}

super::call_params! {
/// `models.refresh` params.
pub struct ModelsRefreshParams {

}
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
        base_url: crate::display::redact_url(&opts.base_url),
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
            let d = before.map_or_else(
                || Diff::all_added(&view.catalogue),
                |b| diff(&b, &view.catalogue),
            );
            let mut list = list_result(&view, &ctx.opts);
            list.origin.warnings.extend(warnings);
            Ok(ModelsRefreshResult { list, diff: d })
        },
    );
}

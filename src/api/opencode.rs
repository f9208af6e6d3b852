//! `opencode.provider`: the complete `provider.omniroute` block for OpenCode's config hook, with
//! the view options applied (the picker shows what `models.list` shows).

use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;

use super::models::freshness;
use super::{Api, Raw, SourceInfo};
use crate::catalog::opencode::{provider_block, ProviderBlock};
use crate::service::Service;

super::call_params! {
/// `opencode.provider` params.
pub struct OpencodeProviderParams {
    /// As in `models.list` (a host starting up passes false: answer from cache at once).
    pub refresh: Option<bool>,
}
}

/// `opencode.provider` result.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpencodeProviderResult {
    /// The `provider.omniroute` block.
    pub provider: Raw<ProviderBlock>,
    /// Where the models came from.
    #[serde(flatten)]
    pub origin: SourceInfo,
}

/// Registers `opencode.provider`.
pub fn register(api: &mut Api) {
    api.method(
        "opencode.provider",
        "The complete provider.omniroute block for OpenCode: npm package, options and every chat model with both limits set.",
        |svc: Arc<Service>, p: OpencodeProviderParams| async move {
            let ctx = svc.context(p.options.as_ref(), p.api_key.as_deref());
            let view = svc.catalogue(&ctx, freshness(p.refresh, &ctx.opts)).await;
            let opts = &ctx.opts;
            let block = if opts.view.any_filter() {
                let vctx = super::models::view_context(&svc, opts).await;
                let (sel, vkey) = super::models::selection(&view.catalogue, opts, &vctx);
                let key = format!("opencode|{}|{:?}|{vkey}", opts.base_url, opts.api_mode);
                view.catalogue.view(&key, |models| {
                    let shown = models.iter().zip(&sel.keep).filter_map(|(m, k)| k.then_some(m));
                    provider_block(shown, &opts.base_url, opts.api_mode)
                })
            } else {
                let key = format!("opencode|{}|{:?}", opts.base_url, opts.api_mode);
                view.catalogue
                    .view(&key, |models| provider_block(models, &opts.base_url, opts.api_mode))
            };
            Ok(OpencodeProviderResult {
                provider: Raw::new(block),
                origin: SourceInfo::of(&view, []),
            })
        },
    );
}

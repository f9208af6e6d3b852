//! `opencode.provider`: the complete `provider.omniroute` block for OpenCode's config hook.

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
            let key = format!("opencode|{}|{:?}", ctx.opts.base_url, ctx.opts.api_mode);
            let block = view
                .catalogue
                .view(&key, |models| provider_block(models, &ctx.opts.base_url, ctx.opts.api_mode));
            Ok(OpencodeProviderResult {
                provider: Raw::new(block),
                origin: SourceInfo::of(&view, []),
            })
        },
    );
}

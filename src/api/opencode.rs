//! `opencode.provider`: the complete `provider.omniroute` block for OpenCode's config hook.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;

use super::health::{health_map, reading};
use super::models::freshness;
use super::{Api, Raw, SourceInfo};
use crate::catalog::opencode::{provider_block_marked, Mark, ProviderBlock, ViewFilter};
use crate::error::ServiceError;
use crate::health::HealthState;
use crate::service::Service;

/// The longest `opencode.provider` waits for a health reading.
const HEALTH_WAIT: Duration = Duration::from_secs(2);

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
            let filter = ViewFilter {
                usable_only: ctx.opts.usable_only,
                hide_unhealthy: ctx.opts.hide_unhealthy,
            };
            // Health marks: one bounded read (cached for healthTtl); a slow or absent
            // management API leaves the block unmarked rather than delaying the host.
            let wait = ctx.opts.request_timeout.min(HEALTH_WAIT);
            let marks: HashMap<String, Mark> =
                match tokio::time::timeout(wait, reading(&svc, &ctx)).await {
                    Ok((r, _)) if r.inputs.monitoring.is_some() || r.inputs.providers.is_some() => {
                        health_map(&r, &view.catalogue)
                            .iter()
                            .filter_map(|(id, h)| {
                                let mark = match h.state {
                                    HealthState::Down => Mark::Down,
                                    HealthState::Degraded => Mark::Degraded,
                                    _ => return None,
                                };
                                Some((id.clone(), mark))
                            })
                            .collect()
                    }
                    _ => HashMap::new(),
                };
            let build = |models: &[crate::catalog::model::Model]| {
                provider_block_marked(
                    models,
                    &ctx.opts.base_url,
                    ctx.opts.api_mode,
                    filter,
                    &marks,
                )
            };
            let block = if marks.is_empty() {
                let key = format!(
                    "opencode|{}|{:?}|{}|{}",
                    ctx.opts.base_url, ctx.opts.api_mode, filter.usable_only, filter.hide_unhealthy
                );
                view.catalogue.view(&key, build)
            } else {
                // Marks change with every health reading: built per call, not memoised.
                serde_json::value::to_raw_value(&build(&view.catalogue.models))
                    .map(Arc::from)
                    .map_err(|e| ServiceError::Internal(e.to_string()))?
            };
            Ok(OpencodeProviderResult {
                provider: Raw::new(block),
                origin: SourceInfo::of(&view, []),
            })
        },
    );
}

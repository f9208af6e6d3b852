//! `opencode.provider`: the complete `provider.omniroute` block for OpenCode's config hook, with
//! the view options applied (the picker shows what `models.list` shows).

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
use crate::service::views::DiskView;
use crate::service::{Freshness, Service};
use crate::view::ViewMode;

/// The longest `opencode.provider` waits for a health reading.
const HEALTH_WAIT: Duration = Duration::from_secs(2);
/// The persisted-view kind of the block.
const VIEW_KIND: &str = "opencode";

/// An `opencode.provider` answer from a persisted block (`None` when its meta is unreadable).
fn provider_from_disk(disk: DiskView) -> Option<OpencodeProviderResult> {
    let warnings: Vec<String> = serde_json::from_value(disk.meta.get("warnings")?.clone()).ok()?;
    Some(OpencodeProviderResult {
        provider: Raw::owned(disk.body),
        origin: SourceInfo::from_parts(
            crate::catalog::model::Source::Snapshot,
            Some(disk.fetched_at),
            disk.warnings.into_iter().chain(warnings),
        ),
    })
}

super::call_params! {
/// `opencode.provider` params.
pub struct OpencodeProviderParams {
    /// As in `models.list` (a host starting up passes false: answer from cache at once; health
    /// marks then come only from a reading already at hand, never from a wait).
    pub refresh: Option<bool>,
    /// As in `models.list`: the call a host makes at start-up waits at most `startupWaitMs`
    /// for the gateway when anything good is cached.
    pub startup: Option<bool>,
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
            let mut ctx = svc.context(p.options.as_ref(), p.api_key.as_deref());
            ctx.startup = p.startup.unwrap_or(false);
            let fresh = freshness(p.refresh, &ctx.opts);
            // The curated view depends on the day and the usage ledger: chosen afresh.
            let persistable =
                ctx.opts.view.mode != ViewMode::Curated || !ctx.opts.view.any_filter();
            // `refresh: false` never waits on the network, for health neither: marks come from
            // a reading at hand. With none, a new process answers from the persisted block.
            let cache_first = fresh == Freshness::CacheFirst;
            let at_hand = if cache_first { svc.peek_health(&ctx) } else { None };
            if cache_first && persistable && at_hand.is_none() {
                if let Some(disk) = svc.view_from_disk(&ctx, VIEW_KIND).await {
                    if let Some(r) = provider_from_disk(disk) {
                        return Ok(r);
                    }
                }
            }
            // Health marks: one bounded read (cached for healthTtl), run beside the catalogue so
            // it adds no wait of its own; a slow or absent management API leaves the block
            // unmarked rather than delaying the host (at start-up, no longer than startupWaitMs).
            let mut wait = ctx.opts.request_timeout.min(HEALTH_WAIT);
            if ctx.startup {
                wait = wait.min(ctx.opts.startup_wait);
            }
            let (view, health) = tokio::join!(svc.catalogue(&ctx, fresh), async {
                if cache_first {
                    at_hand
                } else {
                    tokio::time::timeout(wait, reading(&svc, &ctx))
                        .await
                        .ok()
                        .map(|(r, _)| r)
                }
            });
            let opts = &ctx.opts;
            let filter = ViewFilter {
                usable_only: opts.usable_only,
                hide_unhealthy: opts.hide_unhealthy,
            };
            let marks: HashMap<String, Mark> = match health {
                Some(r) if r.inputs.monitoring.is_some() || r.inputs.providers.is_some() => {
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
            // The curation filters (what is shown), then usableOnly / hideUnhealthy and marks.
            let selection = if opts.view.any_filter() {
                let vctx = super::models::view_context(&svc, &ctx).await;
                Some(super::models::selection(&view.catalogue, opts, &vctx))
            } else {
                None
            };
            let build = |models: &[crate::catalog::model::Model]| match &selection {
                Some((sel, _)) => {
                    let shown = models.iter().zip(&sel.keep).filter_map(|(m, k)| k.then_some(m));
                    provider_block_marked(shown, &opts.base_url, opts.api_mode, filter, &marks)
                }
                None => provider_block_marked(models, &opts.base_url, opts.api_mode, filter, &marks),
            };
            let block = if marks.is_empty() {
                let vkey = selection.as_ref().map_or("", |(_, k)| k.as_str());
                let key = format!(
                    "opencode|{}|{:?}|{}|{}|{vkey}",
                    opts.base_url, opts.api_mode, filter.usable_only, filter.hide_unhealthy
                );
                let block = view.catalogue.view(&key, build);
                if persistable {
                    let meta = serde_json::json!({ "warnings": view.catalogue.warnings });
                    svc.persist_view(&ctx, &view, VIEW_KIND, &block, meta);
                }
                block
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

//! `models.list`, `models.refresh` and `models.search`: the enriched catalogue, saying where it
//! came from, with the view options applied (filters change what is shown, never the maths).

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Api, Raw, SourceInfo};
use crate::catalog::diff::{diff, Diff};
use crate::catalog::model::Model;
use crate::catalog::pipeline::Catalogue;
use crate::options::Options;
use crate::service::views::DiskView;
use crate::service::{CallContext, CatalogView, Freshness, Service};
use crate::usage::{self, ledger::Ledger, seams::recent_models};
use crate::view::memo::PerArc;
use crate::view::search::{MatchKind, SearchIndex};
use crate::view::{select, select_with, Hidden, RecentUse, Selection, ViewContext, ViewMode};

super::call_params! {
/// `models.list` params.
pub struct ModelsListParams {
    /// true: wait for a fresh list; false: answer from memory/disk at once (refreshing in the
    /// background when older than `modelCacheTtl`); absent: `refreshOnList` decides.
    pub refresh: Option<bool>,
    /// A host's first list at start-up: when anything good is cached, the gateway is waited for
    /// at most `startupWaitMs`, then the cache answers and the refresh goes on in the
    /// background (`models/changed` follows).
    pub startup: Option<bool>,
    /// true: every model, the view options (`visibleModels`, `view`, …) ignored.
    pub unfiltered: Option<bool>,
}
}

super::call_params! {
/// `models.refresh` params.
pub struct ModelsRefreshParams {
    /// true: every model, the view options ignored.
    pub unfiltered: Option<bool>,
}
}

/// `models.list` result.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelsListResult {
    /// The models shown.
    pub models: Raw<Vec<Model>>,
    /// How many are shown.
    pub count: usize,
    /// What the view options left out, by reason (all zero with no option or `unfiltered`).
    pub hidden: Hidden,
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

/// How far back the usage ledger counts as "recently used" for the curated view.
const RECENT_WINDOW_MS: u64 = 30 * 86_400_000;
/// At most this many recently used models are kept visible.
const RECENT_LIMIT: usize = 200;

/// What the views need besides the options: today's date and, for the curated view, the
/// models used recently. Usage memory is the local ledger's [`recent_models`] (the last 30
/// days, shared by every host's process); ids from the gateway's `/api/usage/analytics` join
/// it through [`RecentUse::new`] when the service holds them. An unreadable ledger only costs
/// the memory (logged), never the answer.
pub async fn view_context(svc: &Service, ctx: &CallContext) -> ViewContext {
    let opts = &ctx.opts;
    if opts.view.mode != ViewMode::Curated {
        return ViewContext::now(RecentUse::default());
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let ledger = Ledger::in_dir(&opts.cache_dir, svc.env().usage_max_bytes);
    let mut ids: Vec<String> =
        match usage::read(ledger, Some(now.saturating_sub(RECENT_WINDOW_MS)), None).await {
            Ok(read) => recent_models(&read.records, RECENT_LIMIT)
                .into_iter()
                .map(|r| r.model)
                .collect(),
            Err(e) => {
                tracing::debug!("curated view without usage memory: {e}");
                Vec::new()
            }
        };
    // The gateway's own usage (`/api/usage/analytics`), when a health reading already holds it:
    // bare model ids, matched as short forms. Never a network call here.
    if let Some(reading) = svc.peek_health(ctx) {
        ids.extend(
            reading
                .inputs
                .stats
                .iter()
                .filter(|s| s.requests > 0)
                .map(|s| s.model.clone()),
        );
    }
    ViewContext::now(RecentUse::new(ids))
}

/// Selections of the view options, per live catalogue and options (a host lists the same
/// catalogue often; a curated view of 10,000 models takes a few ms to choose).
static SELECTIONS: PerArc<Catalogue, Selection> = PerArc::new();

/// The view options' selection of a catalogue, memoised per options, day and usage memory.
pub fn selection(
    cat: &Arc<Catalogue>,
    opts: &Options,
    ctx: &ViewContext,
) -> (Arc<Selection>, String) {
    let key = format!(
        "{}|{}|{}",
        opts.view.fingerprint,
        ctx.today,
        ctx.recent.fingerprint()
    );
    let sel = SELECTIONS.get_or_build_keyed(cat, &key, |c| select(&c.models, &opts.view, ctx));
    (sel, key)
}

/// The result shape for a catalogue view; the view options apply unless `unfiltered`.
pub fn list_result(
    view: &CatalogView,
    opts: &Options,
    ctx: &ViewContext,
    unfiltered: bool,
) -> ModelsListResult {
    let cat = &view.catalogue;
    let (models, count, hidden) = if unfiltered || !opts.view.any_filter() {
        (cat.models_json(), cat.models.len(), Hidden::default())
    } else {
        let (sel, key) = selection(cat, opts, ctx);
        let json = cat.view(&format!("models|{key}"), |models| {
            models
                .iter()
                .zip(&sel.keep)
                .filter_map(|(m, k)| k.then_some(m))
                .collect::<Vec<&Model>>()
        });
        (json, sel.shown(), sel.hidden.clone())
    };
    ModelsListResult {
        models: Raw::new(models),
        count,
        hidden,
        base_url: crate::display::redact_url(&opts.base_url),
        origin: SourceInfo::of(view, []),
    }
}

/// The persisted-view kind of a `models.list` answer, when it may be persisted: the curated
/// view depends on the day and the usage ledger, so it is always chosen afresh.
fn list_view_kind(opts: &Options, unfiltered: bool) -> Option<&'static str> {
    if unfiltered || !opts.view.any_filter() {
        Some("models-all")
    } else if opts.view.mode != ViewMode::Curated {
        Some("models")
    } else {
        None
    }
}

/// What a persisted `models.list` view keeps beside the models.
#[derive(Serialize, Deserialize)]
struct ListMeta {
    count: usize,
    hidden: Hidden,
    /// The catalogue's own warnings (the call's are added when it is served).
    warnings: Vec<String>,
}

/// A `models.list` answer from a persisted view (`None` when its meta is unreadable).
fn list_from_disk(disk: DiskView, opts: &Options) -> Option<ModelsListResult> {
    let meta: ListMeta = serde_json::from_value(disk.meta).ok()?;
    Some(ModelsListResult {
        models: Raw::owned(disk.body),
        count: meta.count,
        hidden: meta.hidden,
        base_url: crate::display::redact_url(&opts.base_url),
        origin: SourceInfo::from_parts(
            crate::catalog::model::Source::Snapshot,
            Some(disk.fetched_at),
            disk.warnings.into_iter().chain(meta.warnings),
        ),
    })
}

super::call_params! {
/// `models.search` params: a query, a limit and the filters (each layered over the options).
pub struct ModelsSearchParams {
    /// What to look for in id, name, owner and family (case-insensitive; several words must
    /// all match). Empty: every model, in catalogue order.
    pub query: String,
    /// At most this many results (default 50, at most 1000).
    pub limit: Option<u32>,
    /// An allowlist for this search (same forms as the option `visibleModels`). Search skips the
    /// curated cut: it looks through everything the filters allow.
    pub visible_models: Option<Vec<String>>,
    /// As the option `hiddenModels`.
    pub hidden_models: Option<Vec<String>>,
    /// As the option `providersAllow`.
    pub providers_allow: Option<Vec<String>>,
    /// As the option `toolsOnly`.
    pub tools_only: Option<bool>,
    /// As the option `visionOnly`.
    pub vision_only: Option<bool>,
    /// As the option `freeOnly`.
    pub free_only: Option<bool>,
    /// true: search every model, no filter applied.
    pub unfiltered: Option<bool>,
    /// As in `models.list` (a picker passes false: answer from cache at once).
    pub refresh: Option<bool>,
}
}

/// One search result.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    /// The model.
    pub model: Model,
    /// Higher is better (1000 = the exact id).
    pub score: u32,
    /// How it matched: `exact`, `prefix`, `word`, `substring`, `fuzzy`, or `all` (empty query).
    #[serde(rename = "match")]
    pub matched: MatchKind,
}

/// `models.search` result.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelsSearchResult {
    /// Best first.
    pub results: Vec<SearchHit>,
    /// How many matched in all (before `limit`).
    pub total: usize,
    /// Models the filters left out of the search, by reason.
    pub hidden: Hidden,
    /// The gateway.
    #[serde(rename = "baseURL")]
    pub base_url: String,
    /// Where the catalogue came from.
    #[serde(flatten)]
    pub origin: SourceInfo,
}

/// Search indexes, one per live catalogue (built on the first search of a catalogue).
static SEARCH_INDEXES: PerArc<Catalogue, SearchIndex> = PerArc::new();

/// The search params' filters as an options layer over the call's `options`.
fn search_options(p: &ModelsSearchParams) -> Value {
    let mut layer = match &p.options {
        Some(Value::Object(o)) => o.clone(),
        _ => serde_json::Map::new(),
    };
    let mut set = |k: &str, v: Value| {
        layer.insert(k.to_string(), v);
    };
    if let Some(v) = &p.visible_models {
        // the call's own list narrows the search: an allowlist, whatever the session's view
        set("visibleModels", v.clone().into());
        set("view", "all".into());
    }
    if let Some(v) = &p.hidden_models {
        set("hiddenModels", v.clone().into());
    }
    if let Some(v) = &p.providers_allow {
        set("providersAllow", v.clone().into());
    }
    for (k, v) in [
        ("toolsOnly", p.tools_only),
        ("visionOnly", p.vision_only),
        ("freeOnly", p.free_only),
    ] {
        if let Some(b) = v {
            set(k, b.into());
        }
    }
    Value::Object(layer)
}

/// `models.search`: ranked results among the models the filters allow.
async fn search(svc: Arc<Service>, p: ModelsSearchParams) -> ModelsSearchResult {
    let layer = search_options(&p);
    let ctx = svc.context(Some(&layer), p.api_key.as_deref());
    let view = svc.catalogue(&ctx, freshness(p.refresh, &ctx.opts)).await;
    let cat = &view.catalogue;
    let index = SEARCH_INDEXES.get_or_build(cat, |c| SearchIndex::new(&c.models));
    let unfiltered = p.unfiltered.unwrap_or(false) || !ctx.opts.view.any_filter();
    let sel = (!unfiltered).then(|| {
        // no curated cut in search, so no usage memory needed
        let vctx = ViewContext::now(RecentUse::default());
        select_with(&cat.models, &ctx.opts.view, &vctx, false)
    });
    let limit = p.limit.unwrap_or(50).min(1000) as usize;
    let (found, total) = index.search(&p.query, sel.as_ref().map(|s| &s.keep[..]), limit);
    let results = found
        .into_iter()
        .filter_map(|f| {
            cat.models.get(f.index).map(|m| SearchHit {
                model: m.clone(),
                score: f.score,
                matched: f.kind,
            })
        })
        .collect();
    ModelsSearchResult {
        results,
        total,
        hidden: sel.map(|s| s.hidden).unwrap_or_default(),
        base_url: crate::display::redact_url(&ctx.opts.base_url),
        origin: SourceInfo::of(&view, []),
    }
}

/// Registers `models.list`, `models.refresh` and `models.search`.
pub fn register(api: &mut Api) {
    api.method(
        "models.list",
        "The enriched model catalogue with source, fetchedAt and warnings.",
        |svc: Arc<Service>, p: ModelsListParams| async move {
            let mut ctx = svc.context(p.options.as_ref(), p.api_key.as_deref());
            ctx.startup = p.startup.unwrap_or(false);
            let unfiltered = p.unfiltered.unwrap_or(false);
            let fresh = freshness(p.refresh, &ctx.opts);
            let kind = list_view_kind(&ctx.opts, unfiltered);
            if let (Freshness::CacheFirst, Some(kind)) = (fresh, kind) {
                if let Some(disk) = svc.view_from_disk(&ctx, kind).await {
                    if let Some(r) = list_from_disk(disk, &ctx.opts) {
                        return Ok(r);
                    }
                }
            }
            let view = svc.catalogue(&ctx, fresh).await;
            let vctx = view_context(&svc, &ctx).await;
            let result = list_result(&view, &ctx.opts, &vctx, unfiltered);
            if let Some(kind) = kind {
                let meta = ListMeta {
                    count: result.count,
                    hidden: result.hidden.clone(),
                    warnings: view.catalogue.warnings.clone(),
                };
                if let (Ok(meta), Some(models)) =
                    (serde_json::to_value(meta), result.models.shared())
                {
                    svc.persist_view(&ctx, &view, kind, models, meta);
                }
            }
            Ok(result)
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
            let vctx = view_context(&svc, &ctx).await;
            let mut list = list_result(&view, &ctx.opts, &vctx, p.unfiltered.unwrap_or(false));
            list.origin.warnings.extend(warnings);
            Ok(ModelsRefreshResult { list, diff: d })
        },
    );
    api.method(
        "models.search",
        "Ranked search over id, name, owner and family (exact id, prefix, word, fuzzy), with the filters applied.",
        |svc: Arc<Service>, p: ModelsSearchParams| async move { Ok(search(svc, p).await) },
    );
}

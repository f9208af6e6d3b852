//! Views over a built catalogue: which models a host is shown (filters and the curated view)
//! and ranked search for pickers. Pure functions over the catalogue's models: a view changes
//! what is shown, never the maths — `combos.resolve` and `capabilities.compute` keep reading
//! the whole catalogue.
//!
//! Order of the decisions for one model (the first that applies gives the reason it is hidden):
//! 1. `hiddenModels` matches → hidden (deny wins over everything);
//! 2. a literal `visibleModels` entry names it → shown, whatever the filters below say;
//! 3. `providersAllow` (not for combos), `toolsOnly`, `visionOnly`, `freeOnly`;
//! 4. the view: `"all"` with a non-empty `visibleModels` keeps what it matches (a combo also
//!    when one of its direct members matches, as OmniRoute's plugin does); `"curated"` keeps
//!    what [`curated`] chooses.

pub mod curated;
pub mod memo;
pub mod options;
pub mod pattern;
pub mod search;

use schemars::JsonSchema;
use serde::Serialize;

use crate::catalog::model::Model;
pub use options::{ViewMode, ViewOptions, ViewOptionsInput};
use pattern::{lower, Hit, IdPatterns};

/// Why a model is not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Matched `hiddenModels`.
    HiddenModels,
    /// Its provider is not in `providersAllow`.
    ProvidersAllow,
    /// `toolsOnly` and tool calling is not known to work.
    ToolsOnly,
    /// `visionOnly` and image input is not known to work.
    VisionOnly,
    /// `freeOnly` and it is not known to be free.
    FreeOnly,
    /// `view: "all"` with an allowlist that does not match it.
    VisibleModels,
    /// Curated view: deprecated by the gateway or models.dev.
    Deprecated,
    /// Curated view: a flat reasoning-effort variant of a listed model.
    Variant,
    /// Curated view: neither among the newest nor the fresh models of its owner.
    Curated,
}

/// How many models each reason hid (each hidden model counted once, under its first reason).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HiddenByReason {
    /// `hiddenModels`.
    pub hidden_models: usize,
    /// `providersAllow`.
    pub providers_allow: usize,
    /// `toolsOnly`.
    pub tools_only: usize,
    /// `visionOnly`.
    pub vision_only: usize,
    /// `freeOnly`.
    pub free_only: usize,
    /// `visibleModels` as an allowlist (`view: "all"`).
    pub visible_models: usize,
    /// Deprecated (curated view).
    pub deprecated: usize,
    /// Flat effort variants (curated view).
    pub variant: usize,
    /// Left out by the curated view's per-owner limits.
    pub curated: usize,
}

/// What a view left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Hidden {
    /// Models not shown.
    pub count: usize,
    /// The same, by reason.
    pub by_reason: HiddenByReason,
}

impl Hidden {
    fn add(&mut self, r: Reason) {
        self.count += 1;
        let b = &mut self.by_reason;
        *match r {
            Reason::HiddenModels => &mut b.hidden_models,
            Reason::ProvidersAllow => &mut b.providers_allow,
            Reason::ToolsOnly => &mut b.tools_only,
            Reason::VisionOnly => &mut b.vision_only,
            Reason::FreeOnly => &mut b.free_only,
            Reason::VisibleModels => &mut b.visible_models,
            Reason::Deprecated => &mut b.deprecated,
            Reason::Variant => &mut b.variant,
            Reason::Curated => &mut b.curated,
        } += 1;
    }
}

/// Models the user used recently, from every source the service knows: the local usage
/// ledger (catalogue ids) and the gateway's `/api/usage/analytics` (`model` / `rawModel`,
/// often without a prefix). An id with `/` matches exactly, one without by suffix — the same
/// short form as `visibleModels`; wildcards are taken literally.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecentUse {
    ids: IdPatterns,
    fingerprint: u64,
}

impl RecentUse {
    /// From ids of any of those sources.
    pub fn new<I, S>(ids: I) -> RecentUse
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        use std::hash::{Hash, Hasher};
        let mut list: Vec<String> = ids
            .into_iter()
            .map(|s| s.as_ref().trim().to_lowercase())
            .filter(|s| !s.is_empty())
            .collect();
        list.sort_unstable();
        list.dedup();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        list.hash(&mut h);
        RecentUse {
            ids: IdPatterns::literal(&list),
            fingerprint: if list.is_empty() { 0 } else { h.finish() },
        }
    }

    /// True when the lowercased catalogue id was used recently.
    pub fn contains(&self, id_lc: &str) -> bool {
        self.ids.matches(id_lc)
    }

    /// True when nothing is known.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The same for the same set of ids (0 when empty): part of a memoised view's key.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
}

/// What a view needs besides the models and options; the caller supplies it so that views stay
/// pure and testable.
#[derive(Debug, Clone, Default)]
pub struct ViewContext {
    /// Today, in days since 1970-01-01 (UTC).
    pub today: i64,
    /// Recently used models (kept by the curated view).
    pub recent: RecentUse,
}

impl ViewContext {
    /// Today's date from the system clock, with the given usage memory.
    pub fn now(recent: RecentUse) -> ViewContext {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        ViewContext {
            today: (secs / 86_400) as i64,
            recent,
        }
    }
}

/// The outcome of a view: one flag per catalogue model, in catalogue order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// `keep[i]`: model `i` is shown.
    pub keep: Vec<bool>,
    /// What was left out and why.
    pub hidden: Hidden,
}

impl Selection {
    /// Everything shown.
    pub fn all(n: usize) -> Selection {
        Selection {
            keep: vec![true; n],
            hidden: Hidden::default(),
        }
    }

    /// The shown models, cloned, in catalogue order.
    pub fn models(&self, models: &[Model]) -> Vec<Model> {
        models
            .iter()
            .zip(&self.keep)
            .filter(|(_, k)| **k)
            .map(|(m, _)| m.clone())
            .collect()
    }

    /// How many models are shown.
    pub fn shown(&self) -> usize {
        self.keep.iter().filter(|k| **k).count()
    }
}

/// Applies the options to the catalogue's models (the view of `models.list` and
/// `opencode.provider`).
pub fn select(models: &[Model], opts: &ViewOptions, ctx: &ViewContext) -> Selection {
    select_with(models, opts, ctx, true)
}

/// As [`select`]; with `curate` false the curated cut is skipped (search looks through
/// everything the filters allow; `visibleModels` is then not an allowlist either).
pub fn select_with(
    models: &[Model],
    opts: &ViewOptions,
    ctx: &ViewContext,
    curate: bool,
) -> Selection {
    if !opts.any_filter() {
        return Selection::all(models.len());
    }
    let ids: Vec<std::borrow::Cow<'_, str>> = models.iter().map(|m| lower(&m.id)).collect();
    let free_combos = if opts.free_only {
        free_combos(models)
    } else {
        Vec::new()
    };
    let mut decided: Vec<Option<Reason>> = Vec::with_capacity(models.len());
    // `true` = a literal visibleModels entry: shown, no further step
    let mut explicit = vec![false; models.len()];
    for (i, m) in models.iter().enumerate() {
        let r = prefilter(
            m,
            &ids[i],
            opts,
            free_combos.get(i).copied().unwrap_or(false),
        );
        match r {
            Ok(lit) => {
                explicit[i] = lit;
                decided.push(None);
            }
            Err(reason) => decided.push(Some(reason)),
        }
    }
    match (opts.mode, curate) {
        (ViewMode::All, _) if !opts.visible.is_empty() => {
            for (i, m) in models.iter().enumerate() {
                if decided[i].is_none() && !explicit[i] && !allowed(m, &ids[i], &opts.visible) {
                    decided[i] = Some(Reason::VisibleModels);
                }
            }
        }
        (ViewMode::Curated, true) => {
            let candidate: Vec<bool> = decided
                .iter()
                .zip(&explicit)
                .map(|(d, e)| d.is_none() && !e)
                .collect();
            let chosen = curated::curate(models, &ids, &candidate, &explicit, opts, ctx);
            for (i, c) in chosen.into_iter().enumerate() {
                if candidate[i] {
                    decided[i] = c;
                }
            }
        }
        _ => {}
    }
    let mut hidden = Hidden::default();
    let keep = decided
        .into_iter()
        .map(|d| match d {
            None => true,
            Some(r) => {
                hidden.add(r);
                false
            }
        })
        .collect();
    Selection { keep, hidden }
}

/// Steps 1–3: `Err(reason)` when hidden, `Ok(true)` when a literal `visibleModels` entry names
/// the model, `Ok(false)` when it goes on to the view step.
fn prefilter(m: &Model, id_lc: &str, opts: &ViewOptions, free_combo: bool) -> Result<bool, Reason> {
    if opts.hidden.matches(id_lc) {
        return Err(Reason::HiddenModels);
    }
    if opts.visible.find(id_lc) == Some(Hit::Literal) {
        return Ok(true);
    }
    if !opts.providers_allow.is_empty() && m.combo.is_none() && !provider_allowed(m, id_lc, opts) {
        return Err(Reason::ProvidersAllow);
    }
    if opts.tools_only && m.supports_tools != Some(true) {
        return Err(Reason::ToolsOnly);
    }
    if opts.vision_only && m.supports_vision != Some(true) {
        return Err(Reason::VisionOnly);
    }
    if opts.free_only && !is_free(m) && !free_combo {
        return Err(Reason::FreeOnly);
    }
    Ok(false)
}

fn provider_allowed(m: &Model, id_lc: &str, opts: &ViewOptions) -> bool {
    let id = id_lc.strip_prefix("omniroute/").unwrap_or(id_lc);
    let prefix = id.split_once('/').map(|(p, _)| p);
    opts.providers_allow.iter().any(|p| {
        prefix == Some(p.as_str())
            || m.owned_by
                .as_deref()
                .is_some_and(|o| o.eq_ignore_ascii_case(p))
    })
}

/// Known to cost nothing: the gateway marks it free, or both known prices are zero.
pub fn is_free(m: &Model) -> bool {
    m.free == Some(true)
        || m.pricing
            .as_ref()
            .is_some_and(|p| p.input == Some(0.0) && p.output == Some(0.0))
}

/// Combos whose every member (through nested combos) is known to be free: a combo has no price
/// of its own, so its freeness is computed from its members like its other capabilities.
fn free_combos(models: &[Model]) -> Vec<bool> {
    let index: std::collections::HashMap<&str, usize> = models
        .iter()
        .enumerate()
        .filter(|(_, m)| m.combo.is_some() || is_free(m))
        .map(|(i, m)| (m.id.as_str(), i))
        .collect();
    fn free(
        models: &[Model],
        index: &std::collections::HashMap<&str, usize>,
        i: usize,
        depth: u8,
    ) -> bool {
        let m = &models[i];
        match &m.combo {
            None => is_free(m),
            Some(c) => {
                depth < 8
                    && c.resolved
                    && !c.members.is_empty()
                    && c.members.iter().all(|x| {
                        index
                            .get(x.as_str())
                            .is_some_and(|&j| free(models, index, j, depth + 1))
                    })
            }
        }
    }
    (0..models.len())
        .map(|i| models[i].combo.is_some() && free(models, &index, i, 0))
        .collect()
}

/// The allowlist of `view: "all"`: the id matches, or for a combo one of its direct members.
fn allowed(m: &Model, id_lc: &str, visible: &IdPatterns) -> bool {
    visible.matches(id_lc)
        || m.combo
            .as_ref()
            .is_some_and(|c| c.members.iter().any(|x| visible.matches(&lower(x))))
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

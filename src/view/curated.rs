//! The curated view: a catalogue of 600–3,000 models cut down to what a person picks from.
//!
//! Among the models that passed the filters:
//! - kept: combos, models matched by `visibleModels`, recently used models, non-chat models
//!   (hosts classify those themselves), and alias twins whose alias is kept;
//! - left out: deprecated models (`status` from the gateway or models.dev) and flat
//!   reasoning-effort variants (`-low`, `-medium`, `-high`, `-xhigh`, `-minimal`, `-none`) of a
//!   model the catalogue lists; when only variants exist, one stands for the model
//!   (`-medium`, else `-high`, else the first by the order above);
//! - per owner (`owned_by`, else the id prefix): the newest `showcasePerOwner` models (by
//!   release date, ties by larger context, then id), plus up to `freshPerOwner` of the rest
//!   released or updated within `freshWindowDays`, newest first.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use super::pattern::FastHash;
use super::{Reason, ViewContext, ViewOptions};
use crate::catalog::model::{Model, ModelKind};

/// Effort suffixes, in the order a stand-in is preferred when the plain model is not listed.
const EFFORT_SUFFIXES: [&str; 6] = ["-medium", "-high", "-xhigh", "-low", "-minimal", "-none"];

/// Decides every candidate: `None` = kept, `Some(reason)` = left out. Entries that are not
/// candidates get `None` and must be ignored by the caller. `explicit` marks models a literal
/// `visibleModels` entry shows (they count as listed for the variant rule).
pub fn curate(
    models: &[Model],
    ids: &[Cow<'_, str>],
    candidate: &[bool],
    explicit: &[bool],
    opts: &ViewOptions,
    ctx: &ViewContext,
) -> Vec<Option<Reason>> {
    let n = models.len();
    let mut out: Vec<Option<Reason>> = vec![None; n];
    let listed: HashMap<&str, usize, FastHash> =
        ids.iter().enumerate().map(|(i, s)| (&**s, i)).collect();
    let mut twins: Vec<(usize, usize)> = Vec::new();
    // base id → (variant rank, index) of the variants whose base is not listed
    let mut orphans: HashMap<&str, Vec<(usize, usize)>, FastHash> = HashMap::default();
    let mut pool: Vec<usize> = Vec::new();
    for i in 0..n {
        if !candidate[i] {
            continue;
        }
        let m = &models[i];
        let id = &*ids[i];
        if m.combo.is_some()
            || m.kind != ModelKind::Chat
            || opts.visible.matches(id)
            || ctx.recent.contains(id)
        {
            continue;
        }
        if let Some(alias) = m.alias_of.as_deref() {
            if let Some(&a) = listed.get(&*super::pattern::lower(alias)) {
                if candidate[a] && a != i {
                    twins.push((i, a));
                    continue;
                }
            }
        }
        if m.status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("deprecated"))
        {
            out[i] = Some(Reason::Deprecated);
            continue;
        }
        if let Some((base, rank)) = effort_variant(id) {
            if listed
                .get(base)
                .is_some_and(|&b| candidate[b] || explicit[b])
            {
                out[i] = Some(Reason::Variant);
            } else {
                orphans.entry(base).or_default().push((rank, i));
            }
            continue;
        }
        pool.push(i);
    }
    for (_, mut group) in orphans {
        group.sort_unstable();
        pool.push(group[0].1);
        for &(_, i) in &group[1..] {
            out[i] = Some(Reason::Variant);
        }
    }

    let mut by_owner: HashMap<Cow<'_, str>, Vec<usize>, FastHash> = HashMap::default();
    for i in pool {
        by_owner
            .entry(owner(&models[i], &ids[i]))
            .or_default()
            .push(i);
    }
    let fresh_since = ctx.today - i64::from(opts.fresh_window_days);
    for (_, group) in by_owner {
        // (release, newest of release and update, index), dates parsed once
        let mut group: Vec<(Option<i64>, Option<i64>, usize)> = group
            .into_iter()
            .map(|i| {
                let m = &models[i];
                let released = date(m.release_date.as_deref());
                (released, released.max(date(m.last_updated.as_deref())), i)
            })
            .collect();
        group.sort_by(|&(ra, _, a), &(rb, _, b)| {
            rb.cmp(&ra)
                .then(models[b].context_window.cmp(&models[a].context_window))
                .then(ids[a].cmp(&ids[b]))
        });
        let rest = group.split_off(group.len().min(opts.showcase_per_owner));
        let mut fresh: Vec<(i64, usize)> = Vec::new();
        for (_, newest, i) in rest {
            match newest {
                Some(d) if d >= fresh_since => fresh.push((d, i)),
                _ => out[i] = Some(Reason::Curated),
            }
        }
        fresh.sort_by(|a, b| b.0.cmp(&a.0).then(ids[a.1].cmp(&ids[b.1])));
        for &(_, i) in fresh.iter().skip(opts.fresh_per_owner) {
            out[i] = Some(Reason::Curated);
        }
    }
    // a twin follows its alias (the same model under another prefix)
    for (twin, alias) in twins {
        out[twin] = out[alias];
    }
    out
}

/// The owner a model is grouped under: `owned_by`, else the id's first segment.
fn owner<'a>(m: &'a Model, id_lc: &'a str) -> Cow<'a, str> {
    match m.owned_by.as_deref().filter(|o| !o.is_empty()) {
        Some(o) => super::pattern::lower(o),
        None => {
            let id = id_lc.strip_prefix("omniroute/").unwrap_or(id_lc);
            Cow::Borrowed(id.split_once('/').map_or("", |(p, _)| p))
        }
    }
}

/// `Some((base id, preference rank))` when the id's last segment ends in an effort suffix.
pub fn effort_variant(id_lc: &str) -> Option<(&str, usize)> {
    let last = id_lc.rsplit('/').next().unwrap_or(id_lc);
    EFFORT_SUFFIXES.iter().enumerate().find_map(|(rank, s)| {
        (last.len() > s.len() && last.ends_with(s)).then(|| (&id_lc[..id_lc.len() - s.len()], rank))
    })
}

/// Days since 1970-01-01 of `YYYY-MM-DD` (also `YYYY-MM`, `YYYY`, or a timestamp starting with
/// a date); `None` when unreadable.
pub fn date(s: Option<&str>) -> Option<i64> {
    let s = s?.trim();
    let mut parts = s.get(..s.len().min(10))?.splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = match parts.next() {
        Some(p) => p.parse().ok()?,
        None => 1,
    };
    let d: u32 = match parts.next() {
        Some(p) => p.parse().ok()?,
        None => 1,
    };
    if !(1900..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// Howard Hinnant's days-from-civil (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Ids of a selection's kept models, for tests and hosts that log them.
pub fn kept_ids<'a>(models: &'a [Model], keep: &[bool]) -> HashSet<&'a str> {
    models
        .iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(m, _)| m.id.as_str())
        .collect()
}

//! Unit tests of the filters and the curated view.

use serde_json::json;

use super::curated::{date, effort_variant, kept_ids};
use super::*;
use crate::catalog::model::{ComboInfo, ModelKind, Pricing};

fn opts(v: serde_json::Value) -> ViewOptions {
    let mut w = Vec::new();
    let o = ViewOptions::parse(v.as_object().expect("object"), &mut w);
    assert!(w.is_empty(), "{w:?}");
    o
}

fn model(id: &str) -> Model {
    Model {
        id: id.into(),
        name: id.into(),
        owned_by: id.split_once('/').map(|(p, _)| p.to_string()),
        ..Model::default()
    }
}

fn with(id: &str, f: impl FnOnce(&mut Model)) -> Model {
    let mut m = model(id);
    f(&mut m);
    m
}

fn combo(id: &str, members: &[&str]) -> Model {
    with(id, |m| {
        m.owned_by = Some("combo".into());
        m.combo = Some(ComboInfo {
            strategy: None,
            members: members.iter().map(|s| s.to_string()).collect(),
            resolved: true,
        })
    })
}

fn ctx() -> ViewContext {
    ViewContext {
        today: date(Some("2026-07-01")).expect("date"),
        recent: RecentUse::default(),
    }
}

fn shown(models: &[Model], o: &ViewOptions, c: &ViewContext) -> Vec<String> {
    let s = select(models, o, c);
    assert_eq!(s.hidden.count + s.shown(), models.len());
    let mut v: Vec<String> = kept_ids(models, &s.keep)
        .into_iter()
        .map(String::from)
        .collect();
    v.sort();
    v
}

#[test]
fn no_options_keep_everything_without_work() {
    let ms = vec![model("a/x"), model("b/y")];
    let s = select(&ms, &ViewOptions::default(), &ctx());
    assert_eq!(s, Selection::all(2));
}

#[test]
fn hidden_wins_over_an_exact_visible_entry() {
    let ms = vec![model("cx/gpt-5"), model("cx/o3")];
    let o = opts(json!({"visibleModels": ["cx/gpt-5", "cx/o3"], "hiddenModels": ["gpt-5"]}));
    assert_eq!(shown(&ms, &o, &ctx()), ["cx/o3"]);
    assert_eq!(select(&ms, &o, &ctx()).hidden.by_reason.hidden_models, 1);
}

#[test]
fn a_literal_visible_entry_beats_every_capability_filter() {
    let ms = vec![
        model("cx/plain"),
        with("cx/tooly", |m| m.supports_tools = Some(true)),
        model("gh/listed"),
    ];
    let o = opts(
        json!({"visibleModels": ["gh/listed", "cx/*"], "toolsOnly": true,
        "providersAllow": ["cx"], "freeOnly": false}),
    );
    // the glob is subject to toolsOnly; the literal entry is not (nor to providersAllow)
    assert_eq!(shown(&ms, &o, &ctx()), ["cx/tooly", "gh/listed"]);
}

#[test]
fn allowlist_in_view_all_with_short_forms_and_combos() {
    let ms = vec![
        model("cc/claude-opus-4-7"),
        model("claude/claude-opus-4-7"),
        model("cx/gpt-5"),
        combo("my-combo", &["cx/gpt-5", "cc/claude-opus-4-7"]),
        combo("other", &["ds/deepseek-v3"]),
    ];
    let o = opts(json!({"visibleModels": ["claude-opus-4-7"]}));
    let s = select(&ms, &o, &ctx());
    assert_eq!(
        shown(&ms, &o, &ctx()),
        ["cc/claude-opus-4-7", "claude/claude-opus-4-7", "my-combo"]
    );
    assert_eq!(s.hidden.by_reason.visible_models, 2);
}

#[test]
fn star_means_everything() {
    let ms = vec![model("a/x"), model("b/y")];
    assert_eq!(
        shown(&ms, &opts(json!({"visibleModels": ["*"]})), &ctx()).len(),
        2
    );
    assert!(shown(&ms, &opts(json!({"hiddenModels": ["*"]})), &ctx()).is_empty());
}

#[test]
fn providers_allow_uses_prefix_or_owner_and_spares_combos() {
    let ms = vec![
        model("cx/gpt-5"),
        with("kimi-coding-apikey/k2", |m| {
            m.owned_by = Some("kmca".into())
        }),
        model("gh/gpt-5"),
        model("omniroute/cx/o3"),
        combo("team/fast", &["gh/gpt-5"]),
    ];
    let o = opts(json!({"providersAllow": ["cx", "KMCA"]}));
    assert_eq!(
        shown(&ms, &o, &ctx()),
        [
            "cx/gpt-5",
            "kimi-coding-apikey/k2",
            "omniroute/cx/o3",
            "team/fast"
        ]
    );
}

#[test]
fn capability_filters_need_known_true_and_combos_use_their_own_flags() {
    let ms = vec![
        with("a/tools", |m| m.supports_tools = Some(true)),
        with("a/notools", |m| m.supports_tools = Some(false)),
        model("a/unknown"),
        with("a/vision", |m| {
            m.supports_tools = Some(true);
            m.supports_vision = Some(true)
        }),
        with("c", |m| {
            *m = combo("c", &["a/notools"]);
            m.supports_tools = Some(true);
        }),
    ];
    let o = opts(json!({"toolsOnly": true}));
    assert_eq!(shown(&ms, &o, &ctx()), ["a/tools", "a/vision", "c"]);
    let o = opts(json!({"toolsOnly": true, "visionOnly": true}));
    let s = select(&ms, &o, &ctx());
    assert_eq!(shown(&ms, &o, &ctx()), ["a/vision"]);
    assert_eq!(
        (
            s.hidden.by_reason.tools_only,
            s.hidden.by_reason.vision_only
        ),
        (2, 2)
    );
}

#[test]
fn free_means_known_zero_prices_or_a_gateway_mark() {
    let price = |i: f64, o: f64| {
        Some(Pricing {
            input: Some(i),
            output: Some(o),
            ..Pricing::default()
        })
    };
    let ms = vec![
        with("a/zero", |m| m.pricing = price(0.0, 0.0)),
        with("a/half", |m| m.pricing = price(0.0, 1.0)),
        with("a/marked", |m| m.free = Some(true)),
        model("a/unknown"),
        with("a/input-only", |m| {
            m.pricing = Some(Pricing {
                input: Some(0.0),
                ..Pricing::default()
            })
        }),
    ];
    let o = opts(json!({"freeOnly": true}));
    assert_eq!(shown(&ms, &o, &ctx()), ["a/marked", "a/zero"]);
    assert_eq!(select(&ms, &o, &ctx()).hidden.by_reason.free_only, 3);
}

#[test]
fn each_hidden_model_is_counted_once_under_its_first_reason() {
    let ms = vec![model("gh/x"), model("cx/y")];
    let o = opts(json!({"hiddenModels": ["gh/*"], "providersAllow": ["cx"], "toolsOnly": true}));
    let s = select(&ms, &o, &ctx());
    assert_eq!(s.hidden.count, 2);
    assert_eq!(s.hidden.by_reason.hidden_models, 1);
    assert_eq!(s.hidden.by_reason.providers_allow, 0);
    assert_eq!(s.hidden.by_reason.tools_only, 1);
}

fn dated(id: &str, release: &str, ctxw: u64) -> Model {
    with(id, |m| {
        m.release_date = Some(release.into());
        m.context_window = Some(ctxw);
    })
}

#[test]
fn curated_keeps_the_newest_per_owner_then_fresh_ones() {
    let mut ms = Vec::new();
    // owner `o`: 5 old models and 3 fresh ones; showcase 2, fresh 2
    for (i, d) in [
        "2020-01-01",
        "2021-01-01",
        "2022-01-01",
        "2023-01-01",
        "2024-01-01",
    ]
    .iter()
    .enumerate()
    {
        ms.push(dated(&format!("o/old{i}"), d, 1000));
    }
    ms.push(dated("o/new-a", "2026-06-20", 1000));
    ms.push(dated("o/new-b", "2026-06-01", 1000));
    ms.push(dated("o/new-c", "2026-05-01", 1000));
    // updated recently though released long ago
    ms.push(with("o/refreshed", |m| {
        m.release_date = Some("2019-01-01".into());
        m.last_updated = Some("2026-06-30".into());
    }));
    ms.push(model("o/undated"));
    let o = opts(json!({"view": "curated", "showcasePerOwner": 2, "freshPerOwner": 2}));
    let s = select(&ms, &o, &ctx());
    assert_eq!(
        shown(&ms, &o, &ctx()),
        ["o/new-a", "o/new-b", "o/new-c", "o/refreshed"]
    );
    assert_eq!(s.hidden.by_reason.curated, 6);
}

#[test]
fn curated_ties_by_larger_context_and_owner_falls_back_to_prefix() {
    let ms = vec![
        with("p/small", |m| {
            *m = dated("p/small", "2025-01-01", 8_000);
            m.owned_by = None;
        }),
        with("p/big", |m| {
            *m = dated("p/big", "2025-01-01", 200_000);
            m.owned_by = None;
        }),
    ];
    let o = opts(json!({"view": "curated", "showcasePerOwner": 1, "freshPerOwner": 0}));
    assert_eq!(shown(&ms, &o, &ctx()), ["p/big"]);
}

#[test]
fn curated_drops_deprecated_and_variants_but_keeps_combos_recent_and_listed() {
    let ms = vec![
        dated("cx/gpt-5", "2025-08-01", 400_000),
        dated("cx/gpt-5-high", "2025-08-01", 400_000),
        dated("cx/gpt-5-minimal", "2025-08-01", 400_000),
        with("cx/gpt-4", |m| {
            *m = dated("cx/gpt-4", "2023-03-01", 8_000);
            m.status = Some("Deprecated".into());
        }),
        // only variants listed: one stands in (medium first)
        dated("cx/o9-low", "2025-01-01", 1),
        dated("cx/o9-medium", "2025-01-01", 1),
        dated("cx/o9-high", "2025-01-01", 1),
        dated("cx/old", "2020-01-01", 1),
        dated("cx/older", "2019-01-01", 1),
        combo("fast", &["cx/gpt-4", "cx/older"]),
        with("openai/tts", |m| m.kind = ModelKind::Audio),
    ];
    let mut c = ctx();
    c.recent = RecentUse::new(["older"]);
    let o = opts(
        json!({"view": "curated", "showcasePerOwner": 2, "freshPerOwner": 0,
        "visibleModels": ["cx/old"]}),
    );
    let s = select(&ms, &o, &c);
    assert_eq!(
        shown(&ms, &o, &c),
        [
            "cx/gpt-5",
            "cx/o9-medium",
            "cx/old",
            "cx/older",
            "fast",
            "openai/tts"
        ]
    );
    assert_eq!(s.hidden.by_reason.deprecated, 1);
    assert_eq!(s.hidden.by_reason.variant, 4);
    assert_eq!(s.hidden.by_reason.curated, 0);
}

#[test]
fn curated_visible_globs_add_but_stay_subject_to_filters() {
    let ms = vec![
        dated("a/new", "2026-01-01", 1),
        dated("a/old", "2020-01-01", 1),
        with("a/old-tools", |m| {
            *m = dated("a/old-tools", "2019-01-01", 1);
            m.supports_tools = Some(true);
        }),
    ];
    let o = opts(
        json!({"view": "curated", "showcasePerOwner": 1, "freshPerOwner": 0,
        "visibleModels": ["a/old*"]}),
    );
    assert_eq!(shown(&ms, &o, &ctx()), ["a/new", "a/old", "a/old-tools"]);
    let o = opts(
        json!({"view": "curated", "showcasePerOwner": 1, "freshPerOwner": 0,
        "visibleModels": ["a/old*"], "toolsOnly": true}),
    );
    assert_eq!(shown(&ms, &o, &ctx()), ["a/old-tools"]);
}

#[test]
fn alias_twins_follow_their_alias_in_the_curated_view() {
    let ms = vec![
        dated("kmca/k2", "2020-01-01", 1),
        with("kimi-coding-apikey/k2", |m| {
            *m = dated("kimi-coding-apikey/k2", "2020-01-01", 1);
            m.alias_of = Some("kmca/k2".into());
            m.owned_by = Some("kmca".into());
        }),
        dated("kmca/k3", "2026-01-01", 1),
    ];
    let o = opts(json!({"view": "curated", "showcasePerOwner": 1, "freshPerOwner": 0}));
    assert_eq!(shown(&ms, &o, &ctx()), ["kmca/k3"]);
    let o = opts(json!({"view": "curated", "showcasePerOwner": 2, "freshPerOwner": 0}));
    assert_eq!(shown(&ms, &o, &ctx()).len(), 3);
}

#[test]
fn search_selection_skips_the_curated_cut() {
    let ms = vec![
        dated("a/new", "2026-01-01", 1),
        dated("a/old", "2020-01-01", 1),
    ];
    let o = opts(json!({"view": "curated", "showcasePerOwner": 1, "freshPerOwner": 0}));
    assert_eq!(shown(&ms, &o, &ctx()), ["a/new"]);
    assert_eq!(select_with(&ms, &o, &ctx(), false).shown(), 2);
}

#[test]
fn effort_variants_and_dates() {
    assert_eq!(effort_variant("cx/gpt-5-xhigh"), Some(("cx/gpt-5", 2)));
    assert_eq!(effort_variant("cx/gpt-5-high"), Some(("cx/gpt-5", 1)));
    assert_eq!(effort_variant("cx/-high"), None);
    assert_eq!(effort_variant("cx/claude-thinking"), None);
    assert_eq!(effort_variant("a-high/x"), None);
    assert_eq!(date(Some("1970-01-01")), Some(0));
    assert_eq!(date(Some("2000-03-01")), Some(11_017));
    assert_eq!(date(Some("2024-02")), date(Some("2024-02-01")));
    assert_eq!(date(Some("2025-06-01T12:00:00Z")), date(Some("2025-06-01")));
    assert_eq!(date(Some("soon")), None);
    assert_eq!(date(Some("2025-13-01")), None);
    assert_eq!(date(None), None);
}

#[test]
fn a_combo_is_free_when_all_its_members_are_nested_ones_too() {
    let zero = || {
        Some(Pricing {
            input: Some(0.0),
            output: Some(0.0),
            ..Pricing::default()
        })
    };
    let ms = vec![
        with("a/free", |m| m.pricing = zero()),
        with("a/marked", |m| m.free = Some(true)),
        model("a/paid"),
        combo("all-free", &["a/free", "a/marked"]),
        combo("nested-free", &["all-free", "a/free"]),
        combo("mixed", &["a/free", "a/paid"]),
        combo("ghost", &["a/free", "x/unknown"]),
        combo("loop", &["loop"]),
    ];
    let o = opts(json!({"freeOnly": true}));
    assert_eq!(
        shown(&ms, &o, &ctx()),
        ["a/free", "a/marked", "all-free", "nested-free"]
    );
}

#[test]
fn recent_use_fingerprint_ignores_order_case_and_duplicates() {
    let a = RecentUse::new(["CX/gpt-5", "o3", "o3"]);
    let b = RecentUse::new(["o3", "cx/gpt-5"]);
    assert_eq!(a.fingerprint(), b.fingerprint());
    assert_ne!(a.fingerprint(), RecentUse::new(["o3"]).fingerprint());
    assert_eq!(RecentUse::default().fingerprint(), 0);
    assert!(a.contains("cx/gpt-5") && a.contains("openai/o3") && !a.contains("cx/o3-mini"));
}

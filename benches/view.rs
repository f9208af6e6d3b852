//! In-process figures for the views (criterion): building the search index, ranked search
//! queries of every kind, and the filters / curated view, on generated catalogues of 3,000 and
//! 10,000 models (see `support::generate`), enriched from the models.dev fixture.
//!
//! `cargo bench --bench view`. Prints the curated view's size for each catalogue first.

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use serde_json::{json, Value};

use omniroute_rpc::catalog::combos::parse_combos_body;
use omniroute_rpc::catalog::matcher::Matcher;
use omniroute_rpc::catalog::normalise::parse_models_body;
use omniroute_rpc::catalog::pipeline::{Catalogue, Inputs};
use omniroute_rpc::modelsdev::index::DevIndex;
use omniroute_rpc::view::curated::date;
use omniroute_rpc::view::search::SearchIndex;
use omniroute_rpc::view::{select, select_with, RecentUse, ViewContext, ViewOptions};

const SIZES: [usize; 2] = [3_000, 10_000];

fn catalogue(n: usize, fixture: &Value, dev: &Arc<DevIndex>) -> Catalogue {
    let g = support::generate(n, fixture, 42);
    let (gateway, _) = parse_models_body(&g.models).expect("models body");
    let (combos, _) = parse_combos_body(&g.combos).expect("combos body");
    Catalogue::build(Inputs {
        gateway: &gateway,
        combos: Some(&combos),
        dev: Some(dev.clone()),
        matcher: Arc::new(Matcher::new(&BTreeMap::new())),
        overrides: &[],
        extras: None,
    })
}

fn opts(v: Value) -> ViewOptions {
    let mut w = Vec::new();
    let o = ViewOptions::parse(v.as_object().expect("object"), &mut w);
    assert!(w.is_empty(), "{w:?}");
    o
}

fn benches(c: &mut Criterion) {
    let bytes = support::fixture_bytes();
    let fixture: Value = serde_json::from_slice(&bytes).expect("fixture JSON");
    let dev = Arc::new(DevIndex::parse(&bytes).expect("fixture parses"));
    // the fixture is the models.dev data of 2026-07-02: "today" for the fresh window
    let ctx = ViewContext {
        today: date(Some("2026-07-02")).expect("date"),
        recent: RecentUse::new(["cx/gpt-4.1-mini", "claude-sonnet-4-5"]),
    };
    let curated = opts(json!({"view": "curated"}));
    let filters = opts(
        json!({"toolsOnly": true, "providersAllow": ["cx", "cc", "openrouter"],
        "hiddenModels": ["*-preview*", "openrouter/meta-llama/*"]}),
    );
    let allowlist = opts(
        json!({"visibleModels": ["cx/*", "claude-sonnet-4*", "gemini-2.5-pro",
        "*codex*"]}),
    );

    for n in SIZES {
        let cat = catalogue(n, &fixture, &dev);
        let models = &cat.models;
        let chat = models
            .iter()
            .filter(|m| m.kind == omniroute_rpc::catalog::model::ModelKind::Chat)
            .count();
        let sel = select(models, &curated, &ctx);
        eprintln!(
            "catalogue {n}: {} models ({chat} chat); curated view shows {} ({:?})",
            models.len(),
            sel.shown(),
            sel.hidden.by_reason
        );
        eprintln!(
            "catalogue {n}: filters show {}; allowlist shows {}",
            select(models, &filters, &ctx).shown(),
            select(models, &allowlist, &ctx).shown()
        );

        let mut g = c.benchmark_group(format!("view-{n}"));
        g.sample_size(30)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        g.bench_function("SearchIndex::new", |b| {
            b.iter(|| SearchIndex::new(black_box(models)))
        });
        let index = SearchIndex::new(models);
        let exact = models
            .iter()
            .find(|m| m.id.starts_with("cx/"))
            .map(|m| m.id.clone())
            .unwrap_or_else(|| models[0].id.clone());
        let queries: [(&str, &str); 7] = [
            ("exact-id", exact.as_str()),
            ("prefix", "claude-son"),
            ("word", "sonnet"),
            ("words", "claude sonnet 4"),
            ("fuzzy", "gpt5mini"),
            ("one-letter", "o"),
            ("miss", "zzqx"),
        ];
        for (name, q) in queries {
            g.bench_function(BenchmarkId::new("search", name), |b| {
                b.iter(|| index.search(black_box(q), None, 50))
            });
        }
        let allowed = select_with(models, &filters, &ctx, false).keep;
        g.bench_function(BenchmarkId::new("search", "word+filters"), |b| {
            b.iter(|| index.search(black_box("sonnet"), Some(&allowed), 50))
        });
        for (name, o) in [
            ("curated", &curated),
            ("filters", &filters),
            ("allowlist", &allowlist),
        ] {
            g.bench_function(BenchmarkId::new("select", name), |b| {
                b.iter(|| select(black_box(models), o, &ctx))
            });
        }
        g.finish();
    }
}

criterion_group!(view, benches);
criterion_main!(view);

//! In-process figures for the catalogue pipeline (criterion): models.dev parse + index, one
//! matcher lookup, gateway body parse + normalise, `Catalogue::build`, the models JSON, the
//! OpenCode view, the disk snapshot read and the capability maths, for generated catalogues of
//! 100 / 1,000 / 3,000 / 10,000 models (see `support::generate`).
//!
//! `cargo bench --bench pipeline` (bench/run.sh runs it with short measurement times).

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use serde_json::{json, Value};

use omniroute_rpc::catalog::combos::{parse_combos_body, ComboDef};
use omniroute_rpc::catalog::matcher::Matcher;
use omniroute_rpc::catalog::normalise::{parse_models_body, GatewayModel};
use omniroute_rpc::catalog::opencode::provider_block;
use omniroute_rpc::catalog::pipeline::{Catalogue, Inputs};
use omniroute_rpc::gateway::GatewayData;
use omniroute_rpc::modelsdev::index::DevIndex;
use omniroute_rpc::options::Options;
use omniroute_rpc::store::disk;

struct Fixture {
    bytes: Vec<u8>,
    value: Value,
    dev: Arc<DevIndex>,
    matcher: Arc<Matcher>,
}

fn fixture() -> Fixture {
    let bytes = support::fixture_bytes();
    let value: Value = serde_json::from_slice(&bytes).expect("fixture JSON");
    let dev = Arc::new(DevIndex::parse(&bytes).expect("fixture parses"));
    Fixture {
        bytes,
        value,
        dev,
        matcher: Arc::new(Matcher::new(&BTreeMap::new())),
    }
}

struct Sized {
    n: usize,
    generated: support::Generated,
    models_bytes: Vec<u8>,
    combos_bytes: Vec<u8>,
    gateway: Vec<GatewayModel>,
    combos: Vec<ComboDef>,
}

fn sized(f: &Fixture) -> Vec<Sized> {
    support::SIZES
        .iter()
        .map(|&n| {
            let generated = support::generate(n, &f.value, 42);
            let (gateway, _) = parse_models_body(&generated.models).expect("models body");
            let (combos, _) = parse_combos_body(&generated.combos).expect("combos body");
            Sized {
                n,
                models_bytes: generated.models_bytes(),
                combos_bytes: generated.combos_bytes(),
                generated,
                gateway,
                combos,
            }
        })
        .collect()
}

fn build(f: &Fixture, s: &Sized) -> Catalogue {
    Catalogue::build(Inputs {
        extras: None,
        gateway: &s.gateway,
        combos: Some(&s.combos),
        dev: Some(f.dev.clone()),
        matcher: f.matcher.clone(),
        overrides: &[],
    })
}

fn benches(c: &mut Criterion) {
    let f = fixture();
    let sizes = sized(&f);

    // models.dev: parse + index of the 2.4 MB snapshot
    {
        let mut g = c.benchmark_group("modelsdev");
        g.throughput(Throughput::Bytes(f.bytes.len() as u64));
        g.bench_function("DevIndex::parse", |b| {
            b.iter(|| DevIndex::parse(black_box(&f.bytes)).expect("parse"))
        });
        g.finish();
    }

    // matcher: single lookups by rule, and every chat id of the 3,000 catalogue
    {
        let mut g = c.benchmark_group("matcher");
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("alias-exact", "cx/gpt-4.1-mini", Some("cx")),
            (
                "gemini-models-prefix",
                "gemini/models/gemini-2.5-flash-lite",
                Some("gemini"),
            ),
            (
                "variant-stripped",
                "cc/claude-3-7-sonnet-20250219-thinking",
                None,
            ),
            ("unknown-prefix-global", "myproxy/gpt-4.1-mini", None),
            ("miss-global", "nolab/no-such-model-7b", None),
        ];
        for (name, id, owned) in cases {
            g.bench_function(BenchmarkId::new("find", name), |b| {
                b.iter(|| {
                    let out = f.matcher.find(&f.dev, black_box(id), *owned);
                    black_box(out.model().is_some())
                })
            });
        }
        let s3k = &sizes[2];
        let ids: Vec<(&str, Option<&str>)> = s3k
            .gateway
            .iter()
            .map(|m| (m.id.as_str(), m.owned_by.as_deref()))
            .collect();
        g.throughput(Throughput::Elements(ids.len() as u64));
        g.bench_function(BenchmarkId::new("find-all", s3k.n), |b| {
            b.iter(|| {
                let mut hits = 0usize;
                for (id, owned) in &ids {
                    if f.matcher.find(&f.dev, id, *owned).model().is_some() {
                        hits += 1;
                    }
                }
                black_box(hits)
            })
        });
        g.finish();
    }

    // gateway bodies: JSON parse + normalise (what a live fetch does after the bytes arrive)
    {
        let mut g = c.benchmark_group("gateway-parse");
        for s in &sizes {
            g.throughput(Throughput::Elements(s.n as u64));
            g.bench_with_input(BenchmarkId::from_parameter(s.n), s, |b, s| {
                b.iter(|| {
                    let models: Value = serde_json::from_slice(&s.models_bytes).expect("json");
                    let combos: Value = serde_json::from_slice(&s.combos_bytes).expect("json");
                    let (m, _) = parse_models_body(&models).expect("models");
                    let (c, _) = parse_combos_body(&combos).expect("combos");
                    black_box((m.len(), c.len()))
                })
            });
        }
        g.finish();
    }

    // the pipeline proper: match + merge + alias twins + combos + overrides
    {
        let mut g = c.benchmark_group("Catalogue::build");
        for s in &sizes {
            g.throughput(Throughput::Elements(s.n as u64));
            g.bench_with_input(BenchmarkId::from_parameter(s.n), s, |b, s| {
                b.iter(|| black_box(build(&f, s).models.len()))
            });
        }
        g.finish();
    }

    // serialization of the models JSON (what models.list sends; memoised per catalogue)
    {
        let mut g = c.benchmark_group("models-json");
        for s in &sizes {
            let cat = build(&f, s);
            g.throughput(Throughput::Elements(s.n as u64));
            g.bench_with_input(BenchmarkId::from_parameter(s.n), &cat, |b, cat| {
                b.iter(|| {
                    let raw = serde_json::value::to_raw_value(&cat.models).expect("json");
                    black_box(raw.get().len())
                })
            });
        }
        g.finish();
    }

    // the OpenCode view: provider_block + its serialization
    {
        let opts = Options::parse(&[&json!({})], &omniroute_rpc::env::Env::default()).0;
        let mut g = c.benchmark_group("opencode-provider");
        for s in &sizes {
            let cat = build(&f, s);
            g.throughput(Throughput::Elements(s.n as u64));
            g.bench_with_input(BenchmarkId::from_parameter(s.n), &cat, |b, cat| {
                b.iter(|| {
                    let block = provider_block(&cat.models, &opts.base_url, opts.api_mode);
                    black_box(serde_json::to_vec(&block).expect("json").len())
                })
            });
        }
        g.finish();
    }

    // disk snapshot read (fs read + deserialize), the first step of a snapshot-warm start
    {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = "http://127.0.0.1:1/v1";
        let mut g = c.benchmark_group("snapshot-read");
        for s in &sizes {
            let path = dir.path().join(format!("catalog-{}.json", s.n));
            let data = GatewayData {
                models: std::sync::Arc::new(s.gateway.clone()),
                validators: Default::default(),
                list_warnings: Vec::new(),
                combos: Some(s.combos.clone()),
                combos_endpoint: Some(format!("{base}/combos")),
                warnings: Vec::new(),
                extras: None,
            };
            disk::write_snapshot(&path, base, SystemTime::now(), &data).expect("write");
            g.throughput(Throughput::Elements(s.n as u64));
            g.bench_with_input(BenchmarkId::from_parameter(s.n), &path, |b, path| {
                b.iter(|| {
                    let snap = disk::read_snapshot(path, base).expect("read");
                    black_box(snap.map_or(0, |s| s.data.models.len()))
                })
            });
        }
        g.finish();
    }

    // capability maths on a built 3,000 catalogue
    {
        let s = &sizes[2];
        let cat = build(&f, s);
        let gen = &s.generated;
        let combo = vec![gen.combo_names[gen.combo_names.len() / 2].clone()];
        let list = vec![
            gen.chat_ids[1].clone(),
            gen.chat_ids[100].clone(),
            gen.combo_names[3].clone(),
        ];
        let mut g = c.benchmark_group("capabilities_of");
        g.bench_function("combo", |b| {
            b.iter(|| black_box(cat.capabilities_of(black_box(&combo))))
        });
        g.bench_function("list-of-3", |b| {
            b.iter(|| black_box(cat.capabilities_of(black_box(&list))))
        });
        g.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1200))
        .without_plots()
        .configure_from_args()
}

criterion_group! {
    name = pipeline;
    config = config();
    targets = benches
}
criterion_main!(pipeline);

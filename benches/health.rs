//! The cost of `models.health` for 3,000 models (issue 15): a cold answer derives every
//! model's health from a fresh reading (breakers, lockouts, connections, statistics indexed
//! once) and serializes the result; a cached answer is the memoised map, cloned and
//! serialized. The management API round trip itself is loopback I/O, measured separately by
//! the e2e run. `cargo bench --bench health`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use omniroute_rpc::catalog::matcher::Matcher;
use omniroute_rpc::catalog::normalise::parse_models_body;
use omniroute_rpc::catalog::pipeline::{Catalogue, Inputs};
use omniroute_rpc::health::cache::HealthReading;
use omniroute_rpc::health::derive::derive;
use omniroute_rpc::management::analytics::parse_analytics;
use omniroute_rpc::management::fetch::HealthInputs;
use omniroute_rpc::management::monitoring::parse_monitoring;
use omniroute_rpc::management::providers::parse_providers;
use serde_json::{json, Value};

const PROVIDERS: usize = 60;

fn catalogue(n: usize) -> Arc<Catalogue> {
    let mut data: Vec<Value> = (0..n)
        .map(|i| {
            let p = i % PROVIDERS;
            json!({"id": format!("p{p}/model-{i}"), "object": "model", "owned_by": format!("prov-{p}")})
        })
        .collect();
    for c in 0..n / 100 {
        data.push(json!({"id": format!("combo-{c}"), "object": "model", "owned_by": "combo"}));
    }
    let combos: Vec<Value> = (0..n / 100)
        .map(|c| json!({"name": format!("combo-{c}"), "models": (0..5).map(|k| format!("p{}/model-{}", (c * 5 + k) % PROVIDERS, c * 5 + k)).collect::<Vec<_>>()}))
        .collect();
    let (models, _) = parse_models_body(&json!({"data": data})).expect("models");
    let (defs, _) = omniroute_rpc::catalog::combos::parse_combos_body(&json!({"combos": combos}))
        .expect("combos");
    Arc::new(Catalogue::build(Inputs {
        gateway: &models,
        combos: Some(&defs),
        dev: None,
        matcher: Arc::new(Matcher::new(&BTreeMap::new())),
        overrides: &[],
        extras: None,
    }))
}

fn inputs(n: usize) -> HealthInputs {
    let breakers: Vec<Value> = (0..PROVIDERS)
        .map(|p| json!({"provider": format!("prov-{p}"), "state": if p % 10 == 0 { "OPEN" } else if p % 10 == 1 { "HALF_OPEN" } else { "CLOSED" }, "failureCount": p % 3, "retryAfterMs": 5000}))
        .collect();
    let lockouts: Vec<Value> = (0..n / 50)
        .map(|i| json!({"provider": format!("prov-{}", (i * 50) % PROVIDERS), "connectionId": format!("c-{}", (i * 50) % PROVIDERS), "model": format!("model-{}", i * 50), "reason": "rate_limited", "remainingMs": 3000}))
        .collect();
    let conns: Vec<Value> = (0..PROVIDERS)
        .map(|p| json!({"id": format!("c-{p}"), "provider": format!("prov-{p}"), "isActive": true, "testStatus": "active"}))
        .collect();
    let by_model: Vec<Value> = (0..n / 3)
        .map(|i| json!({"model": format!("model-{i}"), "rawModel": format!("model-{i}"), "provider": format!("prov-{}", i % PROVIDERS), "requests": 20, "avgLatencyMs": 300, "successRatePct": "97.5"}))
        .collect();
    HealthInputs {
        monitoring: Some(
            parse_monitoring(&json!({"providerBreakers": breakers, "lockouts": lockouts}))
                .expect("monitoring"),
        ),
        providers: Some(parse_providers(&json!({"connections": conns})).expect("providers")),
        stats: parse_analytics(&json!({"byModel": by_model})).expect("analytics"),
        warnings: Vec::new(),
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("models.health");
    for n in [1_000usize, 3_000, 10_000] {
        let cat = catalogue(n);
        let inp = inputs(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("cold", n), &n, |b, _| {
            b.iter(|| {
                // A fresh reading every time: derive + serialize.
                let reading = HealthReading::new(inp.clone(), SystemTime::now(), "t".into());
                let map = reading.for_catalogue(&cat, |i| {
                    derive(
                        &cat.models,
                        |id| cat.combo_member_ids(id),
                        i,
                        SystemTime::now(),
                        "t",
                    )
                });
                serde_json::to_vec(&*map).map(|v| v.len()).unwrap_or(0)
            })
        });
        let reading = HealthReading::new(inp.clone(), SystemTime::now(), "t".into());
        let derive_once = |i: &HealthInputs| {
            derive(
                &cat.models,
                |id| cat.combo_member_ids(id),
                i,
                SystemTime::now(),
                "t",
            )
        };
        reading.for_catalogue(&cat, derive_once);
        g.bench_with_input(BenchmarkId::new("cached", n), &n, |b, _| {
            b.iter(|| {
                // What a cached models.health does: memo hit, clone, serialize.
                let map = reading.for_catalogue(&cat, derive_once);
                let owned = (*map).clone();
                serde_json::to_vec(&owned).map(|v| v.len()).unwrap_or(0)
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = health;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(health);

//! The health rules on the recorded 3.7.9 answers and the 3.8.x-shaped fixtures.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use serde_json::Value;

use super::*;
use crate::catalog::combos::parse_combos_body;
use crate::catalog::matcher::Matcher;
use crate::catalog::normalise::parse_models_body;
use crate::catalog::pipeline::{Catalogue, Inputs};
use crate::management::analytics::{parse_analytics, parse_latency_stats};
use crate::management::fetch::to_extras;
use crate::management::monitoring::parse_monitoring;
use crate::management::pricing::{parse_pricing, parse_pricing_models};
use crate::management::providers::parse_providers;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/health/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn catalogue(version: &str, with_combos: bool) -> Catalogue {
    let (models, _) = parse_models_body(&fixture(&format!("{version}-models.json"))).unwrap();
    let combos = with_combos.then(|| {
        parse_combos_body(&fixture(&format!("{version}-combos.json")))
            .unwrap()
            .0
    });
    let prices = parse_pricing(&fixture(&format!("{version}-pricing.json"))).unwrap();
    let names = parse_pricing_models(&fixture(&format!("{version}-pricing-models.json"))).unwrap();
    let providers = parse_providers(&fixture(&format!("{version}-providers.json"))).unwrap();
    let extras = to_extras(Some(&prices), Some(&names), Some(&providers));
    Catalogue::build(Inputs {
        gateway: &models,
        combos: combos.as_deref(),
        dev: None,
        matcher: Arc::new(Matcher::new(&BTreeMap::new())),
        overrides: &[],
        extras: Some(&extras),
    })
}

fn inputs(version: &str, monitoring: &str) -> HealthInputs {
    let mut stats = Vec::new();
    if version == "v38x" {
        stats = parse_latency_stats(&fixture("v38x-latency-stats.json")).unwrap();
    }
    for a in parse_analytics(&fixture(&format!("{version}-usage-analytics.json"))).unwrap() {
        if !stats
            .iter()
            .any(|s| s.model == a.model && s.provider == a.provider)
        {
            stats.push(a);
        }
    }
    HealthInputs {
        monitoring: Some(parse_monitoring(&fixture(monitoring)).unwrap()),
        providers: Some(parse_providers(&fixture(&format!("{version}-providers.json"))).unwrap()),
        stats,
        warnings: Vec::new(),
    }
}

fn health(cat: &Catalogue, inputs: &HealthInputs) -> HealthMap {
    derive(
        &cat.models,
        |id| cat.combo_member_ids(id),
        inputs,
        SystemTime::now(),
        "2026-12-06T20:20:00Z",
    )
}

#[test]
fn real_379_open_breaker_is_down_and_healthy_models_are_ok() {
    let cat = catalogue("v379", false);
    let h = health(&cat, &inputs("v379", "v379-monitoring-health.json"));
    let bad = &h["bad/bad-model"];
    assert_eq!(bad.state, HealthState::Down);
    assert!(
        bad.reason
            .as_deref()
            .unwrap()
            .contains("circuit breaker open"),
        "{bad:?}"
    );
    assert!(bad.retry_after_ms.unwrap() > 0);
    let small = &h["mock/mock-small"];
    assert_eq!(small.state, HealthState::Ok);
    assert_eq!(
        (small.latency_ms, small.success_rate),
        (Some(130), Some(1.0))
    );
    assert_eq!(h["openai/gpt-5.5"].state, HealthState::Ok);
    assert_eq!(h["kmca/kimi-k2.6"].state, HealthState::Ok);
    // One failed request is not enough to call a success rate.
    assert_eq!(h["lim/lim-model"].state, HealthState::Ok);
    // Combo definitions unknown: nothing known about members.
    assert_eq!(h["e2e-mock"].state, HealthState::Unknown);
}

#[test]
fn real_379_lockout_on_the_only_connection_is_down() {
    let cat = catalogue("v379", false);
    let h = health(&cat, &inputs("v379", "v379-monitoring-lockout.json"));
    let lim = &h["lim/lim-model"];
    assert_eq!(lim.state, HealthState::Down, "{lim:?}");
    assert_eq!(lim.reason.as_deref(), Some("locked out: rate_limited"));
    assert!(lim.retry_after_ms.is_some());
    assert_eq!(h["mock/mock-large"].state, HealthState::Ok);
}

#[test]
fn real_379_prices_names_and_usable() {
    let cat = catalogue("v379", false);
    let gpt = cat.get("openai/gpt-5.5").unwrap();
    let p = gpt.pricing.as_ref().unwrap();
    assert_eq!(
        (p.input, p.output, p.cache_read, p.cache_write),
        (Some(5.0), Some(30.0), Some(0.5), Some(5.0))
    );
    assert_eq!(gpt.name, "GPT-5.5");
    assert_eq!(gpt.usable, Some(true));
    // Display name through the alias twin's canonical provider id.
    assert_eq!(cat.get("kmca/kimi-k2.6").unwrap().name, "Kimi K2.6");
    assert_eq!(cat.get("mock/mock-small").unwrap().usable, Some(true));
}

#[test]
fn shapes_38x_breakers_lockouts_usable_and_latency() {
    let cat = catalogue("v38x", true);
    let h = health(&cat, &inputs("v38x", "v38x-monitoring-health.json"));
    let s = |id: &str| h[id].state;
    let gpt = &h["openai/gpt-5.5"];
    assert_eq!(gpt.state, HealthState::Degraded, "{gpt:?}");
    assert!(gpt
        .reason
        .as_deref()
        .unwrap()
        .contains("1 of 2 connections"));
    assert_eq!(gpt.latency_ms, Some(2000));
    let claude = &h["anthropic/claude-sonnet-4-6"];
    assert_eq!(claude.state, HealthState::Degraded);
    assert!(claude.reason.as_deref().unwrap().contains("half-open"));
    assert_eq!(
        (claude.latency_ms, claude.success_rate),
        (Some(4200), Some(0.3))
    );
    let pro = &h["gemini/gemini-2.5-pro"];
    assert_eq!(
        (pro.state, pro.retry_after_ms),
        (HealthState::Down, Some(3_600_000))
    );
    assert_eq!(pro.reason.as_deref(), Some("locked out: quota_exhausted"));
    assert_eq!(s("gemini/gemini-2.5-flash"), HealthState::Ok);
    assert_eq!(h["gemini/gemini-2.5-flash"].latency_ms, Some(640));
    assert_eq!(
        (
            s("deepseek/deepseek-chat"),
            h["deepseek/deepseek-chat"].retry_after_ms
        ),
        (HealthState::Down, Some(42000))
    );
    assert_eq!(s("xai/grok-4"), HealthState::Down);
    assert_eq!(cat.get("xai/grok-4").unwrap().usable, Some(false));
    assert_eq!(
        cat.get("groq/llama-3.3-70b-versatile").unwrap().usable,
        Some(false)
    );
    // Combos: every known member down; some down; nested with one down member.
    assert_eq!(s("all-down"), HealthState::Down);
    assert_eq!(
        h["all-down"].reason.as_deref(),
        Some("all 2 known members are down")
    );
    assert_eq!(s("half-down"), HealthState::Degraded);
    assert_eq!(s("nested"), HealthState::Degraded);
    assert_eq!(cat.get("all-down").unwrap().usable, Some(true));
    // Gateway prices through the `cc` alias of `anthropic`; display names.
    let c = cat.get("anthropic/claude-sonnet-4-6").unwrap();
    assert_eq!(c.pricing.as_ref().unwrap().cache_write, Some(3.75));
    assert_eq!(c.name, "Claude Sonnet 4.6");
}

#[test]
fn no_monitoring_means_unknown_unless_unusable() {
    let cat = catalogue("v38x", true);
    let mut i = inputs("v38x", "v38x-monitoring-health.json");
    i.monitoring = None;
    let h = health(&cat, &i);
    assert_eq!(h["gemini/gemini-2.5-flash"].state, HealthState::Unknown);
    assert_eq!(h["xai/grok-4"].state, HealthState::Down);
    assert_eq!(h["half-down"].state, HealthState::Unknown);
}

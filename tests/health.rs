//! Issue 15 through the binary: management API prices/names/provider state merged with
//! provenance, live health (3.7.9 recorded answers and 3.8.x shapes), combos, host views
//! (`usableOnly`, `hideUnhealthy`, OpenCode marks), the management token's reach, refusals,
//! `auth.connect`/`auth.status` with a token, and the `models/health` notification.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{modelsdev_fixture, Sandbox, Server};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const KEY: &str = "sk-inference-key-0123456789";
const TOKEN: &str = "mgmt-token-abcdef-98765";

fn fixture(name: &str) -> Value {
    let p = format!(
        "{}/tests/fixtures/health/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&p).expect(&p)).expect(&p)
}

async fn serve(server: &MockServer, route: &str, body: Value) {
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// A gateway in the shape of `version` ("v379" or "v38x"); `monitoring` names the fixture.
async fn gateway(version: &str, monitoring: &str) -> MockServer {
    let s = MockServer::start().await;
    serve(&s, "/v1/models", fixture(&format!("{version}-models.json"))).await;
    if version == "v38x" {
        serve(&s, "/v1/combos", fixture("v38x-combos.json")).await;
        serve(
            &s,
            "/api/usage/model-latency-stats",
            fixture("v38x-latency-stats.json"),
        )
        .await;
    }
    let mut pricing = fixture(&format!("{version}-pricing.json"));
    if version == "v379" {
        // Unlike models.dev's gpt-4o (2.5 / 10), so the winner is visible.
        pricing["openai"]["gpt-4o"] = json!({"input": 7, "output": 21, "cached": 3.5});
    }
    serve(&s, "/api/pricing", pricing).await;
    serve(
        &s,
        "/api/pricing/models",
        fixture(&format!("{version}-pricing-models.json")),
    )
    .await;
    serve(
        &s,
        "/api/providers",
        fixture(&format!("{version}-providers.json")),
    )
    .await;
    serve(&s, "/api/monitoring/health", fixture(monitoring)).await;
    serve(
        &s,
        "/api/usage/analytics",
        fixture(&format!("{version}-usage-analytics.json")),
    )
    .await;
    s
}

async fn models_dev() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(path("/api.json"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(modelsdev_fixture()))
        .mount(&s)
        .await;
    s
}

fn opts(gw: &MockServer, dev: Option<&MockServer>, extra: Value) -> Value {
    let mut o = common::options(
        &format!("{}/v1", gw.uri()),
        dev.map(|d| format!("{}/api.json", d.uri())).as_deref(),
    );
    if let (Value::Object(o), Value::Object(x)) = (&mut o, extra) {
        o.extend(x);
    }
    o
}

fn model<'a>(list: &'a Value, id: &str) -> &'a Value {
    list["models"]
        .as_array()
        .expect("models")
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("{id} not listed"))
}

fn auth_of(r: &Request) -> Option<String> {
    r.headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[tokio::test(flavor = "multi_thread")]
async fn v379_prices_names_usable_and_health() {
    let gw = gateway("v379", "v379-monitoring-lockout.json").await;
    let dev = models_dev().await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[("OMNIROUTE_API_KEY", KEY)]);
    let o = opts(&gw, Some(&dev), json!({}));
    let list = s.ok("models.list", json!({"options": o, "refresh": true}));
    let gpt4o = model(&list, "openai/gpt-4o");
    assert_eq!(
        gpt4o["pricing"],
        json!({"input": 7.0, "output": 21.0, "cacheRead": 3.5})
    );
    assert_eq!(gpt4o["provenance"]["pricing"], "gateway");
    assert_eq!(gpt4o["name"], "GPT-4o");
    assert_eq!(gpt4o["provenance"]["name"], "gateway");
    assert_eq!(gpt4o["usable"], true);
    let gpt55 = model(&list, "openai/gpt-5.5");
    assert_eq!(gpt55["pricing"]["cacheWrite"], 5.0);
    assert_eq!(model(&list, "kmca/kimi-k2.6")["name"], "Kimi K2.6");
    // Every management endpoint answered: no warning about any of them.
    assert!(
        list["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| !w.as_str().unwrap().starts_with("/api/")),
        "{}",
        list["warnings"]
    );

    let h = s.ok("models.health", json!({"options": o}));
    assert_eq!(h["gatewayVersion"], "3.7.9");
    let lim = &h["models"]["lim/lim-model"];
    assert_eq!(lim["state"], "down", "{h}");
    assert_eq!(lim["reason"], "locked out: rate_limited");
    assert!(lim["retryAfterMs"].as_u64().unwrap() > 0);
    assert_eq!(h["models"]["bad/bad-model"]["state"], "down");
    assert!(h["models"]["bad/bad-model"]["reason"]
        .as_str()
        .unwrap()
        .contains("circuit breaker open"));
    assert_eq!(h["models"]["mock/mock-small"]["state"], "ok");
    assert_eq!(h["models"]["mock/mock-small"]["latencyMs"], 130);
    assert_eq!(h["cached"], false);
    // A second call within healthTtl is the cache: no new request to the gateway.
    let before = gw.received_requests().await.unwrap().len();
    let h2 = s.ok(
        "models.health",
        json!({"options": o, "ids": ["lim/lim-model", "nope"]}),
    );
    assert_eq!(h2["cached"], true);
    assert_eq!(h2["models"]["nope"]["state"], "unknown");
    assert_eq!(h2["models"].as_object().unwrap().len(), 2);
    assert_eq!(gw.received_requests().await.unwrap().len(), before);
    // Without a token, /api/* is asked without credentials first (and it answered).
    for r in gw.received_requests().await.unwrap() {
        if r.url.path().starts_with("/api/") {
            assert_eq!(auth_of(&r), None, "{}", r.url);
        } else {
            assert_eq!(
                auth_of(&r).as_deref(),
                Some(format!("Bearer {KEY}").as_str())
            );
        }
    }
    for r in dev.received_requests().await.unwrap() {
        assert_eq!(auth_of(&r), None);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn v38x_combos_host_views_and_up_now() {
    let gw = gateway("v38x", "v38x-monitoring-health.json").await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let o = opts(&gw, None, json!({}));
    let h = s.ok("models.health", json!({"options": o}));
    let st = |id: &str| h["models"][id]["state"].as_str().unwrap().to_string();
    assert_eq!(st("openai/gpt-5.5"), "degraded");
    assert_eq!(st("anthropic/claude-sonnet-4-6"), "degraded");
    assert_eq!(st("gemini/gemini-2.5-pro"), "down");
    assert_eq!(st("deepseek/deepseek-chat"), "down");
    assert_eq!(h["models"]["deepseek/deepseek-chat"]["retryAfterMs"], 42000);
    assert_eq!(st("gemini/gemini-2.5-flash"), "ok");
    assert_eq!(h["models"]["gemini/gemini-2.5-flash"]["latencyMs"], 640);
    assert_eq!(st("xai/grok-4"), "down");
    assert_eq!(st("all-down"), "down");
    assert_eq!(st("half-down"), "degraded");
    assert_eq!(st("nested"), "degraded");
    assert_eq!(h["counts"]["down"], 5, "{h}");

    let caps = s.ok(
        "capabilities.compute",
        json!({"model": "half-down", "options": o}),
    );
    assert_eq!(caps["downMembers"], json!(["deepseek/deepseek-chat"]));
    assert!(caps["upNow"].is_object(), "{caps}");

    let block = |s: &mut Server, extra: Value| {
        let r = s.ok(
            "opencode.provider",
            json!({"options": opts(&gw, None, extra)}),
        );
        r["provider"]["models"].as_object().unwrap().clone()
    };
    let all = block(&mut s, json!({}));
    assert_eq!(all["openai/gpt-5.5"]["name"], "⚠ GPT-5.5");
    assert_eq!(
        all["deepseek/deepseek-chat"]["name"],
        "✖ deepseek/deepseek-chat"
    );
    assert_eq!(all["gemini/gemini-2.5-flash"]["name"], "Gemini 2.5 Flash");
    assert!(all.contains_key("xai/grok-4") && all.contains_key("groq/llama-3.3-70b-versatile"));
    let usable = block(&mut s, json!({"usableOnly": true}));
    assert!(
        !usable.contains_key("xai/grok-4") && !usable.contains_key("groq/llama-3.3-70b-versatile")
    );
    assert!(usable.contains_key("deepseek/deepseek-chat"));
    let healthy = block(&mut s, json!({"hideUnhealthy": true}));
    for gone in [
        "deepseek/deepseek-chat",
        "gemini/gemini-2.5-pro",
        "all-down",
        "xai/grok-4",
    ] {
        assert!(!healthy.contains_key(gone), "{gone} shown");
    }
    assert!(healthy.contains_key("half-down") && healthy.contains_key("openai/gpt-5.5"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_management_token_goes_to_api_only() {
    let gw = gateway("v38x", "v38x-monitoring-health.json").await;
    let dev = models_dev().await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(
        &sb,
        &[
            ("OMNIROUTE_API_KEY", KEY),
            ("OMNIROUTE_MANAGEMENT_API_KEY", TOKEN),
        ],
    );
    let o = opts(&gw, Some(&dev), json!({}));
    s.ok("models.list", json!({"options": o, "refresh": true}));
    s.ok("models.health", json!({"options": o}));
    s.ok("opencode.provider", json!({"options": o}));
    let status = s.ok("auth.status", json!({"options": o}));
    assert_eq!(
        status["managementToken"],
        json!({"present": true, "source": "env"})
    );
    assert!(!status.to_string().contains(TOKEN));
    let reqs = gw.received_requests().await.unwrap();
    assert!(reqs.iter().any(|r| r.url.path() == "/api/pricing"));
    assert!(reqs
        .iter()
        .any(|r| r.url.path() == "/api/monitoring/health"));
    for r in &reqs {
        let want = if r.url.path().starts_with("/api/") {
            TOKEN
        } else {
            KEY
        };
        assert_eq!(auth_of(r), Some(format!("Bearer {want}")), "{}", r.url);
    }
    for r in dev.received_requests().await.unwrap() {
        assert_eq!(auth_of(&r), None, "models.dev got credentials");
    }
    assert!(!s.stderr_text().contains(TOKEN));
}

/// 403 to every `/api/*` request, as 3.7.9 with login on answers a Bearer.
struct Refuse;
impl Respond for Refuse {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        ResponseTemplate::new(403).set_body_json(
            json!({"error": {"code": "AUTH_001", "message": "Invalid management token"}}),
        )
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_management_api_is_a_warning_and_the_catalogue_works() {
    let gw = MockServer::start().await;
    serve(&gw, "/v1/models", fixture("v379-models.json")).await;
    Mock::given(wiremock::matchers::path_regex("^/api/.*"))
        .respond_with(Refuse)
        .mount(&gw)
        .await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[("OMNIROUTE_API_KEY", KEY)]);
    let o = opts(&gw, None, json!({}));
    let list = s.ok("models.list", json!({"options": o, "refresh": true}));
    assert_eq!(list["source"], "live");
    assert!(list["count"].as_u64().unwrap() > 30);
    let warnings: Vec<String> = list["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect();
    for ep in ["/api/pricing ", "/api/pricing/models ", "/api/providers "] {
        let hits: Vec<_> = warnings.iter().filter(|w| w.starts_with(ep)).collect();
        assert_eq!(hits.len(), 1, "{ep}: {warnings:?}");
        assert!(
            hits[0].contains("403") && hits[0].contains("managementToken"),
            "{hits:?}"
        );
    }
    assert!(model(&list, "openai/gpt-4o").get("usable").is_none());
    let h = s.ok("models.health", json!({"options": o}));
    assert_eq!(h["models"]["openai/gpt-4o"]["state"], "unknown");
    assert!(h["warnings"]
        .to_string()
        .contains("/api/monitoring/health needs management access"));
    // Each /api/* endpoint: first without credentials, then with the API key; never more.
    let reqs = gw.received_requests().await.unwrap();
    let pricing: Vec<_> = reqs
        .iter()
        .filter(|r| r.url.path() == "/api/pricing")
        .map(auth_of)
        .collect();
    assert_eq!(pricing, vec![None, Some(format!("Bearer {KEY}"))]);
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_connect_stores_the_token_and_never_echoes_it() {
    let gw = MockServer::start().await;
    serve(&gw, "/v1/models", fixture("v379-models.json")).await;
    Mock::given(path("/api/providers"))
        .and(wiremock::matchers::header(
            "authorization",
            format!("Bearer {TOKEN}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("v379-providers.json")))
        .mount(&gw)
        .await;
    Mock::given(path("/api/providers"))
        .respond_with(Refuse)
        .mount(&gw)
        .await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let base = format!("{}/v1", gw.uri());
    let bad = s.err(
        "auth.connect",
        json!({"apiKey": KEY, "baseURL": base, "managementToken": "wrong-token"}),
    );
    assert_eq!(bad["data"]["kind"], "auth_rejected", "{bad}");
    assert!(!sb.auth_file().exists());
    let ok = s.ok(
        "auth.connect",
        json!({"apiKey": KEY, "baseURL": base, "managementToken": TOKEN}),
    );
    assert_eq!(ok["managementTokenStored"], true);
    assert!(!ok.to_string().contains(TOKEN) && !bad.to_string().contains("wrong-token"));
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(sb.auth_file()).unwrap()).unwrap();
    assert_eq!(
        stored["omniroute-management"],
        json!({"type": "api", "key": TOKEN})
    );
    assert_eq!(stored["omniroute"]["key"], KEY);
    // A new process reads it from the credentials file.
    let mut s2 = Server::spawn(&sb, &[]);
    let st = s2.ok("auth.status", json!({"options": {"baseURL": base}}));
    assert_eq!(
        st["managementToken"],
        json!({"present": true, "source": "authFile"})
    );
    s2.ok("auth.disconnect", json!({}));
    let st = s2.ok("auth.status", json!({"options": {"baseURL": base}}));
    assert_eq!(st["managementToken"]["present"], false);
}

/// Monitoring that reports `bad` open once `open` is set.
struct Flip(Arc<AtomicBool>);
impl Respond for Flip {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let state = if self.0.load(Ordering::SeqCst) {
            "OPEN"
        } else {
            "CLOSED"
        };
        ResponseTemplate::new(200).set_body_json(json!({"status": "healthy",
            "providerBreakers": [{"provider": "openai", "state": state, "failureCount": 1, "retryAfterMs": 9000}],
            "lockouts": []}))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_state_change_reaches_a_listening_host() {
    let gw = MockServer::start().await;
    serve(&gw, "/v1/models", fixture("v38x-models.json")).await;
    let open = Arc::new(AtomicBool::new(false));
    Mock::given(path("/api/monitoring/health"))
        .respond_with(Flip(open.clone()))
        .mount(&gw)
        .await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let o = opts(&gw, None, json!({"healthTtl": 100}));
    let h = s.ok("models.health", json!({"options": o}));
    assert_eq!(h["models"]["openai/gpt-5.5"]["state"], "ok");
    open.store(true, Ordering::SeqCst);
    let mut got = Vec::new();
    for _ in 0..100 {
        got.extend(s.take_notifications("models/health", Duration::from_millis(100)));
        if !got.is_empty() {
            break;
        }
    }
    let n = got.first().expect("a models/health notification");
    let ch = &n["params"]["changes"][0];
    assert_eq!(
        (ch["id"].as_str(), ch["previous"].as_str()),
        (Some("openai/gpt-5.5"), Some("ok"))
    );
    assert_eq!(ch["health"]["state"], "down");
    assert_eq!(n["params"]["changes"].as_array().unwrap().len(), 1);
}

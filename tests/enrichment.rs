//! models.dev enrichment through the binary: the catalogue served by a loopback mock (retries,
//! timeouts, 4xx, invalid bodies, stale copies, disk cache, disabled), real limits with
//! provenance, and `modelMetadata` overrides in both forms.

mod common;

use std::time::Duration;

use common::{by_id, list, model_entry, modelsdev_fixture, placeholder_entry, Sandbox, Server};
use serde_json::{json, Value};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn setup(gateway_models: Vec<Value>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path("/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(gateway_models)))
        .mount(&server)
        .await;
    server
}

async fn serve_dev(server: &MockServer, template: ResponseTemplate, times: Option<u64>) {
    let m = Mock::given(path("/api.json")).respond_with(template);
    match times {
        Some(n) => m.up_to_n_times(n).mount(server).await,
        None => m.mount(server).await,
    }
}

fn fixture_ok() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json")
        .set_body_bytes(modelsdev_fixture())
}

fn opts(server: &MockServer) -> Value {
    json!({"baseURL": format!("{}/v1", server.uri()),
        "modelsDev": {"url": format!("{}/api.json", server.uri()), "timeoutMs": 1000}})
}

async fn dev_requests(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == "/api.json")
        .count()
}

fn real_world() -> Vec<Value> {
    vec![
        placeholder_entry("cx/gpt-5.1-codex-mini", "codex"),
        model_entry("gemini/models/gemini-3-flash-preview", "gemini"),
        model_entry("kmc/kimi-k2.5", "kimi-coding"),
        model_entry("codex/gpt-5.5-xhigh", "codex"),
        model_entry("openrouter/openai/gpt-4o", "openrouter"),
        model_entry("cx/gpt-9.9", "codex"),
        model_entry("mock/mock-small", "mock"),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn real_world_ids_get_real_limits_with_provenance() {
    let gw = setup(real_world()).await;
    serve_dev(&gw, fixture_ok(), None).await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let r = s.ok(
        "models.list",
        json!({"refresh": true, "options": opts(&gw)}),
    );
    let m = by_id(&r);
    let expect = [
        ("cx/gpt-5.1-codex-mini", 400000, 128000),
        ("gemini/models/gemini-3-flash-preview", 1048576, 65536),
        ("kmc/kimi-k2.5", 262144, 262144),
        ("codex/gpt-5.5-xhigh", 1050000, 128000),
        ("openrouter/openai/gpt-4o", 128000, 16384),
    ];
    for (id, ctx, out) in expect {
        assert_eq!(m[id]["contextWindow"], ctx, "{id}");
        assert_eq!(m[id]["maxTokens"], out, "{id}");
        assert_eq!(m[id]["provenance"]["contextWindow"], "models.dev", "{id}");
    }
    let codex = &m["cx/gpt-5.1-codex-mini"];
    assert_eq!(
        codex["modelsDev"],
        json!({"provider": "openai", "id": "gpt-5.1-codex-mini"})
    );
    assert_eq!(codex["supportsVision"], true);
    assert_eq!(codex["supportsTools"], true);
    assert_eq!(
        codex["supportsReasoning"], true,
        "placeholder reasoning was dropped, models.dev filled it"
    );
    assert_eq!(codex["supportsTemperature"], false);
    assert_eq!(
        codex["pricing"],
        json!({"input": 0.25, "output": 2.0, "cacheRead": 0.025})
    );
    assert_eq!(codex["releaseDate"], "2025-11-13");
    assert_eq!(codex["family"], "gpt-codex");
    assert_eq!(codex["provenance"]["pricing"], "models.dev");
    // Never a sibling's limits, never a guess.
    for id in ["cx/gpt-9.9", "mock/mock-small"] {
        assert!(m[id].get("contextWindow").is_none(), "{id}: {}", m[id]);
        assert!(m[id].get("modelsDev").is_none());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn gateway_values_win_over_models_dev() {
    let mut e = model_entry("cx/gpt-5.1-codex-mini", "codex");
    e["context_length"] = json!(200000);
    e["capabilities"] = json!({"tool_calling": false});
    let gw = setup(vec![e]).await;
    serve_dev(&gw, fixture_ok(), None).await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let r = s.ok(
        "models.list",
        json!({"refresh": true, "options": opts(&gw)}),
    );
    let m = &by_id(&r)["cx/gpt-5.1-codex-mini"];
    assert_eq!(m["contextWindow"], 200000);
    assert_eq!(m["provenance"]["contextWindow"], "gateway");
    assert_eq!(m["supportsTools"], false);
    assert_eq!(m["provenance"]["supportsTools"], "gateway");
    assert_eq!(m["maxTokens"], 128000);
    assert_eq!(m["provenance"]["maxTokens"], "models.dev");
}

#[tokio::test(flavor = "multi_thread")]
async fn timeout_then_success_and_503_are_retried() {
    for (name, first) in [
        (
            "timeout",
            fixture_ok().set_delay(Duration::from_millis(1500)),
        ),
        ("503", ResponseTemplate::new(503)),
    ] {
        let gw = setup(real_world()).await;
        serve_dev(&gw, first, Some(1)).await;
        serve_dev(&gw, fixture_ok(), None).await;
        let sb = Sandbox::new();
        let mut s = Server::spawn(&sb, &[]);
        let r = s.ok(
            "models.list",
            json!({"refresh": true, "options": opts(&gw)}),
        );
        assert_eq!(
            by_id(&r)["kmc/kimi-k2.5"]["contextWindow"],
            262144,
            "{name}: {r}"
        );
        assert_eq!(dev_requests(&gw).await, 2, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn not_found_is_not_retried_and_invalid_bodies_degrade() {
    for (name, template, needle, requests) in [
        ("404", ResponseTemplate::new(404), "HTTP 404", 1),
        (
            "invalid",
            ResponseTemplate::new(200).set_body_string("[1,2"),
            "invalid catalogue",
            1,
        ),
        (
            "not an object",
            ResponseTemplate::new(200).set_body_json(json!([1])),
            "invalid catalogue",
            1,
        ),
    ] {
        let gw = setup(real_world()).await;
        serve_dev(&gw, template, None).await;
        let sb = Sandbox::new();
        let mut s = Server::spawn(&sb, &[]);
        let r = s.ok(
            "models.list",
            json!({"refresh": true, "options": opts(&gw)}),
        );
        assert_eq!(r["source"], "live", "{name}");
        assert!(by_id(&r)["kmc/kimi-k2.5"].get("contextWindow").is_none());
        let w = r["warnings"].to_string();
        assert!(
            w.contains("models.dev unavailable") && w.contains(needle),
            "{name}: {w}"
        );
        assert_eq!(dev_requests(&gw).await, requests, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stale_copy_is_used_when_a_refresh_fails_and_disk_copy_is_reused() {
    let gw = setup(real_world()).await;
    serve_dev(&gw, fixture_ok(), Some(1)).await;
    serve_dev(&gw, ResponseTemplate::new(500), None).await;
    let sb = Sandbox::new();
    let mut o = opts(&gw);
    o["modelsDev"]["cacheTtl"] = json!(300);
    {
        let mut s = Server::spawn(&sb, &[]);
        s.ok("models.list", json!({"refresh": true, "options": o}));
        std::thread::sleep(Duration::from_millis(400));
        let r = s.ok("models.refresh", json!({"options": o}));
        assert_eq!(by_id(&r)["kmc/kimi-k2.5"]["contextWindow"], 262144);
        assert!(
            r["warnings"]
                .to_string()
                .contains("using the last downloaded copy"),
            "{r}"
        );
    }
    // A new process with a long TTL uses the disk copy without downloading.
    let before = dev_requests(&gw).await;
    let mut s = Server::spawn(&sb, &[]);
    let r = s.ok(
        "models.list",
        json!({"refresh": true, "options": opts(&gw)}),
    );
    assert_eq!(by_id(&r)["kmc/kimi-k2.5"]["contextWindow"], 262144);
    assert_eq!(dev_requests(&gw).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn disabled_models_dev_is_never_fetched() {
    let gw = setup(real_world()).await;
    serve_dev(&gw, fixture_ok(), None).await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let mut o = opts(&gw);
    o["modelsDev"]["enabled"] = json!(false);
    let r = s.ok("models.list", json!({"refresh": true, "options": o}));
    assert!(by_id(&r)["kmc/kimi-k2.5"].get("contextWindow").is_none());
    assert_eq!(dev_requests(&gw).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn user_provider_aliases() {
    let gw = setup(vec![model_entry("myco/kimi-k2.5", "myco")]).await;
    serve_dev(&gw, fixture_ok(), None).await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let mut o = opts(&gw);
    o["modelsDev"]["providerAliases"] = json!({"MyCo": "moonshotai"});
    let r = s.ok("models.list", json!({"refresh": true, "options": o}));
    assert_eq!(by_id(&r)["myco/kimi-k2.5"]["contextWindow"], 262144);
}

#[tokio::test(flavor = "multi_thread")]
async fn overrides_in_both_forms_win_over_everything() {
    let gw = setup(real_world()).await;
    serve_dev(&gw, fixture_ok(), None).await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let mut o = opts(&gw);
    o["modelMetadata"] = json!([
        {"match": {"regex": "^CX/", "flags": "i"}, "contextWindow": 100000, "supportsTools": false},
        {"match": "kmc/kimi-k2.5", "name": "Kimi", "pricing": {"input": 9}},
        {"match": "local/new", "addIfMissing": true, "contextWindow": 32000, "maxTokens": 2000},
        {"match": {"regex": "(unclosed"}, "maxTokens": 1},
        {"match": 5},
        {"match": "mock/mock-small", "supportsVision": "yes"}
    ]);
    let r = s.ok("models.list", json!({"refresh": true, "options": o}));
    let m = by_id(&r);
    assert_eq!(m["cx/gpt-5.1-codex-mini"]["contextWindow"], 100000);
    assert_eq!(
        m["cx/gpt-5.1-codex-mini"]["provenance"]["contextWindow"],
        "override"
    );
    assert_eq!(m["cx/gpt-5.1-codex-mini"]["supportsTools"], false);
    assert_eq!(
        m["cx/gpt-5.1-codex-mini"]["maxTokens"], 128000,
        "untouched fields keep models.dev"
    );
    assert_eq!(m["kmc/kimi-k2.5"]["name"], "Kimi");
    assert_eq!(m["kmc/kimi-k2.5"]["pricing"]["input"], 9.0);
    assert_eq!(m["kmc/kimi-k2.5"]["pricing"]["output"], 3.0);
    assert_eq!(m["local/new"]["contextWindow"], 32000);
    assert_eq!(m["local/new"]["provenance"]["id"], "override");
    let w = r["warnings"].to_string();
    assert!(
        w.contains("modelMetadata[3]") && w.contains("invalid regex"),
        "{w}"
    );
    assert!(w.contains("modelMetadata[4]"), "{w}");
    assert!(w.contains("modelMetadata[5].supportsVision"), "{w}");

    o["modelMetadata"] = json!({"kmc/kimi-k2.5": {"maxTokens": 1234}, "gone/x": {"addIfMissing": true, "name": "X"}});
    let r = s.ok("models.list", json!({"refresh": false, "options": o}));
    let m = by_id(&r);
    assert_eq!(m["kmc/kimi-k2.5"]["maxTokens"], 1234);
    assert_eq!(m["gone/x"]["name"], "X");
}

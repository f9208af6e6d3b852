//! The catalogue through the binary against a mock gateway on 127.0.0.1: OmniRoute-shaped
//! bodies, errors of every kind, fallback, TTL, single-flight, stale-on-error, the disk
//! snapshot, credentials and key order. No key ever reaches stdout or stderr.

mod common;

use std::time::{Duration, Instant};

use common::{
    by_id, combo_entry, ids, list, model_entry, options, placeholder_entry, Sandbox, Server,
};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "sk-0123456789abcdef-abc123-00004d79";

fn assert_no_key(s: &Server, key: &str) {
    let out = s.stdout_raw.lock().expect("lock").clone();
    let err = s.stderr_text();
    assert!(!out.contains(key), "the key leaked to stdout");
    assert!(!err.contains(key), "the key leaked to stderr");
}

/// A 3.7.9-shaped `/v1/models` body.
fn omniroute_body() -> Value {
    let mut twin = model_entry("kimi-coding-apikey/kimi-k2.6", "kimi-coding-apikey");
    twin["parent"] = json!("kmca/kimi-k2.6");
    let mut embed = model_entry("openai/text-embedding-3-small", "openai");
    embed["type"] = json!("embedding");
    let mut tts = placeholder_entry("openai/tts-1", "openai");
    tts["type"] = json!("audio");
    tts["subtype"] = json!("speech");
    let mut real = model_entry("cx/gpt-5.1-codex-mini", "codex");
    real["context_length"] = json!(400000);
    real["max_output_tokens"] = json!(128000);
    real["capabilities"] = json!({"tool_calling": true, "reasoning": true, "vision": true});
    list(vec![
        real,
        placeholder_entry("mock/mock-small", "mock"),
        model_entry("kmca/kimi-k2.6", "kimi-coding-apikey"),
        twin,
        embed,
        tts,
        combo_entry("nested/outer"),
        json!({"object": "model", "owned_by": "x"}),
        json!({"id": 42}),
    ])
}

async fn gateway(body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    server
}

fn base(server: &MockServer) -> String {
    format!("{}/v1", server.uri())
}

async fn model_requests(server: &MockServer) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path().ends_with("/models") && !r.url.path().starts_with("/api/"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn omniroute_shapes_are_normalised_and_classified() {
    let gw = gateway(omniroute_body()).await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let r = s.ok(
        "models.list",
        json!({"refresh": true, "options": options(&base(&gw), None)}),
    );
    assert_eq!(r["source"], "live");
    assert!(r["fetchedAt"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert_eq!(r["count"], 7);
    let w = r["warnings"].to_string();
    assert!(w.contains("skipped 2 gateway model entries"), "{w}");
    let m = by_id(&r);
    let real = &m["cx/gpt-5.1-codex-mini"];
    assert_eq!(real["contextWindow"], 400000);
    assert_eq!(real["maxTokens"], 128000);
    assert_eq!(real["supportsVision"], true);
    assert_eq!(real["provenance"]["contextWindow"], "gateway");
    // Placeholder metadata is unknown, not 8192/tools/reasoning.
    let mock = &m["mock/mock-small"];
    assert!(
        mock.get("maxTokens").is_none() && mock.get("supportsTools").is_none(),
        "{mock}"
    );
    let combo = &m["nested/outer"];
    assert!(combo["combo"].is_object(), "{combo}");
    assert!(combo.get("maxTokens").is_none());
    assert_eq!(
        m["kimi-coding-apikey/kimi-k2.6"]["aliasOf"],
        "kmca/kimi-k2.6"
    );
    assert_eq!(m["openai/text-embedding-3-small"]["kind"], "embedding");
    assert_eq!(m["openai/tts-1"]["kind"], "audio");
    assert_eq!(m["mock/mock-small"]["kind"], "chat");
    // No key configured: no Authorization header at all.
    for r in model_requests(&gw).await {
        assert!(!r.headers.contains_key("authorization"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn base_url_variants_all_reach_models() {
    let gw = gateway(list(vec![model_entry("a/b", "a")])).await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    for url in [
        gw.uri(),
        format!("{}/", gw.uri()),
        base(&gw),
        format!("{}/v1/", gw.uri()),
    ] {
        let r = s.ok(
            "models.list",
            json!({"refresh": true, "options": options(&url, None)}),
        );
        assert_eq!(r["source"], "live", "{url}: {r}");
        assert_eq!(r["baseURL"], base(&gw));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn gateway_failures_fall_back_with_reasons() {
    let html = ResponseTemplate::new(200)
        .insert_header("content-type", "text/html")
        .set_body_string("<!DOCTYPE html><html>login</html>");
    let cases: Vec<(&str, ResponseTemplate, &str)> = vec![
        ("401", ResponseTemplate::new(401), "rejected the API key"),
        ("403", ResponseTemplate::new(403), "rejected the API key"),
        ("500", ResponseTemplate::new(500), "HTTP 500"),
        ("html", html, "not JSON"),
        (
            "invalid json",
            ResponseTemplate::new(200).set_body_string("{\"data\": [1,"),
            "not JSON",
        ),
        (
            "data null",
            ResponseTemplate::new(200).set_body_json(json!({"data": null})),
            "no `data` array",
        ),
        (
            "not a list",
            ResponseTemplate::new(200).set_body_json(json!({"data": 5})),
            "not an array",
        ),
    ];
    for (name, template, reason) in cases {
        let gw = MockServer::start().await;
        Mock::given(path("/v1/models"))
            .respond_with(template)
            .mount(&gw)
            .await;
        let sb = Sandbox::new();
        let mut s = Server::spawn(&sb, &[]);
        let r = s.ok(
            "models.list",
            json!({"refresh": true, "apiKey": KEY, "options": options(&base(&gw), None)}),
        );
        assert_eq!(r["source"], "fallback", "{name}: {r}");
        assert_eq!(
            ids(&r),
            [
                "gpt-4o",
                "gpt-4o-mini",
                "claude-3-5-sonnet",
                "llama-3-1-405b"
            ]
        );
        let w = r["warnings"].to_string();
        assert!(w.contains(reason) && w.contains(&gw.uri()), "{name}: {w}");
        assert_eq!(
            by_id(&r)["gpt-4o"]["provenance"]["contextWindow"],
            "default"
        );
        assert_no_key(&s, KEY);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_list_is_a_valid_answer() {
    let gw = gateway(list(vec![])).await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let r = s.ok(
        "models.list",
        json!({"refresh": true, "options": options(&base(&gw), None)}),
    );
    assert_eq!(r["source"], "live");
    assert_eq!(r["count"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn timeout_and_refused_connection() {
    let gw = common::slow_gateway(list(vec![]), Duration::from_secs(10)).await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let mut opts = options(&base(&gw), None);
    opts["requestTimeoutMs"] = json!(300);
    let start = Instant::now();
    let r = s.ok("models.list", json!({"refresh": true, "options": opts}));
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(r["source"], "fallback");
    assert!(r["warnings"]
        .to_string()
        .contains("did not answer within 300 ms"));

    let e = s.err("auth.connect", json!({"apiKey": KEY, "options": opts}));
    assert_eq!(e["data"]["kind"], "gateway_unreachable");
    assert_eq!(e["data"]["cause"], "timeout");

    // A port nothing listens on.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let e = s.err(
        "auth.connect",
        json!({"apiKey": KEY, "baseURL": format!("http://127.0.0.1:{dead}/v1")}),
    );
    assert_eq!(e["data"]["kind"], "gateway_unreachable");
    assert!(e["message"]
        .as_str()
        .expect("message")
        .contains(&format!("127.0.0.1:{dead}")));
    assert_no_key(&s, KEY);
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_thousand_models() {
    let data: Vec<Value> = (0..10_000)
        .map(|i| model_entry(&format!("p{}/model-{i}", i % 7), "x"))
        .collect();
    let gw = gateway(list(data)).await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let r = s.ok(
        "models.list",
        json!({"refresh": true, "options": options(&base(&gw), None)}),
    );
    assert_eq!(r["count"], 10_000);
    let ids = ids(&r);
    assert_eq!(ids[9_999], "p3/model-9999");
}

#[tokio::test(flavor = "multi_thread")]
async fn ttl_and_refresh_on_list() {
    let gw = gateway(list(vec![model_entry("a/b", "a")])).await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let mut opts = options(&base(&gw), None);
    opts["refreshOnList"] = json!(false);
    opts["modelCacheTtl"] = json!(400);
    assert_eq!(
        s.ok("models.list", json!({"options": opts}))["source"],
        "live"
    );
    assert_eq!(
        s.ok("models.list", json!({"options": opts}))["source"],
        "cache"
    );
    assert_eq!(model_requests(&gw).await.len(), 1);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        s.ok("models.list", json!({"options": opts}))["source"],
        "live"
    );
    assert_eq!(model_requests(&gw).await.len(), 2);
    // refreshOnList (default true): every plain list waits for a fresh one.
    opts["refreshOnList"] = json!(true);
    assert_eq!(
        s.ok("models.list", json!({"options": opts}))["source"],
        "live"
    );
    assert_eq!(model_requests(&gw).await.len(), 3);
    // refresh:false never waits; stale data starts a background refresh.
    std::thread::sleep(Duration::from_millis(500));
    let r = s.ok("models.list", json!({"refresh": false, "options": opts}));
    assert_eq!(r["source"], "stale");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(model_requests(&gw).await.len(), 4, "background refresh");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_callers_share_one_fetch() {
    let gw = common::slow_gateway(
        list(vec![model_entry("a/b", "a")]),
        Duration::from_millis(400),
    )
    .await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let opts = options(&base(&gw), None);
    let ids: Vec<i64> = (0..8)
        .map(|_| s.request_async("models.list", json!({"refresh": true, "options": opts})))
        .collect();
    for id in ids {
        let r = s.response(id, Duration::from_secs(10));
        assert_eq!(r["result"]["source"], "live", "{r}");
    }
    assert_eq!(
        model_requests(&gw).await.len(),
        1,
        "8 concurrent callers, one gateway request"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_failures_are_shared_too() {
    let gw = common::slow_gateway(list(vec![]), Duration::from_secs(5)).await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let mut opts = options(&base(&gw), None);
    opts["requestTimeoutMs"] = json!(500);
    let start = Instant::now();
    let ids: Vec<i64> = (0..4)
        .map(|_| s.request_async("models.list", json!({"refresh": true, "options": opts})))
        .collect();
    for id in ids {
        let r = s.response(id, Duration::from_secs(10));
        assert_eq!(r["result"]["source"], "fallback");
    }
    assert!(
        start.elapsed() < Duration::from_millis(1500),
        "waiters re-tried: {:?}",
        start.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stale_on_error_never_replaces_good_data() {
    let gw = gateway(list(vec![model_entry("a/b", "a"), model_entry("a/c", "a")])).await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let opts = options(&base(&gw), None);
    assert_eq!(
        s.ok("models.list", json!({"refresh": true, "options": opts}))["count"],
        2
    );
    gw.reset().await;
    Mock::given(path("/v1/models"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&gw)
        .await;
    let r = s.ok("models.list", json!({"refresh": true, "options": opts}));
    assert_eq!(r["source"], "stale");
    assert_eq!(r["count"], 2);
    assert!(r["warnings"].to_string().contains("HTTP 503"));
    let r = s.ok("models.refresh", json!({"options": opts}));
    assert_eq!(r["source"], "stale");
    assert_eq!(
        r["diff"],
        json!({"added": [], "removed": [], "changed": []})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn snapshot_warm_start_and_background_change_notification() {
    let gw = gateway(list(vec![model_entry("a/b", "a")])).await;
    let sb = Sandbox::new();
    let opts = options(&base(&gw), None);
    {
        let mut s = Server::spawn(&sb, &[]);
        assert_eq!(
            s.ok("models.list", json!({"refresh": true, "options": opts}))["source"],
            "live"
        );
        s.close();
    }
    let files: Vec<String> = std::fs::read_dir(sb.cache_dir())
        .expect("cache dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(files.iter().any(|f| f.starts_with("catalog-")), "{files:?}");

    // Gateway down: a new process answers from the snapshot at once.
    gw.reset().await;
    Mock::given(path("/v1/models"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&gw)
        .await;
    let mut s = Server::spawn(&sb, &[]);
    let start = Instant::now();
    let r = s.ok("models.list", json!({"refresh": false, "options": opts}));
    assert!(start.elapsed() < Duration::from_secs(1));
    assert_eq!(r["source"], "snapshot");
    assert_eq!(ids(&r), ["a/b"]);
    // Refresh fails: still the snapshot, with the reason.
    let r = s.ok("models.list", json!({"refresh": true, "options": opts}));
    assert_eq!(r["source"], "snapshot");
    assert!(r["warnings"].to_string().contains("HTTP 500"));
    drop(s);

    // Gateway back with a new model: the snapshot is served, then models/changed arrives.
    gw.reset().await;
    Mock::given(path("/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(vec![
            model_entry("a/b", "a"),
            model_entry("a/new", "a"),
        ])))
        .mount(&gw)
        .await;
    let mut s = Server::spawn(&sb, &[]);
    let r = s.ok("models.list", json!({"refresh": false, "options": opts}));
    assert_eq!(r["source"], "snapshot");
    let notes = s.take_notifications("models/changed", Duration::from_secs(2));
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["params"]["diff"]["added"], json!(["a/new"]));
    let r = s.ok("models.list", json!({"refresh": false, "options": opts}));
    assert_eq!(r["source"], "cache");
    assert_eq!(r["count"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn corrupt_snapshot_is_ignored_with_a_warning() {
    let gw = gateway(list(vec![model_entry("a/b", "a")])).await;
    let sb = Sandbox::new();
    let opts = options(&base(&gw), None);
    {
        let mut s = Server::spawn(&sb, &[]);
        s.ok("models.list", json!({"refresh": true, "options": opts}));
        s.close(); // the snapshot is written after answering, before a clean exit
    }
    for e in std::fs::read_dir(sb.cache_dir()).expect("dir").flatten() {
        std::fs::write(e.path(), b"{ torn").expect("corrupt");
    }
    let mut s = Server::spawn(&sb, &[]);
    let r = s.ok("models.list", json!({"refresh": false, "options": opts}));
    assert_eq!(r["source"], "live");
    assert!(
        r["warnings"].to_string().contains("corrupt snapshot"),
        "{r}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cache_clear_forgets_memory_and_disk() {
    let gw = gateway(list(vec![model_entry("a/b", "a")])).await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let opts = options(&base(&gw), None);
    s.ok("models.list", json!({"refresh": true, "options": opts}));
    // Both are written after answering: the snapshot and the persisted view of the list.
    let written = |prefix: &str| {
        std::fs::read_dir(sb.cache_dir())
            .map(|d| {
                d.flatten()
                    .any(|e| e.file_name().to_string_lossy().starts_with(prefix))
            })
            .unwrap_or(false)
    };
    let start = std::time::Instant::now();
    while !(written("catalog-") && written("view-")) && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let r = s.ok("cache.clear", json!({"scope": "models"}));
    assert_eq!(r["cleared"], json!(["models"]));
    assert_eq!(r["filesRemoved"], 2);
    assert!(!written("catalog-") && !written("view-"));
    gw.reset().await;
    Mock::given(path("/v1/models"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&gw)
        .await;
    let r = s.ok("models.list", json!({"refresh": false, "options": opts}));
    assert_eq!(r["source"], "fallback", "nothing cached after cache.clear");
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_connect_checks_stores_and_merges() {
    let gw = MockServer::start().await;
    Mock::given(path("/v1/models"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(vec![model_entry("a/b", "a")])))
        .mount(&gw)
        .await;
    Mock::given(path("/v1/models"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&gw)
        .await;
    let sb = Sandbox::new();
    let existing = json!({
        "anthropic": {"type": "oauth", "refresh": "r-token", "access": "a-token", "expires": 1764000000000u64},
        "openrouter": {"type": "api", "key": "other-key", "extra": {"nested": [1, 2]}},
        "omniroute": {"type": "api", "key": "old", "note": "kept"}
    });
    std::fs::create_dir_all(sb.auth_file().parent().expect("dir")).expect("mkdir");
    std::fs::write(
        sb.auth_file(),
        serde_json::to_vec_pretty(&existing).expect("json"),
    )
    .expect("write");
    let mut s = Server::spawn(&sb, &[]);

    let e = s.err(
        "auth.connect",
        json!({"apiKey": "sk-wrong-key-000000", "baseURL": base(&gw)}),
    );
    assert_eq!(e["data"]["kind"], "auth_rejected");
    assert!(e["message"].as_str().expect("msg").contains(&gw.uri()));
    assert!(!e.to_string().contains("sk-wrong-key-000000"));

    let r = s.ok("auth.connect", json!({"apiKey": KEY, "baseURL": base(&gw)}));
    assert_eq!(r["keyHint"], "sk-…4d79");
    assert_eq!(r["modelCount"], 1);
    assert_eq!(r["stored"], true);
    let saved: Value =
        serde_json::from_slice(&std::fs::read(sb.auth_file()).expect("read")).expect("json");
    assert_eq!(saved["anthropic"], existing["anthropic"]);
    assert_eq!(saved["openrouter"], existing["openrouter"]);
    assert_eq!(
        saved["omniroute"],
        json!({"type": "api", "key": KEY, "note": "kept"})
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(sb.auth_file())
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
    let st = s.ok("auth.status", json!({}));
    assert_eq!(st["source"], "session");
    assert_eq!(st["keyHint"], "sk-…4d79");

    // A new process reads it from the file, and uses it on the wire.
    let mut s2 = Server::spawn(&sb, &[]);
    assert_eq!(s2.ok("auth.status", json!({}))["source"], "authFile");
    let r = s2.ok(
        "models.list",
        json!({"refresh": true, "options": options(&base(&gw), None)}),
    );
    assert_eq!(r["source"], "live");

    let d = s2.ok("auth.disconnect", json!({}));
    assert_eq!(d["removed"], true);
    let saved: Value =
        serde_json::from_slice(&std::fs::read(sb.auth_file()).expect("read")).expect("json");
    assert!(saved.get("omniroute").is_none());
    assert_eq!(saved["anthropic"], existing["anthropic"]);
    assert_no_key(&s, KEY);
    assert_no_key(&s2, KEY);
}

#[tokio::test(flavor = "multi_thread")]
async fn fresh_auth_file_is_private_and_persist_false_writes_nothing() {
    let gw = gateway(list(vec![])).await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let r = s.ok(
        "auth.connect",
        json!({"apiKey": KEY, "baseURL": base(&gw), "persist": false}),
    );
    assert_eq!(r["stored"], false);
    assert!(!sb.auth_file().exists());
    s.ok("auth.connect", json!({"apiKey": KEY, "baseURL": base(&gw)}));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = sb.auth_file().parent().expect("dir").to_path_buf();
        assert_eq!(
            std::fs::metadata(&dir).expect("meta").permissions().mode() & 0o777,
            0o700
        );
        assert_eq!(
            std::fs::metadata(sb.auth_file())
                .expect("meta")
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn corrupt_credentials_file_is_reported_and_untouched() {
    let gw = gateway(list(vec![])).await;
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.auth_file().parent().expect("dir")).expect("mkdir");
    let junk = b"{\"anthropic\": {\"type\": \"oauth\",, broken";
    std::fs::write(sb.auth_file(), junk).expect("write");
    let mut s = Server::spawn(&sb, &[]);
    let e = s.err("auth.connect", json!({"apiKey": KEY, "baseURL": base(&gw)}));
    assert_eq!(e["data"]["kind"], "credentials_file");
    assert!(e["message"].as_str().expect("msg").contains("auth.json"));
    assert_eq!(std::fs::read(sb.auth_file()).expect("read"), junk);
    // Reads report it as a warning and carry on without the file's key.
    let st = s.ok("auth.status", json!({}));
    assert_eq!(st["source"], "none");
    assert!(st["warnings"].to_string().contains("not valid JSON"));
}

#[tokio::test(flavor = "multi_thread")]
async fn key_order_param_session_file_env() {
    let gw = gateway(list(vec![])).await;
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.auth_file().parent().expect("dir")).expect("mkdir");
    std::fs::write(
        sb.auth_file(),
        br#"{"omniroute":{"type":"api","key":"sk-file-key-00000000"}}"#,
    )
    .expect("write");
    let mut s = Server::spawn(&sb, &[("OMNIROUTE_API_KEY", "sk-env-key-000000000")]);
    let opts = options(&base(&gw), None);
    let auth_of_last = |reqs: Vec<Request>| -> String {
        reqs.last()
            .and_then(|r| r.headers.get("authorization"))
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    s.ok("models.list", json!({"refresh": true, "options": opts}));
    assert_eq!(
        auth_of_last(model_requests(&gw).await),
        "Bearer sk-file-key-00000000"
    );
    s.ok(
        "models.list",
        json!({"refresh": true, "options": opts, "apiKey": "sk-param-key-0000000"}),
    );
    assert_eq!(
        auth_of_last(model_requests(&gw).await),
        "Bearer sk-param-key-0000000"
    );
    s.ok(
        "auth.connect",
        json!({"apiKey": "sk-session-key-00000", "baseURL": base(&gw), "persist": false}),
    );
    s.ok("models.list", json!({"refresh": true, "options": opts}));
    assert_eq!(
        auth_of_last(model_requests(&gw).await),
        "Bearer sk-session-key-00000"
    );
    std::fs::remove_file(sb.auth_file()).expect("rm");
    let mut s = Server::spawn(&sb, &[("OMNIROUTE_API_KEY", "sk-env-key-000000000")]);
    assert_eq!(s.ok("auth.status", json!({}))["source"], "env");
    s.ok("models.list", json!({"refresh": true, "options": opts}));
    assert_eq!(
        auth_of_last(model_requests(&gw).await),
        "Bearer sk-env-key-000000000"
    );
    // OPENCODE_AUTH_CONTENT replaces the file for reads.
    let mut s = Server::spawn(
        &sb,
        &[(
            "OPENCODE_AUTH_CONTENT",
            r#"{"omniroute":{"type":"api","key":"sk-content-key-00000"}}"#,
        )],
    );
    assert_eq!(s.ok("auth.status", json!({}))["source"], "authFile");
    s.ok("models.list", json!({"refresh": true, "options": opts}));
    assert_eq!(
        auth_of_last(model_requests(&gw).await),
        "Bearer sk-content-key-00000"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_models_list_with_and_without_a_gateway() {
    let gw = gateway(omniroute_body()).await;
    let sb = Sandbox::new();
    let out = sb
        .command()
        .args(["models", "list", "--base-url", &gw.uri()])
        .env("XDG_CACHE_HOME", sb.cache())
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.starts_with("ID"), "{text}");
    assert!(
        text.contains("cx/gpt-5.1-codex-mini")
            && text.contains("400000")
            && text.contains("(source: live)"),
        "{text}"
    );

    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let out = sb
        .command()
        .args([
            "models",
            "list",
            "--base-url",
            &format!("http://127.0.0.1:{dead}"),
        ])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("gpt-4o") && text.contains("(source: fallback)"),
        "{text}"
    );
    assert!(text.contains("no OmniRoute gateway answered"), "{text}");

    let out = sb
        .command()
        .args(["models", "list", "--json", "--base-url", &gw.uri()])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["source"], "live");
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_in_a_new_process_diffs_against_the_snapshot() {
    let gw = gateway(list(vec![model_entry("a/b", "a")])).await;
    let sb = Sandbox::new();
    let opts = options(&base(&gw), None);
    {
        let mut s = Server::spawn(&sb, &[]);
        s.ok("models.list", json!({"refresh": true, "options": opts}));
        s.close(); // the snapshot is written after answering, before a clean exit
    }
    gw.reset().await;
    Mock::given(path("/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(vec![model_entry("a/c", "a")])))
        .mount(&gw)
        .await;
    let mut s = Server::spawn(&sb, &[]);
    let r = s.ok("models.refresh", json!({"options": opts}));
    assert_eq!(
        r["diff"],
        json!({"added": ["a/c"], "removed": ["a/b"], "changed": []})
    );
}

#[test]
fn auth_connect_refuses_an_unusable_base_url() {
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let e = s.err(
        "auth.connect",
        json!({"apiKey": KEY, "baseURL": "ftp://gateway"}),
    );
    assert_eq!(e["code"], -32602);
    assert!(e["message"].as_str().expect("msg").contains("baseURL"));
    assert!(!sb.auth_file().exists());
    assert_no_key(&s, KEY);
}

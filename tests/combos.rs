//! Combos through the binary on both gateway generations: `/v1/combos` (3.8) and the 3.7.9
//! fallback to `/api/combos`, members of every form, nesting, cycles, unknown members,
//! capability maths, and combo entries in `models.list`.

mod common;

use common::{by_id, combo_entry, list, model_entry, modelsdev_fixture, Sandbox, Server};
use serde_json::{json, Value};
use wiremock::matchers::{header_exists, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn gateway_models() -> Vec<Value> {
    let mut with_ctx = combo_entry("weighted");
    with_ctx["context_length"] = json!(150000);
    vec![
        model_entry("cx/gpt-5.1-codex-mini", "codex"),
        model_entry("kmc/kimi-k2.5", "kimi-coding"),
        model_entry("gemini/models/gemini-3-flash-preview", "gemini"),
        model_entry("cx/gpt-5-chat-latest", "codex"),
        model_entry("mock/mock-small", "mock"),
        combo_entry("Designer"),
        combo_entry("top"),
        combo_entry("mid"),
        combo_entry("low"),
        combo_entry("loop-a"),
        combo_entry("no-tools"),
        with_ctx,
        combo_entry("auto/coding"),
    ]
}

fn definitions() -> Vec<Value> {
    vec![
        json!({"name": "Designer", "strategy": "priority", "models": [
            {"kind": "model", "model": "kmc/kimi-k2.5", "providerId": "kmc", "weight": 0},
            {"kind": "model", "model": "cx/gpt-5.1-codex-mini", "providerId": "cx", "weight": 0},
            {"kind": "model", "model": "gemini/models/gemini-3-flash-preview", "providerId": "gemini", "weight": 0}]}),
        json!({"name": "top", "strategy": "weighted", "models": [
            "cx/gpt-5.1-codex-mini", {"kind": "combo-ref", "comboName": "mid", "weight": 3}]}),
        json!({"name": "mid", "models": [{"id": "kmc/kimi-k2.5"}, "low"]}),
        json!({"name": "low", "models": [{"model": "gemini/models/gemini-3-flash-preview"}, "mock/mock-small", "ghost/unknown-1"]}),
        json!({"name": "loop-a", "models": [{"kind": "combo-ref", "comboName": "loop-b"}, "kmc/kimi-k2.5"]}),
        json!({"name": "loop-b", "models": [{"kind": "combo-ref", "comboName": "loop-a"}]}),
        json!({"name": "no-tools", "models": ["cx/gpt-5.1-codex-mini", "cx/gpt-5-chat-latest"]}),
        json!({"name": "weighted", "strategy": "weighted", "context_length": 150000, "models": [
            {"kind": "model", "model": "kmc/kimi-k2.5", "weight": 60}, {"kind": "model", "model": "cx/gpt-5.1-codex-mini", "weight": 40}]}),
        json!({"name": "auto/coding", "strategy": "auto", "models": ["kmc/kimi-k2.5", "cx/gpt-5-chat-latest"]}),
        json!({"name": "off", "isActive": false, "models": ["kmc/kimi-k2.5"]}),
        json!({"name": "uses-off", "models": ["cx/gpt-5.1-codex-mini", {"kind": "combo-ref", "comboName": "off"}]}),
    ]
}

/// `generation` 38: `/v1/combos`; 379: 404 HTML there and `/api/combos` (open without a key,
/// 403 with any Bearer key, as 3.7.9 does).
async fn gateway(generation: u32) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path("/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(gateway_models())))
        .mount(&server)
        .await;
    Mock::given(path("/api.json"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(modelsdev_fixture()))
        .mount(&server)
        .await;
    if generation == 38 {
        Mock::given(path("/v1/combos"))
            .respond_with(ResponseTemplate::new(200).set_body_json(list(definitions())))
            .mount(&server)
            .await;
    } else {
        Mock::given(path("/v1/combos"))
            .respond_with(
                ResponseTemplate::new(404)
                    .insert_header("content-type", "text/html; charset=utf-8")
                    .set_body_string("<!DOCTYPE html><html><body>404: This page could not be found.</body></html>"),
            )
            .mount(&server)
            .await;
        Mock::given(path("/api/combos"))
            .and(header_exists("authorization"))
            .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": "forbidden"})))
            .mount(&server)
            .await;
        let defs: Vec<Value> = definitions()
            .into_iter()
            .enumerate()
            .map(|(i, mut d)| {
                d["id"] = json!(format!("c{i}"));
                d["isHidden"] = json!(false);
                d["sortOrder"] = json!(i);
                d
            })
            .collect();
        Mock::given(path("/api/combos"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"combos": defs})))
            .mount(&server)
            .await;
    }
    server
}

fn opts(server: &MockServer) -> Value {
    json!({"baseURL": format!("{}/v1", server.uri()), "modelsDev": {"url": format!("{}/api.json", server.uri())}})
}

#[tokio::test(flavor = "multi_thread")]
async fn designer_resolves_all_three_members_on_both_generations() {
    for generation in [38, 379] {
        let gw = gateway(generation).await;
        let sb = Sandbox::new();
        let mut s = Server::spawn(&sb, &[]);
        let r = s.ok(
            "combos.resolve",
            json!({"name": "Designer", "options": opts(&gw), "apiKey": "sk-test-0000000000000"}),
        );
        assert_eq!(r["found"], true, "{generation}: {r}");
        assert_eq!(r["strategy"], "priority");
        let members = r["members"].as_array().expect("members");
        assert_eq!(members.len(), 3);
        for m in members {
            assert_eq!(m["resolved"], true, "{generation}: {m}");
        }
        let caps = &r["capabilities"];
        assert_eq!(caps["contextWindow"], 262144);
        assert_eq!(caps["maxTokens"], 65536);
        assert_eq!(caps["supportsTools"], true);
        assert_eq!(caps["supportsVision"], true);
        assert_eq!(caps["unknown"], json!([]));
        assert_eq!(caps["pricing"]["input"], json!({"min": 0.25, "max": 0.6}));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn nested_three_levels_with_paths_weights_and_unknowns() {
    let gw = gateway(379).await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let r = s.ok(
        "combos.resolve",
        json!({"name": "top", "options": opts(&gw)}),
    );
    let members = r["members"].as_array().expect("members");
    let ids: Vec<&str> = members
        .iter()
        .map(|m| m["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        ids,
        [
            "cx/gpt-5.1-codex-mini",
            "kmc/kimi-k2.5",
            "gemini/models/gemini-3-flash-preview",
            "mock/mock-small",
            "ghost/unknown-1"
        ]
    );
    assert_eq!(members[2]["path"], json!(["top", "mid", "low"]));
    assert_eq!(r["directMembers"], json!(["cx/gpt-5.1-codex-mini", "mid"]));
    let ghost = &members[4];
    assert_eq!(ghost["resolved"], false);
    assert!(ghost["reason"]
        .as_str()
        .expect("reason")
        .contains("not listed by the gateway"));
    assert_eq!(
        members[3]["resolved"], false,
        "mock-small has no metadata anywhere"
    );
    let caps = &r["capabilities"];
    assert_eq!(
        caps["unknown"],
        json!(["mock/mock-small", "ghost/unknown-1"])
    );
    assert_eq!(
        caps["contextWindow"], 262144,
        "unknown members never drag limits down"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cycles_are_reported_never_looped() {
    let gw = gateway(38).await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let r = s.ok(
        "combos.resolve",
        json!({"name": "loop-a", "options": opts(&gw)}),
    );
    assert_eq!(r["cycles"], json!([["loop-a", "loop-b", "loop-a"]]));
    assert_eq!(r["members"].as_array().expect("m").len(), 1);
    let l = s.ok(
        "models.list",
        json!({"refresh": false, "options": opts(&gw)}),
    );
    assert!(l["warnings"]
        .to_string()
        .contains("loop-a → loop-b → loop-a"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tool_less_member_turns_tools_off() {
    let gw = gateway(38).await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let r = s.ok(
        "capabilities.compute",
        json!({"model": "no-tools", "options": opts(&gw)}),
    );
    assert_eq!(r["supportsTools"], false);
    assert_eq!(r["contextWindow"], 400000);
    let r = s.ok(
        "capabilities.compute",
        json!({"models": ["cx/gpt-5.1-codex-mini", "kmc/kimi-k2.5", "nobody/knows"], "options": opts(&gw)}),
    );
    assert_eq!(r["contextWindow"], 262144);
    assert_eq!(r["maxTokens"], 128000);
    assert_eq!(r["supportsTools"], true);
    assert_eq!(r["unknown"], json!(["nobody/knows"]));
    assert!(r["warnings"].to_string().contains("nobody/knows"));
    // Ids the gateway does not list still go through the one matcher.
    let r = s.ok(
        "capabilities.compute",
        json!({"models": ["cc/claude-sonnet-4-5"], "options": opts(&gw)}),
    );
    assert_eq!(r["contextWindow"], 200000);
    let e = s.err("capabilities.compute", json!({"options": opts(&gw)}));
    assert_eq!(e["code"], -32602);
}

#[tokio::test(flavor = "multi_thread")]
async fn gateway_context_is_reported_and_preferred_when_lower() {
    let gw = gateway(38).await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let r = s.ok(
        "capabilities.compute",
        json!({"model": "weighted", "options": opts(&gw)}),
    );
    assert_eq!(r["gatewayContextWindow"], 150000);
    assert_eq!(r["computedContextWindow"], 262144);
    assert_eq!(r["contextWindow"], 150000);
    let l = s.ok(
        "models.list",
        json!({"refresh": false, "options": opts(&gw)}),
    );
    let w = &by_id(&l)["weighted"];
    assert_eq!(w["contextWindow"], 150000);
    assert_eq!(w["provenance"]["contextWindow"], "gateway");
}

#[tokio::test(flavor = "multi_thread")]
async fn combo_entries_in_models_list_carry_computed_limits() {
    for generation in [38, 379] {
        let gw = gateway(generation).await;
        let sb = Sandbox::new();
        let mut s = Server::spawn(&sb, &[]);
        let r = s.ok(
            "models.list",
            json!({"refresh": true, "options": opts(&gw)}),
        );
        let m = by_id(&r);
        let d = &m["Designer"];
        assert_eq!(d["contextWindow"], 262144, "{generation}: {d}");
        assert_eq!(d["maxTokens"], 65536);
        assert_eq!(d["provenance"]["contextWindow"], "combo");
        assert_eq!(d["provenance"]["supportsTools"], "combo");
        assert_eq!(d["combo"]["strategy"], "priority");
        assert_eq!(d["combo"]["resolved"], true);
        assert_eq!(m["no-tools"]["supportsTools"], false);
        assert_eq!(
            m["auto/coding"]["supportsTools"], false,
            "built-in auto/* combos too"
        );
        assert_eq!(
            m["top"]["combo"]["members"],
            json!(["cx/gpt-5.1-codex-mini", "mid"])
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn forbidden_combos_never_break_the_model_list() {
    let gw = MockServer::start().await;
    Mock::given(path("/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(gateway_models())))
        .mount(&gw)
        .await;
    Mock::given(path("/v1/combos"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&gw)
        .await;
    Mock::given(path("/api/combos"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&gw)
        .await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let o = json!({"baseURL": format!("{}/v1", gw.uri()), "modelsDev": {"enabled": false}});
    let r = s.ok(
        "models.list",
        json!({"refresh": true, "apiKey": "sk-test-0000000000000", "options": o}),
    );
    assert_eq!(r["source"], "live");
    assert_eq!(r["count"], gateway_models().len());
    let w = r["warnings"].to_string();
    assert!(
        w.contains("combo definitions unavailable") && w.contains("HTTP 403"),
        "{w}"
    );
    assert_eq!(by_id(&r)["Designer"]["combo"]["resolved"], false);
    let c = s.ok("combos.resolve", json!({"name": "Designer", "options": o}));
    assert_eq!(c["found"], false);
    let e = s.err(
        "combos.resolve",
        json!({"name": "not-a-combo", "options": o}),
    );
    assert_eq!(e["data"]["kind"], "not_found");
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_diff_shows_added_and_removed_combos() {
    let gw = gateway(38).await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    s.ok(
        "models.list",
        json!({"refresh": true, "options": opts(&gw)}),
    );
    gw.reset().await;
    let mut models = gateway_models();
    models.retain(|m| m["id"] != "no-tools");
    models.push(combo_entry("fresh"));
    let mut defs = definitions();
    defs.push(json!({"name": "fresh", "models": ["kmc/kimi-k2.5"]}));
    Mock::given(path("/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(models)))
        .mount(&gw)
        .await;
    Mock::given(path("/v1/combos"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(defs)))
        .mount(&gw)
        .await;
    Mock::given(path("/api.json"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(modelsdev_fixture()))
        .mount(&gw)
        .await;
    let r = s.ok("models.refresh", json!({"options": opts(&gw)}));
    assert_eq!(r["diff"]["added"], json!(["fresh"]));
    assert_eq!(r["diff"]["removed"], json!(["no-tools"]));
    assert_eq!(r["source"], "live");
}

#[tokio::test(flavor = "multi_thread")]
async fn inactive_combos_are_not_served() {
    let gw = gateway(379).await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let e = s.err(
        "combos.resolve",
        json!({"name": "off", "options": opts(&gw)}),
    );
    assert_eq!(e["data"]["kind"], "not_found");
    assert!(e["message"].as_str().expect("msg").contains("inactive"));
    let r = s.ok(
        "combos.resolve",
        json!({"name": "uses-off", "options": opts(&gw)}),
    );
    let off = &r["members"][1];
    assert_eq!(off["resolved"], false);
    assert!(off["problem"]
        .as_str()
        .expect("problem")
        .contains("inactive"));
    let c = s.ok(
        "capabilities.compute",
        json!({"model": "off", "options": opts(&gw)}),
    );
    assert_eq!(c["unknown"], json!(["off"]));
    assert!(c["warnings"].to_string().contains("inactive"));
}

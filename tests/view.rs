//! The view options through the binary, on a catalogue built for them
//! (`tests/fixtures/view/`: known flags, prices, dates, deprecated entries from the gateway and
//! from models.dev, effort variants, combos whose members are hidden): every option alone and
//! combined, `unfiltered`, the combo maths left untouched, `opencode.provider`, `models.search`.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{ids, Sandbox, Server};
use serde_json::{json, Value};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// `YYYY-MM-DD` of `days` days before today (UTC), as the service's clock sees it.
fn days_ago(days: i64) -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    // Howard Hinnant's civil-from-days
    let z = secs / 86_400 - days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A fixture with every `"@N"` replaced by the date N days ago.
fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/view")
        .join(name);
    let v: Value = serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("json");
    fn walk(v: Value) -> Value {
        match v {
            Value::String(s) => match s.strip_prefix('@').and_then(|n| n.parse::<i64>().ok()) {
                Some(n) => Value::String(days_ago(n)),
                None => Value::String(s),
            },
            Value::Array(a) => Value::Array(a.into_iter().map(walk).collect()),
            Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, walk(v))).collect()),
            other => other,
        }
    }
    walk(v)
}

async fn gateway() -> MockServer {
    let server = MockServer::start().await;
    for (p, f) in [
        ("/v1/models", "models.json"),
        ("/v1/combos", "combos.json"),
        ("/api.json", "modelsdev.json"),
    ] {
        Mock::given(path(p))
            .respond_with(ResponseTemplate::new(200).set_body_json(fixture(f)))
            .mount(&server)
            .await;
    }
    server
}

/// Options pointing at the mock, plus `extra`.
fn opts(gw: &MockServer, extra: Value) -> Value {
    let mut o = json!({"baseURL": format!("{}/v1", gw.uri()),
        "modelsDev": {"url": format!("{}/api.json", gw.uri())}, "requestTimeoutMs": 3000});
    if let (Some(o), Value::Object(e)) = (o.as_object_mut(), extra) {
        o.extend(e);
    }
    o
}

fn set(r: &Value) -> BTreeSet<String> {
    ids(r).into_iter().collect()
}

fn names(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

struct Env {
    gw: MockServer,
    _sb: Sandbox,
    s: Server,
}

async fn env() -> Env {
    let gw = gateway().await;
    let sb = Sandbox::new();
    let s = Server::spawn(&sb, &[]);
    Env { gw, _sb: sb, s }
}

impl Env {
    fn list(&mut self, extra: Value) -> Value {
        let o = opts(&self.gw, extra);
        self.s
            .ok("models.list", json!({"refresh": false, "options": o}))
    }
}

const ALL: usize = 20;

#[tokio::test(flavor = "multi_thread")]
async fn no_option_shows_everything() {
    let mut e = env().await;
    let r = e.list(json!({}));
    assert_eq!(r["count"], ALL);
    assert_eq!(r["hidden"]["count"], 0);
    // models.dev status and last update reach the model
    let md = common::by_id(&r);
    assert_eq!(md["md/md-dep"]["status"], "deprecated");
    assert_eq!(md["md/md-updated"]["lastUpdated"], days_ago(7));
    assert_eq!(md["gx/gem"]["free"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn each_option_alone() {
    let mut e = env().await;
    let cases: Vec<(Value, Vec<&str>, &str)> = vec![
        (
            json!({"toolsOnly": true}),
            vec![
                "ow/new-1",
                "ow/new-2",
                "ow/old-1",
                "ow/dep",
                "ow/new-1-high",
                "gx/gem-preview",
                "bare-model",
                "md/md-dep",
                "md/md-updated",
            ],
            "toolsOnly",
        ),
        (
            json!({"visionOnly": true}),
            vec![
                "ow/new-1",
                "ow/old-1",
                "ow/new-1-high",
                "gx/gem",
                "team/duo",
                "allfree",
            ],
            "visionOnly",
        ),
        (
            json!({"freeOnly": true}),
            vec!["ow/new-1", "gx/gem", "allfree"],
            "freeOnly",
        ),
        (
            json!({"providersAllow": ["gx"]}),
            vec!["gx/gem", "gx/gem-preview", "team/duo", "allfree"],
            "providersAllow",
        ),
        (
            json!({"hiddenModels": ["ow/*", "bare-model"]}),
            vec![
                "gx/gem",
                "gx/gem-preview",
                "md/md-dep",
                "md/md-updated",
                "md/md-old",
                "team/duo",
                "allfree",
            ],
            "hiddenModels",
        ),
        (
            // short form, glob with a slash, glob without one (matched by suffix)
            json!({"visibleModels": ["new-1", "gx/*", "md-*"]}),
            vec![
                "ow/new-1",
                "gx/gem",
                "gx/gem-preview",
                "md/md-dep",
                "md/md-updated",
                "md/md-old",
                "team/duo",
                "allfree",
            ],
            "visibleModels",
        ),
    ];
    for (o, want, reason) in cases {
        let r = e.list(o.clone());
        assert_eq!(set(&r), names(&want), "{o}");
        assert_eq!(r["count"], want.len(), "{o}");
        assert_eq!(r["hidden"]["count"], ALL - want.len(), "{o}");
        assert_eq!(
            r["hidden"]["byReason"][reason],
            ALL - want.len(),
            "{o}: {}",
            r["hidden"]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn curated_view() {
    let mut e = env().await;
    let r = e.list(
        json!({"view": "curated", "showcasePerOwner": 1, "freshPerOwner": 2,
        "freshWindowDays": 90}),
    );
    assert_eq!(
        set(&r),
        names(&[
            // ow: the newest (a variant standing in for a model listed only as variants), then
            // the two freshest (one by its last update), the non-chat entry
            "ow/solo-medium",
            "ow/old-2",
            "ow/new-1",
            "ow/embed",
            "gx/gem-preview",
            // md: the newest, and one updated lately according to models.dev
            "md/md-old",
            "md/md-updated",
            "bare-model",
            "team/duo",
            "allfree",
        ])
    );
    let h = &r["hidden"];
    assert_eq!(h["count"], 10);
    assert_eq!(h["byReason"]["deprecated"], 2, "{h}");
    assert_eq!(h["byReason"]["variant"], 3, "{h}");
    assert_eq!(h["byReason"]["curated"], 5, "{h}");
    // the defaults (10 + 10 per owner) keep everything here but deprecated entries and variants
    let r = e.list(json!({"view": "curated"}));
    assert_eq!(r["count"], ALL - 5);
    // a shorter window: nothing is fresh any more but what is within 4 days
    let r = e.list(json!({"view": "curated", "showcasePerOwner": 1, "freshWindowDays": 4}));
    assert!(set(&r).contains("ow/old-2"), "updated 3 days ago");
    assert!(!set(&r).contains("ow/new-1"), "released 5 days ago");
}

#[tokio::test(flavor = "multi_thread")]
async fn options_combined_and_unfiltered() {
    let mut e = env().await;
    let o = json!({"view": "curated", "showcasePerOwner": 1, "freshPerOwner": 2,
        "visibleModels": ["ow/old-1", "fresh-*"], "hiddenModels": ["ow/new-1*"], "toolsOnly": true});
    let r = e.list(o.clone());
    // the literal ow/old-1 beats the curated cut; the glob fresh-* is still subject to toolsOnly
    assert_eq!(
        set(&r),
        names(&[
            "ow/old-1",
            "ow/new-2",
            "gx/gem-preview",
            "bare-model",
            "md/md-updated"
        ])
    );
    let b = &r["hidden"]["byReason"];
    assert_eq!(b["hiddenModels"], 3, "{b}");
    assert_eq!(b["toolsOnly"], 10, "{b}");
    assert_eq!(b["deprecated"], 2, "{b}");
    let all = e.s.ok(
        "models.list",
        json!({"refresh": false, "options": opts(&e.gw, o), "unfiltered": true}),
    );
    assert_eq!(all["count"], ALL);
    assert_eq!(all["hidden"]["count"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn session_options_and_invalid_values() {
    let mut e = env().await;
    let init = e.s.ok(
        "initialize",
        json!({"options": opts(&e.gw, json!({"toolsOnly": true, "view": "fancy",
            "showcasePerOwner": -3, "hiddenModels": [7, "bare-model"]}))}),
    );
    let w = init["warnings"].to_string();
    for name in ["`view`", "`showcasePerOwner`", "`hiddenModels[0]`"] {
        assert!(w.contains(name), "{name}: {w}");
    }
    let r = e.s.ok("models.list", json!({"refresh": false}));
    assert_eq!(
        r["count"], 8,
        "toolsOnly from the session, bare-model hidden"
    );
    assert_eq!(r["hidden"]["byReason"]["hiddenModels"], 1);
    // a call's options layer over the session's
    let r = e.s.ok(
        "models.list",
        json!({"refresh": false, "options": {"toolsOnly": false}}),
    );
    assert_eq!(r["count"], ALL - 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_combo_with_hidden_members_keeps_its_maths() {
    let mut e = env().await;
    let full = e.list(json!({}));
    let hide = json!({"hiddenModels": ["ow/old-1", "gx/*"]});
    let filtered = e.list(hide.clone());
    let (a, b) = (
        &common::by_id(&full)["team/duo"],
        &common::by_id(&filtered)["team/duo"],
    );
    assert_eq!(a, b, "the combo's entry does not change");
    assert_eq!(b["contextWindow"], 64000, "min over both (hidden) members");
    assert_eq!(b["maxTokens"], 4000);
    assert_eq!(b["supportsTools"], false, "gx/gem has no tools");
    assert_eq!(b["supportsVision"], true);
    let o = opts(&e.gw, hide);
    let caps = e.s.ok(
        "capabilities.compute",
        json!({"model": "team/duo", "options": o}),
    );
    let caps_full = e.s.ok(
        "capabilities.compute",
        json!({"model": "team/duo", "options": opts(&e.gw, json!({}))}),
    );
    for k in [
        "contextWindow",
        "maxTokens",
        "supportsTools",
        "supportsVision",
        "members",
        "unknown",
    ] {
        assert_eq!(caps[k], caps_full[k], "{k}");
    }
    assert_eq!(caps["contextWindow"], 64000, "{caps}");
    assert_eq!(caps["members"], json!(["ow/old-1", "gx/gem"]));
    let res =
        e.s.ok("combos.resolve", json!({"name": "team/duo", "options": o}));
    let members = res["members"].as_array().expect("members");
    assert_eq!(members.len(), 2);
    assert!(members.iter().all(|m| m["resolved"] == true), "{res}");
}

#[tokio::test(flavor = "multi_thread")]
async fn opencode_provider_publishes_the_filtered_set() {
    let mut e = env().await;
    let o = opts(
        &e.gw,
        json!({"view": "curated", "showcasePerOwner": 1, "freshPerOwner": 2}),
    );
    let r =
        e.s.ok("opencode.provider", json!({"refresh": false, "options": o}));
    let got: BTreeSet<String> = r["provider"]["models"]
        .as_object()
        .expect("models")
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        got,
        names(&[
            "ow/solo-medium",
            "ow/old-2",
            "ow/new-1",
            "gx/gem-preview",
            "md/md-old",
            "md/md-updated",
            "bare-model",
            "team/duo",
            "allfree",
        ])
    );
    assert_eq!(
        r["provider"]["models"]["team/duo"]["limit"]["context"],
        64000
    );
    // without options: every chat model
    let r = e.s.ok(
        "opencode.provider",
        json!({"refresh": false, "options": opts(&e.gw, json!({}))}),
    );
    assert_eq!(
        r["provider"]["models"].as_object().map(|m| m.len()),
        Some(ALL - 1)
    );
}

fn search_ids(r: &Value) -> Vec<String> {
    r["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|h| h["model"]["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn models_search_ranks_and_filters() {
    let mut e = env().await;
    let o = opts(&e.gw, json!({}));
    let r = e.s.ok(
        "models.search",
        json!({"query": "new-1", "options": o, "refresh": false}),
    );
    let got = search_ids(&r);
    assert_eq!(got[0], "ow/new-1");
    assert_eq!(r["results"][0]["match"], "exact");
    assert_eq!(&got[1..3], ["ow/new-1-high", "ow/new-1-xhigh"]);
    assert_eq!(r["results"][1]["match"], "prefix");
    // exact id beats the rest; a name match; fuzzy last
    let r = e.s.ok(
        "models.search",
        json!({"query": "MD Updated", "options": o}),
    );
    assert_eq!(search_ids(&r)[0], "md/md-updated");
    let r =
        e.s.ok("models.search", json!({"query": "gmprv", "options": o}));
    assert_eq!(search_ids(&r), ["gx/gem-preview"]);
    assert_eq!(r["results"][0]["match"], "fuzzy");
    // filters as params; `unfiltered`; limit and total
    let r = e.s.ok(
        "models.search",
        json!({"query": "gem", "toolsOnly": true, "options": o}),
    );
    assert_eq!(search_ids(&r), ["gx/gem-preview"]);
    assert!(r["hidden"]["byReason"]["toolsOnly"].as_u64() > Some(0));
    let r = e.s.ok(
        "models.search",
        json!({"query": "gem", "toolsOnly": true, "unfiltered": true, "options": o}),
    );
    assert_eq!(search_ids(&r)[..2], ["gx/gem", "gx/gem-preview"]);
    let r = e.s.ok(
        "models.search",
        json!({"query": "fresh", "limit": 1, "options": o}),
    );
    assert_eq!(r["total"], 2);
    assert_eq!(search_ids(&r).len(), 1);
    // a curated session view does not hide models from search; its own visibleModels narrows it
    let cur = opts(
        &e.gw,
        json!({"view": "curated", "showcasePerOwner": 1, "freshPerOwner": 0}),
    );
    let r =
        e.s.ok("models.search", json!({"query": "fresh-2", "options": cur}));
    assert_eq!(search_ids(&r)[0], "ow/fresh-2");
    let r = e.s.ok(
        "models.search",
        json!({"query": "ow", "visibleModels": ["ow/new-*"], "options": o, "limit": 100}),
    );
    assert_eq!(
        search_ids(&r).into_iter().collect::<BTreeSet<_>>(),
        names(&["ow/new-1", "ow/new-2", "ow/new-1-high", "ow/new-1-xhigh"])
    );
    // empty query: everything (catalogue order); bad params: -32602 naming the field
    let r = e.s.ok(
        "models.search",
        json!({"query": "", "options": o, "limit": 1000}),
    );
    assert_eq!(r["total"], ALL);
    let err =
        e.s.err("models.search", json!({"query": "x", "toolsOnly": "yes"}));
    assert_eq!(err["code"], -32602);
    assert_eq!(err["data"]["field"], "toolsOnly");
    let err = e.s.err("models.search", json!({}));
    assert_eq!(err["code"], -32602);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_curated_view_keeps_recently_used_models() {
    let mut e = env().await;
    let curated = json!({"view": "curated", "showcasePerOwner": 1, "freshPerOwner": 0});
    let before = e.list(curated.clone());
    assert!(!set(&before).contains("ow/old-1"));
    // a host reports a request (the ledger is the usage memory, shared by processes)
    e.s.ok(
        "usage.record",
        json!({"model": "ow/old-1", "host": "script", "status": 200, "ok": true,
            "options": opts(&e.gw, json!({}))}),
    );
    let after = e.list(curated.clone());
    assert!(set(&after).contains("ow/old-1"), "{:?}", set(&after));
    assert_eq!(
        after["count"],
        before["count"].as_u64().map(|c| c + 1).unwrap_or(0)
    );
    // only the curated cut yields to usage: a filter still hides it
    let mut hidden = curated;
    hidden["hiddenModels"] = json!(["old-1"]);
    assert!(!set(&e.list(hidden)).contains("ow/old-1"));
    // the opencode block follows
    let o = opts(
        &e.gw,
        json!({"view": "curated", "showcasePerOwner": 1, "freshPerOwner": 0}),
    );
    let r =
        e.s.ok("opencode.provider", json!({"refresh": false, "options": o}));
    assert!(r["provider"]["models"]["ow/old-1"].is_object());
}

/// The gateway's own usage (`/api/usage/analytics`, read with the health reading) is usage
/// memory too: a model it counted requests for stays in the curated view.
#[tokio::test(flavor = "multi_thread")]
async fn the_curated_view_keeps_models_the_gateway_saw_used() {
    let mut e = env().await;
    let analytics = json!({"summary": {"totalRequests": 3},
        "byModel": [{"model": "old-2", "provider": "ow", "requests": 3, "avgLatencyMs": 120,
            "successRatePct": 100, "promptTokens": 10, "completionTokens": 5, "cost": 0}],
        "byProvider": []});
    Mock::given(path("/api/usage/analytics"))
        .respond_with(ResponseTemplate::new(200).set_body_json(analytics))
        .mount(&e.gw)
        .await;
    let curated = json!({"view": "curated", "showcasePerOwner": 1, "freshPerOwner": 0});
    assert!(!set(&e.list(curated.clone())).contains("ow/old-2"));
    // A health reading (what hosts ask for their health column) brings the analytics along.
    let o = opts(&e.gw, curated.clone());
    e.s.ok("models.health", json!({"options": o}));
    let after = e.list(curated);
    assert!(set(&after).contains("ow/old-2"), "{:?}", set(&after));
}

//! Option abuse through the binary: non-http base URLs, a models.dev URL pointing at a file,
//! catastrophic-backtracking override regexes against huge ids, huge and negative numbers,
//! wrong types. Each gives a warning naming the option, the default is used, and the call
//! still succeeds.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{self, Sandbox, Server};
use crate::support::{assert_no_panic, figure, Gateway};

/// Merges `patch` into the base options (modelsDev merged key by key).
fn with(base: &Value, patch: &Value) -> Value {
    let mut o = base.clone();
    for (k, v) in patch.as_object().unwrap() {
        match (o.get_mut(k), v) {
            (Some(Value::Object(old)), Value::Object(new)) => {
                for (nk, nv) in new {
                    old.insert(nk.clone(), nv.clone());
                }
            }
            _ => {
                o[k] = v.clone();
            }
        }
    }
    o
}

#[test]
fn options_abuse_warns_naming_the_option_and_the_call_succeeds() {
    let mock = Gateway::standard().serve();
    let sandbox = Sandbox::new();
    let a_file = sandbox.dir.path().join("a-file");
    std::fs::write(&a_file, b"not a directory").unwrap();
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/modelsdev-api.json");
    // A rejected baseURL falls back to OMNIROUTE_BASE_URL: the mock, so the call can succeed.
    let base = mock.base();
    let mut server = Server::spawn(&sandbox, &[("OMNIROUTE_BASE_URL", &base)]);
    let good = json!({"baseURL": base, "modelsDev": {"enabled": false}, "requestTimeoutMs": 5000});
    let two64 = serde_json::from_str::<Value>("18446744073709551616").unwrap();
    let cases: Vec<(Value, &str)> = vec![
        (json!({"baseURL": "file:///etc/passwd"}), "baseURL"),
        (json!({"baseURL": "ftp://127.0.0.1/v1"}), "baseURL"),
        (json!({"baseURL": "javascript:alert(1)"}), "baseURL"),
        (json!({"baseURL": "data:text/plain,hello"}), "baseURL"),
        (json!({"baseURL": "gopher://127.0.0.1:70/"}), "baseURL"),
        (json!({"baseURL": ""}), "baseURL"),
        (json!({"baseURL": "http://"}), "baseURL"),
        (json!({"baseURL": "127.0.0.1:20128"}), "baseURL"),
        (json!({"baseURL": 42}), "baseURL"),
        (json!({"baseURL": ["http://127.0.0.1/v1"]}), "baseURL"),
        (
            json!({"modelsDev": {"url": format!("file://{}", fixture.display())}}),
            "modelsDev.url",
        ),
        (
            json!({"modelsDev": {"url": "/etc/passwd"}}),
            "modelsDev.url",
        ),
        (json!({"modelsDev": {"url": 7}}), "modelsDev.url"),
        (json!({"modelCacheTtl": 1e308}), "modelCacheTtl"),
        (json!({"modelCacheTtl": -1}), "modelCacheTtl"),
        (json!({"modelCacheTtl": 0}), "modelCacheTtl"),
        (json!({"modelCacheTtl": "300000"}), "modelCacheTtl"),
        (
            json!({"requestTimeoutMs": two64.clone()}),
            "requestTimeoutMs",
        ),
        (json!({"requestTimeoutMs": u64::MAX}), "requestTimeoutMs"),
        (json!({"requestTimeoutMs": -5000}), "requestTimeoutMs"),
        (json!({"requestTimeoutMs": 1e308}), "requestTimeoutMs"),
        (json!({"requestTimeoutMs": {"ms": 5}}), "requestTimeoutMs"),
        (
            json!({"modelsDev": {"timeoutMs": -1}}),
            "modelsDev.timeoutMs",
        ),
        (
            json!({"modelsDev": {"timeoutMs": two64}}),
            "modelsDev.timeoutMs",
        ),
        (
            json!({"modelsDev": {"cacheTtl": -86400000}}),
            "modelsDev.cacheTtl",
        ),
        (json!({"modelsDev": {"enabled": "no"}}), "modelsDev.enabled"),
        (
            json!({"modelsDev": {"providerAliases": [1, 2]}}),
            "modelsDev.providerAliases",
        ),
        (
            json!({"modelsDev": {"providerAliases": {"cx": 5}}}),
            "modelsDev.providerAliases.cx",
        ),
        (json!({"apiMode": 7}), "apiMode"),
        (json!({"apiMode": "grpc"}), "apiMode"),
        (json!({"refreshOnList": "yes"}), "refreshOnList"),
        (json!({"offline": 1}), "offline"),
        (json!({"cacheDir": 5}), "cacheDir"),
        (json!({"cacheDir": ""}), "cacheDir"),
        (json!({"modelMetadata": 42}), "modelMetadata"),
        (
            json!({"modelMetadata": [{"match": "x", "contextWindow": 1e308}]}),
            "modelMetadata[0].contextWindow",
        ),
        (
            json!({"modelMetadata": [{"match": "x", "maxTokens": -5}]}),
            "modelMetadata[0].maxTokens",
        ),
        (
            json!({"modelMetadata": [{"match": "x", "supportsTools": "yes"}]}),
            "modelMetadata[0].supportsTools",
        ),
        (
            json!({"modelMetadata": [{"match": {"regex": "a{1000}{1000}"}}]}),
            "modelMetadata[0]",
        ),
        (
            json!({"modelMetadata": [{"match": {"regex": "(unclosed"}}]}),
            "modelMetadata[0]",
        ),
        (
            json!({"modelMetadata": [{"match": {"regex": "a", "flags": "gy"}}]}),
            "modelMetadata[0]",
        ),
        (json!({"modelMetadata": [{"match": 5}]}), "modelMetadata[0]"),
        (
            json!({"modelMetadata": {"cx/x": 5}}),
            "modelMetadata[\"cx/x\"]",
        ),
    ];
    let mut failures = Vec::new();
    for (patch, name) in &cases {
        let o = with(&good, patch);
        let r = server.call("models.list", json!({"refresh": true, "options": o}));
        let Some(res) = r.get("result") else {
            failures.push(format!("{patch}: the call failed: {r}"));
            continue;
        };
        let warnings: Vec<&str> = res["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let warnings = warnings.join(" | ");
        if !warnings.contains(&format!("`{name}`")) && !warnings.contains(name) {
            failures.push(format!("{patch}: no warning naming `{name}`: {warnings}"));
        }
        if res["source"] != "live" || res["baseURL"] != json!(base) {
            failures.push(format!(
                "{patch}: expected the live list from the default gateway: source {} baseURL {}",
                res["source"], res["baseURL"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // All at once in `initialize`: every one named in its warnings, and the session works.
    let mut all = good.clone();
    for (patch, _) in &cases {
        all = with(&all, patch);
    }
    let init = server.ok("initialize", json!({"options": all}));
    let w = init["warnings"].to_string();
    for name in [
        "baseURL",
        "modelCacheTtl",
        "requestTimeoutMs",
        "apiMode",
        "refreshOnList",
        "offline",
        "cacheDir",
        "modelMetadata",
    ] {
        assert!(w.contains(name), "initialize warnings miss {name}: {w}");
    }
    let r = server.ok("models.list", json!({"refresh": true}));
    assert_eq!(r["source"], "live");

    // cacheDir pointing at a regular file: the snapshot cannot be written; the call still works.
    let o = with(&good, &json!({"cacheDir": a_file.display().to_string()}));
    let r = server.ok("models.list", json!({"refresh": true, "options": o}));
    assert_eq!(r["source"], "live");
    assert_eq!(std::fs::read(&a_file).unwrap(), b"not a directory");
    assert_no_panic(&server.stderr_text());
    figure(&format!(
        "options abuse: {} hostile option values, each warned by name, every call succeeded",
        cases.len()
    ));
}

#[test]
fn options_catastrophic_regex_runs_in_linear_time() {
    // ^(a+)+$ against "aaaa…b": exponential for a backtracking engine, linear for `regex`.
    let near_miss = |n: usize, tail: &str| format!("{}{tail}", "a".repeat(n));
    let mut data: Vec<Value> = (0..200)
        .map(|i| common::model_entry(&near_miss(500, &format!("b{i}")), "evil"))
        .collect();
    data.push(common::model_entry(&near_miss(50_000, "b"), "evil")); // longer than any id allowed
    data.push(common::model_entry("aaaa", "evil"));
    data.push(common::model_entry(&near_miss(512, ""), "evil"));
    let mock = Gateway {
        models: common::list(data),
        combos: None,
        key: None,
    }
    .serve();
    let sandbox = Sandbox::new();
    let mut server = Server::spawn(&sandbox, &[]);
    let o = json!({"baseURL": mock.base(), "modelsDev": {"enabled": false}, "requestTimeoutMs": 10000,
    "modelMetadata": [
        {"match": {"regex": "^(a+)+$"}, "contextWindow": 777},
        {"match": {"regex": "^(a|aa)+$"}, "maxTokens": 5},
        {"match": {"regex": "^(a|a?)+b\\d+$", "flags": "i"}, "maxTokens": 6},
        {"match": {"regex": "(x+x+)+y"}, "maxTokens": 7}
    ]});
    let start = Instant::now();
    let r = server.ok("models.list", json!({"refresh": true, "options": o}));
    let elapsed = start.elapsed();
    assert_eq!(r["source"], "live");
    let models = common::by_id(&r);
    assert_eq!(models["aaaa"]["contextWindow"], 777, "the rule is active");
    assert_eq!(models[&near_miss(512, "")]["contextWindow"], 777);
    assert!(models[&near_miss(500, "b0")]
        .get("contextWindow")
        .is_none_or(Value::is_null));
    assert_eq!(models[&near_miss(500, "b0")]["maxTokens"], 6);
    assert!(
        !models.contains_key(&near_miss(50_000, "b")),
        "a 50k-char id is not a model id"
    );
    assert!(
        r["warnings"].to_string().contains("skipped 1"),
        "{}",
        r["warnings"]
    );
    assert!(
        elapsed < Duration::from_secs(5),
        "regex overrides took {elapsed:?}"
    );
    figure(&format!(
        "catastrophic regex ^(a+)+$ over 200 x 501-char near-miss ids + a 512-char match + a 50k-char id (skipped): models.list in {elapsed:.2?}"
    ));
    assert_no_panic(&server.stderr_text());
}

#[test]
fn options_models_dev_url_to_a_file_is_never_read() {
    // With enrichment on, a file:// URL falls back to the default address; it is never opened.
    // To stay on loopback, the models.dev URL is then set per call to the mock (valid), and the
    // file URL is checked by `initialize` only: its warning, and no enrichment from the file.
    let mock = Gateway::standard().serve();
    let sandbox = Sandbox::new();
    let secret_file = sandbox.dir.path().join("secret.json");
    std::fs::write(&secret_file, br#"{"leak": {"models": {"x": {"id": "x"}}}}"#).unwrap();
    let mut server = Server::spawn(&sandbox, &[]);
    let bad = json!({"baseURL": mock.base(), "requestTimeoutMs": 5000,
        "modelsDev": {"enabled": false, "url": format!("file://{}", secret_file.display())}});
    let init = server.ok("initialize", json!({"options": bad}));
    assert!(
        init["warnings"].to_string().contains("`modelsDev.url`"),
        "{init}"
    );
    let good = json!({"modelsDev": {"enabled": true, "url": format!("{}/api.json", mock.origin()), "timeoutMs": 3000}});
    let r = server.ok("models.list", json!({"refresh": true, "options": good}));
    assert_eq!(r["source"], "live");
    assert!(!r.to_string().contains("\"leak\""));
    assert!(
        mock.hits("/api.json") >= 1,
        "models.dev came from the valid URL"
    );
}

#[test]
fn options_fractional_milliseconds_below_one_are_rejected() {
    // Found by the `options` fuzz target: 1e-08 passes the `> 0` check and truncates to 0 ms.
    let mock = Gateway::standard().serve();
    let sandbox = Sandbox::new();
    let mut server = Server::spawn(&sandbox, &[]);
    for (patch, name) in [
        (json!({"requestTimeoutMs": 0.5}), "requestTimeoutMs"),
        (json!({"requestTimeoutMs": 1e-08}), "requestTimeoutMs"),
        (json!({"modelCacheTtl": 1e-08}), "modelCacheTtl"),
    ] {
        let o = with(
            &json!({"baseURL": mock.base(), "modelsDev": {"enabled": false}}),
            &patch,
        );
        let r = server.ok("models.list", json!({"refresh": true, "options": o}));
        assert_eq!(r["source"], "live", "{patch}: {r}");
        assert!(
            r["warnings"].to_string().contains(&format!("`{name}`")),
            "{patch}: no warning: {}",
            r["warnings"]
        );
    }
}

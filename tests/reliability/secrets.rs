//! The API key never leaves the credentials file: not on stdout, not on stderr (even at
//! `OMNIROUTE_LOG=trace`), not in error messages or `rpc.discover`, not in the disk snapshot or
//! the models.dev copy, and not in any cache file name. Checked across a full session.

use std::path::Path;
use std::time::Duration;

use serde_json::json;

use crate::common::{Sandbox, Server};
use crate::support::{assert_no_panic, expect_kind, opts, run, Gateway};

/// Looks nothing like hex or base64 of anything the service writes on its own.
const KEY: &str = "sk-q9x7w2z8k4m6p1vb-n5c3r7-t2y6u8i4";
const WRONG: &str = "sk-wrongwrongzzqq-j5j5j5-xkcdxkcd";

/// Every 8-character window of the key's secret part (the hint's last 4 chars excepted).
fn fragments(key: &str) -> Vec<String> {
    let secret = &key[3..key.len() - 4];
    secret
        .as_bytes()
        .windows(8)
        .map(|w| String::from_utf8(w.to_vec()).unwrap())
        .collect()
}

fn assert_clean(what: &str, text: &str) {
    for key in [KEY, WRONG] {
        for f in fragments(key) {
            assert!(
                !text.contains(&f),
                "{what} contains part of a key ({f:?}):\n{}",
                &text[text.find(&f).unwrap().saturating_sub(200)..][..400.min(text.len())]
            );
        }
    }
}

/// Greps every file (name and bytes) under `dir`, except `skip`.
fn assert_tree_clean(dir: &Path, skip: &Path) -> usize {
    let mut n = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    for e in entries.flatten() {
        let p = e.path();
        assert_clean("a file name", &p.display().to_string());
        if p == skip {
            continue;
        }
        if p.is_dir() {
            n += assert_tree_clean(&p, skip);
        } else {
            let bytes = std::fs::read(&p).unwrap_or_default();
            assert_clean(&p.display().to_string(), &String::from_utf8_lossy(&bytes));
            n += 1;
        }
    }
    n
}

#[test]
fn secrets_never_leak_across_a_full_session() {
    full_session("debug");
}

#[test]
fn secrets_never_leak_into_trace_logs() {
    full_session("trace");
}

fn full_session(log: &str) {
    let gateway = Gateway {
        key: Some(KEY.into()),
        ..Gateway::standard()
    };
    let mock = gateway.serve();
    let sandbox = Sandbox::new();
    let mut server = Server::spawn(&sandbox, &[("OMNIROUTE_LOG", log)]);
    let o = opts(&mock, true, 3000);

    server.ok(
        "initialize",
        json!({"clientInfo": {"name": "secrets-test"}, "options": o}),
    );
    let c = server.ok("auth.connect", json!({"apiKey": KEY}));
    assert_eq!(c["stored"], true);
    assert_eq!(c["keyHint"].as_str().unwrap().chars().last(), Some('4'));
    let list = server.ok("models.list", json!({"refresh": true}));
    assert_eq!(list["source"], "live", "{list}");
    server.ok("models.refresh", json!({}));
    server.ok("models.list", json!({"refresh": false}));
    server.ok("combos.resolve", json!({"name": "fast"}));
    server.ok("capabilities.compute", json!({"model": "fast"}));
    server.ok(
        "capabilities.compute",
        json!({"models": ["cx/gpt-5.1-codex-mini", "nope/x"], "apiKey": KEY}),
    );
    server.ok("opencode.provider", json!({}));
    server.ok("auth.status", json!({}));
    server.ok("rpc.discover", json!({}));
    // Errors with a wrong key, and with the right key against a dead gateway.
    let e = server.err("auth.connect", json!({"apiKey": WRONG}));
    expect_kind(&json!({"error": e}), "auth_rejected");
    let r = server.call("models.list", json!({"refresh": true, "apiKey": WRONG}));
    assert!(r.get("result").is_some() || r.get("error").is_some());
    let r = server.call("models.refresh", json!({"apiKey": WRONG}));
    assert!(r.get("result").is_some() || r.get("error").is_some());
    let r = server.call(
        "combos.resolve",
        json!({"name": "no-such-combo", "apiKey": WRONG}),
    );
    assert!(r.get("error").is_some());
    let dead = json!({"baseURL": "http://127.0.0.1:9/v1", "modelsDev": {"enabled": false}, "requestTimeoutMs": 1000});
    server.ok(
        "models.list",
        json!({"refresh": true, "options": dead, "apiKey": KEY}),
    );
    let e = server.err(
        "auth.connect",
        json!({"apiKey": KEY, "baseURL": "http://127.0.0.1:9/v1", "persist": false}),
    );
    assert_eq!(e["data"]["kind"], "gateway_unreachable");
    // Bad params that carry the key.
    let r = server.call("auth.connect", json!({"apiKey": KEY, "bogus": KEY}));
    assert_eq!(r["error"]["code"], -32602);
    let r = server.call("models.list", json!({"apiKey": [KEY]}));
    assert_eq!(r["error"]["code"], -32602);
    server.ok("cache.clear", json!({"scope": "models"}));
    server.ok("models.list", json!({"refresh": true}));
    let (code, _) = server.close();
    assert_eq!(code, Some(0));

    let stdout = server.stdout_raw.lock().unwrap().clone();
    let stderr = server.stderr_text();
    assert_no_panic(&stderr);
    assert!(
        !stderr.is_empty(),
        "trace logging produced nothing to check"
    );
    assert_clean("stdout", &stdout);
    assert_clean(&format!("stderr (OMNIROUTE_LOG={log})"), &stderr);
    // The key only lives in auth.json.
    let auth = sandbox.auth_file();
    assert!(std::fs::read_to_string(&auth).unwrap().contains(KEY));
    let files = assert_tree_clean(sandbox.dir.path(), &auth);
    let cache: Vec<String> = std::fs::read_dir(sandbox.cache_dir())
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        cache.iter().any(|n| n.starts_with("catalog-"))
            && cache.iter().any(|n| n.starts_with("modelsdev-")),
        "the session should have written a snapshot and a models.dev copy: {cache:?}"
    );
    assert!(files >= 2);
}

#[test]
fn secrets_never_leak_from_the_cli_or_the_env_key() {
    cli_and_env("debug");
}

#[test]
fn secrets_never_leak_from_the_cli_into_trace_logs() {
    cli_and_env("trace");
}

fn cli_and_env(log: &str) {
    let mock = Gateway {
        key: Some(KEY.into()),
        ..Gateway::standard()
    }
    .serve();
    let sandbox = Sandbox::new();
    let env = [("OMNIROUTE_LOG", log), ("OMNIROUTE_API_KEY", KEY)];
    let base = mock.base();
    // `call` with a rejected key prints an error that must not echo it.
    let params = json!({"apiKey": WRONG, "baseURL": base, "persist": false}).to_string();
    let out = run(
        &sandbox,
        &env,
        &["call", "auth.connect", &params],
        b"",
        Duration::from_secs(20),
    );
    assert_ne!(out.code, Some(0));
    assert!(!out.stderr.is_empty());
    assert_clean("call stderr", &out.stderr);
    assert_clean("call stdout", &String::from_utf8_lossy(&out.stdout));
    // The env key in use: listing, status, refresh through the CLI.
    for args in [
        vec!["models", "list", "--base-url", base.as_str()],
        vec!["models", "list", "--json", "--base-url", base.as_str()],
        vec!["call", "auth.status"],
    ] {
        let out = run(&sandbox, &env, &args, b"", Duration::from_secs(20));
        assert_eq!(out.code, Some(0), "{args:?}: {}", out.stderr);
        assert_no_panic(&out.stderr);
        assert_clean("CLI stdout", &String::from_utf8_lossy(&out.stdout));
        assert_clean("CLI stderr", &out.stderr);
    }
    let none = sandbox.dir.path().join("none");
    assert_tree_clean(sandbox.dir.path(), &none);
}

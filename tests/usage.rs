//! Usage attribution through the real binary: `usage.record` notifications from several
//! processes appending to one ledger, the cap, the permissions, and `usage.summary` grouping
//! and time windows; the `usage` CLI table.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::{Sandbox, Server};
use serde_json::{json, Value};

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn record(model: &str, served: &str, tokens_in: u64, at: u64) -> Value {
    json!({
        "model": model, "host": "script", "sessionId": "ses_1", "at": at, "status": 200,
        "ok": true, "stream": true, "latencyMs": 100, "ttftMs": 20,
        "omniroute": {"model": served, "provider": "node-1", "tokens-in": "0", "tokens-out": "0",
            "response-cost": "0.001", "latency-ms": "90"},
        "usage": {"prompt_tokens": tokens_in, "completion_tokens": 2},
        // a host may send more than the contract: ignored, never stored
        "messages": [{"role": "user", "content": "SECRET PROMPT"}]
    })
}

fn ledger_lines(sandbox: &Sandbox) -> Vec<String> {
    let mut out = Vec::new();
    for name in ["usage.1.jsonl", "usage.jsonl"] {
        if let Ok(text) = std::fs::read_to_string(sandbox.cache_dir().join(name)) {
            out.extend(text.lines().map(String::from));
        }
    }
    out
}

/// Several processes send notifications at once, then end their input: every record lands,
/// whole, once.
fn hammer(sandbox: &Sandbox, env: &[(&str, &str)], processes: usize, each: usize) {
    let mut servers: Vec<Server> = (0..processes)
        .map(|_| Server::spawn(sandbox, env))
        .collect();
    for i in 0..each {
        for (p, s) in servers.iter_mut().enumerate() {
            let model = format!("combo-{p}");
            s.send(&json!({"jsonrpc": "2.0", "method": "usage.record",
                "params": record(&model, "mock-small", (i + 1) as u64, now_ms())}));
        }
    }
    for s in &mut servers {
        let (code, _) = s.close();
        assert_eq!(code, Some(0), "stderr: {}", s.stderr_text());
        assert!(
            !s.stderr_text().contains("usage.record"),
            "{}",
            s.stderr_text()
        );
    }
}

#[test]
fn concurrent_writers_from_several_processes_lose_nothing() {
    let sandbox = Sandbox::new();
    hammer(&sandbox, &[], 4, 60);
    let lines = ledger_lines(&sandbox);
    assert_eq!(lines.len(), 240);
    for l in &lines {
        let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("torn line {l:?}: {e}"));
        assert_eq!(v["tokensOut"], 2);
    }
    let text = lines.join("\n");
    assert!(!text.contains("SECRET PROMPT") && !text.contains("messages"));

    let mut s = Server::spawn(&sandbox, &[]);
    let r = s.ok("usage.summary", json!({"groupBy": "model"}));
    assert_eq!(r["totals"]["requests"], 240);
    assert_eq!(r["totals"]["tokensIn"], 4 * (60 * 61 / 2));
    assert_eq!(r["rows"].as_array().unwrap().len(), 4);
    for row in r["rows"].as_array().unwrap() {
        assert_eq!(row["requests"], 60);
    }
    assert_eq!(r["warnings"], json!([]));

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode =
            |p: std::path::PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(sandbox.cache_dir().join("usage.jsonl")), 0o600);
        assert_eq!(mode(sandbox.cache_dir().join("usage.lock")), 0o600);
        assert_eq!(mode(sandbox.cache_dir()), 0o700);
    }
}

#[test]
fn the_ledger_is_capped_and_rotated_even_with_concurrent_writers() {
    let sandbox = Sandbox::new();
    let cap = 4096u64;
    hammer(&sandbox, &[("OMNIROUTE_USAGE_MAX_BYTES", "4096")], 3, 60);
    let cur = std::fs::metadata(sandbox.cache_dir().join("usage.jsonl")).unwrap();
    let prev = std::fs::metadata(sandbox.cache_dir().join("usage.1.jsonl")).unwrap();
    assert!(
        cur.len() <= cap && prev.len() <= cap,
        "{} {}",
        cur.len(),
        prev.len()
    );
    let lines = ledger_lines(&sandbox);
    assert!(lines.len() < 180 && lines.len() > 10, "{}", lines.len());
    for l in &lines {
        serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("torn line {l:?}: {e}"));
    }
    // a rotated file was filled up to the cap before it was set aside
    assert!(prev.len() > cap - 512, "{}", prev.len());
}

#[test]
fn summary_groups_and_windows_through_the_binary() {
    let sandbox = Sandbox::new();
    let mut s = Server::spawn(&sandbox, &[]);
    let day = 86_400_000u64;
    let now = now_ms();
    let rec = |s: &mut Server, v: Value| s.ok("usage.record", v);
    rec(&mut s, record("combo", "mock-small", 10, now - 1000));
    rec(&mut s, record("combo", "mock-small", 20, now - 2000));
    rec(&mut s, record("combo", "mock-large", 5, now - 2 * day));
    rec(
        &mut s,
        record("mock/mock-small", "mock-small", 1, now - 10 * day),
    );
    let failed = rec(
        &mut s,
        json!({"model": "combo", "status": 0, "ok": false, "at": now - 3000,
               "error": "connect ECONNREFUSED; Authorization: Bearer sk-live-secret-123456"}),
    );
    assert_eq!(failed["record"]["ok"], false);
    assert!(!failed["record"]["error"]
        .as_str()
        .unwrap()
        .contains("sk-live"));

    let r = s.ok("usage.summary", json!({"since": "24h"}));
    assert_eq!(r["groupBy"], "member");
    assert_eq!(r["totals"]["requests"], 3);
    assert_eq!(r["totals"]["errors"], 1);
    let rows = r["rows"].as_array().unwrap();
    let small = rows
        .iter()
        .find(|row| row["servedModel"] == "mock-small")
        .unwrap();
    assert_eq!(small["model"], "combo");
    assert_eq!(
        (small["requests"].as_u64(), small["tokensIn"].as_u64()),
        (Some(2), Some(30))
    );
    assert_eq!(small["avgLatencyMs"], 100);
    assert!((small["costUsd"].as_f64().unwrap() - 0.002).abs() < 1e-12);
    assert!(rows
        .iter()
        .any(|row| row.get("servedModel").is_none() && row["errors"] == 1));

    let r = s.ok(
        "usage.summary",
        json!({"since": "7d", "groupBy": "servedModel"}),
    );
    assert_eq!(r["totals"]["requests"], 4);
    let served: Vec<&str> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["servedModel"].as_str())
        .collect();
    assert!(served.contains(&"mock-large") && served.contains(&"mock-small"));

    let r = s.ok("usage.summary", json!({"groupBy": "day"}));
    let days: Vec<&str> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["day"].as_str().unwrap())
        .collect();
    assert_eq!(days.len(), 3);
    assert!(days.windows(2).all(|w| w[0] < w[1]), "{days:?}");

    let r = s.ok(
        "usage.summary",
        json!({"groupBy": "provider", "until": "24h"}),
    );
    assert_eq!(r["totals"]["requests"], 2, "only the two older ones");
    assert_eq!(r["rows"][0]["provider"], "node-1");

    let r = s.ok(
        "usage.summary",
        json!({"groupBy": "model", "sessionId": "ses_1"}),
    );
    assert_eq!(r["totals"]["requests"], 4, "the failure had no session");

    let e = s.err("usage.summary", json!({"since": "last week"}));
    assert_eq!(e["code"], -32602);
    assert!(e["message"].as_str().unwrap().contains("since"));
    let e = s.err("usage.summary", json!({"groupBy": "colour"}));
    assert_eq!(e["code"], -32602);
    let e = s.err("usage.record", json!({"status": 200}));
    assert_eq!(e["code"], -32602, "model is required");

    // a bad notification is logged, never answered, and changes nothing
    s.send(&json!({"jsonrpc": "2.0", "method": "usage.record", "params": {"model": 5}}));
    let r = s.ok("usage.summary", json!({}));
    assert_eq!(r["totals"]["requests"], 5);
    assert!(r["ledger"].as_str().unwrap().ends_with("usage.jsonl"));
}

#[test]
fn cli_usage_table_and_json() {
    let sandbox = Sandbox::new();
    let dir = sandbox.dir.path().join("elsewhere");
    let mut s = Server::spawn(&sandbox, &[]);
    let mut rec = record("combo", "mock-small", 7, now_ms());
    rec["options"] = json!({"cacheDir": dir});
    s.ok("usage.record", rec);
    drop(s);
    assert!(
        dir.join("usage.jsonl").exists(),
        "cacheDir moves the ledger"
    );

    let out = sandbox
        .command()
        .args(["usage", "--since", "7d", "--cache-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let row = text
        .lines()
        .find(|l| l.starts_with("combo"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        row.contains("mock-small") && row.contains(" 7 ") && row.contains("0.0010"),
        "{row}"
    );
    assert!(text.contains("TOTAL"));

    let out = sandbox
        .command()
        .args(["usage", "--json", "--group-by", "provider", "--cache-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rows"][0]["provider"], "node-1");

    let out = sandbox
        .command()
        .args(["usage", "--since", "soon"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("since"));
}

//! The JSON-RPC transport through the real binary: both framings, split and coalesced writes,
//! malformed and hostile input, batches, cancellation, concurrency, lifecycle and EOF exit.

mod common;

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Sandbox, Server};
use serde_json::{json, Value};

const T: Duration = Duration::from_secs(10);

/// Runs the binary over a whole stdin and returns its stdout lines as JSON.
fn run_ndjson(input: &[u8]) -> Vec<Value> {
    let sb = Sandbox::new();
    let mut child = sb
        .command()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    String::from_utf8(out.stdout)
        .expect("stdout is UTF-8")
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("non-JSON stdout line {l:?}: {e}"))
        })
        .collect()
}

#[test]
fn discover_over_ndjson_pipe() {
    let out = run_ndjson(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"rpc.discover\"}\n");
    assert_eq!(out.len(), 1);
    let doc = &out[0]["result"];
    assert_eq!(doc["openrpc"], "1.3.2");
    let names: Vec<&str> = doc["methods"]
        .as_array()
        .expect("methods")
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    for m in [
        "initialize",
        "shutdown",
        "auth.connect",
        "auth.status",
        "auth.disconnect",
        "models.list",
        "models.refresh",
        "combos.resolve",
        "capabilities.compute",
        "cache.clear",
        "opencode.provider",
        "rpc.discover",
    ] {
        assert!(names.contains(&m), "{m} missing from {names:?}");
    }
}

#[test]
fn lsp_framing_split_and_coalesced_writes() {
    let sb = Sandbox::new();
    let mut child = sb
        .command()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let body1 = br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#;
    let body2 = br#"{"jsonrpc":"2.0","id":2,"method":"auth.status"}"#;
    let body3 =
        br#"{"jsonrpc":"2.0","id":3,"method":"cache.clear","params":{"scope":"modelsDev"}}"#;
    let frame = |b: &[u8]| {
        let mut f = format!(
            "Content-Length: {}\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n",
            b.len()
        )
        .into_bytes();
        f.extend_from_slice(b);
        f
    };
    // One request split across two writes (inside the header and inside the body).
    let f1 = frame(body1);
    stdin.write_all(&f1[..10]).expect("w");
    stdin.flush().expect("f");
    std::thread::sleep(Duration::from_millis(50));
    stdin.write_all(&f1[10..f1.len() - 5]).expect("w");
    stdin.flush().expect("f");
    std::thread::sleep(Duration::from_millis(50));
    stdin.write_all(&f1[f1.len() - 5..]).expect("w");
    // Two requests in one write.
    let mut both = frame(body2);
    both.extend(frame(body3));
    stdin.write_all(&both).expect("w");
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    let text = out.stdout;
    // Parse LSP frames back.
    let mut rest = &text[..];
    let mut ids = Vec::new();
    while !rest.is_empty() {
        let head_end = rest
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("header end");
        let head = std::str::from_utf8(&rest[..head_end]).expect("ascii");
        let len: usize = head
            .strip_prefix("Content-Length: ")
            .expect("content-length")
            .trim()
            .parse()
            .expect("len");
        let body = &rest[head_end + 4..head_end + 4 + len];
        let v: Value = serde_json::from_slice(body).expect("json body");
        assert!(v.get("result").is_some(), "{v}");
        ids.push(v["id"].as_i64().expect("id"));
        rest = &rest[head_end + 4 + len..];
    }
    ids.sort();
    assert_eq!(ids, vec![1, 2, 3]);
}

#[test]
fn ndjson_split_and_coalesced_writes() {
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    s.write_raw(b"{\"jsonrpc\":\"2.0\",\"id\":1,");
    std::thread::sleep(Duration::from_millis(50));
    s.write_raw(
        b"\"method\":\"auth.status\"}\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"auth.status\"}\n",
    );
    assert!(s.response(1, T).get("result").is_some());
    assert!(s.response(2, T).get("result").is_some());
}

/// Each hostile input with the expected reply: `Some(code)` for an error response with that
/// code, `None` for no reply at all.
#[test]
fn malformed_and_hostile_inputs() {
    let cases: Vec<(&str, Vec<u8>, Option<i64>)> = vec![
        ("bad json", b"{not json}\n".to_vec(), Some(-32700)),
        (
            "truncated json",
            b"{\"jsonrpc\":\"2.0\",\"id\":1\n".to_vec(),
            Some(-32700),
        ),
        (
            "wrong jsonrpc version",
            br#"{"jsonrpc":"1.0","id":1,"method":"auth.status"}"#.to_vec(),
            Some(-32600),
        ),
        (
            "missing jsonrpc",
            br#"{"id":1,"method":"auth.status"}"#.to_vec(),
            Some(-32600),
        ),
        (
            "method not a string",
            br#"{"jsonrpc":"2.0","id":1,"method":5}"#.to_vec(),
            Some(-32600),
        ),
        (
            "missing method",
            br#"{"jsonrpc":"2.0","id":1}"#.to_vec(),
            Some(-32600),
        ),
        (
            "fractional id",
            br#"{"jsonrpc":"2.0","id":1.5,"method":"auth.status"}"#.to_vec(),
            Some(-32600),
        ),
        (
            "object id",
            br#"{"jsonrpc":"2.0","id":{},"method":"auth.status"}"#.to_vec(),
            Some(-32600),
        ),
        (
            "array id",
            br#"{"jsonrpc":"2.0","id":[1],"method":"auth.status"}"#.to_vec(),
            Some(-32600),
        ),
        (
            "params a string",
            br#"{"jsonrpc":"2.0","id":1,"method":"auth.status","params":"x"}"#.to_vec(),
            Some(-32600),
        ),
        (
            "unknown method",
            br#"{"jsonrpc":"2.0","id":1,"method":"no.such"}"#.to_vec(),
            Some(-32601),
        ),
        (
            "wrong param type",
            br#"{"jsonrpc":"2.0","id":1,"method":"models.list","params":{"refresh":1}}"#.to_vec(),
            Some(-32602),
        ),
        (
            "unknown param field",
            br#"{"jsonrpc":"2.0","id":1,"method":"models.list","params":{"refersh":true}}"#
                .to_vec(),
            Some(-32602),
        ),
        (
            "missing required param",
            br#"{"jsonrpc":"2.0","id":1,"method":"combos.resolve","params":{}}"#.to_vec(),
            Some(-32602),
        ),
        (
            "positional params list",
            br#"{"jsonrpc":"2.0","id":1,"method":"combos.resolve","params":[1,2]}"#.to_vec(),
            Some(-32602),
        ),
        ("empty batch", b"[]".to_vec(), Some(-32600)),
        ("json scalar", b"42".to_vec(), Some(-32600)),
        ("json string", b"\"hello\"".to_vec(), Some(-32600)),
        ("null", b"null".to_vec(), Some(-32600)),
        ("non-utf8", vec![0x7b, 0xff, 0xfe, 0x7d], Some(-32700)),
        (
            "unknown notification",
            br#"{"jsonrpc":"2.0","method":"whatever/else"}"#.to_vec(),
            None,
        ),
        (
            "initialized notification",
            br#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#.to_vec(),
            None,
        ),
        (
            "cancel of unknown id",
            br#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":99}}"#.to_vec(),
            None,
        ),
        (
            "client response object",
            br#"{"jsonrpc":"2.0","id":7,"result":{}}"#.to_vec(),
            None,
        ),
        (
            "notification with bad params",
            br#"{"jsonrpc":"2.0","method":"models.list","params":{"refresh":"x"}}"#.to_vec(),
            None,
        ),
        (
            "deeply nested json",
            format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
            Some(-32700),
        ),
    ];
    assert!(cases.len() >= 25);
    for (name, input, expected) in cases {
        let mut all = input.clone();
        all.push(b'\n');
        all.extend_from_slice(
            b"{\"jsonrpc\":\"2.0\",\"id\":\"after\",\"method\":\"auth.status\"}\n",
        );
        let mut out = run_ndjson(&all);
        let after = out
            .iter()
            .position(|m| m["id"] == "after")
            .unwrap_or_else(|| panic!("{name}: the request after it was not answered: {out:?}"));
        let after = out.remove(after);
        assert!(after.get("result").is_some(), "{name}: {after}");
        match expected {
            None => assert!(out.is_empty(), "{name}: expected no reply, got {out:?}"),
            Some(code) => {
                assert_eq!(out.len(), 1, "{name}: {out:?}");
                let reply = &out[0];
                let reply = if reply.is_array() { &reply[0] } else { reply };
                assert_eq!(reply["error"]["code"], code, "{name}: {reply}");
                assert!(reply["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()));
            }
        }
    }
}

#[test]
fn invalid_params_name_the_field() {
    let out = run_ndjson(
        b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"cache.clear\",\"params\":{\"scope\":\"everything\"}}\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"combos.resolve\",\"params\":{}}\n",
    );
    let by = |id: i64| out.iter().find(|m| m["id"] == id).expect("reply").clone();
    assert_eq!(by(1)["error"]["data"]["field"], "scope");
    assert!(by(1)["error"]["message"]
        .as_str()
        .expect("msg")
        .contains("scope"));
    assert_eq!(by(2)["error"]["data"]["field"], "name");
}

#[test]
fn batches_mixed_and_nested() {
    let out = run_ndjson(
        br#"[{"jsonrpc":"2.0","id":1,"method":"auth.status"},{"jsonrpc":"2.0","method":"initialized"},{"jsonrpc":"2.0","id":2,"method":"nope"},{"bad":true},[{"jsonrpc":"2.0","id":3,"method":"auth.status"}]]
[{"jsonrpc":"2.0","method":"initialized"}]
"#,
    );
    assert_eq!(
        out.len(),
        1,
        "an all-notification batch gets no reply: {out:?}"
    );
    let replies = out[0].as_array().expect("batch reply");
    assert_eq!(replies.len(), 4);
    let by_id = |id: Value| replies.iter().find(|r| r["id"] == id).cloned();
    assert!(by_id(json!(1)).expect("1").get("result").is_some());
    assert_eq!(by_id(json!(2)).expect("2")["error"]["code"], -32601);
    let invalid: Vec<_> = replies.iter().filter(|r| r["id"].is_null()).collect();
    assert_eq!(
        invalid.len(),
        2,
        "the bad member and the nested batch are invalid requests"
    );
    for r in invalid {
        assert_eq!(r["error"]["code"], -32600);
    }
}

#[test]
fn oversized_frames_are_rejected_and_the_stream_survives() {
    let sb = Sandbox::new();
    let mut s = Server::spawn_cmd({
        let mut c = sb.command();
        c.arg("serve").arg("--max-frame").arg("1000");
        c
    });
    let big = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"auth.status\",\"params\":{{\"options\":{{\"x\":\"{}\"}}}}}}\n",
        "a".repeat(5000)
    );
    s.write_raw(big.as_bytes());
    let err = s.next_message(T).expect("reply");
    assert_eq!(err["error"]["code"], -32600);
    assert_eq!(err["error"]["data"]["kind"], "frame_too_large");
    assert!(s.ok("auth.status", json!({})).get("source").is_some());
}

#[test]
fn default_limit_is_16_mib_over_lsp() {
    let sb = Sandbox::new();
    let mut child = sb
        .command()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let len = 16 * 1024 * 1024 + 1;
    let mut input = format!("Content-Length: {len}\r\n\r\n").into_bytes();
    input.extend(std::iter::repeat_n(b' ', len));
    let body = br#"{"jsonrpc":"2.0","id":5,"method":"auth.status"}"#;
    input.extend(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    input.extend(body);
    let writer = std::thread::spawn(move || {
        stdin.write_all(&input).expect("write");
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("frame_too_large"), "{text}");
    assert!(
        text.contains("\"id\":5") && text.contains("\"source\""),
        "{text}"
    );
    assert!(
        text.starts_with("Content-Length: "),
        "replies use LSP framing: {text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_request_does_not_block_fast_ones_and_can_be_cancelled() {
    let gw = common::slow_gateway(
        common::list(vec![common::model_entry("a/b", "a")]),
        Duration::from_secs(3),
    )
    .await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let opts = common::options(&format!("{}/v1", gw.uri()), None);
    let slow = s.request_async("models.list", json!({"refresh": true, "options": opts}));
    let start = Instant::now();
    let fast = s.request_async("rpc.discover", json!({}));
    let clear = s.request_async("cache.clear", json!({}));
    assert!(s.response(fast, T).get("result").is_some());
    assert!(s.response(clear, T).get("result").is_some());
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "fast requests waited {:?}",
        start.elapsed()
    );
    s.send(&json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": slow}}));
    let cancelled = s.response(slow, T);
    assert_eq!(cancelled["error"]["code"], -32800, "{cancelled}");
    assert_eq!(cancelled["error"]["data"]["kind"], "cancelled");
    assert!(start.elapsed() < Duration::from_secs(2));
    // Exactly one answer per request: nothing more arrives for the cancelled id.
    std::thread::sleep(Duration::from_millis(3500));
    assert!(s.next_message(Duration::from_millis(100)).is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn responses_may_come_back_out_of_order() {
    let gw = common::slow_gateway(
        common::list(vec![common::model_entry("a/b", "a")]),
        Duration::from_millis(800),
    )
    .await;
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let opts = common::options(&format!("{}/v1", gw.uri()), None);
    let slow = s.request_async("models.list", json!({"refresh": true, "options": opts}));
    let fast = s.request_async("auth.status", json!({}));
    let first = s.next_message(T).expect("first");
    assert_eq!(first["id"], fast);
    let second = s.next_message(T).expect("second");
    assert_eq!(second["id"], slow);
}

#[test]
fn exits_quickly_on_eof_and_spawn_to_first_response_is_fast() {
    let sb = Sandbox::new();
    let start = Instant::now();
    let mut s = Server::spawn(&sb, &[]);
    let init = s.ok("initialize", json!({"clientInfo": {"name": "test"}}));
    let first = start.elapsed();
    assert_eq!(init["serverInfo"]["name"], "omniroute-rpc");
    assert_eq!(init["serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        init["capabilities"]["methods"]
            .as_array()
            .expect("methods")
            .len()
            >= 12
    );
    eprintln!("spawn → initialize answered: {first:?}");
    let (code, took) = s.close();
    assert_eq!(code, Some(0));
    assert!(took < Duration::from_secs(1), "EOF exit took {took:?}");
}

#[test]
fn shutdown_then_exit_codes() {
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    assert_eq!(s.ok("shutdown", json!({})), Value::Null);
    let after = s.err("auth.status", json!({}));
    assert_eq!(after["data"]["kind"], "shut_down");
    s.send(&json!({"jsonrpc": "2.0", "method": "exit"}));
    let status = s.child.wait().expect("wait");
    assert_eq!(status.code(), Some(0));

    let mut s = Server::spawn(&sb, &[]);
    s.send(&json!({"jsonrpc": "2.0", "method": "exit"}));
    let status = s.child.wait().expect("wait");
    assert_eq!(status.code(), Some(1), "exit without shutdown is code 1");
}

#[test]
fn initialize_warns_about_invalid_options_and_keeps_going() {
    let sb = Sandbox::new();
    let mut s = Server::spawn(&sb, &[]);
    let init = s.ok(
        "initialize",
        json!({"processId": 1, "rootUri": null, "options": {"baseURL": "ftp://x", "modelCacheTtl": "soon"}}),
    );
    let w = init["warnings"].to_string();
    assert!(w.contains("baseURL") && w.contains("modelCacheTtl"), "{w}");
    let status = s.ok("auth.status", json!({}));
    assert_eq!(status["baseURL"], "http://localhost:20128/v1");
}

#[test]
fn cli_call_prints_result_and_fails_with_message() {
    let sb = Sandbox::new();
    let out = sb
        .command()
        .args(["call", "auth.status"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["source"], "none");

    let out = sb
        .command()
        .args(["call", "combos.resolve", "{}"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("name"));

    let out = sb
        .command()
        .args(["call", "auth.status", "{bad"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

/// A JSON-RPC client nobody here wrote (vscode-jsonrpc, LSP framing) drives the binary.
#[test]
fn vscode_jsonrpc_client_drives_the_binary() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    if !dir.join("node_modules/vscode-jsonrpc").exists() {
        if std::env::var("CI").is_ok() {
            panic!("tests/js/node_modules missing: .ci/run must run `npm ci --prefix tests/js`");
        }
        eprintln!("SKIPPED: run `npm ci --prefix tests/js` to enable the vscode-jsonrpc test");
        return;
    }
    let sb = Sandbox::new();
    let out = std::process::Command::new("node")
        .arg(dir.join("lsp-client.mjs"))
        .arg(common::bin())
        .env("HOME", sb.home())
        .env("XDG_DATA_HOME", sb.data())
        .env("XDG_CACHE_HOME", sb.cache())
        .output()
        .expect("node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "node client failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("OK"), "{stdout}");
}

#[test]
fn negative_and_string_ids_are_echoed() {
    let out = run_ndjson(
        b"{\"jsonrpc\":\"2.0\",\"id\":-7,\"method\":\"auth.status\"}\n{\"jsonrpc\":\"2.0\",\"id\":\"s-1\",\"method\":\"no.such\"}\n{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"auth.status\"}\n",
    );
    let by = |id: Value| out.iter().find(|m| m["id"] == id).cloned().expect("reply");
    assert!(by(json!(-7)).get("result").is_some());
    assert_eq!(by(json!("s-1"))["error"]["code"], -32601);
    assert!(by(Value::Null).get("result").is_some());
}

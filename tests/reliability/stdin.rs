//! Hostile stdin through the real binary: every input gets the answer JSON-RPC 2.0 prescribes
//! (or none where the spec says none), a normal request afterwards still works, stdout carries
//! nothing but protocol frames, and nothing panics. Both framings.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{Sandbox, Server};
use crate::support::{assert_no_panic, lsp, lsp_frame, ndjson, run};

/// What one hostile input must produce.
#[derive(Debug, Clone)]
enum X {
    /// An error response with this code and id.
    Err(i64, Value),
    /// An error response with this code, id and `data.kind`.
    Kind(i64, Value, &'static str),
    /// An error response with this code and id whose message names `field`.
    Names(i64, Value, &'static str),
    /// A successful response with this id.
    Ok(Value),
    /// A batch response whose items match these (any order).
    Batch(Vec<X>),
}

fn matches(x: &X, r: &Value) -> bool {
    let code = r["error"]["code"].as_i64();
    match x {
        X::Err(c, id) => code == Some(*c) && r["id"] == *id && r.get("result").is_none(),
        X::Kind(c, id, kind) => {
            code == Some(*c) && r["id"] == *id && r["error"]["data"]["kind"] == json!(kind)
        }
        X::Names(c, id, field) => {
            code == Some(*c)
                && r["id"] == *id
                && r["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(field))
        }
        X::Ok(id) => r["id"] == *id && r.get("result").is_some() && r.get("error").is_none(),
        X::Batch(items) => match r.as_array() {
            Some(arr) => match_all(items, arr).is_ok(),
            None => false,
        },
    }
}

/// Every response is matched by exactly one expectation.
fn match_all(expected: &[X], got: &[Value]) -> Result<(), String> {
    if expected.len() != got.len() {
        return Err(format!("expected {expected:?}, got {got:?}"));
    }
    let mut used = vec![false; got.len()];
    for x in expected {
        match got
            .iter()
            .enumerate()
            .find(|(i, r)| !used[*i] && matches(x, r))
        {
            Some((i, _)) => used[i] = true,
            None => return Err(format!("nothing matches {x:?} in {got:?}")),
        }
    }
    for r in got {
        if r.is_object() {
            assert_eq!(r["jsonrpc"], "2.0", "{r}");
        }
    }
    Ok(())
}

const BEFORE: &str = r#"{"jsonrpc":"2.0","id":"before","method":"auth.status"}"#;
const AFTER: &str = r#"{"jsonrpc":"2.0","id":"after","method":"auth.status"}"#;

fn nd(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

/// More than the default 16 MiB frame limit.
fn huge_request() -> Vec<u8> {
    let mut v =
        br#"{"jsonrpc":"2.0","id":"huge","method":"auth.status","params":{"pad":""#.to_vec();
    v.extend(std::iter::repeat_n(b'x', 16 * 1024 * 1024 + 10));
    v.extend_from_slice(br#""}}"#);
    v
}

fn ndjson_cases() -> Vec<(&'static str, Vec<u8>, Vec<X>)> {
    let null = Value::Null;
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_params = format!(
        r#"{{"jsonrpc":"2.0","id":16,"method":"auth.status","params":{{"options":{}1{}}}}}"#,
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let long_method = format!(
        r#"{{"jsonrpc":"2.0","id":17,"method":"{}"}}"#,
        "m".repeat(1 << 20)
    );
    vec![
        (
            "bad JSON",
            nd(r#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#),
            vec![X::Err(-32700, null.clone())],
        ),
        (
            "truncated JSON",
            nd(r#"{"jsonrpc":"2.0","id":1,"method":"auth.status""#),
            vec![X::Err(-32700, null.clone())],
        ),
        (
            "trailing garbage",
            nd(r#"{"jsonrpc":"2.0","id":1,"method":"auth.status"} xyz"#),
            vec![X::Err(-32700, null.clone())],
        ),
        (
            "jsonrpc 1.0",
            nd(r#"{"jsonrpc":"1.0","id":1,"method":"auth.status"}"#),
            vec![X::Err(-32600, json!(1))],
        ),
        (
            "jsonrpc missing",
            nd(r#"{"id":2,"method":"auth.status"}"#),
            vec![X::Err(-32600, json!(2))],
        ),
        (
            "jsonrpc a number",
            nd(r#"{"jsonrpc":2.0,"id":3,"method":"auth.status"}"#),
            vec![X::Err(-32600, json!(3))],
        ),
        (
            "method a number",
            nd(r#"{"jsonrpc":"2.0","id":4,"method":1}"#),
            vec![X::Err(-32600, json!(4))],
        ),
        (
            "method missing",
            nd(r#"{"jsonrpc":"2.0","id":5}"#),
            vec![X::Err(-32600, json!(5))],
        ),
        (
            "fractional id",
            nd(r#"{"jsonrpc":"2.0","id":1.5,"method":"auth.status"}"#),
            vec![X::Err(-32600, null.clone())],
        ),
        (
            "object id",
            nd(r#"{"jsonrpc":"2.0","id":{"a":1},"method":"auth.status"}"#),
            vec![X::Err(-32600, null.clone())],
        ),
        (
            "boolean id",
            nd(r#"{"jsonrpc":"2.0","id":true,"method":"auth.status"}"#),
            vec![X::Err(-32600, null.clone())],
        ),
        (
            "id beyond 64 bits",
            nd(r#"{"jsonrpc":"2.0","id":100000000000000000000000000000,"method":"auth.status"}"#),
            vec![X::Err(-32600, null.clone())],
        ),
        (
            "null id",
            nd(r#"{"jsonrpc":"2.0","id":null,"method":"auth.status"}"#),
            vec![X::Ok(null.clone())],
        ),
        (
            "unicode string id",
            nd(r#"{"jsonrpc":"2.0","id":"ü-\u2603-\ud83d\ude00","method":"auth.status"}"#),
            vec![X::Ok(json!("ü-☃-😀"))],
        ),
        (
            "u64::MAX id",
            nd(r#"{"jsonrpc":"2.0","id":18446744073709551615,"method":"auth.status"}"#),
            vec![X::Ok(json!(u64::MAX))],
        ),
        (
            "notification of a request method",
            nd(r#"{"jsonrpc":"2.0","method":"auth.status"}"#),
            vec![],
        ),
        (
            "unknown notification",
            nd(r#"{"jsonrpc":"2.0","method":"foo/bar","params":{"x":1}}"#),
            vec![],
        ),
        (
            "cancel of an unknown id",
            nd(r#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":999}}"#),
            vec![],
        ),
        (
            "cancel without params",
            nd(r#"{"jsonrpc":"2.0","method":"$/cancelRequest"}"#),
            vec![],
        ),
        (
            "a response from the client",
            nd(r#"{"jsonrpc":"2.0","id":7,"result":{}}"#),
            vec![],
        ),
        (
            "unknown method",
            nd(r#"{"jsonrpc":"2.0","id":8,"method":"no.such"}"#),
            vec![X::Err(-32601, json!(8))],
        ),
        (
            "1 MiB method name",
            long_method.into_bytes(),
            vec![X::Err(-32601, json!(17))],
        ),
        (
            "params a string",
            nd(r#"{"jsonrpc":"2.0","id":9,"method":"auth.status","params":"x"}"#),
            vec![X::Err(-32600, json!(9))],
        ),
        (
            "params a number",
            nd(r#"{"jsonrpc":"2.0","id":9,"method":"auth.status","params":3}"#),
            vec![X::Err(-32600, json!(9))],
        ),
        (
            "param of the wrong type",
            nd(r#"{"jsonrpc":"2.0","id":10,"method":"models.list","params":{"refresh":"yes"}}"#),
            vec![X::Names(-32602, json!(10), "refresh")],
        ),
        (
            "unknown param field",
            nd(r#"{"jsonrpc":"2.0","id":11,"method":"cache.clear","params":{"bogus":1}}"#),
            vec![X::Names(-32602, json!(11), "bogus")],
        ),
        (
            "positional params",
            nd(r#"{"jsonrpc":"2.0","id":12,"method":"models.list","params":[1,2]}"#),
            vec![X::Err(-32602, json!(12))],
        ),
        (
            "required param missing",
            nd(r#"{"jsonrpc":"2.0","id":13,"method":"combos.resolve","params":{}}"#),
            vec![X::Names(-32602, json!(13), "name")],
        ),
        (
            "apiKey of the wrong type",
            nd(r#"{"jsonrpc":"2.0","id":14,"method":"auth.connect","params":{"apiKey":5}}"#),
            vec![X::Names(-32602, json!(14), "apiKey")],
        ),
        ("empty batch", nd("[]"), vec![X::Err(-32600, null.clone())]),
        (
            "batch of scalars",
            nd("[1,2,3]"),
            vec![X::Batch(vec![
                X::Err(-32600, null.clone()),
                X::Err(-32600, null.clone()),
                X::Err(-32600, null.clone()),
            ])],
        ),
        (
            "nested batch",
            nd(r#"[[{"jsonrpc":"2.0","id":11,"method":"auth.status"}]]"#),
            vec![X::Batch(vec![X::Err(-32600, null.clone())])],
        ),
        (
            "mixed batch",
            nd(
                r#"[{"jsonrpc":"2.0","id":12,"method":"auth.status"},{"jsonrpc":"2.0","method":"initialized"},{"foo":"bar"},{"jsonrpc":"2.0","id":13,"method":"no.such"}]"#,
            ),
            vec![X::Batch(vec![
                X::Ok(json!(12)),
                X::Err(-32600, null.clone()),
                X::Err(-32601, json!(13)),
            ])],
        ),
        (
            "batch of notifications only",
            nd(r#"[{"jsonrpc":"2.0","method":"initialized"},{"jsonrpc":"2.0","method":"x/y"}]"#),
            vec![],
        ),
        (
            "non-UTF-8 bytes",
            b"{\"jsonrpc\":\"2.0\",\"id\":14,\"method\":\"auth.\xff\xfe\"}".to_vec(),
            vec![X::Err(-32700, null.clone())],
        ),
        (
            "lone surrogate escape",
            nd(r#"{"jsonrpc":"2.0","id":"\ud800","method":"auth.status"}"#),
            vec![X::Err(-32700, null.clone())],
        ),
        (
            "NUL byte",
            b"{\"jsonrpc\":\"2.0\",\"id\":15,\x00\"method\":\"auth.status\"}".to_vec(),
            vec![X::Err(-32700, null.clone())],
        ),
        (
            "byte order mark",
            b"\xEF\xBB\xBF{\"jsonrpc\":\"2.0\",\"id\":15,\"method\":\"auth.status\"}".to_vec(),
            vec![X::Err(-32700, null.clone())],
        ),
        (
            "100k-deep nesting",
            deep.into_bytes(),
            vec![X::Err(-32700, null.clone())],
        ),
        (
            "5k-deep params",
            deep_params.into_bytes(),
            vec![X::Err(-32700, null.clone())],
        ),
        ("JSON null", nd("null"), vec![X::Err(-32600, null.clone())]),
        ("JSON number", nd("42"), vec![X::Err(-32600, null.clone())]),
        (
            "JSON string",
            nd(r#""auth.status""#),
            vec![X::Err(-32600, null.clone())],
        ),
        (
            "CRLF line end",
            nd("{\"jsonrpc\":\"2.0\",\"id\":19,\"method\":\"auth.status\"}\r"),
            vec![X::Ok(json!(19))],
        ),
        (
            "blank and whitespace lines",
            nd(&" \t \n\n\r\n   \n".repeat(200)),
            vec![],
        ),
        (
            "frame over 16 MiB",
            huge_request(),
            vec![X::Kind(-32600, null.clone(), "frame_too_large")],
        ),
    ]
}

/// Runs `input` wrapped between BEFORE and AFTER; returns the responses to the hostile part.
fn exchange_ndjson(input: &[u8]) -> Vec<Value> {
    let sandbox = Sandbox::new();
    let mut stream = format!("{BEFORE}\n").into_bytes();
    stream.extend_from_slice(input);
    stream.extend_from_slice(format!("\n{AFTER}\n").as_bytes());
    let out = run(&sandbox, &[], &[], &stream, Duration::from_secs(20));
    assert_no_panic(&out.stderr);
    assert_eq!(out.code, Some(0), "exit code; stderr:\n{}", out.stderr);
    let msgs = ndjson(&out.stdout);
    split_before_after(msgs)
}

fn split_before_after(msgs: Vec<Value>) -> Vec<Value> {
    let find = |id: &str| msgs.iter().filter(|m| m["id"] == json!(id)).count();
    assert_eq!(find("before"), 1, "the request before: {msgs:?}");
    assert_eq!(find("after"), 1, "the request after still works: {msgs:?}");
    for m in msgs
        .iter()
        .filter(|m| m["id"] == "after" || m["id"] == "before")
    {
        assert!(m.get("result").is_some(), "{m}");
    }
    msgs.into_iter()
        .filter(|m| m["id"] != "before" && m["id"] != "after")
        .collect()
}

#[test]
fn stdin_hostile_ndjson_inputs_each_get_the_right_answer() {
    let cases = ndjson_cases();
    assert!(cases.len() >= 25);
    let mut failures = Vec::new();
    for (name, input, expected) in &cases {
        let got = exchange_ndjson(input);
        if let Err(e) = match_all(expected, &got) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn stdin_all_hostile_inputs_in_one_stream() {
    // The same inputs back to back on one connection: no state leaks from one to the next.
    let cases = ndjson_cases();
    let mut stream = Vec::new();
    let mut expected = Vec::new();
    for (_, input, x) in cases {
        stream.extend_from_slice(&input);
        stream.push(b'\n');
        expected.extend(x);
    }
    let got = exchange_ndjson(&stream);
    match_all(&expected, &got).unwrap();
}

fn lsp_cases() -> Vec<(&'static str, Vec<u8>, Vec<X>)> {
    let null = Value::Null;
    let req =
        |id: i64| format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"auth.status"}}"#).into_bytes();
    let with_head = |head: &str, body: &[u8]| {
        let mut v = head.as_bytes().to_vec();
        v.extend_from_slice(body);
        v
    };
    let mut huge = Vec::new();
    huge.extend(lsp_frame(&huge_request()));
    vec![
        ("Content-Length not a number", nd("Content-Length: abc\r\n\r\n"), vec![X::Err(-32700, null.clone())]),
        ("Content-Length negative", nd("Content-Length: -5\r\n\r\n"), vec![X::Err(-32700, null.clone())]),
        ("Content-Length beyond usize", nd("Content-Length: 99999999999999999999999\r\n\r\n"), vec![X::Err(-32700, null.clone())]),
        ("Content-Length missing", nd("Content-Type: application/json\r\n\r\n"), vec![X::Err(-32700, null.clone())]),
        ("body not JSON", lsp_frame(b"hello"), vec![X::Err(-32700, null.clone())]),
        ("body not UTF-8", lsp_frame(b"{\"a\":\"\xff\"}"), vec![X::Err(-32700, null.clone())]),
        ("empty body", lsp_frame(b""), vec![X::Err(-32700, null.clone())]),
        ("body a bad envelope", lsp_frame(br#"{"jsonrpc":"2.0","id":3,"method":7}"#), vec![X::Err(-32600, json!(3))]),
        ("lower-case header name", with_head(&format!("content-length: {}\r\n\r\n", req(20).len()), &req(20)), vec![X::Ok(json!(20))]),
        ("extra headers", with_head(&format!("Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: {}\r\n\r\n", req(21).len()), &req(21)), vec![X::Ok(json!(21))]),
        ("LF-only header lines", with_head(&format!("Content-Length: {}\n\n", req(22).len()), &req(22)), vec![X::Ok(json!(22))]),
        ("frame over 16 MiB", huge, vec![X::Kind(-32600, null.clone(), "frame_too_large")]),
        ("batch in LSP", lsp_frame(br#"[{"jsonrpc":"2.0","id":24,"method":"auth.status"},5]"#), vec![X::Batch(vec![X::Ok(json!(24)), X::Err(-32600, null.clone())])]),
    ]
}

fn exchange_lsp(input: &[u8]) -> Vec<Value> {
    let sandbox = Sandbox::new();
    let mut stream = lsp_frame(BEFORE.as_bytes());
    stream.extend_from_slice(input);
    stream.extend(lsp_frame(AFTER.as_bytes()));
    let out = run(&sandbox, &[], &[], &stream, Duration::from_secs(20));
    assert_no_panic(&out.stderr);
    assert_eq!(out.code, Some(0), "stderr:\n{}", out.stderr);
    split_before_after(lsp(&out.stdout))
}

#[test]
fn stdin_hostile_lsp_inputs_each_get_the_right_answer() {
    let mut failures = Vec::new();
    for (name, input, expected) in lsp_cases() {
        let got = std::panic::catch_unwind(|| exchange_lsp(&input));
        match got {
            Ok(got) => {
                if let Err(e) = match_all(&expected, &got) {
                    failures.push(format!("{name}: {e}"));
                }
            }
            Err(_) => failures.push(format!(
                "{name}: the stream did not recover (see panic above)"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn stdin_bad_first_lsp_header_then_lsp_works() {
    // A first header block without a usable Content-Length is a bad header; LSP still works.
    let sandbox = Sandbox::new();
    let mut stream = b"Content-Lenght: 52\r\nX-Junk: 1\r\n\r\n".to_vec();
    stream.extend(lsp_frame(AFTER.as_bytes()));
    let out = run(&sandbox, &[], &[], &stream, Duration::from_secs(20));
    assert_no_panic(&out.stderr);
    let msgs = lsp(&out.stdout);
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!(msgs[0]["error"]["code"], -32700);
    assert_eq!(msgs[1]["id"], "after");
    assert!(msgs[1].get("result").is_some());
}

#[test]
fn stdin_eof_inside_a_frame_ends_cleanly() {
    for input in [
        &b"Content-Length: 50\r\n\r\n{\"jsonrpc\""[..],
        &b"Content-Length: 5\r\n"[..],
        &b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"auth.st"[..],
    ] {
        let sandbox = Sandbox::new();
        let out = run(&sandbox, &[], &[], input, Duration::from_secs(10));
        assert_no_panic(&out.stderr);
        assert_eq!(out.code, Some(0));
        // One parse error at most; every byte on stdout is a well-formed frame.
        let msgs = if input.starts_with(b"{") {
            ndjson(&out.stdout)
        } else {
            lsp(&out.stdout)
        };
        assert!(msgs.len() <= 1, "{msgs:?}");
        for m in msgs {
            assert_eq!(m["error"]["code"], -32700, "{m}");
        }
    }
}

#[test]
fn lifecycle_exit_codes_and_requests_after_shutdown() {
    // exit without shutdown: code 1, nothing on stdout.
    let sandbox = Sandbox::new();
    let out = run(
        &sandbox,
        &[],
        &[],
        b"{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}\n",
        Duration::from_secs(10),
    );
    assert_eq!(out.code, Some(1));
    assert!(out.stdout.is_empty());

    // After shutdown: requests get `shut_down`, cheap methods included; exit is then code 0.
    let mut server = Server::spawn(&sandbox, &[]);
    assert_eq!(server.ok("shutdown", json!({})), Value::Null);
    let err = server.err("models.list", json!({"options": {"offline": true}}));
    assert_eq!(err["data"]["kind"], "shut_down", "{err}");
    server.send(&json!({"jsonrpc": "2.0", "method": "exit"}));
    let start = std::time::Instant::now();
    let code = loop {
        if let Some(s) = server.child.try_wait().unwrap() {
            break s.code();
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no exit after `exit`"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(code, Some(0));
    assert_no_panic(&server.stderr_text());
}

#[test]
fn stdin_negative_integer_ids_are_answered() {
    for id in [json!(-1), json!(i64::MIN)] {
        let input = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"auth.status"}}"#);
        let got = exchange_ndjson(input.as_bytes());
        match_all(&[X::Ok(id.clone())], &got).unwrap();
    }
}

#[test]
fn stdin_lsp_bad_header_line_with_valid_length_keeps_the_stream_in_step() {
    let req = br#"{"jsonrpc":"2.0","id":23,"method":"auth.status"}"#;
    for head in [
        format!("Content-Length: {}\r\nbogus\r\n\r\n", req.len()),
        format!(
            "X-Pad: {}\r\nContent-Length: {}\r\n\r\n",
            "a".repeat(10_000),
            req.len()
        ),
    ] {
        let mut input = head.into_bytes();
        input.extend_from_slice(req);
        // The bad block is reported (or, for the long line, the request answered); AFTER works.
        let got = exchange_lsp(&input);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            matches(&X::Err(-32700, Value::Null), &got[0]) || matches(&X::Ok(json!(23)), &got[0]),
            "{got:?}"
        );
    }
}

//! Gateway faults through the real binary: refused connections, a gateway that never answers,
//! resets mid-body, a 100 MB body, broken bodies, wrong content types, cross-host redirects
//! (the key must not follow) and slow trickles. Each call comes back bounded by
//! `requestTimeoutMs`, with the right error kind, and the process keeps serving.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{self, Sandbox, Server};
use crate::support::{
    assert_no_panic, expect_kind, expect_ok, figure, opts, proc_kb, Conn, Gateway, HttpMock, Req,
};

const KEY: &str = "sk-0123456789abcdef-faults-77aa88bb";

fn models_body() -> Vec<u8> {
    common::list(vec![
        common::model_entry("cx/gpt-5.1-codex-mini", "codex"),
        common::model_entry("ds/deepseek-chat", "deepseek"),
    ])
    .to_string()
    .into_bytes()
}

/// `auth.connect` against `mock` with this timeout; returns (response, elapsed).
fn connect(server: &mut Server, base: &str, timeout_ms: u64) -> (Value, Duration) {
    let start = Instant::now();
    let id = server.request_async(
        "auth.connect",
        json!({"apiKey": KEY, "baseURL": base, "persist": false,
               "options": {"requestTimeoutMs": timeout_ms, "modelsDev": {"enabled": false}}}),
    );
    let r = server.response(id, Duration::from_secs(30));
    (r, start.elapsed())
}

/// The process still serves after the fault, and never panicked.
fn still_healthy(server: &mut Server) {
    let doc = server.ok("rpc.discover", json!({}));
    assert!(doc["methods"].is_array());
    assert_no_panic(&server.stderr_text());
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the process died"
    );
}

/// Runs one faulty gateway against `auth.connect` and `models.list {refresh:true}`.
fn fault(
    handler: impl Fn(&Req, &mut Conn) + Send + Sync + 'static,
    timeout_ms: u64,
) -> (Value, Value, Duration) {
    let mock = HttpMock::start(handler);
    let sandbox = Sandbox::new();
    let mut server = Server::spawn(&sandbox, &[]);
    let (resp, elapsed) = connect(&mut server, &mock.base(), timeout_ms);
    let list = server.ok(
        "models.list",
        json!({"refresh": true, "apiKey": KEY, "options": opts(&mock, false, timeout_ms)}),
    );
    still_healthy(&mut server);
    (resp, list, elapsed)
}

#[test]
fn fault_connection_refused() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}/v1");
    let sandbox = Sandbox::new();
    let mut server = Server::spawn(&sandbox, &[]);
    let (r, elapsed) = connect(&mut server, &base, 3000);
    let err = expect_kind(&r, "gateway_unreachable");
    assert_eq!(err["code"], -32051);
    assert!(err["message"].as_str().unwrap().contains(&base), "{err}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    // With nothing cached, models.list answers the fallback list with a warning, not an error.
    let list = server.ok(
        "models.list",
        json!({"refresh": true, "options": {"baseURL": base, "modelsDev": {"enabled": false}}}),
    );
    assert_eq!(list["source"], "fallback", "{list}");
    assert!(list["warnings"]
        .to_string()
        .contains(&format!("127.0.0.1:{port}")));
    still_healthy(&mut server);
}

#[test]
fn fault_gateway_never_answers_is_bounded_and_blocks_nothing_else() {
    let mock = HttpMock::start(|_req, conn| conn.hang(Duration::from_secs(30)));
    let sandbox = Sandbox::new();
    let mut server = Server::spawn(&sandbox, &[]);
    server.ok("auth.status", json!({})); // started and ready
    let timeout_ms = 1500;
    let start = Instant::now();
    let slow_connect = server.request_async(
        "auth.connect",
        json!({"apiKey": KEY, "baseURL": mock.base(), "persist": false,
               "options": {"requestTimeoutMs": timeout_ms, "modelsDev": {"enabled": false}}}),
    );
    let slow_refresh = server.request_async(
        "models.refresh",
        json!({"apiKey": KEY, "options": opts(&mock, false, timeout_ms)}),
    );
    let to_cancel = server.request_async(
        "models.list",
        json!({"refresh": true, "apiKey": "other-key", "options": opts(&mock, false, 20_000)}),
    );
    // Meanwhile the cheap methods answer at once.
    let discover = server.request_async("rpc.discover", json!({}));
    let clear = server.request_async("cache.clear", json!({"scope": "all"}));
    let status = server.request_async("auth.status", json!({}));
    for id in [discover, clear, status] {
        let r = server.response(id, Duration::from_secs(5));
        expect_ok(&r);
    }
    let quick = start.elapsed();
    assert!(
        quick < Duration::from_millis(1000),
        "rpc.discover/cache.clear/auth.status waited for the hung gateway: {quick:?}"
    );
    // $/cancelRequest ends a hung call at once.
    server
        .send(&json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": to_cancel}}));
    let r = server.response(to_cancel, Duration::from_secs(5));
    assert_eq!(r["error"]["code"], -32800, "{r}");
    assert!(
        start.elapsed() < Duration::from_millis(1400),
        "cancel took {:?}",
        start.elapsed()
    );

    let r = server.response(slow_connect, Duration::from_secs(10));
    let elapsed = start.elapsed();
    let kind = r["error"]["data"]["kind"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        kind == "gateway_timeout" || kind == "gateway_unreachable",
        "auth.connect against a silent gateway: {r}"
    );
    assert!(r["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&mock.base()));
    assert!(
        elapsed >= Duration::from_millis(timeout_ms - 100)
            && elapsed < Duration::from_millis(timeout_ms + 2000),
        "auth.connect returned after {elapsed:?} with requestTimeoutMs {timeout_ms}"
    );
    let r = server.response(slow_refresh, Duration::from_secs(10));
    let elapsed = start.elapsed();
    assert!(
        elapsed < Duration::from_millis(timeout_ms + 2000),
        "{elapsed:?}"
    );
    // Nothing was ever cached: either an error naming the timeout or the fallback list.
    match r.get("result") {
        Some(res) => {
            assert_eq!(res["source"], "fallback", "{res}");
            assert!(
                res["warnings"]
                    .to_string()
                    .contains("did not answer within"),
                "{res}"
            );
        }
        None => {
            let kind = &r["error"]["data"]["kind"];
            assert!(
                kind == "gateway_timeout" || kind == "gateway_unreachable",
                "{r}"
            );
        }
    }
    figure(&format!(
        "hung gateway: auth.connect/models.refresh returned within {elapsed:?} (requestTimeoutMs {timeout_ms}); rpc.discover+cache.clear+auth.status answered in {quick:?} meanwhile"
    ));
    still_healthy(&mut server);
}

fn partial_body(conn: &mut Conn) {
    let body = models_body();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len() + 5000
    );
    conn.raw(head.as_bytes());
    conn.raw(&body[..body.len() / 2]);
    // Let the client read the head and start on the body before the connection breaks.
    std::thread::sleep(Duration::from_millis(150));
}

#[test]
fn fault_reset_mid_body() {
    let (r, list, elapsed) = fault(
        |_req, conn| {
            partial_body(conn);
            let stream = conn.stream.try_clone().unwrap();
            Conn::reset_stream(stream);
        },
        3000,
    );
    expect_kind(&r, "bad_gateway_response");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(list["source"], "fallback");
}

#[test]
fn fault_close_mid_body() {
    let (r, list, _) = fault(
        |_req, conn| {
            partial_body(conn);
            let _ = conn.stream.shutdown(std::net::Shutdown::Both);
        },
        3000,
    );
    expect_kind(&r, "bad_gateway_response");
    assert_eq!(list["source"], "fallback");
}

#[test]
fn fault_invalid_utf8_body() {
    let (r, list, _) = fault(
        |_req, conn| {
            conn.respond(
                200,
                "application/json",
                b"{\"object\":\"list\",\"data\":[{\"id\":\"cx/\xff\xfe\",\"object\":\"model\"}]}",
            )
        },
        3000,
    );
    expect_kind(&r, "bad_gateway_response");
    assert_eq!(list["source"], "fallback");
}

#[test]
fn fault_truncated_json() {
    let (r, _, _) = fault(
        |_req, conn| {
            let body = models_body();
            conn.respond(200, "application/json", &body[..body.len() - 7]);
        },
        3000,
    );
    let err = expect_kind(&r, "bad_gateway_response");
    assert!(
        err["message"].as_str().unwrap().contains("not JSON"),
        "{err}"
    );
}

#[test]
fn fault_wrong_content_type() {
    // An HTML page with 200 (a proxy's login page, a dashboard): a clear error naming the type.
    let (r, _, _) = fault(
        |_req, conn| {
            conn.respond(
                200,
                "text/html; charset=utf-8",
                b"<!doctype html><html><body>Login</body></html>",
            )
        },
        3000,
    );
    let err = expect_kind(&r, "bad_gateway_response");
    assert!(
        err["message"].as_str().unwrap().contains("text/html"),
        "{err}"
    );
    // Valid JSON under a wrong label is accepted (gateways mislabel; the body decides).
    let (r, list, _) = fault(
        |_req, conn| conn.respond(200, "text/plain", &models_body()),
        3000,
    );
    assert_eq!(expect_ok(&r)["modelCount"], 2);
    assert_eq!(list["source"], "live");
    // JSON that is not a model list.
    let (r, _, _) = fault(|_req, conn| conn.json(200, &json!({"error": "nope"})), 3000);
    expect_kind(&r, "bad_gateway_response");
}

#[test]
fn fault_error_statuses() {
    for (status, kind) in [
        (401, "auth_rejected"),
        (403, "auth_rejected"),
        (404, "bad_gateway_response"),
        (500, "bad_gateway_response"),
        (502, "bad_gateway_response"),
        (429, "bad_gateway_response"),
    ] {
        let (r, _, _) = fault(
            move |_req, conn| conn.json(status, &json!({"error": "x"})),
            3000,
        );
        expect_kind(&r, kind);
        assert!(!r.to_string().contains(KEY));
    }
}

/// Streams `total` bytes of a never-ending JSON string as chunked encoding (or with a declared
/// Content-Length), stopping when the client hangs up.
fn huge_body(conn: &mut Conn, total: usize, declare_length: bool) {
    let head = if declare_length {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {total}\r\n\r\n"
        )
    } else {
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            .into()
    };
    if !conn.raw(head.as_bytes()) {
        return;
    }
    let mut chunk = vec![b'a'; 64 * 1024];
    chunk[..10].copy_from_slice(b"{\"data\":\"a");
    let mut sent = 0;
    while sent < total && !conn.stopping() {
        let ok = if declare_length {
            conn.raw(&chunk)
        } else {
            let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
            framed.extend_from_slice(&chunk);
            framed.extend_from_slice(b"\r\n");
            conn.raw(&framed)
        };
        if !ok {
            return;
        }
        chunk[..10].copy_from_slice(b"aaaaaaaaaa");
        sent += chunk.len();
    }
    if !declare_length {
        conn.raw(b"0\r\n\r\n");
    }
}

#[test]
fn fault_100mb_body_is_rejected_with_bounded_memory() {
    const TOTAL: usize = 100 * 1024 * 1024;
    for declare in [false, true] {
        let mock = HttpMock::start(move |_req, conn| huge_body(conn, TOTAL, declare));
        let sandbox = Sandbox::new();
        let mut server = Server::spawn(&sandbox, &[]);
        still_healthy(&mut server);
        let pid = server.child.id();
        let before = proc_kb(pid, "VmHWM");
        let (r, elapsed) = connect(&mut server, &mock.base(), 20_000);
        let err = expect_kind(&r, "bad_gateway_response");
        assert!(err["message"].as_str().unwrap().contains("limit"), "{err}");
        let peak = proc_kb(pid, "VmHWM");
        // The limit is 64 MiB of body; the process must stay well under the 100 MB sent.
        assert!(
            peak < 200 * 1024,
            "peak RSS {peak} kB while a 100 MB body was refused (declared length: {declare})"
        );
        figure(&format!(
            "100 MB body ({}): rejected in {elapsed:?}; VmHWM {} MiB (before the call {} MiB)",
            if declare {
                "Content-Length declared"
            } else {
                "chunked, no length"
            },
            peak / 1024,
            before / 1024
        ));
        still_healthy(&mut server);
    }
}

#[test]
fn fault_slow_trickle_is_bounded_by_the_total_timeout() {
    // One byte every 50 ms: each read is "alive", but the whole answer takes far too long.
    let trickle = |conn: &mut Conn, pause: Duration| {
        let body = models_body();
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        for piece in head
            .as_bytes()
            .iter()
            .chain(body.iter())
            .collect::<Vec<_>>()
            .chunks(1)
        {
            if conn.stopping() || !conn.raw(&[*piece[0]]) {
                return;
            }
            std::thread::sleep(pause);
        }
    };
    let (r, list, elapsed) = fault(
        move |_req, conn| trickle(conn, Duration::from_millis(50)),
        1200,
    );
    expect_kind(&r, "gateway_unreachable");
    assert!(
        elapsed >= Duration::from_millis(1100) && elapsed < Duration::from_millis(3200),
        "{elapsed:?}"
    );
    assert_eq!(list["source"], "fallback");
    figure(&format!(
        "slow trickle (1 byte/50 ms) cut at {elapsed:?} with requestTimeoutMs 1200"
    ));

    // A trickle that finishes inside the timeout is fine.
    let (r, _, _) = fault(
        move |_req, conn| {
            let body = models_body();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            conn.raw(head.as_bytes());
            for part in body.chunks(body.len() / 8 + 1) {
                std::thread::sleep(Duration::from_millis(40));
                conn.raw(part);
            }
        },
        5000,
    );
    assert_eq!(expect_ok(&r)["modelCount"], 2);
}

#[test]
fn fault_redirect_to_another_host_drops_the_key() {
    // B: the redirect target, on another loopback address (falls back to another port).
    let target = Gateway {
        key: None,
        ..Gateway::standard()
    };
    let dev = common::modelsdev_fixture();
    let b = std::panic::catch_unwind(|| {
        let t = target.clone();
        let d = dev.clone();
        HttpMock::start_on("127.0.0.2", move |req, conn| t.handle(req, conn, &d))
    })
    .unwrap_or_else(|_| HttpMock::start(move |req, conn| target.handle(req, conn, &dev)));
    let b_origin = b.origin();
    // A: the configured gateway, which redirects everything to B.
    let a = HttpMock::start(move |req, conn| {
        let head = format!(
            "HTTP/1.1 302 Found\r\nLocation: {b_origin}{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            req.path
        );
        conn.raw(head.as_bytes());
    });
    let sandbox = Sandbox::new();
    let mut server = Server::spawn(&sandbox, &[]);
    let (r, _) = connect(&mut server, &a.base(), 3000);
    // A key check that only worked because the key was dropped would be odd, but what matters
    // here is what B saw.
    let _ = r;
    let list = server.ok(
        "models.list",
        json!({"refresh": true, "apiKey": KEY, "options": opts(&a, false, 3000)}),
    );
    let _ = list;
    let a_seen = a.requests();
    assert!(
        a_seen
            .iter()
            .any(|q| q.header("authorization") == Some(&format!("Bearer {KEY}"))),
        "the configured gateway should get the key: {a_seen:?}"
    );
    let b_seen = b.requests();
    assert!(!b_seen.is_empty(), "the redirect was not followed at all");
    for q in &b_seen {
        assert_eq!(q.method, "GET");
        assert!(
            q.header("authorization").is_none(),
            "the Authorization header followed a redirect to another host: {q:?}"
        );
        assert!(!format!("{q:?}").contains(KEY));
    }
    figure(&format!(
        "redirect {} -> {}: {} request(s) reached the other host, none with Authorization",
        a.addr,
        b.addr,
        b_seen.len()
    ));
    still_healthy(&mut server);
}

#[test]
fn fault_redirect_loops_and_odd_locations_are_bounded() {
    let a = HttpMock::start(|req, conn| {
        let location = match req.path.as_str() {
            "/v1/models" => "/v1/models?again".to_string(),
            _ => "file:///etc/passwd".to_string(),
        };
        let location = if req.path.contains("again") {
            "/v1/models".into()
        } else {
            location
        };
        let head = format!(
            "HTTP/1.1 301 Moved\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        conn.raw(head.as_bytes());
    });
    let sandbox = Sandbox::new();
    let mut server = Server::spawn(&sandbox, &[]);
    let (r, elapsed) = connect(&mut server, &a.base(), 3000);
    let kind = r["error"]["data"]["kind"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        ["gateway_unreachable", "bad_gateway_response"].contains(&kind.as_str()),
        "{r}"
    );
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert!(
        a.hits("/v1/models") <= 10,
        "redirects are not limited: {}",
        a.hits("/v1/models")
    );
    still_healthy(&mut server);
}

#[test]
fn fault_gateway_recovers_after_faults() {
    // A gateway that fails, then works: the last good list survives failures, then refreshes.
    let state = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let s2 = state.clone();
    let good = Gateway::standard();
    let dev = common::modelsdev_fixture();
    let mock =
        HttpMock::start(
            move |req, conn| match s2.load(std::sync::atomic::Ordering::SeqCst) {
                1 => conn.respond(200, "application/json", b"{\"data\":[{\"id\":"),
                2 => conn.respond(500, "text/plain", b"boom"),
                _ => good.handle(req, conn, &dev),
            },
        );
    let sandbox = Sandbox::new();
    let mut server = Server::spawn(&sandbox, &[]);
    let o = opts(&mock, false, 3000);
    let first = server.ok("models.list", json!({"refresh": true, "options": o}));
    assert_eq!(first["source"], "live");
    for phase in [1, 2] {
        state.store(phase, std::sync::atomic::Ordering::SeqCst);
        let r = server.ok("models.list", json!({"refresh": true, "options": o}));
        assert!(r["source"] == "stale" || r["source"] == "snapshot", "{r}");
        assert_eq!(
            common::ids(&r),
            common::ids(&first),
            "the last good list is served"
        );
        assert!(!r["warnings"].as_array().unwrap().is_empty());
    }
    state.store(0, std::sync::atomic::Ordering::SeqCst);
    let r = server.ok("models.list", json!({"refresh": true, "options": o}));
    assert_eq!(r["source"], "live");
    still_healthy(&mut server);
}

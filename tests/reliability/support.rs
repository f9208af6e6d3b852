//! Support for the reliability suite: a hand-written HTTP/1.1 mock on loopback (std threads, raw
//! TCP, so faults such as hangs, resets, trickles and huge bodies are easy to produce), process
//! helpers with hard time limits, frame parsers for what the binary writes, and /proc readers.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{self, Sandbox};

/// One request as the mock saw it.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Req {
    /// A header value by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One accepted connection, handed to the handler after the request head was read.
pub struct Conn {
    pub stream: TcpStream,
    stop: Arc<AtomicBool>,
}

impl Conn {
    /// Writes a complete response and closes the connection.
    pub fn respond(&mut self, status: u16, content_type: &str, body: &[u8]) {
        let head = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = self.stream.write_all(head.as_bytes());
        let _ = self.stream.write_all(body);
        let _ = self.stream.flush();
    }

    /// `respond` with a JSON body.
    pub fn json(&mut self, status: u16, body: &Value) {
        self.respond(status, "application/json", body.to_string().as_bytes());
    }

    /// Writes raw bytes (a head, part of a body…).
    pub fn raw(&mut self, bytes: &[u8]) -> bool {
        self.stream
            .write_all(bytes)
            .and_then(|_| self.stream.flush())
            .is_ok()
    }

    /// Holds the connection open without answering, until the mock is dropped or `max` passes.
    pub fn hang(&self, max: Duration) {
        let start = Instant::now();
        while !self.stop.load(Ordering::SeqCst) && start.elapsed() < max {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the mock is shutting down.
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Closes `stream` with a TCP reset (SO_LINGER 0) instead of a FIN.
    pub fn reset_stream(stream: TcpStream) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            stream.set_nonblocking(true).expect("nonblocking");
            let s = tokio::net::TcpStream::from_std(stream).expect("from_std");
            s.set_zero_linger().expect("linger");
            drop(s);
        });
    }
}

type Handler = dyn Fn(&Req, &mut Conn) + Send + Sync + 'static;

/// A loopback HTTP/1.1 server: one thread per connection, one request per connection.
pub struct HttpMock {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Req>>>,
    stop: Arc<AtomicBool>,
}

impl HttpMock {
    /// Serves on 127.0.0.1 on a free port.
    pub fn start(handler: impl Fn(&Req, &mut Conn) + Send + Sync + 'static) -> HttpMock {
        Self::start_on("127.0.0.1", handler)
    }

    /// Serves on a loopback address (e.g. 127.0.0.2) on a free port.
    pub fn start_on(
        ip: &str,
        handler: impl Fn(&Req, &mut Conn) + Send + Sync + 'static,
    ) -> HttpMock {
        assert!(ip.starts_with("127."), "loopback only");
        let listener = TcpListener::bind((ip, 0)).expect("bind loopback");
        let addr = listener.local_addr().expect("addr");
        let requests: Arc<Mutex<Vec<Req>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let (reqs, stop2) = (requests.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = conn else { continue };
                let (handler, reqs, stop) = (handler.clone(), reqs.clone(), stop2.clone());
                std::thread::spawn(move || {
                    let _ = stream.set_nodelay(true);
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                    let _ = stream.set_write_timeout(Some(Duration::from_secs(20)));
                    let mut stream = stream;
                    let Some(req) = read_head(&mut stream) else {
                        return;
                    };
                    reqs.lock().unwrap().push(req.clone());
                    let mut conn = Conn { stream, stop };
                    handler(&req, &mut conn);
                });
            }
        });
        HttpMock {
            addr,
            requests,
            stop,
        }
    }

    /// `http://ip:port`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://ip:port/v1`.
    pub fn base(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Requests seen so far.
    pub fn requests(&self) -> Vec<Req> {
        self.requests.lock().unwrap().clone()
    }

    /// Requests seen so far to this path.
    pub fn hits(&self, path: &str) -> usize {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .count()
    }
}

impl Drop for HttpMock {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

fn read_head(stream: &mut TcpStream) -> Option<Req> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut byte).ok()?;
        if n == 0 || buf.len() > 64 * 1024 {
            return None;
        }
        buf.extend_from_slice(&byte[..n]);
    }
    let text = String::from_utf8_lossy(&buf);
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Req {
        method,
        path,
        headers,
    })
}

/// What a well-behaved OmniRoute mock serves.
#[derive(Clone)]
pub struct Gateway {
    /// `/v1/models` body.
    pub models: Value,
    /// `/v1/combos` data (404 when `None`).
    pub combos: Option<Value>,
    /// When set, `/v1/*` demands `Bearer <key>` and answers 401 otherwise.
    pub key: Option<String>,
}

impl Gateway {
    /// Three chat models, one combo over two of them, combos defined.
    pub fn standard() -> Gateway {
        Gateway {
            models: common::list(vec![
                common::model_entry("cx/gpt-5.1-codex-mini", "codex"),
                common::model_entry("ds/deepseek-chat", "deepseek"),
                common::model_entry("cc/claude-sonnet-4-5-20250929", "claude"),
                common::combo_entry("fast"),
            ]),
            combos: Some(json!([{"name": "fast", "strategy": "priority", "models": [
                {"kind": "model", "model": "cx/gpt-5.1-codex-mini", "weight": 1},
                {"kind": "model", "model": "ds/deepseek-chat", "weight": 1}]}])),
            key: None,
        }
    }

    /// Serves this gateway (and the models.dev fixture at `/api.json`).
    pub fn serve(self) -> HttpMock {
        let dev = common::modelsdev_fixture();
        HttpMock::start(move |req, conn| self.handle(req, conn, &dev))
    }

    /// Answers one request as this gateway would.
    pub fn handle(&self, req: &Req, conn: &mut Conn, dev: &[u8]) {
        if req.path == "/api.json" {
            return conn.respond(200, "application/json", dev);
        }
        if let Some(k) = &self.key {
            if req.path.starts_with("/v1/")
                && req.header("authorization") != Some(&format!("Bearer {k}"))
            {
                return conn.json(401, &json!({"error": {"message": "Invalid API key"}}));
            }
        }
        match (req.path.as_str(), &self.combos) {
            ("/v1/models", _) => conn.json(200, &self.models),
            ("/v1/combos", Some(c)) => conn.json(200, &json!({"object": "list", "data": c})),
            _ => conn.respond(404, "text/html", b"<html>not found</html>"),
        }
    }
}

/// Options for a mock at `mock` with models.dev from the same mock (or disabled).
pub fn opts(mock: &HttpMock, with_dev: bool, timeout_ms: u64) -> Value {
    let mut o = common::options(&mock.base(), None);
    if with_dev {
        o["modelsDev"] = json!({"url": format!("{}/api.json", mock.origin()), "timeoutMs": 3000});
    }
    o["requestTimeoutMs"] = json!(timeout_ms);
    o
}

/// Output of a process run to completion.
pub struct Run {
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub code: Option<i32>,
}

/// Runs the binary with `args`, feeding `input` on stdin, killing it after `limit`.
pub fn run(
    sandbox: &Sandbox,
    env: &[(&str, &str)],
    args: &[&str],
    input: &[u8],
    limit: Duration,
) -> Run {
    let mut cmd = sandbox.command();
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_cmd(cmd, input, limit)
}

/// Runs `cmd` to completion with a hard time limit.
pub fn run_cmd(mut cmd: Command, input: &[u8], limit: Duration) -> Run {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    });
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("process still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = writer.join();
    Run {
        stdout: out_t.join().unwrap(),
        stderr: err_t.join().unwrap(),
        code,
    }
}

/// Parses NDJSON output, failing on any line that is not JSON.
pub fn ndjson(stdout: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(stdout).expect("stdout is UTF-8");
    text.lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("non-JSON line on stdout {l:?}: {e}"))
        })
        .collect()
}

/// Parses LSP-framed output, failing on anything else.
pub fn lsp(stdout: &[u8]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut rest = stdout;
    while !rest.is_empty() {
        let end = rest
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| {
                panic!(
                    "LSP output without a header end: {:?}",
                    String::from_utf8_lossy(rest)
                )
            });
        let head = std::str::from_utf8(&rest[..end]).expect("header UTF-8");
        let len: usize = head
            .strip_prefix("Content-Length: ")
            .unwrap_or_else(|| panic!("bad output header {head:?}"))
            .parse()
            .expect("length");
        let body = &rest[end + 4..end + 4 + len];
        out.push(serde_json::from_slice(body).expect("LSP body is JSON"));
        rest = &rest[end + 4 + len..];
    }
    out
}

/// Frames one message for LSP.
pub fn lsp_frame(body: &[u8]) -> Vec<u8> {
    let mut v = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    v.extend_from_slice(body);
    v
}

/// Fails if stderr shows a panic.
pub fn assert_no_panic(stderr: &str) {
    assert!(
        !stderr.contains("panicked"),
        "the binary panicked:\n{stderr}"
    );
}

/// A `/proc/PID/status` field in kB (VmHWM = peak RSS, VmRSS = current).
pub fn proc_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Asserts a JSON-RPC error with this `data.kind`; returns the error object.
pub fn expect_kind(resp: &Value, kind: &str) -> Value {
    let err = resp
        .get("error")
        .unwrap_or_else(|| panic!("expected a {kind} error, got {resp}"));
    assert_eq!(err["data"]["kind"], json!(kind), "{resp}");
    err.clone()
}

/// Asserts a result; returns it.
pub fn expect_ok(resp: &Value) -> Value {
    resp.get("result")
        .unwrap_or_else(|| panic!("expected a result, got {resp}"))
        .clone()
}

/// Prints a figure for the report (visible with `--nocapture`) and appends it to
/// `target/reliability-figures.txt`.
pub fn figure(line: &str) {
    eprintln!("FIGURE {line}");
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/reliability-figures.txt");
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(f, "{line}");
    }
}

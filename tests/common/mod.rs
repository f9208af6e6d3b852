//! Test harness: spawns the real `omniroute-rpc` binary in a hermetic environment (temp HOME and
//! XDG dirs, no inherited key) and talks NDJSON to it; plus OmniRoute-shaped mock gateway bodies.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Path of the binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_omniroute-rpc"))
}

/// A throwaway HOME with XDG dirs.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    pub fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }
    pub fn auth_file(&self) -> PathBuf {
        self.data().join("opencode").join("auth.json")
    }
    pub fn cache_dir(&self) -> PathBuf {
        self.cache().join("omniroute-rpc")
    }
    /// A command for the binary with the hermetic environment applied.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(bin());
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("XDG_DATA_HOME", self.data())
            .env("XDG_CACHE_HOME", self.cache())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"));
        cmd
    }
}

/// A running server spoken to over NDJSON.
pub struct Server {
    pub child: Child,
    stdin: Option<ChildStdin>,
    messages: Receiver<Value>,
    pending: Vec<Value>,
    next_id: i64,
    pub stderr: Arc<Mutex<String>>,
    pub stdout_raw: Arc<Mutex<String>>,
}

impl Server {
    /// Spawns the binary in `sandbox` with extra env vars.
    pub fn spawn(sandbox: &Sandbox, env: &[(&str, &str)]) -> Server {
        let mut cmd = sandbox.command();
        for (k, v) in env {
            cmd.env(k, v);
        }
        Self::spawn_cmd(cmd)
    }

    pub fn spawn_cmd(mut cmd: Command) -> Server {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn omniroute-rpc");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = channel();
        let raw = Arc::new(Mutex::new(String::new()));
        let raw2 = raw.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                raw2.lock().unwrap().push_str(&line);
                raw2.lock().unwrap().push('\n');
                let v: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("stdout carried a non-JSON line {line:?}: {e}"));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        let err = Arc::new(Mutex::new(String::new()));
        let err2 = err.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                err2.lock().unwrap().push_str(&line);
                err2.lock().unwrap().push('\n');
            }
        });
        Server {
            stdin: child.stdin.take(),
            child,
            messages: rx,
            pending: Vec::new(),
            next_id: 1,
            stderr: err,
            stdout_raw: raw,
        }
    }

    /// Writes raw bytes to stdin.
    pub fn write_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write");
        stdin.flush().expect("flush");
    }

    /// Sends one JSON message as a line.
    pub fn send(&mut self, v: &Value) {
        let mut line = v.to_string();
        line.push('\n');
        self.write_raw(line.as_bytes());
    }

    /// Sends a request; returns its id.
    pub fn request_async(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Next message from stdout (including notifications), within `timeout`.
    pub fn next_message(&mut self, timeout: Duration) -> Option<Value> {
        if !self.pending.is_empty() {
            return Some(self.pending.remove(0));
        }
        match self.messages.recv_timeout(timeout) {
            Ok(v) => Some(v),
            Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Waits for the response with this id (other messages are kept for later).
    pub fn response(&mut self, id: i64, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        if let Some(pos) = self
            .pending
            .iter()
            .position(|m| m.get("id") == Some(&json!(id)))
        {
            return self.pending.remove(pos);
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(v) if v.get("id") == Some(&json!(id)) => return v,
                Ok(v) => self.pending.push(v),
                Err(_) => panic!(
                    "no response to request {id} within {timeout:?}; stderr:\n{}",
                    self.stderr.lock().unwrap()
                ),
            }
        }
    }

    /// Sends a request and waits for its response object.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.request_async(method, params);
        self.response(id, Duration::from_secs(30))
    }

    /// Sends a request and returns its result, panicking on an error response.
    pub fn ok(&mut self, method: &str, params: Value) -> Value {
        let r = self.call(method, params);
        match r.get("result") {
            Some(v) => v.clone(),
            None => panic!("{method} failed: {r}"),
        }
    }

    /// Sends a request and returns its error object, panicking on success.
    pub fn err(&mut self, method: &str, params: Value) -> Value {
        let r = self.call(method, params);
        match r.get("error") {
            Some(v) => v.clone(),
            None => panic!("{method} unexpectedly succeeded: {r}"),
        }
    }

    /// Notifications received so far with this method (drains them from the queue).
    pub fn take_notifications(&mut self, method: &str, wait: Duration) -> Vec<Value> {
        let deadline = Instant::now() + wait;
        while let Ok(v) = self
            .messages
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.pending.push(v);
        }
        let (hits, rest): (Vec<Value>, Vec<Value>) = self
            .pending
            .drain(..)
            .partition(|m| m.get("method").and_then(Value::as_str) == Some(method));
        self.pending = rest;
        hits
    }

    /// Closes stdin and waits for the exit; returns (status code, elapsed).
    pub fn close(&mut self) -> (Option<i32>, Duration) {
        self.stdin.take();
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return (status.code(), start.elapsed());
            }
            if start.elapsed() > Duration::from_secs(20) {
                let _ = self.child.kill();
                panic!("the server did not exit after stdin EOF");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn stderr_text(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits (up to 5 s) until stderr contains every needle: a reader thread collects it, so a
    /// line the server wrote may not be there yet. Returns stderr as it then is.
    pub fn stderr_with(&self, needles: &[&str]) -> String {
        let start = Instant::now();
        loop {
            let text = self.stderr_text();
            if needles.iter().all(|n| text.contains(n)) || start.elapsed() > Duration::from_secs(5)
            {
                return text;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Options pointing at a mock gateway, with models.dev at `dev_url` (or disabled).
pub fn options(base: &str, dev_url: Option<&str>) -> Value {
    match dev_url {
        Some(url) => {
            json!({"baseURL": base, "modelsDev": {"url": url, "timeoutMs": 2000}, "requestTimeoutMs": 3000})
        }
        None => json!({"baseURL": base, "modelsDev": {"enabled": false}, "requestTimeoutMs": 3000}),
    }
}

/// An OmniRoute 3.7.9-shaped chat model entry with real metadata.
pub fn model_entry(id: &str, owned_by: &str) -> Value {
    json!({"id": id, "object": "model", "created": 1764000000, "owned_by": owned_by,
        "permission": [], "root": id, "parent": null})
}

/// OmniRoute's placeholder entry (what it gives combos and models without metadata).
pub fn placeholder_entry(id: &str, owned_by: &str) -> Value {
    json!({"id": id, "object": "model", "created": 1764000000, "owned_by": owned_by,
        "permission": [], "root": id, "parent": null, "max_output_tokens": 8192,
        "capabilities": {"tool_calling": true, "reasoning": true}})
}

/// A combo as `/v1/models` lists it.
pub fn combo_entry(name: &str) -> Value {
    let mut e = placeholder_entry(name, "combo");
    e["root"] = json!(name);
    e
}

/// `{object: "list", data: [...]}`.
pub fn list(data: Vec<Value>) -> Value {
    json!({"object": "list", "data": data})
}

/// The models.dev fixture bytes.
pub fn modelsdev_fixture() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/modelsdev-api.json"))
        .expect("fixture")
}

/// Ids of the models in a `models.list` result.
pub fn ids(result: &Value) -> Vec<String> {
    result["models"]
        .as_array()
        .expect("models")
        .iter()
        .map(|m| m["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Models of a `models.list` result by id.
pub fn by_id(result: &Value) -> HashMap<String, Value> {
    result["models"]
        .as_array()
        .expect("models")
        .iter()
        .map(|m| (m["id"].as_str().unwrap_or_default().to_string(), m.clone()))
        .collect()
}

/// A mock gateway whose `/v1/models` answers `body` after `delay`.
pub async fn slow_gateway(body: Value, delay: Duration) -> wiremock::MockServer {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::path("/v1/models"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_json(body)
                .set_delay(delay),
        )
        .mount(&server)
        .await;
    server
}

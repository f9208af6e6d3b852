//! Shared by the benches: a deterministic generator of OmniRoute-shaped catalogues whose ids are
//! drawn from the models.dev fixture, and a loopback mock gateway (std only, one thread per
//! connection, `TCP_NODELAY`, every response sent with one write).
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde_json::{json, Value};

/// The catalogue sizes of the issue.
pub const SIZES: &[usize] = &[100, 1_000, 3_000, 10_000];

/// Path of the models.dev fixture.
pub fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/modelsdev-api.json")
}

/// The models.dev fixture bytes (2.4 MB).
pub fn fixture_bytes() -> Vec<u8> {
    std::fs::read(fixture_path()).expect("read tests/fixtures/modelsdev-api.json")
}

/// xorshift64*: deterministic, dependency-free.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// True with probability `pct`/100.
    pub fn pct(&mut self, pct: u64) -> bool {
        self.next_u64() % 100 < pct
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One models.dev entry, as the generator needs it.
#[derive(Clone)]
struct DevEntry {
    provider: String,
    key: String,
    context: Option<u64>,
    output: Option<u64>,
    tools: bool,
    reasoning: bool,
    vision: bool,
}

/// A generated catalogue: the `/v1/models` and `/v1/combos` bodies plus handy id lists.
pub struct Generated {
    /// `{object:"list", data:[...]}` for `/v1/models` (`n` entries, combos included).
    pub models: Value,
    /// `{object:"list", data:[{name, strategy, models:[...]}]}` for `/v1/combos`.
    pub combos: Value,
    /// Chat model ids (gateway ids).
    pub chat_ids: Vec<String>,
    /// Combo names.
    pub combo_names: Vec<String>,
}

impl Generated {
    pub fn models_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.models).expect("serialize")
    }
    pub fn combos_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.combos).expect("serialize")
    }
}

fn dev_entries(fixture: &Value) -> Vec<DevEntry> {
    let mut out = Vec::new();
    let Some(providers) = fixture.as_object() else {
        return out;
    };
    for (pid, p) in providers {
        let Some(models) = p.get("models").and_then(Value::as_object) else {
            continue;
        };
        for (key, m) in models {
            let limit = |k: &str| m["limit"][k].as_u64().filter(|v| *v > 0);
            let vision = m["modalities"]["input"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x == "image"));
            out.push(DevEntry {
                provider: pid.clone(),
                key: key.clone(),
                context: limit("context"),
                output: limit("output"),
                tools: m["tool_call"].as_bool().unwrap_or(false),
                reasoning: m["reasoning"].as_bool().unwrap_or(false),
                vision,
            });
        }
    }
    out
}

/// The OmniRoute prefix a gateway would use for a models.dev provider.
fn prefix_for(provider: &str, rng: &mut Rng) -> String {
    let p = match provider {
        "openai" => *rng.pick(&["cx", "cx", "cx", "openai"]),
        "anthropic" => *rng.pick(&["cc", "cc", "claude"]),
        "google" => *rng.pick(&[
            "gemini/models",
            "gemini/models",
            "gemini-cli",
            "antigravity",
        ]),
        "moonshotai" => *rng.pick(&["kmc", "kmca", "kimi"]),
        "deepseek" => "ds",
        "alibaba" => "qw",
        "github-copilot" => "gh",
        "perplexity" => "pplx",
        "huggingface" => "hf",
        "ollama-cloud" => "ollamacloud",
        other => other,
    };
    p.to_string()
}

const VARIANTS: &[&str] = &["-high", "-low", "-thinking", "-xhigh", "-medium"];
const UNKNOWN_PREFIXES: &[&str] = &["myproxy", "corp-gw", "lab-internal", "edge"];
const STRATEGIES: &[&str] = &[
    "priority",
    "weighted",
    "round-robin",
    "cost-optimized",
    "auto",
];

/// `candidate`, or on a collision (10,000 entries from ~5,300 models.dev ids) a
/// fine-tune-like variant that models.dev does not know, as real gateways have.
fn fresh_id(rng: &mut Rng, seen: &mut HashSet<String>, candidate: String) -> String {
    if seen.insert(candidate.clone()) {
        return candidate;
    }
    loop {
        let c = format!("{candidate}-ft-{}", rng.below(1_000_000));
        if seen.insert(c.clone()) {
            return c;
        }
    }
}

fn entry(id: &str, owned_by: &str) -> Value {
    json!({"id": id, "object": "model", "created": 1764000000u64, "owned_by": owned_by,
        "permission": [], "root": id, "parent": null})
}

/// Adds the metadata style of one entry: real (3.8-like), placeholder (what OmniRoute gives
/// entries without metadata) or nothing (3.7.9 bare entry).
fn decorate(e: &mut Value, d: &DevEntry, rng: &mut Rng) {
    match rng.below(10) {
        0..=3 => {
            if let Some(c) = d.context {
                e["context_length"] = json!(c);
            }
            if let Some(o) = d.output {
                e["max_output_tokens"] = json!(o);
            }
            e["capabilities"] =
                json!({"tool_calling": d.tools, "reasoning": d.reasoning, "vision": d.vision});
            if d.vision {
                e["input_modalities"] = json!(["text", "image"]);
            }
        }
        4..=6 => {
            e["max_output_tokens"] = json!(8192);
            e["capabilities"] = json!({"tool_calling": true, "reasoning": true});
        }
        _ => {}
    }
}

/// Generates an OmniRoute-shaped catalogue of exactly `n` `/v1/models` entries (combos
/// included, about one per 30 entries), deterministic for a given `seed`.
///
/// Mix: ~62% `<alias>/<models.dev id>` chat models (`cx/`, `cc/`, `gemini/models/`,
/// `openrouter/`, `ds/`… or the provider id itself), ~8% of them with a reasoning-variant
/// suffix; ~8% unknown prefixes (global search); ~6% non-chat entries (`type` embedding, image,
/// audio…); ~8% alias twins (the canonical copy has `parent` = the alias id); ~3% combos with
/// 2–5 members, a quarter of them nesting an earlier combo via `combo-ref`.
pub fn generate(n: usize, fixture: &Value, seed: u64) -> Generated {
    let mut rng = Rng::new(seed ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let pool = dev_entries(fixture);
    assert!(!pool.is_empty(), "the fixture has no models");
    let by_provider = |name: &str| -> Vec<DevEntry> {
        pool.iter()
            .filter(|e| e.provider == name)
            .cloned()
            .collect()
    };
    let openai = by_provider("openai");
    let anthropic = by_provider("anthropic");
    let google = by_provider("google");
    let openrouter = by_provider("openrouter");
    let moonshot = by_provider("moonshotai");

    let n_combos = (n / 30).max(1);
    let n_models = n.saturating_sub(n_combos);
    let mut seen: HashSet<String> = HashSet::new();
    let mut data: Vec<Value> = Vec::with_capacity(n);
    let mut chat_ids: Vec<String> = Vec::new();

    while data.len() < n_models {
        let roll = rng.below(100);
        if roll < 62 {
            // chat model through a known prefix
            let d = match rng.below(10) {
                0..=1 => rng.pick(&openai).clone(),
                2..=3 => rng.pick(&anthropic).clone(),
                4 => rng.pick(&google).clone(),
                5..=6 => rng.pick(&openrouter).clone(),
                _ => rng.pick(&pool).clone(),
            };
            let prefix = if d.provider == "openrouter" {
                "openrouter".to_string()
            } else {
                prefix_for(&d.provider, &mut rng)
            };
            let mut key = d.key.clone();
            if matches!(d.provider.as_str(), "openai" | "anthropic" | "google") && rng.pct(8) {
                let v = VARIANTS[rng.below(VARIANTS.len())];
                key.push_str(v);
            }
            let id = fresh_id(&mut rng, &mut seen, format!("{prefix}/{key}"));
            let owned = prefix.split('/').next().unwrap_or(&prefix).to_string();
            let mut e = entry(&id, &owned);
            decorate(&mut e, &d, &mut rng);
            chat_ids.push(id);
            data.push(e);
        } else if roll < 70 {
            // unknown prefix: only the global search can match it
            let d = rng.pick(&pool).clone();
            let prefix = *rng.pick(UNKNOWN_PREFIXES);
            let id = fresh_id(&mut rng, &mut seen, format!("{prefix}/{}", d.key));
            let mut e = entry(&id, prefix);
            decorate(&mut e, &d, &mut rng);
            chat_ids.push(id);
            data.push(e);
        } else if roll < 76 {
            // non-chat entries
            let (ty, sub, base) = *rng.pick(&[
                ("embedding", None, "text-embedding-3-small"),
                ("embedding", None, "gemini-embedding-001"),
                ("image", None, "gpt-image-1"),
                ("image", None, "imagen-4.0-generate"),
                ("audio", Some("speech"), "tts-1-hd"),
                ("audio", Some("transcription"), "whisper-1"),
                ("rerank", None, "rerank-v3.5"),
                ("moderation", None, "omni-moderation-latest"),
                ("video", None, "veo-3.0-generate"),
            ]);
            let prefix = *rng.pick(&["openai", "gemini", "cohere", "elevenlabs", "fal"]);
            let id = fresh_id(&mut rng, &mut seen, format!("{prefix}/{base}"));
            let mut e = entry(&id, prefix);
            e["type"] = json!(ty);
            if let Some(s) = sub {
                e["subtype"] = json!(s);
            }
            e["max_output_tokens"] = json!(8192);
            e["capabilities"] = json!({"tool_calling": true, "reasoning": true});
            data.push(e);
        } else if roll < 80 && data.len() + 2 <= n_models {
            // alias twins: `kmca/x` and its canonical copy `kimi-coding-apikey/x` (parent = alias)
            let (alias, canonical, d) = match rng.below(3) {
                0 => ("cx", "codex", rng.pick(&openai).clone()),
                1 => ("cc", "claude", rng.pick(&anthropic).clone()),
                _ => (
                    "kmca",
                    "kimi-coding-apikey",
                    if moonshot.is_empty() {
                        rng.pick(&pool).clone()
                    } else {
                        rng.pick(&moonshot).clone()
                    },
                ),
            };
            let a = fresh_id(&mut rng, &mut seen, format!("{alias}/{}", d.key));
            let key = a.split_once('/').map_or(a.as_str(), |(_, k)| k).to_string();
            let c = fresh_id(&mut rng, &mut seen, format!("{canonical}/{key}"));
            let mut ea = entry(&a, canonical);
            decorate(&mut ea, &d, &mut rng);
            let mut ec = entry(&c, canonical);
            ec["parent"] = json!(a);
            decorate(&mut ec, &d, &mut rng);
            chat_ids.push(a);
            chat_ids.push(c);
            data.push(ea);
            data.push(ec);
        } else {
            // more plain chat models from any provider
            let d = rng.pick(&pool).clone();
            let prefix = prefix_for(&d.provider, &mut rng);
            let id = fresh_id(&mut rng, &mut seen, format!("{prefix}/{}", d.key));
            let owned = prefix.split('/').next().unwrap_or(&prefix).to_string();
            let mut e = entry(&id, &owned);
            decorate(&mut e, &d, &mut rng);
            chat_ids.push(id);
            data.push(e);
        }
    }

    // Combos: listed in /v1/models with owned_by "combo", defined at /v1/combos.
    let mut combo_defs = Vec::with_capacity(n_combos);
    let mut combo_names: Vec<String> = Vec::with_capacity(n_combos);
    for i in 0..n_combos {
        let name = if rng.pct(10) {
            format!("team-{i}/fast")
        } else {
            format!("combo-{i}")
        };
        let name = fresh_id(&mut rng, &mut seen, name);
        let n_members = 2 + rng.below(4);
        let mut members = Vec::with_capacity(n_members);
        for m in 0..n_members {
            let weight = 1 + rng.below(100);
            if m == 0 && !combo_names.is_empty() && rng.pct(25) {
                let target = rng.pick(&combo_names).clone();
                members.push(json!({"kind": "combo-ref", "comboName": target, "weight": weight}));
            } else if rng.pct(10) {
                // a member the gateway does not list (matched through models.dev only)
                let d = rng.pick(&anthropic).clone();
                members.push(json!({"kind": "model", "model": format!("cc/{}", d.key),
                    "providerId": "cc", "weight": weight}));
            } else {
                let id = rng.pick(&chat_ids).clone();
                let provider = id.split('/').next().unwrap_or("").to_string();
                members.push(json!({"kind": "model", "model": id, "providerId": provider,
                    "weight": weight}));
            }
        }
        let strategy = *rng.pick(STRATEGIES);
        let mut listed = entry(&name, "combo");
        listed["max_output_tokens"] = json!(8192);
        listed["capabilities"] = json!({"tool_calling": true, "reasoning": true});
        data.push(listed);
        combo_defs.push(json!({"name": name, "strategy": strategy, "models": members}));
        combo_names.push(name);
    }
    debug_assert_eq!(data.len(), n);

    Generated {
        models: json!({"object": "list", "data": data}),
        combos: json!({"object": "list", "data": combo_defs}),
        chat_ids,
        combo_names,
    }
}

// ---------------------------------------------------------------------------------------------
// Mock gateway

struct MockState {
    /// path → the complete HTTP response (head and body), sent with one write.
    routes: RwLock<HashMap<String, Route>>,
    counts: Mutex<BTreeMap<String, u64>>,
    delay_ms: AtomicU64,
    /// Send `ETag`s and answer a matching `If-None-Match` with `304`.
    etags: AtomicBool,
}

/// One path's answers: plain, and with an `ETag` (and the `304` for it).
struct Route {
    plain: Arc<Vec<u8>>,
    tagged: Arc<Vec<u8>>,
    etag: String,
}

/// A loopback HTTP/1.1 server with keep-alive, serving fixed bodies per path.
pub struct Mock {
    pub port: u16,
    state: Arc<MockState>,
}

fn response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    response_with(status, content_type, "", body)
}

fn response_with(status: &str, content_type: &str, extra: &str, body: &[u8]) -> Vec<u8> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{extra}Connection: keep-alive\r\n\r\n",
        body.len()
    );
    let mut out = Vec::with_capacity(head.len() + body.len());
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(body);
    out
}

impl Mock {
    /// Binds 127.0.0.1 on a free port and serves in background threads.
    pub fn start() -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("addr").port();
        let state = Arc::new(MockState {
            routes: RwLock::new(HashMap::new()),
            counts: Mutex::new(BTreeMap::new()),
            delay_ms: AtomicU64::new(0),
            etags: AtomicBool::new(false),
        });
        let st = state.clone();
        std::thread::Builder::new()
            .name("mock-accept".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    let st = st.clone();
                    let _ = std::thread::Builder::new()
                        .name("mock-conn".into())
                        .spawn(move || serve_connection(stream, &st));
                }
            })
            .expect("spawn the mock");
        Mock { port, state }
    }

    /// `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// `http://127.0.0.1:PORT/api.json`.
    pub fn models_dev_url(&self) -> String {
        format!("http://127.0.0.1:{}/api.json", self.port)
    }

    /// Serves `body` (JSON) at `path`.
    pub fn set_json(&self, path: &str, body: &[u8]) {
        static VERSION: AtomicU64 = AtomicU64::new(1);
        let etag = format!("\"v{}\"", VERSION.fetch_add(1, Ordering::SeqCst));
        let route = Route {
            plain: Arc::new(response("200 OK", "application/json", body)),
            tagged: Arc::new(response_with(
                "200 OK",
                "application/json",
                &format!("ETag: {etag}\r\n"),
                body,
            )),
            etag,
        };
        self.state
            .routes
            .write()
            .unwrap()
            .insert(path.to_string(), route);
    }

    /// Sends `ETag`s and answers a matching `If-None-Match` with `304` (a conditional refresh).
    pub fn set_etags(&self, on: bool) {
        self.state.etags.store(on, Ordering::SeqCst);
    }

    /// Serves a generated catalogue at `/v1/models` and `/v1/combos`.
    pub fn set_catalogue(&self, g: &Generated) {
        self.set_json("/v1/models", &g.models_bytes());
        self.set_json("/v1/combos", &g.combos_bytes());
    }

    /// Delays every answer by `ms` (a slow gateway).
    pub fn set_delay_ms(&self, ms: u64) {
        self.state.delay_ms.store(ms, Ordering::SeqCst);
    }

    /// Requests per path since the last reset.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.state.counts.lock().unwrap().clone()
    }

    pub fn reset_counts(&self) {
        self.state.counts.lock().unwrap().clear();
    }
}

fn serve_connection(mut stream: TcpStream, st: &MockState) {
    let _ = stream.set_nodelay(true);
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        // Read one request head (GET only: no body).
        let end = loop {
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(k) => buf.extend_from_slice(&chunk[..k]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        buf.drain(..end);
        let target = head
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("/");
        let path = target.split('?').next().unwrap_or("/").to_string();
        *st.counts.lock().unwrap().entry(path.clone()).or_default() += 1;
        let delay = st.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            std::thread::sleep(Duration::from_millis(delay));
        }
        let etags = st.etags.load(Ordering::SeqCst);
        let lower = head.to_ascii_lowercase();
        let found = st.routes.read().unwrap().get(&path).map(|r| {
            let asked = format!("if-none-match: {}", r.etag.to_ascii_lowercase());
            if etags && lower.contains(&asked) {
                Arc::new(response_with(
                    "304 Not Modified",
                    "application/json",
                    &format!("ETag: {}\r\n", r.etag),
                    b"",
                ))
            } else if etags {
                r.tagged.clone()
            } else {
                r.plain.clone()
            }
        });
        let bytes = match found {
            Some(r) => r,
            None => Arc::new(response(
                "404 Not Found",
                "text/html",
                b"<!DOCTYPE html><html><body>404</body></html>",
            )),
        };
        if stream.write_all(&bytes).is_err() {
            return;
        }
        if lower.contains("connection: close") {
            return;
        }
    }
}

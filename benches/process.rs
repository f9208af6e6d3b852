//! Whole-process benchmark: spawns the release binary against an in-process loopback mock
//! gateway (generated catalogues + the models.dev fixture) and measures, per catalogue size:
//! spawn → `initialize`, cold / memory-warm / snapshot-warm `models.list`, `opencode.provider`,
//! pipelined `capabilities.compute` throughput and peak RSS; plus the mock's request counts for
//! 3 concurrent cold requests.
//!
//! `cargo bench --bench process -- [--runs N] [--sizes 100,1000] [--throughput N] [--out FILE]`
//! Extra modes: `--profile-cold SIZE --wrap "valgrind --tool=callgrind ..."` runs one cold
//! `models.list` under a wrapper; `--serve SIZE` only runs the mock and prints its URLs.

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{generate, Generated, Mock};

struct Args {
    runs: usize,
    sizes: Vec<usize>,
    throughput: usize,
    out: Option<PathBuf>,
    profile_cold: Option<usize>,
    wrap: Option<String>,
    serve: Option<usize>,
    /// With --profile-cold: also profile `--then-warm K` memory-warm calls after the cold one,
    /// or (`--profile-snapshot`) profile the snapshot-warm process instead.
    then_warm: usize,
    /// With --profile-cold: also `--then-caps K` pipelined `capabilities.compute` calls.
    then_caps: usize,
    profile_snapshot: bool,
    /// `cargo bench` passes `--bench`; without it (`cargo test --all-targets`) only a quick
    /// smoke run is done, so the benches never slow a test command down.
    smoke: bool,
}

fn parse_args() -> Args {
    let mut a = Args {
        runs: 15,
        sizes: support::SIZES.to_vec(),
        throughput: 2000,
        out: None,
        profile_cold: None,
        wrap: None,
        serve: None,
        smoke: true,
        then_warm: 0,
        then_caps: 0,
        profile_snapshot: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--runs" => a.runs = val().parse().expect("--runs N"),
            "--sizes" => {
                a.sizes = val()
                    .split(',')
                    .map(|s| s.trim().parse().expect("--sizes 100,1000"))
                    .collect()
            }
            "--throughput" => a.throughput = val().parse().expect("--throughput N"),
            "--out" => a.out = Some(PathBuf::from(val())),
            "--profile-cold" => a.profile_cold = Some(val().parse().expect("--profile-cold N")),
            "--wrap" => a.wrap = Some(val()),
            "--serve" => a.serve = Some(val().parse().expect("--serve N")),
            "--then-warm" => a.then_warm = val().parse().expect("--then-warm K"),
            "--then-caps" => a.then_caps = val().parse().expect("--then-caps K"),
            "--profile-snapshot" => a.profile_snapshot = true,
            "--bench" => a.smoke = false,
            _ => {}
        }
    }
    a
}

fn bin() -> PathBuf {
    std::env::var_os("BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_omniroute-rpc")))
}

/// A hermetic HOME / XDG layout, like tests/common.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }
    fn command(&self, wrap: Option<&str>) -> Command {
        let mut cmd = match wrap {
            Some(w) => {
                let mut parts = w.split_whitespace();
                let mut c = Command::new(parts.next().expect("--wrap command"));
                c.args(parts).arg(bin());
                c
            }
            None => Command::new(bin()),
        };
        let d = self.dir.path();
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", d.join("home"))
            .env("XDG_DATA_HOME", d.join("data"))
            .env("XDG_CACHE_HOME", d.join("cache"))
            .env("XDG_CONFIG_HOME", d.join("config"));
        cmd
    }
    fn stderr_file(&self, name: &str) -> std::fs::File {
        std::fs::File::create(self.dir.path().join(name)).expect("stderr file")
    }
}

/// One running server, spoken to over NDJSON.
struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Proc {
    /// Spawns and returns the time the spawn started.
    fn spawn(sb: &Sandbox, wrap: Option<&str>, label: &str) -> (Proc, Instant) {
        let mut cmd = sb.command(wrap);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(sb.stderr_file(&format!("{label}.stderr")));
        let t0 = Instant::now();
        let mut child = cmd.spawn().expect("spawn omniroute-rpc");
        let stdin = child.stdin.take();
        let stdout = BufReader::with_capacity(1 << 20, child.stdout.take().expect("stdout"));
        (
            Proc {
                child,
                stdin,
                stdout,
                next_id: 1,
            },
            t0,
        )
    }

    fn request_line(&mut self, method: &str, params: Value) -> (u64, Vec<u8>) {
        let id = self.next_id;
        self.next_id += 1;
        let mut line = serde_json::to_vec(
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
        )
        .expect("serialize");
        line.push(b'\n');
        (id, line)
    }

    fn write(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin");
        stdin.write_all(bytes).expect("write to the server");
        stdin.flush().expect("flush");
    }

    /// Reads lines until the response with `id` (notifications are skipped); returns the raw
    /// line. The id test looks only at the line's head so that timing stops at the last byte.
    fn read_response(&mut self, id: u64) -> String {
        let needles = [format!("\"id\":{id},"), format!("\"id\":{id}}}")];
        loop {
            let mut line = String::new();
            let k = self.stdout.read_line(&mut line).expect("read stdout");
            assert!(k > 0, "the server closed stdout before answering {id}");
            let head = &line[..line.len().min(96)];
            if needles.iter().any(|n| head.contains(n.as_str())) {
                return line;
            }
            // A response whose id sits after a long result: look at the whole line.
            if !head.contains("\"method\"") && needles.iter().any(|n| line.contains(n.as_str())) {
                return line;
            }
        }
    }

    /// One request: returns (elapsed from write to the response's last byte, parsed response).
    fn call(&mut self, method: &str, params: Value) -> (Duration, Value) {
        let (id, line) = self.request_line(method, params);
        let t = Instant::now();
        self.write(&line);
        let raw = self.read_response(id);
        let dt = t.elapsed();
        let v: Value = serde_json::from_str(&raw).expect("response JSON");
        if v.get("error").is_some() {
            panic!("{method} failed: {}", &raw[..raw.len().min(500)]);
        }
        (dt, v)
    }

    /// VmHWM (peak RSS) in KiB.
    fn vm_hwm_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    fn close(mut self) {
        self.stdin.take();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Closes stdin and waits up to 60 s (a profiler needs time to write its output).
    fn close_now(mut self) {
        self.stdin.take();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn options(mock: &Mock, timeouts_ms: u64) -> Value {
    json!({"baseURL": mock.base_url(),
        "modelsDev": {"url": mock.models_dev_url(), "timeoutMs": timeouts_ms},
        "requestTimeoutMs": timeouts_ms})
}

fn initialize(p: &mut Proc, opts: &Value) -> Value {
    let (id, line) = p.request_line(
        "initialize",
        json!({"clientInfo": {"name": "bench", "version": "1"}, "options": opts}),
    );
    p.write(&line);
    let raw = p.read_response(id);
    serde_json::from_str(&raw).expect("initialize JSON")
}

/// Pipelined `capabilities.compute`: writes all requests (from a thread), reads all responses.
fn throughput(p: &mut Proc, g: &Generated, n: usize) -> f64 {
    let mut batch = Vec::with_capacity(n * 96);
    for i in 0..n {
        let params = match i % 3 {
            0 => json!({"model": g.combo_names[i % g.combo_names.len()]}),
            1 => json!({"model": g.chat_ids[(i * 7) % g.chat_ids.len()]}),
            _ => json!({"models": [
                g.chat_ids[(i * 11) % g.chat_ids.len()],
                g.chat_ids[(i * 13) % g.chat_ids.len()],
                g.combo_names[(i * 3) % g.combo_names.len()],
            ]}),
        };
        let (_, line) = p.request_line("capabilities.compute", params);
        batch.extend_from_slice(&line);
    }
    let mut stdin = p.stdin.take().expect("stdin");
    let t = Instant::now();
    let writer = std::thread::spawn(move || {
        stdin.write_all(&batch).expect("write batch");
        stdin.flush().expect("flush");
        stdin
    });
    let mut got = 0usize;
    let mut errors = 0usize;
    let mut line = String::new();
    while got < n {
        line.clear();
        let k = p.stdout.read_line(&mut line).expect("read");
        assert!(k > 0, "server closed stdout during the throughput run");
        if line.contains("\"method\"") && !line.contains("\"result\"") {
            continue; // a notification
        }
        if line.contains("\"error\"") && !line.contains("\"result\"") {
            errors += 1;
        }
        got += 1;
    }
    let dt = t.elapsed();
    p.stdin = Some(writer.join().expect("writer"));
    assert_eq!(errors, 0, "capabilities.compute answered errors");
    n as f64 / dt.as_secs_f64()
}

#[derive(Default)]
struct Samples(BTreeMap<&'static str, Vec<f64>>);

impl Samples {
    fn push(&mut self, k: &'static str, v: f64) {
        self.0.entry(k).or_default().push(v);
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = p * (sorted.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64)
}

fn summary(v: &[f64]) -> Value {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    json!({
        "n": s.len(),
        "median": percentile(&s, 0.5),
        "p10": percentile(&s, 0.1),
        "p90": percentile(&s, 0.9),
        "min": s.first(),
        "max": s.last(),
        "samples": v,
    })
}

/// One full run for a size: returns (samples, request counts of the cold call).
fn one_run(mock: &Mock, g: &Generated, n: usize, args: &Args, s: &mut Samples, record: bool) {
    let sb = Sandbox::new();
    let opts = options(mock, 10_000);
    mock.set_delay_ms(0);

    // 1. spawn → initialize answered
    let (mut p, t0) = Proc::spawn(&sb, None, "cold");
    let init = initialize(&mut p, &opts);
    let spawn_init = t0.elapsed();
    assert!(init.get("result").is_some(), "initialize failed: {init}");

    // 2. cold models.list (fresh XDG_CACHE_HOME, refresh: true); the gateway sends ETags
    mock.set_etags(true);
    mock.reset_counts();
    let (cold, v) = p.call("models.list", json!({"refresh": true}));
    let r = &v["result"];
    assert_eq!(r["count"].as_u64(), Some(n as u64), "count for {n}");
    assert_eq!(r["source"], "live");
    let cold_counts = mock.counts();
    // 7. peak RSS after the cold list
    let hwm = p.vm_hwm_kib();

    // 3. memory-warm models.list
    let (warm, v) = p.call("models.list", json!({"refresh": false}));
    assert_eq!(v["result"]["count"].as_u64(), Some(n as u64));
    assert_eq!(v["result"]["source"], "cache");

    // 3b. a conditional refresh answered 304 (no transfer, nothing parsed, matched or built),
    //     then without ETags: an identical body (hash matches: nothing parsed, matched or
    //     built) and a changed body (one trailing space: the full parse, match and build)
    let before_304 = mock.counts().get("/v1/models").copied().unwrap_or(0);
    let (refresh_304, v) = p.call("models.list", json!({"refresh": true}));
    assert_eq!(v["result"]["source"], "live");
    assert_eq!(
        mock.counts().get("/v1/models").copied(),
        Some(before_304 + 1)
    );
    mock.set_etags(false);
    let (refresh_same, v) = p.call("models.list", json!({"refresh": true}));
    assert_eq!(v["result"]["source"], "live");
    let mut changed = g.models_bytes();
    changed.push(b' ');
    mock.set_json("/v1/models", &changed);
    let (refresh_full, v) = p.call("models.list", json!({"refresh": true}));
    assert_eq!(v["result"]["count"].as_u64(), Some(n as u64));
    mock.set_json("/v1/models", &g.models_bytes());

    // 5. opencode.provider (memory-warm)
    let (oc, v) = p.call("opencode.provider", json!({"refresh": false}));
    assert!(v["result"]["provider"]["models"].is_object());
    let oc_models = v["result"]["provider"]["models"]
        .as_object()
        .map_or(0, |m| m.len());

    // 6. pipelined capabilities.compute throughput on cached data
    let rps = throughput(&mut p, g, args.throughput);
    let hwm_end = p.vm_hwm_kib();
    p.close();

    // 4. snapshot-warm in a fresh process: snapshot + models.dev copy on disk, gateway slow
    mock.set_delay_ms(2_000);
    mock.reset_counts();
    let (mut q, t1) = Proc::spawn(&sb, None, "snapshot");
    let init = initialize(&mut q, &opts);
    assert!(init.get("result").is_some());
    let (snap, v) = q.call("models.list", json!({"refresh": false}));
    let first_answer = t1.elapsed();
    assert_eq!(v["result"]["count"].as_u64(), Some(n as u64));
    assert_eq!(
        v["result"]["source"], "snapshot",
        "snapshot-warm source: {}",
        v["result"]["warnings"]
    );
    let snap_hwm = q.vm_hwm_kib();
    q.kill();
    let list_bytes = raw_response(&v);

    // 4b. the same for opencode.provider (a new process, its first call)
    let (mut q, t2) = Proc::spawn(&sb, None, "snapshot-oc");
    initialize(&mut q, &opts);
    let (snap_oc, v) = q.call("opencode.provider", json!({"refresh": false}));
    let oc_first_answer = t2.elapsed();
    assert_eq!(v["result"]["source"], "snapshot");
    q.kill();
    let oc_bytes = raw_response(&v);

    // 4c. the floor: the same bytes through the same pipe from a process that does nothing
    let floor_list = floor(&sb, &list_bytes);
    let floor_oc = floor(&sb, &oc_bytes);

    // 4d. without the persisted views: the snapshot parsed, matched, built and serialized
    let cache = sb.dir.path().join("cache/omniroute-rpc");
    for e in std::fs::read_dir(&cache).expect("cache dir").flatten() {
        if e.file_name().to_string_lossy().starts_with("view-") {
            std::fs::remove_file(e.path()).expect("remove view");
        }
    }
    let (mut q, _) = Proc::spawn(&sb, None, "snapshot-built");
    initialize(&mut q, &opts);
    let (snap_built, v) = q.call("models.list", json!({"refresh": false}));
    assert_eq!(v["result"]["source"], "snapshot");
    q.kill();
    mock.set_delay_ms(0);

    if record {
        s.push("spawn_to_initialize_ms", ms(spawn_init));
        s.push("cold_models_list_ms", ms(cold));
        s.push("warm_models_list_ms", ms(warm));
        s.push("refresh_304_ms", ms(refresh_304));
        s.push("refresh_same_body_ms", ms(refresh_same));
        s.push("refresh_changed_body_ms", ms(refresh_full));
        s.push("snapshot_models_list_ms", ms(snap));
        s.push("snapshot_spawn_to_list_ms", ms(first_answer));
        s.push("opencode_provider_ms", ms(oc));
        s.push("capabilities_rps", rps);
        s.push("peak_rss_after_cold_mib", hwm as f64 / 1024.0);
        s.push("peak_rss_end_mib", hwm_end as f64 / 1024.0);
        s.push("snapshot_peak_rss_mib", snap_hwm as f64 / 1024.0);
        s.push("snapshot_opencode_provider_ms", ms(snap_oc));
        s.push("snapshot_spawn_to_opencode_ms", ms(oc_first_answer));
        s.push("floor_models_list_ms", ms(floor_list));
        s.push("floor_opencode_provider_ms", ms(floor_oc));
        s.push(
            "snapshot_service_models_list_ms",
            ms(snap.saturating_sub(floor_list)),
        );
        s.push(
            "snapshot_service_opencode_ms",
            ms(snap_oc.saturating_sub(floor_oc)),
        );
        s.push("snapshot_built_models_list_ms", ms(snap_built));
        s.push("opencode_models", oc_models as f64);
        for (path, c) in cold_counts {
            let key: &'static str = match path.as_str() {
                "/v1/models" => "cold_requests_v1_models",
                "/v1/combos" => "cold_requests_v1_combos",
                "/api.json" => "cold_requests_api_json",
                _ => "cold_requests_other",
            };
            s.push(key, c as f64);
        }
    }
}

/// A response line as the server wrote it (serde_json keeps the key order of the text).
fn raw_response(v: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(v).expect("serialize");
    bytes.push(b'\n');
    bytes
}

/// The floor of a reply's time: a process that does nothing but answer each request line
/// with `reply` (this bench binary in `--floor` mode), timed like [`Proc::call`].
fn floor(sb: &Sandbox, reply: &[u8]) -> Duration {
    let file = sb.dir.path().join("floor-reply.ndjson");
    std::fs::write(&file, reply).expect("write the floor reply");
    let exe = std::env::current_exe().expect("bench binary");
    let mut child = Command::new(exe)
        .arg("--floor")
        .arg(&file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the floor process");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::with_capacity(1 << 20, child.stdout.take().expect("stdout"));
    let mut best = Duration::MAX;
    // The first answer warms the page cache and the pipe; the floor is the best of three.
    for _ in 0..3 {
        let mut line = String::new();
        let t = Instant::now();
        stdin.write_all(b"{}\n").expect("write");
        stdin.flush().expect("flush");
        stdout.read_line(&mut line).expect("read");
        best = best.min(t.elapsed());
        assert_eq!(line.len(), reply.len());
    }
    drop(stdin);
    let _ = child.wait();
    best
}

/// `--floor FILE`: answer every line read from stdin with the bytes of FILE, unbuffered.
fn serve_floor(file: &str) {
    use std::os::fd::AsFd;
    let reply = std::fs::read(file).expect("floor reply");
    let mut out = std::fs::File::from(
        std::io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .expect("stdout fd"),
    );
    let stdin = std::io::stdin();
    let mut line = String::new();
    while stdin.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
        out.write_all(&reply).expect("write reply");
        line.clear();
    }
}

/// 3 concurrent cold `models.list` in one fresh process: requests per path at the mock.
fn concurrency(mock: &Mock, delay_ms: u64) -> Value {
    let sb = Sandbox::new();
    let opts = options(mock, 10_000);
    mock.set_delay_ms(0);
    let (mut p, _) = Proc::spawn(&sb, None, "concurrent");
    initialize(&mut p, &opts);
    mock.set_delay_ms(delay_ms);
    mock.reset_counts();
    let mut batch = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (id, line) = p.request_line("models.list", json!({"refresh": true}));
        ids.push(id);
        batch.extend_from_slice(&line);
    }
    let t = Instant::now();
    p.write(&batch);
    // Answers may come in any order: read three responses, whatever their ids.
    let mut sources = Vec::new();
    while sources.len() < ids.len() {
        let mut line = String::new();
        let k = p.stdout.read_line(&mut line).expect("read stdout");
        assert!(k > 0, "the server closed stdout");
        let v: Value = serde_json::from_str(&line).expect("json");
        if v.get("id").is_some_and(|id| ids.iter().any(|i| id == i)) {
            sources.push(v["result"]["source"].clone());
        }
    }
    let dt = t.elapsed();
    let counts = mock.counts();
    p.close();
    mock.set_delay_ms(0);
    json!({"mockDelayMs": delay_ms, "requestsPerPath": counts, "sources": sources,
        "allThreeAnsweredMs": ms(dt)})
}

fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_default();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    json!({"nproc": nproc, "cpu": cpu, "memTotalMiB": mem_kib / 1024, "kernel": kernel.trim()})
}

fn fmt_stat(v: &Value, unit_ms: bool) -> String {
    let f = |x: &Value| x.as_f64().unwrap_or(f64::NAN);
    if unit_ms {
        format!(
            "{:.2} ({:.2}–{:.2})",
            f(&v["median"]),
            f(&v["p10"]),
            f(&v["p90"])
        )
    } else {
        format!(
            "{:.0} ({:.0}–{:.0})",
            f(&v["median"]),
            f(&v["p10"]),
            f(&v["p90"])
        )
    }
}

fn print_table(results: &Value, sizes: &[usize]) {
    let rows: &[(&str, &str, bool)] = &[
        ("spawn_to_initialize_ms", "spawn → initialize (ms)", true),
        ("cold_models_list_ms", "cold models.list (ms)", true),
        ("warm_models_list_ms", "memory-warm models.list (ms)", true),
        ("refresh_304_ms", "refresh answered 304 (ms)", true),
        ("refresh_same_body_ms", "refresh, identical body (ms)", true),
        (
            "refresh_changed_body_ms",
            "refresh, changed body (ms)",
            true,
        ),
        (
            "snapshot_models_list_ms",
            "snapshot-warm models.list, new process (ms)",
            true,
        ),
        (
            "snapshot_spawn_to_list_ms",
            "… spawn → snapshot list answered (ms)",
            true,
        ),
        (
            "snapshot_service_models_list_ms",
            "… of which in the service (answer − floor) (ms)",
            true,
        ),
        (
            "floor_models_list_ms",
            "… floor: same bytes, same pipe, do-nothing process (ms)",
            true,
        ),
        (
            "snapshot_built_models_list_ms",
            "snapshot-warm models.list without persisted views (ms)",
            true,
        ),
        (
            "snapshot_opencode_provider_ms",
            "snapshot-warm opencode.provider, new process (ms)",
            true,
        ),
        (
            "snapshot_service_opencode_ms",
            "… of which in the service (answer − floor) (ms)",
            true,
        ),
        (
            "floor_opencode_provider_ms",
            "… floor: same bytes, same pipe, do-nothing process (ms)",
            true,
        ),
        (
            "snapshot_spawn_to_opencode_ms",
            "… spawn → snapshot block answered (ms)",
            true,
        ),
        ("opencode_provider_ms", "opencode.provider, warm (ms)", true),
        (
            "capabilities_rps",
            "capabilities.compute pipelined (req/s)",
            false,
        ),
        ("peak_rss_after_cold_mib", "peak RSS after cold (MiB)", true),
        ("peak_rss_end_mib", "peak RSS end of session (MiB)", true),
        (
            "snapshot_peak_rss_mib",
            "peak RSS snapshot process (MiB)",
            true,
        ),
    ];
    let mut head = String::from("| metric | ");
    let mut sep = String::from("|---|");
    for n in sizes {
        head.push_str(&format!("{n} | "));
        sep.push_str("---|");
    }
    head.push_str("10k/100 |");
    sep.push_str("---|");
    println!("{head}\n{sep}");
    for (key, label, is_ms) in rows {
        let mut line = format!("| {label} | ");
        let mut first = None;
        let mut last = None;
        for n in sizes {
            let v = &results["sizes"][n.to_string()][key];
            if v.is_null() {
                line.push_str("– | ");
                continue;
            }
            let med = v["median"].as_f64().unwrap_or(f64::NAN);
            first.get_or_insert(med);
            last = Some(med);
            line.push_str(&format!("{} | ", fmt_stat(v, *is_ms)));
        }
        match (first, last) {
            (Some(a), Some(b)) if a > 0.0 => line.push_str(&format!("×{:.1} |", b / a)),
            _ => line.push_str("– |"),
        }
        println!("{line}");
    }
}

/// One cold `models.list` (then `then_warm` warm ones) under `--wrap`; with
/// `--profile-snapshot` the cache is filled by an unwrapped process first and the wrapped one
/// answers from the snapshot while the gateway is slow.
fn profile(mock: &Mock, fixture: &Value, n: usize, args: &Args) {
    let g = generate(n, fixture, 42);
    mock.set_catalogue(&g);
    let sb = Sandbox::new();
    let opts = options(mock, 120_000);
    if args.profile_snapshot {
        let (mut p, _) = Proc::spawn(&sb, None, "fill");
        initialize(&mut p, &opts);
        p.call("models.list", json!({"refresh": true}));
        p.close();
        mock.set_delay_ms(60_000);
    }
    let (mut p, t0) = Proc::spawn(&sb, args.wrap.as_deref(), "profile");
    initialize(&mut p, &opts);
    let init = t0.elapsed();
    let refresh = !args.profile_snapshot;
    let (dt, v) = p.call("models.list", json!({"refresh": refresh}));
    for _ in 0..args.then_warm {
        p.call("models.list", json!({"refresh": false}));
    }
    if args.then_caps > 0 {
        throughput(&mut p, &g, args.then_caps);
    }
    eprintln!(
        "profile: {n} models, initialize after {:.1} ms, first models.list {:.1} ms (under the wrapper), source {}, count {}, then {} warm calls",
        ms(init),
        ms(dt),
        v["result"]["source"],
        v["result"]["count"],
        args.then_warm
    );
    // (snapshot mode: the background refresh still waits on the slow mock; EOF ends it)
    p.close_now();
    mock.set_delay_ms(0);
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if let Some(i) = argv.iter().position(|a| a == "--floor") {
        serve_floor(argv.get(i + 1).expect("--floor FILE"));
        return;
    }
    let args = parse_args();
    let fixture_bytes = support::fixture_bytes();
    let fixture: Value = serde_json::from_slice(&fixture_bytes).expect("fixture JSON");
    let mock = Mock::start();
    mock.set_json("/api.json", &fixture_bytes);

    if let Some(n) = args.serve {
        let g = generate(n, &fixture, 42);
        mock.set_catalogue(&g);
        println!("{}", options(&mock, 60_000));
        let _ = std::io::stdout().flush();
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }

    if let Some(n) = args.profile_cold {
        profile(&mock, &fixture, n, &args);
        return;
    }

    if args.smoke && args.profile_cold.is_none() {
        let g = generate(100, &fixture, 42);
        mock.set_catalogue(&g);
        let smoke = Args {
            runs: 1,
            sizes: vec![100],
            throughput: 30,
            ..args
        };
        let mut s = Samples::default();
        one_run(&mock, &g, 100, &smoke, &mut s, true);
        eprintln!("process bench smoke run ok (use `cargo bench --bench process` to measure)");
        return;
    }

    let bin = bin();
    assert!(bin.exists(), "binary {} missing", bin.display());
    eprintln!(
        "process bench: {} runs per size, sizes {:?}, binary {}",
        args.runs,
        args.sizes,
        bin.display()
    );
    let mut results = json!({
        "machine": machine(),
        "binary": bin.display().to_string(),
        "runs": args.runs,
        "throughputRequests": args.throughput,
        "sizes": {},
    });
    for &n in &args.sizes {
        let g = generate(n, &fixture, 42);
        mock.set_catalogue(&g);
        let started = Instant::now();
        let mut s = Samples::default();
        one_run(&mock, &g, n, &args, &mut s, false); // warm-up (page cache, mock threads)
        for _ in 0..args.runs {
            one_run(&mock, &g, n, &args, &mut s, true);
        }
        let mut per = serde_json::Map::new();
        per.insert(
            "modelsBodyBytes".into(),
            json!(g.models_bytes().len() as u64),
        );
        per.insert(
            "combosBodyBytes".into(),
            json!(g.combos_bytes().len() as u64),
        );
        per.insert("combos".into(), json!(g.combo_names.len()));
        for (k, v) in &s.0 {
            per.insert((*k).into(), summary(v));
        }
        results["sizes"][n.to_string()] = Value::Object(per);
        eprintln!(
            "  {n:>6} models: {} runs in {:.1} s; cold median {:.1} ms",
            args.runs,
            started.elapsed().as_secs_f64(),
            results["sizes"][n.to_string()]["cold_models_list_ms"]["median"]
                .as_f64()
                .unwrap_or(f64::NAN)
        );
    }

    // 3 concurrent cold requests: one fetch per path?
    let conc_size = if args.sizes.contains(&3000) {
        3000
    } else {
        args.sizes[0]
    };
    let g = generate(conc_size, &fixture, 42);
    mock.set_catalogue(&g);
    results["concurrency"] = json!({
        "size": conc_size,
        "noDelay": concurrency(&mock, 0),
        "delay30ms": concurrency(&mock, 30),
    });

    print_table(&results, &args.sizes);
    println!(
        "\n3 concurrent cold models.list ({conc_size} models), requests per path at the mock:\n  no delay: {}\n  30 ms gateway latency: {}",
        results["concurrency"]["noDelay"]["requestsPerPath"],
        results["concurrency"]["delay30ms"]["requestsPerPath"]
    );
    let cold_req: Vec<String> = args
        .sizes
        .iter()
        .map(|n| {
            let r = &results["sizes"][n.to_string()];
            format!(
                "{n}: models {} combos {} api.json {}",
                r["cold_requests_v1_models"]["max"],
                r["cold_requests_v1_combos"]["max"],
                r["cold_requests_api_json"]["max"]
            )
        })
        .collect();
    println!(
        "requests per single cold models.list (max over runs): {}",
        cold_req.join("; ")
    );

    if let Some(out) = &args.out {
        if let Some(dir) = out.parent() {
            std::fs::create_dir_all(dir).expect("results dir");
        }
        std::fs::write(out, serde_json::to_vec_pretty(&results).expect("json")).expect("write");
        eprintln!("wrote {}", out.display());
    }
}

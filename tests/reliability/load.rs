//! Load: 10,000 pipelined requests on one connection (no error, no lost or duplicated response)
//! and 20 client processes sharing one cache directory, refreshing at once (no error, the cache
//! files stay valid JSON). Bounded in count and time; loopback only.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{Sandbox, Server};
use crate::support::{assert_no_panic, figure, opts, proc_kb, Gateway};

#[test]
fn load_ten_thousand_pipelined_requests_on_one_connection() {
    const N: i64 = 10_000;
    let mock = Gateway::standard().serve();
    let sandbox = Sandbox::new();
    let mut server = Server::spawn(&sandbox, &[]);
    let o = opts(&mock, true, 5000);
    server.ok("initialize", json!({"options": o}));
    let first = server.ok("models.list", json!({"refresh": true}));
    assert_eq!(first["source"], "live");
    let gateway_hits = mock.hits("/v1/models");

    let start = Instant::now();
    let mut ids = Vec::with_capacity(N as usize);
    for i in 0..N {
        let (method, params) = match i % 4 {
            0 => ("models.list", json!({"refresh": false})),
            1 => (
                "capabilities.compute",
                json!({"model": "fast", "refresh": false}),
            ),
            2 => (
                "capabilities.compute",
                json!({"models": ["cx/gpt-5.1-codex-mini", "nope/x"]}),
            ),
            _ => ("auth.status", json!({})),
        };
        ids.push((server.request_async(method, params), method));
    }
    let written = start.elapsed();
    let mut seen = HashSet::new();
    for (id, method) in &ids {
        let r = server.response(*id, Duration::from_secs(60));
        assert!(
            r.get("result").is_some(),
            "request {id} ({method}) failed under load: {r}"
        );
        assert!(seen.insert(*id), "duplicate response {id}");
        if *method == "capabilities.compute" && id % 4 == 2 {
            assert_eq!(r["result"]["unknown"], json!(["nope/x"]));
        }
    }
    let elapsed = start.elapsed();
    assert_eq!(seen.len(), N as usize, "lost responses");
    // Nothing else arrived: no stray responses.
    let extra = server.next_message(Duration::from_millis(200));
    assert!(
        extra.as_ref().is_none_or(|m| m.get("id").is_none()),
        "an unexpected response: {extra:?}"
    );
    let rps = N as f64 / elapsed.as_secs_f64();
    let rss = proc_kb(server.child.id(), "VmHWM");
    assert!(
        mock.hits("/v1/models") <= gateway_hits + 2,
        "refresh:false went to the gateway {} times",
        mock.hits("/v1/models") - gateway_hits
    );
    assert!(elapsed < Duration::from_secs(40), "{elapsed:?}");
    figure(&format!(
        "load: {N} pipelined requests (models.list/capabilities.compute x2/auth.status) in {elapsed:.2?} = {rps:.0} req/s (debug build; written in {written:.2?}); 0 errors, 0 lost; VmHWM {} MiB",
        rss / 1024
    ));
    let (code, _) = server.close();
    assert_eq!(code, Some(0));
    assert_no_panic(&server.stderr_text());
}

/// Every cache file is whole JSON (a header line, then the data); returns how many were read.
fn check_cache(dir: &std::path::Path) -> Result<usize, String> {
    let mut n = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(".tmp") || !name.ends_with(".json") {
            continue; // a writer's private temp file, renamed into place when complete
        }
        let bytes = match std::fs::read(e.path()) {
            Ok(b) => b,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => return Err(format!("{name}: {err}")),
        };
        // A header line and the data (snapshots, models.dev copies, views): each whole JSON.
        let mut values = 0;
        for v in serde_json::Deserializer::from_slice(&bytes).into_iter::<Value>() {
            v.map_err(|err| format!("{name} is not valid JSON ({err}), {} bytes", bytes.len()))?;
            values += 1;
        }
        if values == 0 {
            return Err(format!("{name} is empty"));
        }
        n += 1;
    }
    Ok(n)
}

#[test]
fn load_twenty_processes_share_one_cache_directory() {
    const PROCS: usize = 20;
    let mock = Gateway::standard().serve();
    let sandbox = Sandbox::new();
    let cache = sandbox.cache_dir();
    let done = Arc::new(AtomicBool::new(false));
    let (done2, cache2) = (done.clone(), cache.clone());
    let checker = std::thread::spawn(move || {
        let (mut reads, mut problems) = (0usize, Vec::new());
        let start = Instant::now();
        while !done2.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(60) {
            match check_cache(&cache2) {
                Ok(n) => reads += n,
                Err(e) => problems.push(e),
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        (reads, problems)
    });

    let o = opts(&mock, true, 10_000);
    let start = Instant::now();
    let mut servers: Vec<Server> = (0..PROCS).map(|_| Server::spawn(&sandbox, &[])).collect();
    // Round 1: everyone refreshes at once; round 2: a forced refresh of everything; round 3 again.
    let mut errors = Vec::new();
    for (method, params) in [
        ("models.list", json!({"refresh": true, "options": o})),
        ("models.refresh", json!({"options": o})),
        ("models.list", json!({"refresh": true, "options": o})),
    ] {
        let pending: Vec<i64> = servers
            .iter_mut()
            .map(|s| s.request_async(method, params.clone()))
            .collect();
        for (s, id) in servers.iter_mut().zip(pending) {
            let r = s.response(id, Duration::from_secs(60));
            match r.get("result") {
                Some(res) if res["source"] == "live" && res["count"].as_u64() >= Some(4) => {}
                _ => errors.push(format!("{method}: {r}")),
            }
        }
    }
    let elapsed = start.elapsed();
    for mut s in servers {
        let (code, _) = s.close();
        assert_eq!(code, Some(0));
        assert_no_panic(&s.stderr_text());
    }
    done.store(true, Ordering::SeqCst);
    let (reads, problems) = checker.join().unwrap();
    assert!(errors.is_empty(), "{} errors: {errors:#?}", errors.len());
    assert!(
        problems.is_empty(),
        "cache files seen broken: {problems:#?}"
    );
    let files = check_cache(&cache).expect("cache valid at the end");
    assert!(files >= 2, "snapshot and models.dev copy expected");
    let leftovers: Vec<String> = std::fs::read_dir(&cache)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
    // A new process starts warm from what they wrote.
    let mut warm = Server::spawn(&sandbox, &[]);
    let r = warm.ok("models.list", json!({"refresh": false, "options": o}));
    assert!(r["source"] == "snapshot" || r["source"] == "cache", "{r}");
    figure(&format!(
        "load: {PROCS} processes x 3 refreshes sharing one XDG_CACHE_HOME in {elapsed:.2?}: 0 errors, {reads} concurrent cache-file reads all valid JSON, {files} cache files at the end"
    ));
}

//! Release-mode timings of the models.dev index and the matcher on the real fixture:
//! `cargo run --release --example modelsdev_timing`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use omniroute_rpc::catalog::matcher::{MatchOutcome, Matcher};
use omniroute_rpc::modelsdev::index::DevIndex;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/modelsdev-api.json"
    );
    let bytes = std::fs::read(path)?;
    let runs = 20;

    let rss_before = rss_kib();
    let index = DevIndex::parse(&bytes)?;
    let rss_after = rss_kib();

    let mut parse = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let idx = DevIndex::parse(black_box(&bytes))?;
        parse.push(t.elapsed());
        black_box(&idx);
    }
    let mut tree = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let v: serde_json::Value = serde_json::from_slice(black_box(&bytes))?;
        tree.push(t.elapsed());
        black_box(&v);
    }
    let mut scan = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let v: serde::de::IgnoredAny = serde_json::from_slice(black_box(&bytes))?;
        scan.push(t.elapsed());
        black_box(&v);
    }
    let min_parse = parse.iter().min().copied().unwrap_or_default();
    println!(
        "fixture: {} bytes, {} providers, {} models, {} skipped",
        bytes.len(),
        index.provider_count(),
        index.len(),
        index.skipped()
    );
    println!(
        "DevIndex::parse (typed streaming + index): median {:?}, min {:?} over {runs} runs",
        median(parse),
        min_parse
    );
    println!(
        "for comparison: serde_json::Value tree alone: median {:?}; bare JSON scan (IgnoredAny): median {:?}",
        median(tree),
        median(scan)
    );
    if let (Some(b), Some(a)) = (rss_before, rss_after) {
        println!(
            "RSS growth for one index: {} KiB (RSS now {} KiB)",
            a.saturating_sub(b),
            a
        );
    }

    // Lookups: every fixture entry by (provider, id), and as a gateway id through the matcher,
    // plus misses and global searches.
    let pairs: Vec<(String, String)> = index
        .models()
        .iter()
        .map(|m| (m.provider.clone(), m.id.clone()))
        .collect();
    let mut ids: Vec<String> = pairs.iter().map(|(p, i)| format!("{p}/{i}")).collect();
    let extra = [
        "cx/gpt-9.9",
        "mock/mock-small",
        "cx/gpt-5.5-xhigh",
        "gemini/models/gemini-3-flash-preview",
        "gpt-5.5",
        "llama-3.3-70b-versatile",
        "cc/claude-sonnet-4-5-20250929-thinking",
        "cx/o3-mini-2025-01-31-high",
        "unknown/totally-unknown-model",
        "gh/gpt-5.1",
    ];
    for _ in 0..50 {
        ids.extend(extra.iter().map(|s| s.to_string()));
    }

    let reps = 20;
    let t = Instant::now();
    let mut hits = 0usize;
    for _ in 0..reps {
        for (p, i) in &pairs {
            hits += usize::from(index.get(black_box(p), black_box(i)).is_some());
        }
    }
    let per_get = t.elapsed() / (reps * pairs.len()) as u32;

    let matcher = Matcher::default();
    let t = Instant::now();
    let mut found = 0usize;
    for _ in 0..reps {
        for id in &ids {
            if let MatchOutcome::Found { .. } = matcher.find(&index, black_box(id), None) {
                found += 1;
            }
        }
    }
    let per_find = t.elapsed() / (reps * ids.len()) as u32;
    println!(
        "DevIndex::get: {per_get:?} per lookup ({} lookups, {} hits)",
        reps * pairs.len(),
        hits
    );
    println!(
        "Matcher::find: {per_find:?} per id ({} ids incl. {} misses/global, {} found)",
        reps * ids.len(),
        reps * 500,
        found
    );
    Ok(())
}

//! Fuzz findings as regression tests. Every committed seed (`fuzz/seeds/<target>/`) and every
//! crash, timeout or OOM input kept from a fuzz run (`fuzz/regressions/<target>/`) is replayed
//! through the same checks the fuzz targets run, on the stable toolchain. Findings that need the
//! whole process (time, memory) are reproduced through the binary below.

#[path = "../../fuzz/fuzz_targets/checks.rs"]
mod checks;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use omniroute_rpc::catalog::combos::MAX_MEMBERS;

use crate::common::{self, Sandbox, Server};
use crate::support::{proc_kb, Gateway};

/// Replays the files of `fuzz/<dir>/<target>/`; `known_bugs` selects only (or skips) the files
/// named `bug-…`: inputs whose bug is reported but not fixed yet (rename the file when it is).
fn replay(dir: &str, known_bugs: bool) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(dir);
    let mut n = 0;
    for (target, check) in checks::TARGETS {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        let mut files: Vec<_> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let bug = p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("bug-"));
                bug == known_bugs
            })
            .collect();
        files.sort();
        for f in files {
            let data = std::fs::read(&f).unwrap();
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(outcome.is_ok(), "{target}: {} fails its check", f.display());
            n += 1;
        }
    }
    n
}

#[test]
fn fuzz_seeds_pass_every_check() {
    let n = replay("seeds", false);
    assert!(n >= 6 * 2, "seed corpus missing ({n} files)");
}

#[test]
fn fuzz_regressions_pass_every_check() {
    replay("regressions", false);
}

/// Inputs of reported bugs that are not fixed yet (`fuzz/regressions/*/bug-*`); none today.
#[test]
#[ignore = "replays inputs of reported, unfixed bugs (fuzz/regressions/*/bug-*); bug-R7-cycle-oom takes GBs in-process until R7 is fixed"]
fn fuzz_known_bug_inputs_pass_every_check() {
    replay("regressions", true);
}

#[test]
fn fuzz_hand_picked_inputs_pass_every_check() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let inputs: Vec<Vec<u8>> = vec![
        vec![],
        vec![0],
        vec![255; 3],
        b"\x00\x00\x01Content-Length: 0\r\n\r\n".to_vec(),
        b"\x3f\xff\x01: 99999999999999999999\r\n\r\n".to_vec(),
        b"\x01\x00\x00\r\n\r\n\r\n".to_vec(),
        deep.clone().into_bytes(),
        b"{\"data\":[{\"id\":\" \"},{\"id\":\"a\\u0000b\"}]}".to_vec(),
        b"{\"combos\":[{\"name\":\"a\",\"models\":[{\"kind\":\"combo-ref\",\"comboName\":\"a\"}]}]}".to_vec(),
        b"{\"modelMetadata\":[{\"match\":{\"regex\":\"(?i)\\\\p{L}{1000}\"}}]}".to_vec(),
        b"\"http://[::1]:0/\"".to_vec(),
        b"http://h/%zz".to_vec(),
    ];
    for data in &inputs {
        for (target, check) in checks::TARGETS {
            let outcome = std::panic::catch_unwind(|| check(data));
            assert!(
                outcome.is_ok(),
                "{target} fails on {:?}",
                String::from_utf8_lossy(data)
            );
        }
    }
}

/// `levels` combos, each listing the next one `width` times (a diamond chain the gateway
/// accepts: no cycle), the last listing `width` models. Tiny on the wire.
fn diamond_chain(levels: usize, width: usize) -> (Value, Value) {
    diamond_chain_to(
        levels,
        width,
        json!({"kind": "model", "model": "cx/gpt-5.1-codex-mini"}),
    )
}

/// The same chain whose last level lists `bottom` (a model, or a ref back to `c0`: a cycle).
fn diamond_chain_to(levels: usize, width: usize, bottom: Value) -> (Value, Value) {
    let mut combos = Vec::new();
    let mut models = vec![common::model_entry("cx/gpt-5.1-codex-mini", "codex")];
    for l in 0..levels {
        let member = if l + 1 < levels {
            json!({"kind": "combo-ref", "comboName": format!("c{}", l + 1)})
        } else {
            bottom.clone()
        };
        combos.push(json!({"name": format!("c{l}"), "strategy": "priority",
            "models": vec![member; width]}));
        models.push(common::combo_entry(&format!("c{l}")));
    }
    (common::list(models), json!(combos))
}

#[test]
fn fuzz_finding_diamond_combo_chain_is_bounded() {
    // Was bug R4 (fixed: expansion stops at MAX_MEMBERS). 8 combos x 12 refs: 12^7 paths.
    let (models, combos) = diamond_chain(8, 12);
    let r = assert_bounded(models, combos);
    assert_eq!(
        r["truncated"], true,
        "combos.resolve says the expansion was cut"
    );
}

#[test]
fn fuzz_finding_cycle_at_the_bottom_of_a_diamond_chain_is_bounded() {
    // Found by the combos_body fuzz target: every path ends in a cycle, so no member is ever
    // added and the 1024 cap never triggers; 12^6 cycle paths are collected instead.
    let (models, combos) = diamond_chain_to(7, 12, json!({"kind": "combo-ref", "comboName": "c0"}));
    let r = assert_bounded(models, combos);
    assert!(r["cycles"].as_array().unwrap().len() <= MAX_MEMBERS);
}

/// models.list and combos.resolve over `combos` must answer within 10 s and 512 MiB.
fn assert_bounded(models: Value, combos: Value) -> Value {
    // Was bug R4 (fixed: expansion stops at MAX_MEMBERS with a warning).
    // 8 combos x 12 refs: 12^7 ≈ 36M paths from a 2 KB answer. The list must come back quickly
    // with bounded memory (a cap on flattened members, a warning), not take the machine down.
    let mock = Gateway {
        models,
        combos: Some(combos),
        key: None,
    }
    .serve();
    let sandbox = Sandbox::new();
    let mut server = Server::spawn(&sandbox, &[]);
    let pid = server.child.id();
    let id = server.request_async(
        "models.list",
        json!({"refresh": true, "options": {"baseURL": mock.base(), "modelsDev": {"enabled": false}}}),
    );
    // Watchdog: 10 s and 1 GiB at most, else the process is killed and the test fails.
    let start = Instant::now();
    let mut peak = 0;
    let answer = loop {
        if let Some(m) = server.next_message(Duration::from_millis(50)) {
            if m["id"] == id {
                break Some(m);
            }
        }
        peak = peak.max(proc_kb(pid, "VmRSS"));
        if start.elapsed() > Duration::from_secs(10) || peak > 1024 * 1024 {
            let _ = server.child.kill();
            break None;
        }
    };
    let answer = answer.unwrap_or_else(|| {
        panic!(
            "models.list over a diamond combo chain: no answer after {:?}, RSS {} MiB",
            start.elapsed(),
            peak / 1024
        )
    });
    assert!(answer.get("result").is_some(), "{answer}");
    assert!(
        peak < 512 * 1024,
        "RSS {} MiB for a 2 KB combo answer",
        peak / 1024
    );
    let r = server.ok(
        "combos.resolve",
        json!({"name": "c0", "options": {"baseURL": mock.base(), "modelsDev": {"enabled": false}}}),
    );
    let n = r["members"].as_array().unwrap().len();
    assert!(n <= MAX_MEMBERS, "{n} members");
    r
}

#[test]
fn fuzz_finding_small_diamond_chain_resolves() {
    // The same shape at a size that stays small: every path is listed, no cycle reported.
    let (models, combos) = diamond_chain(4, 3);
    let mock = Gateway {
        models,
        combos: Some(combos),
        key: None,
    }
    .serve();
    let sandbox = Sandbox::new();
    let mut server = Server::spawn(&sandbox, &[]);
    let o = json!({"baseURL": mock.base(), "modelsDev": {"enabled": false}});
    let r = server.ok("combos.resolve", json!({"name": "c0", "options": o}));
    assert_eq!(r["members"].as_array().unwrap().len(), 81, "3^4 paths");
    assert_eq!(r["cycles"], json!([]));
}

#[test]
fn fuzz_finding_truncated_combo_is_warned_in_models_list() {
    let (models, combos) = diamond_chain(4, 12); // 12^4 = 20736 paths > MAX_MEMBERS
    let mock = Gateway {
        models,
        combos: Some(combos),
        key: None,
    }
    .serve();
    let sandbox = Sandbox::new();
    let mut server = Server::spawn(&sandbox, &[]);
    let o = json!({"baseURL": mock.base(), "modelsDev": {"enabled": false}});
    let r = server.ok("models.list", json!({"refresh": true, "options": o}));
    let warnings = r["warnings"].to_string();
    assert!(
        warnings.contains("c0") && warnings.contains("1024"),
        "no warning naming the truncated combo: {warnings}"
    );
}

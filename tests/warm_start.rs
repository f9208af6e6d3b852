//! Issue 13, instant warm start, through the binary: a new process answers `models.list` /
//! `opencode.provider` `{refresh: false}` from the persisted view when the inputs on disk are
//! the ones it was built from — the same answer a build would give — warms the catalogue
//! behind it (so `models/changed` still arrives), and never serves a view whose gateway data,
//! models.dev copy, options or own file changed.

mod common;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{Sandbox, Server};

const DEBUG: &[(&str, &str)] = &[("OMNIROUTE_LOG", "omniroute_rpc=debug")];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

fn models(ids: &[&str]) -> Value {
    common::list(
        ids.iter()
            .map(|id| common::model_entry(id, "openai"))
            .collect(),
    )
}

/// A gateway with `/v1/models` (after `delay`) and models.dev at `/api.json`.
async fn serve(gw: &MockServer, ids: &[&str], delay: Duration, dev: Vec<u8>) {
    gw.reset().await;
    Mock::given(path("/v1/models"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(models(ids))
                .set_delay(delay),
        )
        .mount(gw)
        .await;
    Mock::given(path("/api.json"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(dev, "application/json"))
        .mount(gw)
        .await;
}

fn opts(gw: &MockServer, extra: Value) -> Value {
    let mut o = common::options(
        &format!("{}/v1", gw.uri()),
        Some(&format!("{}/api.json", gw.uri())),
    );
    o["requestTimeoutMs"] = json!(20_000);
    if let (Value::Object(o), Value::Object(e)) = (&mut o, extra) {
        o.extend(e);
    }
    o
}

fn view_files(sandbox: &Sandbox) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(sandbox.cache_dir())
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("view-"))
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Waits (bounded) until `n` view files exist.
fn wait_for_views(sandbox: &Sandbox, n: usize) {
    let start = Instant::now();
    while view_files(sandbox).len() < n && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(view_files(sandbox).len(), n, "{:?}", view_files(sandbox));
}

/// A first process: a live list and block, whose views are persisted (the process lets its
/// background writes finish when stdin closes).
fn warm(sandbox: &Sandbox, o: &Value) -> (Value, Value) {
    let mut s = Server::spawn(sandbox, &[]);
    let list = s.ok("models.list", json!({"refresh": true, "options": o}));
    assert_eq!(list["source"], "live", "{list}");
    let block = s.ok("opencode.provider", json!({"refresh": false, "options": o}));
    s.close();
    (list, block)
}

/// A gateway serving `ids` (and models.dev), and a sandbox where a first process left the
/// snapshot, the models.dev copy and both views.
struct Warmed {
    rt: tokio::runtime::Runtime,
    dev: Vec<u8>,
    gw: MockServer,
    sandbox: Sandbox,
    o: Value,
    list: Value,
    block: Value,
}

fn warmed(ids: &[&str]) -> Warmed {
    let rt = runtime();
    let dev = common::modelsdev_fixture();
    let gw = rt.block_on(async {
        let gw = MockServer::start().await;
        serve(&gw, ids, Duration::ZERO, dev.clone()).await;
        gw
    });
    let sandbox = Sandbox::new();
    let o = opts(&gw, json!({}));
    let (list, block) = warm(&sandbox, &o);
    wait_for_views(&sandbox, 2);
    Warmed {
        rt,
        dev,
        gw,
        sandbox,
        o,
        list,
        block,
    }
}

/// The cache directory for a failure message: each file with its header line.
fn cache_listing(sandbox: &Sandbox) -> String {
    let mut out = String::new();
    for e in std::fs::read_dir(sandbox.cache_dir())
        .into_iter()
        .flatten()
        .flatten()
    {
        let bytes = std::fs::read(e.path()).unwrap_or_default();
        let head = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
        let head = String::from_utf8_lossy(&head[..head.len().min(400)]).into_owned();
        out.push_str(&format!("{}: {head}\n", e.file_name().to_string_lossy()));
    }
    out
}

/// Asserts the last call of `kind` was answered from a persisted view, showing the log and
/// the cache directory when not.
fn assert_from_view(s: &Server, sandbox: &Sandbox, kind: &str) {
    assert!(
        answered_from_view(s, kind),
        "{}\n{}",
        s.stderr_text(),
        cache_listing(sandbox)
    );
}

/// Whether the last call of `kind` was answered from a persisted view, from the debug log: it
/// says so either way. The log is read by a thread of the harness, so it is waited for.
fn answered_from_view(s: &Server, kind: &str) -> bool {
    let (yes, no) = (
        format!("answered from the persisted {kind} view"),
        format!("no persisted {kind} view"),
    );
    let start = Instant::now();
    loop {
        let log = s.stderr_text();
        if log.contains(&yes) {
            return true;
        }
        if log.contains(&no) || start.elapsed() > Duration::from_secs(5) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_new_process_answers_from_the_persisted_views_exactly_as_a_build_would() {
    let Warmed {
        rt,
        dev,
        gw,
        sandbox,
        o,
        list: live_list,
        block: live_block,
    } = warmed(&["openai/gpt-5.5", "openai/gpt-5.4"]);
    // The gateway now hangs: nothing may wait on it.
    rt.block_on(serve(
        &gw,
        &["openai/gpt-5.5"],
        Duration::from_secs(30),
        dev.clone(),
    ));

    let mut s = Server::spawn(&sandbox, DEBUG);
    let list = s.ok("models.list", json!({"refresh": false, "options": o}));
    assert_from_view(&s, &sandbox, "models-all");
    assert_eq!(list["source"], "snapshot");
    assert_eq!(list["models"], live_list["models"]);
    assert_eq!(list["count"], 2);
    assert_eq!(list["fetchedAt"], live_list["fetchedAt"]);
    drop(s);

    let mut s = Server::spawn(&sandbox, DEBUG);
    let block = s.ok("opencode.provider", json!({"refresh": false, "options": o}));
    assert_from_view(&s, &sandbox, "opencode");
    assert_eq!(block["provider"], live_block["provider"]);
    assert_eq!(block["source"], "snapshot");
    drop(s);

    // The same calls built from the snapshot (no views on disk) give the same answers.
    for f in view_files(&sandbox) {
        std::fs::remove_file(f).expect("remove view");
    }
    let mut s = Server::spawn(&sandbox, DEBUG);
    let built = s.ok("models.list", json!({"refresh": false, "options": o}));
    let built_block = s.ok("opencode.provider", json!({"refresh": false, "options": o}));
    assert!(!answered_from_view(&s, "models-all"));
    assert!(s.stderr_text().contains("no persisted models-all view"));
    for k in [
        "models",
        "count",
        "source",
        "fetchedAt",
        "warnings",
        "hidden",
    ] {
        assert_eq!(built[k], list[k], "{k}");
    }
    assert_eq!(built_block["provider"], block["provider"]);
    drop(s);
}

#[test]
fn after_a_view_answer_the_catalogue_is_warmed_and_the_refresh_reaches_the_host() {
    let Warmed {
        rt,
        dev,
        gw,
        sandbox,
        o,
        ..
    } = warmed(&["openai/gpt-5.5"]);
    rt.block_on(serve(
        &gw,
        &["openai/gpt-5.5", "openai/gpt-5.4"],
        Duration::from_millis(300),
        dev.clone(),
    ));
    let mut s = Server::spawn(&sandbox, DEBUG);
    let list = s.ok("models.list", json!({"refresh": false, "options": o}));
    assert_from_view(&s, &sandbox, "models-all");
    assert_eq!(common::ids(&list), vec!["openai/gpt-5.5"]);
    let start = Instant::now();
    let mut note = None;
    while note.is_none() && start.elapsed() < Duration::from_secs(10) {
        note = s
            .take_notifications("models/changed", Duration::from_millis(100))
            .pop();
    }
    let note = note.expect("models/changed after the background refresh");
    assert_eq!(note["params"]["diff"]["added"], json!(["openai/gpt-5.4"]));
    // Later calls use the warmed, refreshed catalogue.
    let r = s.ok("models.list", json!({"refresh": false, "options": o}));
    assert_eq!(r["source"], "cache");
    assert_eq!(r["count"], 2);
    s.close();
    // The refreshed list's views replace the old ones for the next process.
    let mut next = Server::spawn(&sandbox, DEBUG);
    let r = next.ok("models.list", json!({"refresh": false, "options": o}));
    assert_from_view(&next, &sandbox, "models-all");
    assert_eq!(r["count"], 2);
}

#[test]
fn a_view_is_never_served_when_one_of_its_inputs_changed() {
    let Warmed {
        rt,
        dev,
        gw,
        sandbox,
        o,
        ..
    } = warmed(&["openai/gpt-5.5"]);
    let list = |extra: &Value, s: &mut Server| {
        let mut opts = o.clone();
        if let (Value::Object(a), Value::Object(b)) = (&mut opts, extra.clone()) {
            a.extend(b);
        }
        s.ok("models.list", json!({"refresh": false, "options": opts}))
    };

    // Other options: an override renames the model.
    let mut s = Server::spawn(&sandbox, DEBUG);
    let renamed = json!({"modelMetadata": {"openai/gpt-5.5": {"name": "Renamed"}}});
    let r = list(&renamed, &mut s);
    assert!(!answered_from_view(&s, "models-all"));
    assert_eq!(r["models"][0]["name"], "Renamed");
    drop(s);
    // Options that only change timing share the view.
    let mut s = Server::spawn(&sandbox, DEBUG);
    list(
        &json!({"requestTimeoutMs": 12_345, "startupWaitMs": 10}),
        &mut s,
    );
    assert_from_view(&s, &sandbox, "models-all");
    drop(s);

    // A torn view file: built again, the right answer, no error.
    let files = view_files(&sandbox);
    for f in &files {
        let bytes = std::fs::read(f).expect("read view");
        std::fs::write(f, &bytes[..bytes.len() - 3]).expect("tear view");
    }
    let mut s = Server::spawn(&sandbox, DEBUG);
    let r = list(&json!({}), &mut s);
    assert!(!answered_from_view(&s, "models-all"));
    assert_eq!(common::ids(&r), vec!["openai/gpt-5.5"]);
    s.close(); // the rebuilt view is written back

    // New gateway data on disk (another process refreshed): the old view is not served.
    rt.block_on(serve(
        &gw,
        &["openai/gpt-5.5", "openai/gpt-5.4"],
        Duration::ZERO,
        dev.clone(),
    ));
    warm(&sandbox, &o);
    rt.block_on(serve(
        &gw,
        &["openai/gpt-5.5"],
        Duration::from_secs(30),
        dev.clone(),
    ));
    let mut s = Server::spawn(&sandbox, DEBUG);
    let r = list(&json!({}), &mut s);
    assert_from_view(&s, &sandbox, "models-all");
    assert_eq!(r["count"], 2, "the view of the new snapshot");
    drop(s);

    // A new models.dev copy: views built with the old one are not served.
    let mut changed: Value = serde_json::from_slice(&dev).expect("fixture");
    changed["openai"]["models"]["gpt-5.5"]["limit"]["context"] = json!(123_456);
    let changed = serde_json::to_vec(&changed).expect("json");
    rt.block_on(serve(
        &gw,
        &["openai/gpt-5.5", "openai/gpt-5.4"],
        Duration::ZERO,
        changed,
    ));
    let mut s = Server::spawn(&sandbox, &[]);
    s.ok("models.refresh", json!({"options": o}));
    s.close();
    let mut s = Server::spawn(&sandbox, DEBUG);
    let r = list(&json!({}), &mut s);
    assert!(!answered_from_view(&s, "models-all"));
    let ctx = common::by_id(&r)["openai/gpt-5.5"]["contextWindow"].clone();
    assert_eq!(ctx, json!(123_456), "{r}");
    drop(s);

    // A snapshot older than snapshotMaxAge is not served at once: the gateway is asked.
    let mut s = Server::spawn(&sandbox, DEBUG);
    rt.block_on(serve(&gw, &["openai/gpt-5.5"], Duration::ZERO, dev.clone()));
    std::thread::sleep(Duration::from_millis(30));
    let r = list(&json!({"snapshotMaxAge": 1}), &mut s);
    assert!(!answered_from_view(&s, "models-all"));
    assert_eq!(r["source"], "live", "{r}");
    drop(s);

    // cache.clear removes the views with the data they were built from.
    let mut s = Server::spawn(&sandbox, &[]);
    s.ok("cache.clear", json!({"options": o}));
    assert!(
        view_files(&sandbox).is_empty(),
        "{:?}",
        view_files(&sandbox)
    );
}

//! Issue 13 through the binary: a start-up call never waits long on a slow gateway when a
//! good snapshot exists, what the refresh brings lands in the snapshot and reaches the host,
//! conditional refresh (ETag → 304, identical body) keeps the catalogue, and old snapshots are
//! served only when the gateway cannot answer.

mod common;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{Sandbox, Server};

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
            .map(|id| common::model_entry(id, "mock"))
            .collect(),
    )
}

async fn serve(gw: &MockServer, body: Value, delay: Duration) {
    gw.reset().await;
    Mock::given(path("/v1/models"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(body)
                .set_delay(delay),
        )
        .mount(gw)
        .await;
}

fn opts(gw: &MockServer, extra: Value) -> Value {
    let mut o = common::options(&format!("{}/v1", gw.uri()), None);
    o["requestTimeoutMs"] = json!(20_000);
    if let (Value::Object(o), Value::Object(e)) = (&mut o, extra) {
        o.extend(e);
    }
    o
}

/// Warms the snapshot with `ids` in a first process.
fn warm(sandbox: &Sandbox, o: &Value) {
    let mut s = Server::spawn(sandbox, &[]);
    let r = s.ok("models.list", json!({"refresh": true, "options": o}));
    assert_eq!(r["source"], "live", "{r}");
    s.close();
}

/// Waits (bounded) for a notification called `name`.
fn notification(s: &mut Server, name: &str, limit: Duration) -> Option<Value> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(n) = s.take_notifications(name, Duration::from_millis(100)).pop() {
            return Some(n);
        }
    }
    None
}

#[test]
fn a_hanging_gateway_with_a_warm_snapshot_answers_from_the_snapshot() {
    let rt = runtime();
    let gw = rt.block_on(async {
        let gw = MockServer::start().await;
        serve(&gw, models(&["mock/a", "mock/b"]), Duration::ZERO).await;
        gw
    });
    let sandbox = Sandbox::new();
    let o = opts(&gw, json!({"startupWaitMs": 300}));
    warm(&sandbox, &o);
    // The gateway now hangs longer than every timeout.
    rt.block_on(serve(&gw, models(&["mock/a"]), Duration::from_secs(60)));
    let mut s = Server::spawn(&sandbox, &[]);
    s.ok("initialize", json!({"options": o}));
    for method in ["opencode.provider", "models.list"] {
        let r = s.ok(method, json!({"startup": true}));
        assert_eq!(r["source"], "snapshot", "{method}: {r}");
        let warned = r["warnings"].as_array().expect("warnings").iter().any(|w| {
            w.as_str()
                .is_some_and(|w| w.contains("startupWaitMs") && w.contains("models/changed"))
        });
        assert!(warned, "{method}: {r}");
    }
    let list = s.ok("models.list", json!({"startup": true}));
    assert_eq!(common::ids(&list), vec!["mock/a", "mock/b"]);
    // Without `startup` the same call keeps its meaning (refreshOnList waits for the gateway):
    // here it is cut short by the host, as OpenCode's own timeout would.
    s.close();
}

#[test]
fn a_slow_gateway_answers_after_the_deadline_and_the_host_and_the_next_start_get_it() {
    let rt = runtime();
    let gw = rt.block_on(async {
        let gw = MockServer::start().await;
        serve(&gw, models(&["mock/a"]), Duration::ZERO).await;
        gw
    });
    let sandbox = Sandbox::new();
    let o = opts(&gw, json!({"startupWaitMs": 200}));
    warm(&sandbox, &o);
    rt.block_on(serve(
        &gw,
        models(&["mock/a", "mock/new"]),
        Duration::from_millis(3000),
    ));
    let mut s = Server::spawn(&sandbox, &[]);
    let r = s.ok("opencode.provider", json!({"startup": true, "options": o}));
    assert_eq!(r["source"], "snapshot", "{r}");
    let changed = notification(&mut s, "models/changed", Duration::from_secs(15))
        .expect("models/changed after the slow answer");
    assert_eq!(
        changed["params"]["diff"]["added"],
        json!(["mock/new"]),
        "{changed}"
    );
    s.close();
    // The next start is fresh, even offline: the refresh landed in the snapshot.
    let mut next = Server::spawn(&sandbox, &[]);
    let mut offline = o.clone();
    offline["offline"] = json!(true);
    let r = next.ok("models.list", json!({"options": offline}));
    assert_eq!(common::ids(&r), vec!["mock/a", "mock/new"], "{r}");
    next.close();
}

#[test]
fn closing_stdin_lets_a_running_refresh_land_in_the_snapshot() {
    let rt = runtime();
    let gw = rt.block_on(async {
        let gw = MockServer::start().await;
        serve(&gw, models(&["mock/a"]), Duration::ZERO).await;
        gw
    });
    let sandbox = Sandbox::new();
    let o = opts(&gw, json!({"startupWaitMs": 100}));
    warm(&sandbox, &o);
    rt.block_on(serve(
        &gw,
        models(&["mock/a", "mock/late"]),
        Duration::from_millis(2500),
    ));
    let mut s = Server::spawn(&sandbox, &[]);
    let r = s.ok("models.list", json!({"startup": true, "options": o}));
    assert_eq!(r["source"], "snapshot", "{r}");
    // The host goes away at once; the process says it is finishing (so the host need not
    // wait), finishes the refresh (bounded), then exits.
    let (code, _) = s.close();
    assert_eq!(code, Some(0));
    let finishing = s.take_notifications("service/finishing", Duration::from_millis(200));
    assert_eq!(finishing.len(), 1, "{finishing:?}");
    assert_eq!(finishing[0]["params"]["withinMs"], 10_000);
    assert!(finishing[0]["params"]["tasks"].as_u64() >= Some(1));
    let mut next = Server::spawn(&sandbox, &[]);
    let mut offline = o.clone();
    offline["offline"] = json!(true);
    let r = next.ok("models.list", json!({"options": offline}));
    assert_eq!(common::ids(&r), vec!["mock/a", "mock/late"], "{r}");
    next.close();
}

#[test]
fn etag_then_304_keeps_the_catalogue_and_an_identical_body_is_not_parsed_again() {
    let rt = runtime();
    let gw = rt.block_on(async {
        let gw = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v1/models"))
            .and(header("if-none-match", "\"v1\""))
            .respond_with(ResponseTemplate::new(304).insert_header("etag", "\"v1\""))
            .with_priority(1)
            .mount(&gw)
            .await;
        Mock::given(method("GET"))
            .and(path("/v1/models"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("etag", "\"v1\"")
                    .set_body_json(models(&["mock/a", "mock/b"])),
            )
            .with_priority(2)
            .mount(&gw)
            .await;
        gw
    });
    let sandbox = Sandbox::new();
    let o = opts(&gw, json!({}));
    let mut s = Server::spawn(&sandbox, &[("OMNIROUTE_LOG", "omniroute_rpc=debug")]);
    let first = s.ok("models.list", json!({"refresh": true, "options": o}));
    std::thread::sleep(Duration::from_millis(20));
    let second = s.ok("models.list", json!({"refresh": true, "options": o}));
    assert_eq!(second["source"], "live", "{second}");
    assert_eq!(common::ids(&second), vec!["mock/a", "mock/b"]);
    assert!(
        second["fetchedAt"].as_str() > first["fetchedAt"].as_str(),
        "fetchedAt moves on: {first} {second}"
    );
    let requests = rt.block_on(gw.received_requests()).unwrap_or_default();
    let conditional = requests
        .iter()
        .filter(|r| r.url.path() == "/v1/models")
        .filter(|r| r.headers.get("if-none-match").is_some())
        .count();
    assert_eq!(conditional, 1, "the second request asked If-None-Match");

    // A gateway without validators: the identical body is recognised by its hash.
    rt.block_on(serve(&gw, models(&["mock/a", "mock/b"]), Duration::ZERO));
    let _ = s.ok("models.list", json!({"refresh": true, "options": o}));
    let again = s.ok("models.list", json!({"refresh": true, "options": o}));
    assert_eq!(common::ids(&again), vec!["mock/a", "mock/b"]);
    s.close();
    let log = s.stderr_with(&[
        "unchanged (HTTP 304)",
        "unchanged (same body)",
        "catalogue reused",
    ]);
    assert!(log.contains("unchanged (HTTP 304)"), "{log}");
    assert!(log.contains("unchanged (same body)"), "{log}");
    assert!(log.contains("catalogue reused"), "{log}");
}

#[test]
fn a_snapshot_older_than_the_maximum_age_is_served_only_when_the_gateway_is_down() {
    let rt = runtime();
    let gw = rt.block_on(async {
        let gw = MockServer::start().await;
        serve(&gw, models(&["mock/a"]), Duration::ZERO).await;
        gw
    });
    let sandbox = Sandbox::new();
    let o = opts(&gw, json!({"snapshotMaxAge": 1}));
    warm(&sandbox, &o);
    std::thread::sleep(Duration::from_millis(20));
    // Gateway up: a start-up call does not serve the too-old snapshot, it waits for the list.
    rt.block_on(serve(
        &gw,
        models(&["mock/a", "mock/b"]),
        Duration::from_millis(400),
    ));
    let mut s = Server::spawn(&sandbox, &[]);
    let r = s.ok(
        "models.list",
        json!({"startup": true, "refresh": false, "options": o}),
    );
    assert_eq!(r["source"], "live", "{r}");
    assert_eq!(common::ids(&r), vec!["mock/a", "mock/b"]);
    s.close();
    std::thread::sleep(Duration::from_millis(20));
    // Gateway failing: the old snapshot, with a warning naming its age.
    rt.block_on(async {
        gw.reset().await;
        Mock::given(path("/v1/models"))
            .respond_with(ResponseTemplate::new(503))
            .mount(&gw)
            .await;
    });
    let mut s = Server::spawn(&sandbox, &[]);
    let r = s.ok("models.list", json!({"startup": true, "options": o}));
    assert_eq!(r["source"], "snapshot", "{r}");
    let warned = r["warnings"].as_array().expect("warnings").iter().any(|w| {
        w.as_str()
            .is_some_and(|w| w.contains("older than snapshotMaxAge") && w.contains("ago"))
    });
    assert!(warned, "{r}");
    s.close();
}

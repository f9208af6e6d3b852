//! In-process tests over `Connection::memory()`: the same server loop, dispatcher and service
//! as the binary, without spawning it — so ordering, cancellation, single-flight and background
//! refresh are tested in milliseconds, many times over.

mod common;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use omniroute_rpc::api::Api;
use omniroute_rpc::env::Env;
use omniroute_rpc::rpc::connection::{Connection, MemoryClient};
use omniroute_rpc::rpc::server::{self, Hooks};
use omniroute_rpc::service::{Notifier, Service};

/// A gateway address that refuses at once: the default in these tests, so a request that runs
/// with the defaults instead of the session's options is caught.
const REFUSING: &str = "http://127.0.0.1:1/v1";

struct Session {
    client: MemoryClient,
    server: tokio::task::JoinHandle<i32>,
    pending: Vec<Value>,
    _dir: tempfile::TempDir,
}

impl Session {
    fn start() -> Session {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut env = Env::isolated(dir.path());
        env.base_url = Some(REFUSING.into());
        let (connection, client) = Connection::memory();
        let outbox = connection.outbox.clone();
        let notifier = Notifier::new(move |m, p| outbox.notify(m, p));
        let service = Arc::new(Service::new(env, notifier));
        let dispatcher = Arc::new(Api::new(service.clone()).into_dispatcher());
        let exit_svc = service.clone();
        let hooks = Hooks {
            exit_code: Box::new(move || i32::from(!exit_svc.is_shut_down())),
            at_end_of_input: Box::new(move || {
                Box::pin(async move { service.finish_background(Duration::from_secs(5)).await })
            }),
        };
        let server = tokio::spawn(server::run(connection, dispatcher, hooks));
        Session {
            client,
            server,
            pending: Vec::new(),
            _dir: dir,
        }
    }

    async fn send(&self, id: i64, method: &str, params: Value) {
        self.client
            .send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
    }

    async fn notify(&self, method: &str, params: Value) {
        self.client
            .send(&json!({"jsonrpc": "2.0", "method": method, "params": params}))
            .await;
    }

    async fn next(&mut self) -> Value {
        tokio::time::timeout(Duration::from_secs(20), self.client.recv())
            .await
            .expect("a message within 20 s")
            .expect("the server is still talking")
    }

    /// The response to `id`; anything else that arrives first is kept for later.
    async fn response(&mut self, id: i64) -> Value {
        if let Some(i) = self.pending.iter().position(|m| m["id"] == id) {
            return self.pending.remove(i);
        }
        loop {
            let m = self.next().await;
            if m["id"] == id {
                return m;
            }
            self.pending.push(m);
        }
    }

    /// The next notification called `method`.
    async fn notification(&mut self, method: &str) -> Value {
        if let Some(i) = self.pending.iter().position(|m| m["method"] == method) {
            return self.pending.remove(i);
        }
        loop {
            let m = self.next().await;
            if m["method"] == method {
                return m;
            }
            self.pending.push(m);
        }
    }

    async fn close(mut self) -> i32 {
        self.client.close();
        tokio::time::timeout(Duration::from_secs(20), self.server)
            .await
            .expect("the server ends after end of input")
            .expect("server task")
    }
}

async fn gateway(models: Vec<Value>, delay: Duration) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path("/v1/models"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(common::list(models))
                .set_delay(delay),
        )
        .mount(&server)
        .await;
    server
}

fn opts(gw: &MockServer) -> Value {
    common::options(&format!("{}/v1", gw.uri()), None)
}

async fn model_requests(gw: &MockServer) -> usize {
    gw.received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == "/v1/models")
        .count()
}

/// Issue 19, item 1: a request pipelined right after `initialize` runs with its options, every
/// time (before the fix, 7 of 40 such runs used the default gateway).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_pipelined_after_initialize_see_its_options() {
    let gw = gateway(vec![common::model_entry("mock/a", "mock")], Duration::ZERO).await;
    for round in 0..300 {
        let mut s = Session::start();
        // Both frames are queued before the server reads either.
        s.send(1, "initialize", json!({"options": opts(&gw)})).await;
        s.send(2, "models.list", json!({"refresh": true})).await;
        s.send(3, "auth.status", json!({})).await;
        let list = s.response(2).await;
        assert_eq!(list["result"]["source"], "live", "round {round}: {list}");
        assert_eq!(
            common::ids(&list["result"]),
            vec!["mock/a"],
            "round {round}"
        );
        let status = s.response(3).await;
        assert_eq!(
            status["result"]["baseURL"],
            format!("{}/v1", gw.uri()),
            "round {round}"
        );
        assert_eq!(s.response(1).await["result"]["protocolVersion"], "1");
        assert_eq!(s.close().await, 0);
    }
}

/// A batch that holds `initialize` runs its calls in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_with_initialize_runs_in_order() {
    let gw = gateway(vec![common::model_entry("mock/a", "mock")], Duration::ZERO).await;
    for _ in 0..50 {
        let s = Session::start();
        let batch = json!([
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"options": opts(&gw)}},
            {"jsonrpc": "2.0", "id": 2, "method": "auth.status"}
        ]);
        s.client.send(&batch).await;
        let mut s = s;
        let reply = s.next().await;
        let status = reply
            .as_array()
            .and_then(|a| a.iter().find(|m| m["id"] == 2))
            .cloned()
            .expect("auth.status in the batch reply");
        assert_eq!(status["result"]["baseURL"], format!("{}/v1", gw.uri()));
        s.close().await;
    }
}

/// `$/cancelRequest` ends a request waiting on a hanging gateway at once, with -32800, and the
/// session goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_answers_at_once_and_the_session_goes_on() {
    let gw = gateway(
        vec![common::model_entry("mock/a", "mock")],
        Duration::from_secs(30),
    )
    .await;
    let mut s = Session::start();
    s.send(1, "initialize", json!({"options": opts(&gw)})).await;
    s.send(2, "models.list", json!({"refresh": true})).await;
    assert!(s.response(1).await.get("result").is_some());
    // Make sure the request is in flight before cancelling it.
    while model_requests(&gw).await == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    s.notify("$/cancelRequest", json!({"id": 2})).await;
    let cancelled = s.response(2).await;
    assert_eq!(cancelled["error"]["code"], -32800, "{cancelled}");
    assert_eq!(cancelled["error"]["data"]["kind"], "cancelled");
    s.send(3, "auth.status", json!({})).await;
    assert!(s.response(3).await.get("result").is_some());
    // The cancelled task never answers a second time.
    assert!(s.pending.iter().all(|m| m["id"] != 2));
    s.close().await;
}

/// Ten concurrent refreshes share one gateway request (single-flight), and all get the list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refreshes_share_one_gateway_request() {
    let gw = gateway(
        vec![common::model_entry("mock/a", "mock")],
        Duration::from_millis(300),
    )
    .await;
    let mut s = Session::start();
    s.send(1, "initialize", json!({"options": opts(&gw)})).await;
    for id in 10..20 {
        s.send(id, "models.list", json!({"refresh": true})).await;
    }
    for id in 10..20 {
        let r = s.response(id).await;
        assert_eq!(r["result"]["source"], "live", "{r}");
    }
    assert_eq!(model_requests(&gw).await, 1);
    s.close().await;
}

/// A stale list is served at once; the background refresh that follows reaches the client as
/// `models/changed` through the notifier the service was built with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_refresh_notifies_the_client() {
    let gw = gateway(vec![common::model_entry("mock/a", "mock")], Duration::ZERO).await;
    let mut s = Session::start();
    let mut o = opts(&gw);
    o["modelCacheTtl"] = json!(1);
    s.send(1, "initialize", json!({"options": o})).await;
    s.send(2, "models.list", json!({"refresh": true})).await;
    assert_eq!(common::ids(&s.response(2).await["result"]), vec!["mock/a"]);
    gw.reset().await;
    Mock::given(path("/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(common::list(vec![
            common::model_entry("mock/a", "mock"),
            common::model_entry("mock/b", "mock"),
        ])))
        .mount(&gw)
        .await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    s.send(3, "models.list", json!({"refresh": false})).await;
    let stale = s.response(3).await;
    assert_eq!(stale["result"]["source"], "stale", "{stale}");
    assert_eq!(common::ids(&stale["result"]), vec!["mock/a"]);
    let changed = s.notification("models/changed").await;
    assert_eq!(
        changed["params"]["diff"]["added"],
        json!(["mock/b"]),
        "{changed}"
    );
    assert_eq!(changed["params"]["source"], "live");
    s.close().await;
}

/// `exit` after `shutdown` is 0; without `shutdown` it is 1; a request after `shutdown` fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_exit_codes() {
    let mut s = Session::start();
    s.send(1, "shutdown", json!({})).await;
    assert!(s.response(1).await.get("result").is_some());
    s.send(2, "auth.status", json!({})).await;
    assert_eq!(s.response(2).await["error"]["data"]["kind"], "shut_down");
    s.notify("exit", json!(null)).await;
    assert_eq!(s.server.await.expect("server"), 0);

    let s = Session::start();
    s.notify("exit", json!(null)).await;
    assert_eq!(s.server.await.expect("server"), 1);
}

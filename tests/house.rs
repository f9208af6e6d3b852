//! Through the binary: what the redesign guarantees to a user — pipelining after `initialize`
//! is as safe as waiting for it, a password in `baseURL` never comes back, and gateway strings
//! never reach a terminal as control characters (while JSON keeps them intact).

mod common;

use std::io::Write;
use std::process::Stdio;

use serde_json::{json, Value};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{Sandbox, Server};

const REFUSING: &str = "http://127.0.0.1:1/v1";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

async fn gateway(models: Vec<Value>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path("/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(common::list(models)))
        .mount(&server)
        .await;
    server
}

/// `printf 'initialize\nmodels.list\n' | omniroute-rpc`, many times: the list always comes
/// from the gateway `initialize` named (the default gateway refuses).
#[test]
fn pipelining_after_initialize_through_the_binary() {
    let rt = runtime();
    let gw = rt.block_on(gateway(vec![common::model_entry("mock/a", "mock")]));
    let base = format!("{}/v1", gw.uri());
    let sandbox = Sandbox::new();
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"options": common::options(&base, None)}});
    let list =
        json!({"jsonrpc": "2.0", "id": 2, "method": "models.list", "params": {"refresh": true}});
    let input = format!("{init}\n{list}\n");
    for round in 0..100 {
        let mut child = sandbox
            .command()
            .env("OMNIROUTE_BASE_URL", REFUSING)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input.as_bytes()).expect("write");
        drop(stdin);
        let out = child.wait_with_output().expect("output");
        let replies: Vec<Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect();
        let list = replies
            .iter()
            .find(|r| r["id"] == 2)
            .unwrap_or_else(|| panic!("round {round}: no models.list answer in {replies:?}"));
        assert_eq!(list["result"]["source"], "live", "round {round}: {list}");
        assert_eq!(list["result"]["baseURL"], base.as_str(), "round {round}");
    }
}

/// A password written into `baseURL` appears in no result, warning, error or log line.
#[test]
fn userinfo_in_base_url_is_never_shown() {
    let rt = runtime();
    let gw = rt.block_on(gateway(vec![common::model_entry("mock/a", "mock")]));
    let port = gw.address().port();
    let secret = "s3cr3t-pa55";
    let sandbox = Sandbox::new();
    let mut server = Server::spawn(&sandbox, &[("OMNIROUTE_LOG", "debug")]);
    let good = format!("http://alice:{secret}@127.0.0.1:{port}/v1");
    let list = server.ok(
        "models.list",
        json!({"refresh": true, "options": common::options(&good, None)}),
    );
    assert_eq!(list["source"], "live", "{list}");
    assert_eq!(list["baseURL"], format!("http://***@127.0.0.1:{port}/v1"));
    // A gateway that refuses: the warnings and the fallback note quote the URL.
    let bad = format!("http://alice:{secret}@127.0.0.1:1/v1");
    let down = server.ok(
        "models.list",
        json!({"refresh": true, "options": common::options(&bad, None)}),
    );
    assert_eq!(down["source"], "fallback");
    let status = server.ok("auth.status", json!({"options": {"baseURL": bad}}));
    let err = server.err(
        "auth.connect",
        json!({"apiKey": "sk-test-key-123456", "baseURL": bad, "persist": false}),
    );
    let (_, _) = server.close();
    let everything = format!(
        "{list}\n{down}\n{status}\n{err}\n{}\n{}",
        server.stderr_text(),
        server.stdout_raw.lock().expect("stdout").clone()
    );
    assert!(
        !everything.contains(secret),
        "the password leaked:\n{everything}"
    );
    assert!(everything.contains("***@127.0.0.1:1"), "{everything}");
}

/// A gateway model id with ESC, BEL and CR sequences: the CLI table shows them escaped; the
/// JSON result keeps the id exactly.
#[test]
fn control_characters_from_the_gateway_never_reach_the_terminal() {
    let rt = runtime();
    let evil_id = "evil/\u{1b}]0;pwned\u{7}mo\rdel";
    let mut entry = common::model_entry(evil_id, "evil");
    entry["name"] = json!("Name\u{1b}[2J\u{9b}31m");
    let gw = rt.block_on(gateway(vec![entry]));
    let base = format!("{}/v1", gw.uri());
    let sandbox = Sandbox::new();
    let out = sandbox
        .command()
        .args([
            "models",
            "list",
            "--base-url",
            &base,
            "--timeout-ms",
            "3000",
        ])
        .env("OMNIROUTE_OPTIONS", "")
        .output()
        .expect("models list");
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(out.status.success(), "{text}");
    for bad in ['\u{1b}', '\u{7}', '\r', '\u{9b}'] {
        assert!(
            !text.contains(bad),
            "raw {bad:?} on the terminal:\n{text:?}"
        );
    }
    assert!(text.contains("evil/\\x1b]0;pwned\\x07mo\\x0ddel"), "{text}");
    assert!(text.contains("Name\\x1b[2J\\u{9b}31m"), "{text}");

    let json_out = sandbox
        .command()
        .args(["models", "list", "--base-url", &base, "--json"])
        .output()
        .expect("models list --json");
    let v: Value = serde_json::from_slice(&json_out.stdout).expect("JSON");
    assert_eq!(v["models"][0]["id"], evil_id);
}

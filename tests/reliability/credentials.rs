//! OpenCode's credentials file under concurrency and attack: 8 processes connecting at once
//! while a reader loop watches the file, modes, a symlink at the file's path, corrupt files.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{Sandbox, Server};
use crate::support::{assert_no_panic, figure, run, Gateway};

fn others() -> Value {
    json!({
        "anthropic": {"type": "oauth", "refresh": "r-token", "access": "a-token", "expires": 1764000000000u64},
        "openai": {"type": "api", "key": "sk-openai-other", "note": "kept"},
        "wellknown-x": {"type": "wellknown", "key": "K", "token": "T"}
    })
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn connect_args(key: &str, base: &str) -> Vec<String> {
    vec![
        "call".into(),
        "auth.connect".into(),
        json!({"apiKey": key, "baseURL": base, "options": {"modelsDev": {"enabled": false}, "requestTimeoutMs": 10000}})
            .to_string(),
    ]
}

#[test]
fn credentials_eight_concurrent_connects_keep_every_other_entry() {
    let mock = Gateway::standard().serve();
    let sandbox = Sandbox::new();
    let file = sandbox.auth_file();
    let dir = file.parent().unwrap().to_path_buf();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::write(&file, serde_json::to_vec_pretty(&others()).unwrap()).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();

    // A reader loop: every read sees a complete JSON object with the other entries.
    let done = Arc::new(AtomicBool::new(false));
    let (done2, file2) = (done.clone(), file.clone());
    let reader = std::thread::spawn(move || {
        let mut reads = 0u64;
        let mut problems = Vec::new();
        while !done2.load(Ordering::SeqCst) && reads < 2_000_000 {
            let bytes = match std::fs::read(&file2) {
                Ok(b) => b,
                Err(e) => {
                    problems.push(format!("read failed: {e}"));
                    continue;
                }
            };
            reads += 1;
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(v) => {
                    for (k, want) in others().as_object().unwrap() {
                        if v.get(k) != Some(want) {
                            problems.push(format!("entry {k} changed: {v}"));
                        }
                    }
                }
                Err(e) => problems.push(format!(
                    "half-written file seen ({e}): {:?}",
                    String::from_utf8_lossy(&bytes)
                )),
            }
            if problems.len() > 5 {
                break;
            }
        }
        (reads, problems)
    });

    let rounds = 3;
    let keys: Vec<String> = (0..8)
        .map(|i| format!("sk-race{i:02}-0123456789abcdef"))
        .collect();
    for _ in 0..rounds {
        let children: Vec<_> = keys
            .iter()
            .map(|k| {
                let mut cmd = sandbox.command();
                cmd.args(connect_args(k, &mock.base()))
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                cmd.spawn().unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "auth.connect failed: {stderr}");
            assert_no_panic(&stderr);
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v["stored"], true);
        }
        let v: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let obj = v.as_object().unwrap();
        assert_eq!(obj.len(), 4, "{v}");
        for (k, want) in others().as_object().unwrap() {
            assert_eq!(&obj[k], want, "entry {k} survives");
        }
        assert_eq!(v["omniroute"]["type"], "api");
        let key = v["omniroute"]["key"].as_str().unwrap();
        assert!(
            keys.iter().any(|k| k == key),
            "the stored key is one of the 8: {key}"
        );
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&dir), 0o700);
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "auth.json")
            .collect();
        assert!(
            leftovers.is_empty(),
            "temp files left behind: {leftovers:?}"
        );
    }
    done.store(true, Ordering::SeqCst);
    let (reads, problems) = reader.join().unwrap();
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(reads > 0);
    figure(&format!(
        "credentials: {rounds} rounds x 8 concurrent auth.connect processes; {reads} concurrent reads, none half-written; other entries intact"
    ));
}

#[test]
fn credentials_fresh_file_and_dir_are_private() {
    let mock = Gateway::standard().serve();
    let sandbox = Sandbox::new();
    let out = run(
        &sandbox,
        &[],
        &connect_args("sk-fresh-0123456789", &mock.base())
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        b"",
        Duration::from_secs(20),
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let file = sandbox.auth_file();
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().unwrap()), 0o700);

    // A pre-existing world-readable file is tightened to 0600 on the next write.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(
        &sandbox,
        &[],
        &connect_args("sk-second-0123456789", &mock.base())
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        b"",
        Duration::from_secs(20),
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(mode(&file), 0o600);
}

#[test]
fn credentials_symlink_is_not_followed_into_another_file() {
    let mock = Gateway::standard().serve();
    let sandbox = Sandbox::new();
    let file = sandbox.auth_file();
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let victim = sandbox.dir.path().join("victim.json");
    let original = b"{\"victim\": {\"type\": \"api\", \"key\": \"do-not-touch\"}}\n".to_vec();
    std::fs::write(&victim, &original).unwrap();
    std::os::unix::fs::symlink(&victim, &file).unwrap();
    let dangling_target = sandbox.dir.path().join("not-there.json");

    let mut server = Server::spawn(&sandbox, &[]);
    let r = server.call(
        "auth.connect",
        json!({"apiKey": "sk-symlink-0123456789", "baseURL": mock.base(),
               "options": {"modelsDev": {"enabled": false}}}),
    );
    if let Some(err) = r.get("error") {
        assert_eq!(err["data"]["kind"], "credentials_file", "{r}");
    }
    assert_eq!(
        std::fs::read(&victim).unwrap(),
        original,
        "the link target was changed"
    );
    let r = server.call("auth.disconnect", json!({}));
    if let Some(err) = r.get("error") {
        assert_eq!(err["data"]["kind"], "credentials_file", "{r}");
    }
    assert_eq!(
        std::fs::read(&victim).unwrap(),
        original,
        "the link target was changed"
    );

    // A dangling link: nothing is created at its target.
    std::fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink(&dangling_target, &file).unwrap();
    let r = server.call(
        "auth.connect",
        json!({"apiKey": "sk-symlink-0123456789", "baseURL": mock.base(),
               "options": {"modelsDev": {"enabled": false}}}),
    );
    if let Some(err) = r.get("error") {
        assert_eq!(err["data"]["kind"], "credentials_file", "{r}");
    }
    assert!(
        !dangling_target.exists(),
        "a file was created through a dangling link"
    );
    assert_no_panic(&server.stderr_text());
}

#[test]
fn credentials_corrupt_file_is_left_untouched_and_reported() {
    let mock = Gateway::standard().serve();
    let corrupt: Vec<(&str, Vec<u8>)> = vec![
        (
            "truncated JSON",
            b"{\"openai\": {\"type\": \"api\", \"key\": \"x\"},".to_vec(),
        ),
        ("not an object", b"[{\"omniroute\": 1}]\n".to_vec()),
        (
            "not UTF-8",
            b"{\"openai\": {\"key\": \"\xff\xfe\"}}".to_vec(),
        ),
        ("binary junk", vec![0u8, 159, 146, 150, 10, 0, 1]),
    ];
    for (name, bytes) in corrupt {
        let sandbox = Sandbox::new();
        let file = sandbox.auth_file();
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, &bytes).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        let mtime = std::fs::metadata(&file).unwrap().modified().unwrap();
        let mut server = Server::spawn(&sandbox, &[]);
        for (method, params) in [
            (
                "auth.connect",
                json!({"apiKey": "sk-corrupt-0123456789", "baseURL": mock.base(),
                       "options": {"modelsDev": {"enabled": false}}}),
            ),
            ("auth.disconnect", json!({})),
        ] {
            let err = server.err(method, params);
            assert_eq!(err["code"], -32055, "{name}/{method}: {err}");
            assert_eq!(
                err["data"]["kind"], "credentials_file",
                "{name}/{method}: {err}"
            );
            let msg = err["message"].as_str().unwrap();
            assert!(
                msg.contains("auth.json"),
                "{name}: the message names the file: {msg}"
            );
        }
        // Reads report it as a warning instead of failing.
        let status = server.ok("auth.status", json!({}));
        assert!(
            status["warnings"].to_string().contains("auth.json"),
            "{name}: {status}"
        );
        assert_eq!(
            std::fs::read(&file).unwrap(),
            bytes,
            "{name}: the file was modified"
        );
        assert_eq!(std::fs::metadata(&file).unwrap().modified().unwrap(), mtime);
        assert_eq!(mode(&file), 0o640, "{name}: the mode was changed");
        assert_no_panic(&server.stderr_text());
    }
}

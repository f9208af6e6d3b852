//! `omniroute-rpc export` through the real binary against a mock gateway on 127.0.0.1: for
//! each tool, a first write into a file the user already has, a second one after a catalogue
//! change and a hand edit elsewhere, `--check` around them, corrupt and unreadable files,
//! symlinks, backups, default paths, and no key ever written.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{combo_entry, list, model_entry, modelsdev_fixture, Sandbox};
use omniroute_rpc::export::jsonc::Flavor;
use omniroute_rpc::export::{jsonc_edit, yaml_region};
use serde_json::{json, Value};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-export-test-secret-0123456789";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/export")
            .join(name),
    )
    .expect("fixture")
}

/// Version 1: codex, claude and a combo of both; version 2: claude replaced by kimi.
async fn mount(server: &MockServer, version: u32) {
    server.reset().await;
    let (other, other_owner) = if version == 1 {
        ("cc/claude-sonnet-4-5", "cc")
    } else {
        ("kmc/kimi-k2.5", "kimi-coding")
    };
    let mut evil = model_entry("mock/evil", "mock");
    evil["name"] = json!("Evil\u{1b}[2J\u{9b}31m name\u{202e}");
    let models = vec![
        model_entry("cx/gpt-5.1-codex-mini", "codex"),
        model_entry(other, other_owner),
        evil,
        json!({"id": "openai/text-embedding-3-small", "object": "model", "owned_by": "openai", "type": "embedding"}),
        combo_entry("mock-combo"),
    ];
    Mock::given(path("/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list(models)))
        .mount(server)
        .await;
    let combos = list(vec![
        json!({"name": "mock-combo", "strategy": "priority", "models": ["cx/gpt-5.1-codex-mini", other]}),
    ]);
    Mock::given(path("/v1/combos"))
        .respond_with(ResponseTemplate::new(200).set_body_json(combos))
        .mount(server)
        .await;
    Mock::given(path("/api.json"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(modelsdev_fixture()))
        .mount(server)
        .await;
}

async fn gateway() -> MockServer {
    let server = MockServer::start().await;
    mount(&server, 1).await;
    server
}

fn run(sb: &Sandbox, server: &MockServer, args: &[&str]) -> Output {
    let options = json!({"modelsDev": {"url": format!("{}/api.json", server.uri())}});
    sb.command()
        .arg("export")
        .args(args)
        .arg("--base-url")
        .arg(format!("{}/v1", server.uri()))
        .env("OMNIROUTE_API_KEY", KEY)
        .env("OMNIROUTE_OPTIONS", options.to_string())
        .output()
        .expect("run omniroute-rpc export")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn assert_clean(o: &Output) {
    let (out, err) = text(o);
    for s in [&out, &err] {
        assert!(!s.contains(KEY), "the key leaked: {s}");
        assert!(
            !s.chars()
                .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
            "raw control characters on the terminal: {s:?}"
        );
    }
}

/// `id → (context, output)` of the exported models in a file of `target`.
fn limits(target: &str, text: &str) -> Vec<(String, u64, u64)> {
    let get = |flavor, path: &[&str]| {
        jsonc_edit::get(text, flavor, path)
            .expect("parse")
            .expect("block present")
    };
    let n = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    let mut out: Vec<(String, u64, u64)> = match target {
        "zed" => get(
            Flavor::JSONC,
            &["language_models", "openai_compatible", "omniroute"],
        )["available_models"]
            .as_array()
            .expect("models")
            .iter()
            .map(|m| {
                (
                    m["name"].as_str().unwrap_or("").to_string(),
                    n(m, "/max_tokens"),
                    n(m, "/max_output_tokens"),
                )
            })
            .collect(),
        "crush" => get(Flavor::STRICT, &["providers", "omniroute"])["models"]
            .as_array()
            .expect("models")
            .iter()
            .map(|m| {
                (
                    m["id"].as_str().unwrap_or("").to_string(),
                    n(m, "/context_window"),
                    n(m, "/default_max_tokens"),
                )
            })
            .collect(),
        "opencode" => get(Flavor::JSONC, &["provider", "omniroute"])["models"]
            .as_object()
            .expect("models")
            .iter()
            .map(|(k, m)| (k.clone(), n(m, "/limit/context"), n(m, "/limit/output")))
            .collect(),
        _ => yaml_region::current(text)
            .expect("yaml")
            .expect("region")
            .iter()
            .map(|m| {
                (
                    m["model"].as_str().unwrap_or("").to_string(),
                    n(m, "/defaultCompletionOptions/contextLength"),
                    n(m, "/defaultCompletionOptions/maxTokens"),
                )
            })
            .collect(),
    };
    out.sort();
    out
}

struct Case {
    target: &'static str,
    fixture: &'static str,
    /// Bytes of the user's file that must survive every write.
    kept: &'static [&'static str],
    /// A hand edit elsewhere in the file: (from, to).
    edit: (&'static str, &'static str),
}

const CASES: [Case; 4] = [
    Case {
        target: "zed",
        fixture: "zed-settings.json",
        kept: &[
            "// Zed settings\n//\n",
            "\"theme\": \"One Dark\", // my theme\n",
            "/* language models I use */\n  \"language_models\": {\n    \"ollama\": {\n      \"api_url\": \"http://localhost:11434\",\n    },\n",
            "\"vim_mode\": true,\n}\n",
        ],
        edit: ("\"ui_font_size\": 16,", "\"ui_font_size\": 18, // bigger"),
    },
    Case {
        target: "continue",
        fixture: "continue-config.yaml",
        kept: &[
            "# My Continue config\nname: My Config\n",
            "  # my local model\n  - name: Local Qwen\n    provider: ollama\n",
            "# context providers\ncontext:\n  - provider: code\n",
        ],
        edit: ("model: qwen2.5-coder:7b", "model: qwen2.5-coder:14b"),
    },
    Case {
        target: "crush",
        fixture: "crush.json",
        kept: &[
            "{\n  \"$schema\": \"https://charm.land/crush.json\",\n  \"options\": {\n",
            "    \"deepseek\": {\n      \"type\": \"openai-compat\",\n      \"base_url\": \"https://api.deepseek.com/v1\",\n      \"api_key\": \"$DEEPSEEK_API_KEY\",\n      \"models\": []\n    },\n",
        ],
        edit: ("\"debug\": false", "\"debug\": true"),
    },
    Case {
        target: "opencode",
        fixture: "opencode.jsonc",
        kept: &[
            "// keep my theme\n",
            "\"anthropic\": { \"options\": { \"timeout\": 600000 } }, // mine\n",
        ],
        edit: ("\"theme\": \"tokyonight\"", "\"theme\": \"gruvbox\""),
    },
];

fn file_of(sb: &Sandbox, case: &Case) -> PathBuf {
    let dir = sb.dir.path().join("files");
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join(case.fixture);
    std::fs::write(&f, fixture(case.fixture)).unwrap();
    f
}

fn expect_v1(target: &str, text: &str) {
    let l = limits(target, text);
    let ids: Vec<&str> = l.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "cc/claude-sonnet-4-5",
            "cx/gpt-5.1-codex-mini",
            "mock-combo",
            "mock/evil"
        ],
        "{target}: chat models only, embedding left out"
    );
    assert_eq!(
        l[1],
        ("cx/gpt-5.1-codex-mini".into(), 400_000, 128_000),
        "{target}"
    );
    // The combo carries its members' lowest common limits.
    assert_eq!(l[2], ("mock-combo".into(), 200_000, 64_000), "{target}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_target_merges_updates_and_checks_in_place() {
    let server = gateway().await;
    for case in &CASES {
        let sb = Sandbox::new();
        let f = file_of(&sb, case);
        let fs = f.to_str().unwrap();
        let original = std::fs::read_to_string(&f).unwrap();
        let t = case.target;

        let o = run(&sb, &server, &[t, "--check", fs]);
        assert_eq!(code(&o), 1, "{t}: {:?}", text(&o));
        assert!(
            text(&o).0.contains("no OmniRoute block yet"),
            "{t}: {:?}",
            text(&o)
        );

        let o = run(&sb, &server, &[t, "--write", fs]);
        assert_eq!(code(&o), 0, "{t}: {:?}", text(&o));
        assert_clean(&o);
        let first = std::fs::read_to_string(&f).unwrap();
        for k in case.kept {
            assert!(first.contains(k), "{t}: lost {k:?} in\n{first}");
        }
        assert!(!first.contains(KEY), "{t}: key written");
        assert!(!first.contains('\u{1b}'), "{t}: raw ESC written");
        expect_v1(t, &first);
        let bak = std::fs::read_to_string(format!("{fs}.bak")).unwrap();
        assert_eq!(bak, original, "{t}: backup of the previous version");

        let o = run(&sb, &server, &[t, "--check", fs]);
        assert_eq!(code(&o), 0, "{t}: {:?}", text(&o));
        assert!(text(&o).0.contains("is up to date"));
        // Writing again changes nothing, not even the backup.
        let o = run(&sb, &server, &[t, "--write", fs]);
        assert_eq!(code(&o), 0);
        assert_eq!(std::fs::read_to_string(&f).unwrap(), first, "{t}");
        assert_eq!(
            std::fs::read_to_string(format!("{fs}.bak")).unwrap(),
            original
        );

        // A hand edit elsewhere, then the gateway changes.
        assert!(first.contains(case.edit.0), "{t}");
        let edited = first.replace(case.edit.0, case.edit.1);
        std::fs::write(&f, &edited).unwrap();
        mount(&server, 2).await;
        let o = run(&sb, &server, &[t, "--check", fs]);
        assert_eq!(code(&o), 1, "{t}: {:?}", text(&o));
        let (out, _) = text(&o);
        assert!(
            out.contains("1 model(s) added: kmc/kimi-k2.5"),
            "{t}: {out}"
        );
        assert!(
            out.contains("1 model(s) removed: cc/claude-sonnet-4-5"),
            "{t}: {out}"
        );
        assert!(out.contains("1 model(s) changed: mock-combo"), "{t}: {out}");
        assert_eq!(
            std::fs::read_to_string(&f).unwrap(),
            edited,
            "--check writes nothing"
        );

        let o = run(&sb, &server, &[t, "--write", fs]);
        assert_eq!(code(&o), 0, "{t}: {:?}", text(&o));
        let second = std::fs::read_to_string(&f).unwrap();
        assert!(
            second.contains(case.edit.1),
            "{t}: the hand edit survives\n{second}"
        );
        for k in case.kept {
            assert!(second.contains(k), "{t}: lost {k:?}");
        }
        let l = limits(t, &second);
        let ids: Vec<&str> = l.iter().map(|(id, _, _)| id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "cx/gpt-5.1-codex-mini",
                "kmc/kimi-k2.5",
                "mock-combo",
                "mock/evil"
            ],
            "{t}"
        );
        assert_eq!(
            std::fs::read_to_string(format!("{fs}.bak")).unwrap(),
            edited
        );
        // Only the owned part changed: outside it the file is byte for byte the edited one.
        let changed = diff_span(&edited, &second);
        assert!(
            !edited[changed.0..edited.len() - changed.1].contains(case.edit.1),
            "{t}: rewrite reached outside the block"
        );
        assert!(!second.contains(KEY));
        let o = run(&sb, &server, &[t, "--check", fs]);
        assert_eq!(code(&o), 0, "{t}: {:?}", text(&o));
        // The gateway saw the key: it was available, and still not written.
        let requests = server.received_requests().await.unwrap_or_default();
        assert!(requests.iter().any(|r| r
            .headers
            .get("authorization")
            .is_some_and(|v| v.to_str().unwrap_or("") == format!("Bearer {KEY}"))));
        mount(&server, 1).await;
    }
}

/// (common prefix length, common suffix length) of two texts.
fn diff_span(a: &str, b: &str) -> (usize, usize) {
    let p = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let s = a
        .bytes()
        .rev()
        .zip(b.bytes().rev())
        .take_while(|(x, y)| x == y)
        .count()
        .min(a.len() - p)
        .min(b.len() - p);
    (p, s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn printed_blocks_hold_no_key_and_no_raw_control_characters() {
    let server = gateway().await;
    let sb = Sandbox::new();
    for t in ["zed", "continue", "crush", "opencode"] {
        let o = run(&sb, &server, &[t]);
        assert_eq!(code(&o), 0, "{t}: {:?}", text(&o));
        assert_clean(&o);
        let (out, _) = text(&o);
        assert!(
            out.contains("Evil\\u001b[2J\\u009b31m name\\u202e"),
            "{t}: escaped, not dropped: {out}"
        );
        if t == "continue" {
            expect_v1(t, &out);
            assert!(out.contains("apiKey: \"${{ secrets.OMNIROUTE_API_KEY }}\""));
        } else {
            let v: Value = serde_json::from_str(&out).expect("printed JSON is strict JSON");
            expect_v1(t, &v.to_string());
        }
    }
    let o = run(&sb, &server, &["crush"]);
    assert!(text(&o).0.contains("\"api_key\": \"$OMNIROUTE_API_KEY\""));
    assert!(text(&o).0.contains("\"type\": \"openai-compat\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_files_are_refused_with_a_position_and_left_alone() {
    let server = gateway().await;
    let sb = Sandbox::new();
    let dir = sb.dir.path().join("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            "zed",
            "settings.json",
            "{\n  \"theme\": \"One\"\n  \"vim_mode\": true\n}\n",
            ":3:3: expected ',' or '}'",
        ),
        (
            "opencode",
            "opencode.jsonc",
            "{\n  \"provider\": {\n    \"x\": tru\n  }\n}\n",
            ":3:10: expected a value",
        ),
        (
            "crush",
            "crush.json",
            "{\n  // Crush takes no comments\n  \"options\": {}\n}\n",
            ":2:3: comments are not allowed",
        ),
        (
            "crush",
            "crush2.json",
            "{\"providers\": {\"a\": 1,}}",
            ":1:23: trailing comma",
        ),
        (
            "zed",
            "settings2.json",
            "{\"language_models\": [1, 2]}",
            "`language_models` is an array (line 1, column 21); expected an object",
        ),
        (
            "continue",
            "config.yaml",
            "name: x\nmodels:\n  - name: a\n   provider: b\n",
            ":4:",
        ),
        (
            "continue",
            "config2.yaml",
            "models: [{name: a}]\n",
            "not written as a block list",
        ),
    ];
    for (t, name, body, expected) in cases {
        let f = dir.join(name);
        std::fs::write(&f, body).unwrap();
        let fs = f.to_str().unwrap();
        for mode in ["--write", "--check"] {
            let o = run(&sb, &server, &[t, mode, fs]);
            let (_, err) = text(&o);
            assert_eq!(code(&o), 2, "{t} {name} {mode}: {err}");
            assert!(err.contains(fs), "{name}: names the file: {err}");
            assert!(err.contains(expected), "{name}: {err}");
            assert!(err.contains("nothing written"), "{name}: {err}");
            assert_eq!(
                std::fs::read_to_string(&f).unwrap(),
                body,
                "{name}: untouched"
            );
            assert!(
                !dir.join(format!("{name}.bak")).exists(),
                "{name}: no backup"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_targets_are_errors() {
    let server = gateway().await;
    let sb = Sandbox::new();
    let dir = sb.dir.path().join("odd");
    std::fs::create_dir_all(dir.join("settings.json")).unwrap();
    let o = run(
        &sb,
        &server,
        &[
            "zed",
            "--write",
            dir.join("settings.json").to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 2);
    assert!(
        text(&o).1.contains("settings.json: is a directory"),
        "{:?}",
        text(&o)
    );
    let f = dir.join("crush.json");
    std::fs::write(&f, b"{\"a\": \"\xff\"}").unwrap();
    let o = run(&sb, &server, &["crush", "--check", f.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(
        text(&o).1.contains("crush.json:1:8: the file is not UTF-8"),
        "{:?}",
        text(&o)
    );
    assert_eq!(std::fs::read(&f).unwrap(), b"{\"a\": \"\xff\"}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let f = dir.join("locked.yaml");
        std::fs::write(&f, "name: x\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
        // Root reads it anyway; the check only means something for other users.
        if std::fs::read(&f).is_err() {
            let o = run(&sb, &server, &["continue", "--write", f.to_str().unwrap()]);
            assert_eq!(code(&o), 2);
            assert!(
                text(&o).1.contains("locked.yaml: cannot read it"),
                "{:?}",
                text(&o)
            );
        }
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_go_through_symlinks_to_the_real_file() {
    let server = gateway().await;
    let sb = Sandbox::new();
    let dotfiles = sb.dir.path().join("dotfiles");
    std::fs::create_dir_all(&dotfiles).unwrap();
    let real = dotfiles.join("zed-settings.json");
    std::fs::write(&real, fixture("zed-settings.json")).unwrap();
    std::fs::set_permissions(&real, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();
    let zed_dir = sb.dir.path().join("config").join("zed");
    std::fs::create_dir_all(&zed_dir).unwrap();
    let link = zed_dir.join("settings.json");
    std::os::unix::fs::symlink("../../dotfiles/zed-settings.json", &link).unwrap();

    // No path: Zed's usual file under XDG_CONFIG_HOME, which is the link.
    let o = run(&sb, &server, &["zed", "--write"]);
    assert_eq!(code(&o), 0, "{:?}", text(&o));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "link kept"
    );
    let written = std::fs::read_to_string(&real).unwrap();
    expect_v1("zed", &written);
    assert_eq!(
        std::fs::read_to_string(dotfiles.join("zed-settings.json.bak")).unwrap(),
        fixture("zed-settings.json"),
        "backup beside the real file"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o640
    );
    let o = run(&sb, &server, &["zed", "--check"]);
    assert_eq!(code(&o), 0, "{:?}", text(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_files_are_created_at_each_tools_usual_place() {
    let server = gateway().await;
    let sb = Sandbox::new();
    let config = sb.dir.path().join("config");
    for (t, file) in [
        ("crush", config.join("crush/crush.json")),
        ("opencode", config.join("opencode/opencode.json")),
        ("zed", config.join("zed/settings.json")),
        ("continue", sb.home().join(".continue/config.yaml")),
    ] {
        let o = run(&sb, &server, &[t, "--check"]);
        assert_eq!(code(&o), 1, "{t}");
        assert!(
            text(&o).0.contains("does not exist yet"),
            "{t}: {:?}",
            text(&o)
        );
        let o = run(&sb, &server, &[t, "--write"]);
        assert_eq!(code(&o), 0, "{t}: {:?}", text(&o));
        let body = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{t}: {file:?}: {e}"));
        expect_v1(t, &body);
        assert!(!Path::new(&format!("{}.bak", file.display())).exists());
        match t {
            "crush" => {
                let v: Value = serde_json::from_str(&body).expect("strict JSON");
                assert_eq!(v["$schema"], "https://charm.land/crush.json");
            }
            "opencode" => {
                assert!(body.contains("\"$schema\": \"https://opencode.ai/config.json\""))
            }
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_gateway_means_nothing_written() {
    let sb = Sandbox::new();
    let f = sb.dir.path().join("crush.json");
    std::fs::write(&f, fixture("crush.json")).unwrap();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = sb
        .command()
        .args([
            "export",
            "crush",
            "--write",
            f.to_str().unwrap(),
            "--timeout-ms",
            "2000",
        ])
        .arg("--base-url")
        .arg(format!("http://127.0.0.1:{port}/v1"))
        .env("OMNIROUTE_OPTIONS", r#"{"modelsDev":{"enabled":false}}"#)
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{:?}", text(&o));
    assert!(
        text(&o).1.contains("no OmniRoute gateway answered"),
        "{:?}",
        text(&o)
    );
    assert_eq!(std::fs::read_to_string(&f).unwrap(), fixture("crush.json"));
    let o = sb
        .command()
        .args(["export", "zed"])
        .env("OMNIROUTE_OPTIONS", "[1]")
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    assert!(text(&o)
        .1
        .contains("OMNIROUTE_OPTIONS is not a JSON object"));
    let o = sb
        .command()
        .args(["export", "zed", "--write", "--check"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "clap refuses both");
}

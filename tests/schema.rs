//! `schema/` is generated from the code: this test regenerates every file in memory and fails
//! when the committed files differ. Regenerate with `UPDATE_SCHEMA=1 cargo test --test schema`
//! (or `omniroute-rpc schema schema/`).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use omniroute_rpc::api::{discover, Api};
use omniroute_rpc::service::Service;
use serde_json::Value;

#[test]
fn committed_schemas_match_the_code() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
    let api = Api::new(Arc::new(Service::new(
        omniroute_rpc::env::Env::default(),
        omniroute_rpc::service::Notifier::none(),
    )));
    let files = discover::schema_files(&api);
    if std::env::var("UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(&dir).expect("mkdir schema");
        for entry in std::fs::read_dir(&dir).expect("read schema dir").flatten() {
            std::fs::remove_file(entry.path()).expect("remove stale schema");
        }
        for (name, schema) in &files {
            let text = serde_json::to_string_pretty(schema).expect("json") + "\n";
            std::fs::write(dir.join(name), text).expect("write schema");
        }
        return;
    }
    let mut stale = Vec::new();
    for (name, schema) in &files {
        let committed: Option<Value> = std::fs::read(dir.join(name))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        if committed.as_ref() != Some(schema) {
            stale.push(name.clone());
        }
    }
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let extra: Vec<&String> = on_disk.iter().filter(|n| !files.contains_key(*n)).collect();
    assert!(
        stale.is_empty() && extra.is_empty(),
        "schema/ is stale (changed or missing: {stale:?}; no longer generated: {extra:?}).\n\
         Regenerate with: UPDATE_SCHEMA=1 cargo test --test schema"
    );
}

#[test]
fn discover_document_equals_the_committed_openrpc() {
    if std::env::var("UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        return; // the other test is rewriting the files
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_omniroute-rpc"))
        .args(["call", "rpc.discover"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let live: Value = serde_json::from_slice(&out.stdout).expect("json");
    let committed: Value = serde_json::from_slice(
        &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/openrpc.json"))
            .expect("schema/openrpc.json"),
    )
    .expect("json");
    assert_eq!(
        live, committed,
        "rpc.discover and schema/openrpc.json differ"
    );
    // Every $ref points at a defined component.
    let text = live.to_string();
    let schemas = live["components"]["schemas"].as_object().expect("schemas");
    for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = part.split('"').next().unwrap_or_default();
        assert!(schemas.contains_key(name), "dangling $ref to {name}");
    }
}

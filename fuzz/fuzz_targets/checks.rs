//! The checks behind every fuzz target, one function per target, each taking raw bytes.
//!
//! Shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`, `#[path]`-included) and by the
//! regression test `tests/reliability/fuzz_regressions.rs`, which replays every committed seed
//! (`fuzz/seeds/<target>/`) and every crash input kept in `fuzz/regressions/<target>/` on the
//! stable toolchain. A check panics when the code under test breaks one of its own promises:
//! no panic on any input, bounded progress, and the documented invariants of each parser.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufReader, Cursor};
use std::sync::Arc;

use omniroute_rpc::catalog::combos::{flatten, parse_combos_body, ComboDef, MAX_MEMBERS};
use omniroute_rpc::catalog::matcher::Matcher;
use omniroute_rpc::catalog::model::Model;
use omniroute_rpc::catalog::normalise::{parse_models_body, GatewayModel};
use omniroute_rpc::catalog::overrides::{apply, parse_overrides};
use omniroute_rpc::catalog::pipeline::{Catalogue, Inputs};
use omniroute_rpc::modelsdev::index::DevIndex;
use omniroute_rpc::options::{normalise_base_url, Options};
use omniroute_rpc::rpc::framing::{Frame, FrameReader, Framing};
use omniroute_rpc::rpc::message::{error_response, parse, response_text, Incoming, Parsed};
use serde_json::{json, Value};

/// One fuzz check.
pub type Check = fn(&[u8]);

/// All targets by name, for the regression replay.
pub const TARGETS: &[(&str, Check)] = &[
    ("frame_reader", frame_reader),
    ("envelope", envelope),
    ("models_body", models_body),
    ("combos_body", combos_body),
    ("modelsdev_index", modelsdev_index),
    ("options", options),
];

/// Reads every frame of `input`; panics if the reader stops making progress or breaks the
/// frame-size promise.
fn read_all(input: &[u8], buf_cap: usize, max: usize) -> (Vec<Frame>, Option<Framing>) {
    let mut reader = FrameReader::new(BufReader::with_capacity(buf_cap, Cursor::new(input)), max);
    let mut frames = Vec::new();
    while let Some(frame) = reader.next_frame().expect("in-memory reads never fail") {
        if let Frame::Message(m) = &frame {
            assert!(
                m.len() <= max,
                "a {}-byte message passed the {max}-byte limit",
                m.len()
            );
        }
        frames.push(frame);
        // Every frame consumes at least one byte of input, so this many frames means a loop.
        assert!(
            frames.len() <= input.len() + 1,
            "the frame reader made no progress"
        );
    }
    (frames, reader.framing())
}

/// `frame_reader`: both framings (forced by the first control byte), odd buffer sizes and
/// frame limits; then an encode → decode round trip of the remaining bytes in both framings.
pub fn frame_reader(data: &[u8]) {
    if data.len() < 3 {
        return;
    }
    let (ctl, rest) = data.split_at(3);
    let buf_cap = 1 + ctl[0] as usize % 64;
    let max = 1 + ctl[1] as usize * 4;
    let mut input = Vec::with_capacity(rest.len() + 16);
    match ctl[2] % 3 {
        0 => {}
        1 => input.extend_from_slice(b"Content-Length: "),
        _ => input.push(b'{'),
    }
    input.extend_from_slice(rest);
    read_all(&input, buf_cap, max);

    // Round trip, LSP: any body survives, and the stream stays in step for the next frame.
    let body = rest;
    let mut wire = Framing::Lsp.encode(body);
    wire.extend(Framing::Lsp.encode(b"{}"));
    let (frames, framing) = read_all(&wire, buf_cap, body.len().max(2));
    assert_eq!(framing, Some(Framing::Lsp));
    assert_eq!(
        frames,
        vec![
            Frame::Message(body.to_vec()),
            Frame::Message(b"{}".to_vec())
        ],
        "LSP round trip"
    );
    // Same with a limit one byte too small: the body is skipped, the next frame still arrives.
    if !body.is_empty() && body.len() > 2 {
        let (frames, _) = read_all(&wire, buf_cap, body.len() - 1);
        assert_eq!(
            frames,
            vec![
                Frame::TooLarge {
                    len: body.len(),
                    limit: body.len() - 1
                },
                Frame::Message(b"{}".to_vec())
            ],
            "LSP oversize skip"
        );
    }

    // Round trip, NDJSON: a line that starts like JSON and has no line breaks.
    let mut line = vec![b'{'];
    line.extend(
        body.iter()
            .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b }),
    );
    let mut wire = Framing::Ndjson.encode(&line);
    wire.extend(Framing::Ndjson.encode(b"[]"));
    let (frames, framing) = read_all(&wire, buf_cap, line.len().max(2));
    assert_eq!(framing, Some(Framing::Ndjson));
    assert_eq!(
        frames,
        vec![Frame::Message(line.clone()), Frame::Message(b"[]".to_vec())],
        "NDJSON round trip"
    );
    if line.len() > 3 {
        let (frames, _) = read_all(&wire, buf_cap, line.len() - 1);
        assert_eq!(frames.len(), 2, "NDJSON oversize skip: {frames:?}");
        assert!(matches!(frames[0], Frame::TooLarge { .. }));
        assert_eq!(frames[1], Frame::Message(b"[]".to_vec()));
    }
}

fn check_incoming(incoming: Incoming<'_>) {
    let id_ok = |id: &str| {
        let v: Value = serde_json::from_str(id).expect("an id is JSON");
        assert!(
            v.is_null() || v.is_string() || v.is_i64() || v.is_u64(),
            "bad id kept: {id}"
        );
        v
    };
    match incoming {
        Incoming::Request { id, params, .. } => {
            let idv = id_ok(id);
            assert!(params.is_none_or(|p| p.get().starts_with(['{', '['])));
            // The envelope written around a result echoes the id verbatim and is JSON.
            let resp: Value = serde_json::from_str(&response_text(id, "result", "null"))
                .expect("response_text is JSON");
            assert_eq!(resp["id"], idv);
            let err: Value = serde_json::from_str(&error_response(id, -32600, "x", None))
                .expect("error_response is JSON");
            assert_eq!(err["error"]["code"], -32600);
        }
        Incoming::Invalid { id, message } => {
            id_ok(id);
            assert!(!message.is_empty());
            let text = error_response(id, -32600, &message, Some(json!({"kind": "x"})));
            serde_json::from_str::<Value>(&text).expect("error_response is JSON");
        }
        Incoming::Unparsable(why) => assert!(!why.is_empty()),
        Incoming::Notification { .. } | Incoming::Response => {}
    }
}

/// `envelope`: classification of any JSON text (and of each batch item).
pub fn envelope(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse(text) {
        Parsed::One(i) => check_incoming(i),
        Parsed::Batch(items) => items.into_iter().for_each(check_incoming),
        Parsed::ParseError(why) => assert!(!why.is_empty()),
    }
}

fn check_models(list: &[GatewayModel]) {
    let mut seen = HashSet::new();
    for m in list {
        assert!(!m.id.is_empty() && m.id.len() <= 512, "bad id {:?}", m.id);
        assert_eq!(m.id, m.id.trim(), "id not trimmed");
        assert!(seen.insert(m.id.as_str()), "duplicate id {:?}", m.id);
    }
}

/// `models_body`: `/v1/models` parsing, then the whole catalogue build over it.
pub fn models_body(data: &[u8]) {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Ok((models, _warnings)) = parse_models_body(&v) else {
        return;
    };
    check_models(&models);
    let cat = Catalogue::build(Inputs {
        extras: None,
        gateway: &models,
        combos: None,
        dev: None,
        matcher: Arc::new(Matcher::new(&BTreeMap::new())),
        overrides: &[],
    });
    assert!(cat.models.len() >= models.len().min(1) || models.is_empty());
    let _ = serde_json::to_string(&cat.models).expect("models serialise");
}

/// `combos_body`: combo definitions in every shape, flattened (cycle-safe, depth-limited), and
/// resolved through the catalogue build exactly as `models.list` does.
pub fn combos_body(data: &[u8]) {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Ok((defs, _warnings)) = parse_combos_body(&v) else {
        return;
    };
    let map: HashMap<String, ComboDef> = defs.iter().map(|d| (d.name.clone(), d.clone())).collect();
    for def in &defs {
        let flat = flatten(&def.name, &map);
        assert!(
            flat.members.len() <= MAX_MEMBERS,
            "{} members: the expansion is not bounded",
            flat.members.len()
        );
        for m in &flat.members {
            assert!(!m.path.is_empty() && m.path.len() <= 9, "path {:?}", m.path);
            assert_eq!(m.path[0], def.name);
        }
        for c in &flat.cycles {
            assert!(c.len() >= 2 && c.first() == Some(&def.name));
        }
    }
    // The catalogue as models.list builds it: every combo listed by /models.
    let gateway: Vec<GatewayModel> = defs
        .iter()
        .map(|d| GatewayModel {
            id: d.name.clone(),
            owned_by: Some("combo".into()),
            is_combo: true,
            ..GatewayModel::default()
        })
        .collect();
    let _ = Catalogue::build(Inputs {
        extras: None,
        gateway: &gateway,
        combos: Some(&defs),
        dev: None,
        matcher: Arc::new(Matcher::new(&BTreeMap::new())),
        overrides: &[],
    });
}

/// `modelsdev_index`: the models.dev `api.json` index builder on any bytes.
pub fn modelsdev_index(data: &[u8]) {
    let Ok(index) = DevIndex::parse(data) else {
        return;
    };
    assert_eq!(index.len(), index.models().len());
    assert_eq!(index.is_empty(), index.models().is_empty());
    assert!(index.provider_count() <= index.len() + index.skipped() + data.len());
    for m in index.models().iter().take(64) {
        assert!(index.has_provider(&m.provider));
        let _ = index.providers_with(&m.id).count();
    }
    // The matcher over the index: ids taken from the index itself must never panic.
    let matcher = Matcher::new(&BTreeMap::new());
    let index = Arc::new(index);
    for m in index.models().iter().take(16) {
        let _ = matcher.find(&index, &format!("{}/{}", m.provider, m.id), None);
        let _ = matcher.find(&index, &m.id, Some(&m.provider));
    }
}

/// `options`: option parsing (all layers), the overrides parser and applying the rules.
pub fn options(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(url) = normalise_base_url(text) {
            assert!(url.starts_with("http://") || url.starts_with("https://"));
            assert!(!url.ends_with('/'));
        }
    }
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let (opts, warnings) =
        Options::parse(&[&v, &json!({}), &v], &omniroute_rpc::env::Env::default());
    assert!(opts.base_url.starts_with("http://") || opts.base_url.starts_with("https://"));
    assert!(opts.models_dev.url.starts_with("http"));
    assert!(!opts.request_timeout.is_zero() && !opts.model_cache_ttl.is_zero());
    assert!(opts.request_timeout.as_millis() <= 315_360_000_000);
    let _ = (opts.endpoint("models"), opts.origin(), warnings);

    let md = v.get("modelMetadata").unwrap_or(&v);
    let (rules, _w) = parse_overrides(md);
    let mut models: Vec<Model> = ["a", "cx/gpt-5", "combo", ""]
        .iter()
        .map(|id| Model {
            id: id.to_string(),
            name: id.to_string(),
            ..Model::default()
        })
        .collect();
    let before = models.len();
    apply(&mut models, &rules);
    assert!(models.len() >= before);
    let _ = serde_json::to_string(&models).expect("models serialise");
}

//! Persisted views: the serialized answer of a catalogue view (`models.list`'s models, the
//! `opencode.provider` block) kept on disk, so that a new process answers its first call
//! without parsing, matching or serializing anything.
//!
//! A view file is a one-line JSON header and the view's JSON text. The header names the
//! identity of every input the view was built from ([`ViewInputs`]: the gateway data, the
//! models.dev copy, the options, the binary); a reader serves the file only when each one
//! equals what is on disk now, and only when the text is whole, valid JSON. Files are written
//! atomically (several processes share the directory) and the directory keeps at most
//! [`MAX_VIEWS`] of them, the least recently written going first.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

use super::atomic::write_atomic;
use super::disk::sha256_hex;

/// Bumped when the view layout changes; other versions are never served.
const VIEW_VERSION: u32 = 1;
/// The file name prefix of every view.
pub const VIEW_PREFIX: &str = "view-";
/// At most this many view files per cache directory (one per gateway, key, kind and options).
pub const MAX_VIEWS: usize = 16;

/// What a view was built from; a view is served only when all of it matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewInputs {
    /// The gateway data's identity (the snapshot header's).
    pub gateway: String,
    /// The models.dev copy's identity (its body's sha256), or `off`.
    pub models_dev: String,
    /// The fingerprint of the options that shape the view.
    pub options: String,
    /// The binary that built it (version and executable stamp).
    pub binary: String,
}

/// The header line of a view file.
#[derive(Debug, Serialize, Deserialize)]
struct ViewHeader {
    version: u32,
    inputs: ViewInputs,
    /// Length of the JSON text that follows, in bytes.
    len: usize,
    /// What the caller stored beside the view (counts, warnings).
    meta: Value,
}

/// A view read back from disk.
#[derive(Debug)]
pub struct StoredView {
    /// The view's JSON text, checked to be valid JSON.
    pub body: Box<RawValue>,
    /// What was stored beside it.
    pub meta: Value,
}

/// The file of one view: per gateway slot (base URL and key hash), view kind and options.
pub fn view_path(dir: &Path, slot: &str, kind: &str, options: &str) -> PathBuf {
    let id = sha256_hex(format!("{slot}\n{kind}\n{options}").as_bytes());
    dir.join(format!("{VIEW_PREFIX}{}.json", &id[..24]))
}

/// Reads a view when it was built from exactly `inputs`; `None` otherwise (no file, other
/// inputs, another layout, a torn or corrupt file).
pub fn read_view(path: &Path, inputs: &ViewInputs) -> Option<StoredView> {
    let mut bytes = std::fs::read(path).ok()?;
    let end = super::disk::header_end(&bytes)?;
    let header: ViewHeader = serde_json::from_slice(&bytes[..end]).ok()?;
    if header.version != VIEW_VERSION || header.inputs != *inputs {
        return None;
    }
    if bytes.len() - (end + 1) != header.len {
        tracing::debug!("persisted view {} is torn; ignored", path.display());
        return None;
    }
    // The header goes in place: the text is not copied.
    bytes.drain(..=end);
    let text = String::from_utf8(bytes).ok()?;
    match RawValue::from_string(text) {
        Ok(raw) => Some(StoredView {
            body: raw,
            meta: header.meta,
        }),
        Err(e) => {
            tracing::debug!(
                "persisted view {} is corrupt ({e}); ignored",
                path.display()
            );
            None
        }
    }
}

/// Writes a view atomically, then trims the directory to [`MAX_VIEWS`] views.
pub fn write_view(
    path: &Path,
    inputs: &ViewInputs,
    body: &RawValue,
    meta: &Value,
) -> std::io::Result<()> {
    let header = ViewHeader {
        version: VIEW_VERSION,
        inputs: inputs.clone(),
        len: body.get().len(),
        meta: meta.clone(),
    };
    let mut bytes = serde_json::to_vec(&header).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    bytes.extend_from_slice(body.get().as_bytes());
    write_atomic(path, &bytes, false)?;
    if let Some(dir) = path.parent() {
        prune(dir, MAX_VIEWS);
    }
    Ok(())
}

/// Removes the least recently written views beyond `keep`.
fn prune(dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut views: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(VIEW_PREFIX))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    if views.len() <= keep {
        return;
    }
    views.sort();
    for (_, p) in &views[..views.len() - keep] {
        let _ = std::fs::remove_file(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(gateway: &str) -> ViewInputs {
        ViewInputs {
            gateway: gateway.into(),
            models_dev: "off".into(),
            options: "o".into(),
            binary: "b".into(),
        }
    }

    #[test]
    fn a_view_is_served_only_for_its_inputs_and_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = view_path(dir.path(), "slot", "models", "o");
        let body = RawValue::from_string(r#"[{"id":"a/b"}]"#.into()).expect("json");
        write_view(
            &path,
            &inputs("g1"),
            &body,
            &serde_json::json!({"count": 1}),
        )
        .expect("write");
        let v = read_view(&path, &inputs("g1")).expect("hit");
        assert_eq!(v.body.get(), body.get());
        assert_eq!(v.meta["count"], 1);
        assert!(read_view(&path, &inputs("g2")).is_none(), "other inputs");
        // torn: the text is shorter than the header says
        let bytes = std::fs::read(&path).expect("read");
        std::fs::write(&path, &bytes[..bytes.len() - 2]).expect("tear");
        assert!(read_view(&path, &inputs("g1")).is_none(), "torn");
        // same length, not JSON
        let mut bad = bytes.clone();
        let n = bad.len();
        bad[n - 2] = b'{';
        std::fs::write(&path, &bad).expect("corrupt");
        assert!(read_view(&path, &inputs("g1")).is_none(), "corrupt");
        std::fs::write(&path, b"garbage").expect("garbage");
        assert!(read_view(&path, &inputs("g1")).is_none(), "garbage");
    }

    #[test]
    fn the_directory_keeps_the_most_recent_views() {
        let dir = tempfile::tempdir().expect("tempdir");
        let body = RawValue::from_string("[]".into()).expect("json");
        let mut paths = Vec::new();
        for i in 0..MAX_VIEWS + 3 {
            let path = view_path(dir.path(), "slot", "models", &i.to_string());
            write_view(&path, &inputs("g"), &body, &Value::Null).expect("write");
            // distinct modification times, oldest first
            let t = std::time::SystemTime::UNIX_EPOCH
                + std::time::Duration::from_secs(1_000 + i as u64);
            std::fs::File::options()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_modified(t))
                .expect("mtime");
            paths.push(path);
        }
        let left = std::fs::read_dir(dir.path()).expect("dir").count();
        assert_eq!(left, MAX_VIEWS);
        assert!(!paths[0].exists() && !paths[1].exists());
        assert!(paths[MAX_VIEWS + 2].exists());
    }
}

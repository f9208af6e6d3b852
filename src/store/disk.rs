//! The disk cache: the last good gateway data per (baseURL, key hash), and the last models.dev
//! download per URL. Files are written atomically, so several processes can share the
//! directory; a corrupt file is ignored with a warning. File names carry hashes, never keys.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::atomic::write_atomic;
use crate::gateway::GatewayData;

/// Bumped when the snapshot layout changes; other versions are ignored.
const SNAPSHOT_VERSION: u32 = 1;

/// The persisted gateway data.
#[derive(Debug, Serialize, Deserialize)]
pub struct Snapshot {
    /// Layout version.
    pub version: u32,
    /// The normalised base URL it was fetched from.
    pub base_url: String,
    /// When it was fetched (ms since the epoch).
    pub fetched_at_ms: u64,
    /// What was fetched.
    pub data: GatewayData,
}

pub use crate::hash::sha256_hex;

/// A stable, non-reversible name for a key ("anonymous" when there is none).
pub fn key_hash(key: Option<&str>) -> String {
    match key {
        Some(k) if !k.is_empty() => sha256_hex(k.as_bytes())[..32].to_string(),
        _ => "anonymous".into(),
    }
}

/// Snapshot file for one (baseURL, key hash).
pub fn snapshot_path(dir: &Path, base_url: &str, key_hash: &str) -> PathBuf {
    let id = sha256_hex(format!("{base_url}\n{key_hash}").as_bytes());
    dir.join(format!("catalog-{}.json", &id[..24]))
}

/// models.dev copy for one URL.
pub fn models_dev_path(dir: &Path, url: &str) -> PathBuf {
    let id = sha256_hex(url.as_bytes());
    dir.join(format!("modelsdev-{}.json", &id[..24]))
}

/// Milliseconds since the epoch.
pub fn epoch_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Reads a snapshot. `Ok(None)` when there is none; `Err` (a warning text) when it is unusable.
pub fn read_snapshot(path: &Path, base_url: &str) -> Result<Option<Snapshot>, String> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read the snapshot {} ({e})", path.display())),
    };
    let snap: Snapshot = serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "ignored the corrupt snapshot {} ({e}); it will be replaced",
            path.display()
        )
    })?;
    if snap.version != SNAPSHOT_VERSION || snap.base_url != base_url {
        return Ok(None);
    }
    Ok(Some(snap))
}

/// Writes a snapshot atomically.
pub fn write_snapshot(
    path: &Path,
    base_url: &str,
    fetched_at: SystemTime,
    data: &GatewayData,
) -> Result<(), String> {
    #[derive(Serialize)]
    struct SnapshotRef<'a> {
        version: u32,
        base_url: &'a str,
        fetched_at_ms: u64,
        data: &'a GatewayData,
    }
    let bytes = serde_json::to_vec(&SnapshotRef {
        version: SNAPSHOT_VERSION,
        base_url,
        fetched_at_ms: epoch_ms(fetched_at),
        data,
    })
    .map_err(|e| e.to_string())?;
    write_atomic(path, &bytes, false).map_err(|e| format!("cannot write {} ({e})", path.display()))
}

/// Reads the models.dev copy and its modification time.
pub fn read_models_dev(path: &Path) -> Option<(Vec<u8>, SystemTime)> {
    let meta = std::fs::metadata(path).ok()?;
    let bytes = std::fs::read(path).ok()?;
    Some((bytes, meta.modified().unwrap_or(UNIX_EPOCH)))
}

/// Removes cache files whose names start with `prefix`; returns how many.
pub fn remove_files(dir: &Path, prefix: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

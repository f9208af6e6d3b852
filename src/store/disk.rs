//! The disk cache: the last good gateway data per (baseURL, key hash), and the last models.dev
//! download per URL. Files are written atomically, so several processes can share the
//! directory; a corrupt file is ignored with a warning. File names carry hashes, never keys.
//!
//! Both files start with a one-line JSON header naming the identity of what follows (the
//! sha256 of the payload), so a new process can tell which inputs are on disk by reading a
//! few hundred bytes; the persisted views (`views.rs`) are keyed by these identities.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::atomic::write_atomic;
use crate::gateway::GatewayData;
use crate::http::Validators;

/// The first snapshot layout: one JSON object with the data inside, no header (still read).
const SNAPSHOT_V1: u32 = 1;
/// The current layout: a header line, then the data.
const SNAPSHOT_VERSION: u32 = 2;
/// The longest header line read; a longer first line is no header.
const MAX_HEADER: usize = 64 * 1024;
/// The first bytes of a models.dev copy written with a header (a raw download has none).
const DEV_HEADER_PREFIX: &[u8] = b"{\"omniroute-rpc\":\"models.dev\"";

/// The persisted gateway data.
#[derive(Debug)]
pub struct Snapshot {
    /// The normalised base URL it was fetched from.
    pub base_url: String,
    /// When it was fetched (ms since the epoch).
    pub fetched_at_ms: u64,
    /// The identity of `data` (see [`payload_identity`]); `None` for a first-layout file.
    pub identity: Option<String>,
    /// What was fetched.
    pub data: GatewayData,
}

/// The first line of a snapshot: what the data is, without the data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SnapshotHeader {
    /// Layout version.
    pub version: u32,
    /// The normalised base URL it was fetched from.
    pub base_url: String,
    /// When it was fetched (ms since the epoch).
    pub fetched_at_ms: u64,
    /// The identity of the data that follows.
    pub identity: String,
}

/// A first-layout snapshot (one object).
#[derive(Deserialize)]
struct SnapshotV1 {
    version: u32,
    base_url: String,
    fetched_at_ms: u64,
    data: GatewayData,
}

/// The first line of a models.dev copy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DevHeader {
    /// Always `models.dev` (how a header is told from a raw download).
    #[serde(rename = "omniroute-rpc")]
    pub marker: String,
    /// When it was downloaded (ms since the epoch).
    pub fetched_at_ms: u64,
    /// `ETag`, `Last-Modified` and the body's sha256 (its identity).
    pub validators: Validators,
}

/// The identity of a payload: the first 32 hex digits of its sha256.
pub fn payload_identity(payload: &[u8]) -> String {
    sha256_hex(payload)[..32].to_string()
}

/// The snapshot payload of `data` (serialisation is deterministic: ordered maps only), with
/// its identity.
pub fn encode_snapshot_data(data: &GatewayData) -> Result<(Vec<u8>, String), String> {
    let payload = serde_json::to_vec(data).map_err(|e| e.to_string())?;
    let identity = payload_identity(&payload);
    Ok((payload, identity))
}

/// Where the header line of a cache file ends (its newline), when it is shorter than
/// [`MAX_HEADER`]. Shared by every file with a header: snapshots, models.dev copies, views.
pub fn header_end(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', &bytes[..bytes.len().min(MAX_HEADER)])
}

/// The first line of a file and the rest (see [`header_end`]).
fn split_header(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = header_end(bytes)?;
    Some((&bytes[..end], &bytes[end + 1..]))
}

/// Reads only the first line of a file (at most [`MAX_HEADER`] bytes).
fn read_first_line(path: &Path) -> Option<Vec<u8>> {
    let file = std::fs::File::open(path).ok()?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let mut reader = file.take(MAX_HEADER as u64);
    loop {
        let n = reader.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        if let Some(i) = memchr::memchr(b'\n', &chunk[..n]) {
            buf.extend_from_slice(&chunk[..i]);
            return Some(buf);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
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
    let corrupt = |e: String| {
        format!(
            "ignored the corrupt snapshot {} ({e}); it will be replaced",
            path.display()
        )
    };
    let snap = match split_header(&bytes) {
        Some((head, payload)) => {
            let h: SnapshotHeader =
                serde_json::from_slice(head).map_err(|e| corrupt(e.to_string()))?;
            if h.version != SNAPSHOT_VERSION || h.base_url != base_url {
                return Ok(None);
            }
            if payload_identity(payload) != h.identity {
                return Err(corrupt("its data does not match its header".into()));
            }
            let data = serde_json::from_slice(payload).map_err(|e| corrupt(e.to_string()))?;
            Snapshot {
                base_url: h.base_url,
                fetched_at_ms: h.fetched_at_ms,
                identity: Some(h.identity),
                data,
            }
        }
        None => {
            let v1: SnapshotV1 =
                serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
            if v1.version != SNAPSHOT_V1 || v1.base_url != base_url {
                return Ok(None);
            }
            Snapshot {
                base_url: v1.base_url,
                fetched_at_ms: v1.fetched_at_ms,
                identity: None,
                data: v1.data,
            }
        }
    };
    Ok(Some(snap))
}

/// Reads only a snapshot's header (a few hundred bytes): `None` when there is no current-layout
/// snapshot for `base_url`.
pub fn read_snapshot_header(path: &Path, base_url: &str) -> Option<SnapshotHeader> {
    let line = read_first_line(path)?;
    let h: SnapshotHeader = serde_json::from_slice(&line).ok()?;
    (h.version == SNAPSHOT_VERSION && h.base_url == base_url).then_some(h)
}

/// Writes a snapshot atomically; returns the identity of its data.
pub fn write_snapshot(
    path: &Path,
    base_url: &str,
    fetched_at: SystemTime,
    data: &GatewayData,
) -> Result<String, String> {
    let (payload, identity) = encode_snapshot_data(data)?;
    let header = SnapshotHeader {
        version: SNAPSHOT_VERSION,
        base_url: base_url.to_string(),
        fetched_at_ms: epoch_ms(fetched_at),
        identity,
    };
    let mut bytes = serde_json::to_vec(&header).map_err(|e| e.to_string())?;
    bytes.push(b'\n');
    bytes.extend_from_slice(&payload);
    write_atomic(path, &bytes, false)
        .map_err(|e| format!("cannot write {} ({e})", path.display()))?;
    Ok(header.identity)
}

/// A models.dev copy read from disk.
pub struct DevCopy {
    /// The catalogue as downloaded.
    pub body: Vec<u8>,
    /// When it was downloaded (the file's modification time for a copy without a header).
    pub fetched_at: SystemTime,
    /// Its validators; `None` for a copy written without a header (then it is rewritten).
    pub validators: Option<Validators>,
}

/// Reads the models.dev copy (`None` when there is none or it cannot be read).
pub fn read_models_dev(path: &Path) -> Option<DevCopy> {
    let meta = std::fs::metadata(path).ok()?;
    let mut bytes = std::fs::read(path).ok()?;
    if bytes.starts_with(DEV_HEADER_PREFIX) {
        let header = header_end(&bytes).and_then(|end| {
            Some((
                end,
                serde_json::from_slice::<DevHeader>(&bytes[..end]).ok()?,
            ))
        });
        if let Some((end, h)) = header {
            // The header goes in place: the 2 MB body is not copied.
            bytes.drain(..=end);
            return Some(DevCopy {
                body: bytes,
                fetched_at: UNIX_EPOCH + std::time::Duration::from_millis(h.fetched_at_ms),
                validators: Some(h.validators),
            });
        }
    }
    Some(DevCopy {
        body: bytes,
        fetched_at: meta.modified().unwrap_or(UNIX_EPOCH),
        validators: None,
    })
}

/// Reads only a models.dev copy's header: `None` when there is no copy with a header.
pub fn read_models_dev_header(path: &Path) -> Option<DevHeader> {
    let line = read_first_line(path)?;
    if !line.starts_with(DEV_HEADER_PREFIX) {
        return None;
    }
    serde_json::from_slice(&line).ok()
}

/// Writes a models.dev copy with its header, atomically.
pub fn write_models_dev(
    path: &Path,
    body: &[u8],
    fetched_at: SystemTime,
    validators: &Validators,
) -> std::io::Result<()> {
    let header = DevHeader {
        marker: "models.dev".into(),
        fetched_at_ms: epoch_ms(fetched_at),
        validators: validators.clone(),
    };
    let mut bytes = serde_json::to_vec(&header).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    bytes.extend_from_slice(body);
    write_atomic(path, &bytes, false)
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

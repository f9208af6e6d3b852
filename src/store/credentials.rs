//! OpenCode's credentials file (`$XDG_DATA_HOME/opencode/auth.json`): read the `omniroute` API
//! key, store it, remove it. Writes merge under an exclusive lock, keep every other entry and
//! field, are atomic and mode 0600; a corrupt file is reported and never overwritten.

use std::fs::File;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::atomic::{ensure_private_dir, write_atomic};
use crate::error::ServiceError;

/// The provider id under which OpenCode stores the key.
pub const PROVIDER_ID: &str = "omniroute";
/// The entry holding the gateway's management token (same shape as the key's entry, so
/// OpenCode keeps it byte for byte when it rewrites the file).
pub const MANAGEMENT_ID: &str = "omniroute-management";

/// The trimmed `key` of entry `id`, when there is a non-empty one.
fn key_of(entries: &Map<String, Value>, id: &str) -> Option<String> {
    entries
        .get(id)
        .and_then(|e| e.get("key"))
        .and_then(Value::as_str)
        .filter(|k| !k.trim().is_empty())
        .map(|k| k.trim().to_string())
}

fn corrupt(path: &Path, why: impl std::fmt::Display) -> ServiceError {
    ServiceError::CredentialsFile {
        path: path.display().to_string(),
        reason: format!("{why}; fix or remove the file (it was left untouched)"),
    }
}

fn parse(path: &Path, text: &str) -> Result<Map<String, Value>, ServiceError> {
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(corrupt(path, "it is not a JSON object")),
        Err(e) => Err(corrupt(path, format!("it is not valid JSON ({e})"))),
    }
}

/// OpenCode's credentials file as this process sees it: its path and, when
/// `OPENCODE_AUTH_CONTENT` was set at start, the content that replaces it for reads.
/// Every method blocks on file I/O (and writes take a lock and fsync): call them off the async
/// runtime (`spawn_blocking`).
#[derive(Clone)]
pub struct Credentials {
    path: PathBuf,
    content: Option<String>,
}

impl Credentials {
    /// The credentials file at `path`, with `content` replacing it for reads when given.
    pub fn new(path: PathBuf, content: Option<String>) -> Credentials {
        Credentials { path, content }
    }

    /// Where the file lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored key and management token (entry [`MANAGEMENT_ID`]), from one read of the file,
    /// honouring `OPENCODE_AUTH_CONTENT` (which replaces the file for reads).
    pub fn read_both(&self) -> Result<(Option<String>, Option<String>), ServiceError> {
        let entries = self.read_entries()?;
        Ok((
            key_of(&entries, PROVIDER_ID),
            key_of(&entries, MANAGEMENT_ID),
        ))
    }

    fn read_entries(&self) -> Result<Map<String, Value>, ServiceError> {
        match self.content.as_deref() {
            Some(content) => parse(&PathBuf::from("$OPENCODE_AUTH_CONTENT"), content),
            None => {
                let path = self.path.clone();
                let text = match std::fs::read(&path) {
                    Ok(bytes) => {
                        String::from_utf8(bytes).map_err(|_| corrupt(&path, "it is not UTF-8"))?
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Map::new()),
                    Err(e) => return Err(corrupt(&path, format!("cannot be read ({e})"))),
                };
                parse(&path, &text)
            }
        }
    }

    /// Runs `edit` on the file's entries under an exclusive lock and writes the result atomically.
    /// `edit` returns whether anything changed.
    fn update(
        &self,
        edit: impl FnOnce(&mut Map<String, Value>) -> bool,
    ) -> Result<(bool, PathBuf), ServiceError> {
        let path = self.path.clone();
        let io_err = |what: &str, e: std::io::Error| ServiceError::CredentialsFile {
            path: path.display().to_string(),
            reason: format!("{what} ({e})"),
        };
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        ensure_private_dir(&dir).map_err(|e| io_err("cannot create its directory", e))?;
        // Lock the directory: concurrent writers (several OpenCode windows) serialise here.
        let lock = File::open(&dir).map_err(|e| io_err("cannot open its directory", e))?;
        lock.lock()
            .map_err(|e| io_err("cannot lock its directory", e))?;
        let text = match std::fs::read(&path) {
            Ok(bytes) => String::from_utf8(bytes).map_err(|_| corrupt(&path, "it is not UTF-8"))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io_err("cannot be read", e)),
        };
        let mut entries = parse(&path, &text)?;
        let changed = edit(&mut entries);
        if changed {
            let mut out = serde_json::to_vec_pretty(&Value::Object(entries))
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
            out.push(b'\n');
            write_atomic(&path, &out, true).map_err(|e| io_err("cannot be written", e))?;
        }
        drop(lock);
        Ok((changed, path))
    }

    /// Stores `key` as `{"omniroute": {"type": "api", "key": …}}`, keeping other fields of that
    /// entry when it already was an API entry.
    pub fn store_key(&self, key: &str) -> Result<PathBuf, ServiceError> {
        self.store_entry(PROVIDER_ID, key)
    }

    /// Stores the management token as `{"omniroute-management": {"type": "api", "key": …}}`.
    pub fn store_management_token(&self, token: &str) -> Result<PathBuf, ServiceError> {
        self.store_entry(MANAGEMENT_ID, token)
    }

    fn store_entry(&self, id: &str, key: &str) -> Result<PathBuf, ServiceError> {
        self.update(|entries| {
            let entry = entries.entry(id.to_string()).or_insert_with(|| json!({}));
            match entry {
                Value::Object(e) if e.get("type").and_then(Value::as_str) == Some("api") => {
                    e.insert("key".into(), json!(key));
                }
                other => *other = json!({"type": "api", "key": key}),
            }
            true
        })
        .map(|(_, p)| p)
    }

    /// Removes the `omniroute` entry and the management token's; returns whether the key's
    /// entry was there.
    pub fn remove_key(&self) -> Result<(bool, PathBuf), ServiceError> {
        if !self.path.exists() {
            return Ok((false, self.path.clone()));
        }
        let mut had_key = false;
        let r = self.update(|entries| {
            had_key = entries.remove(PROVIDER_ID).is_some();
            let had_token = entries.remove(MANAGEMENT_ID).is_some();
            had_key || had_token
        });
        r.map(|(_, p)| (had_key, p))
    }
}

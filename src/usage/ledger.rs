//! The usage ledger on disk: `usage.jsonl` under the cache directory, one record per line,
//! mode 0600, never a key or prompt text. Bounded: when a line would take the file past the
//! cap it is renamed to `usage.1.jsonl` (replacing the previous one) and a new file starts, so
//! at most two caps' worth is kept. Several processes may append at once: every append and
//! every rotation holds an exclusive lock on `usage.lock` (a file that is never rotated), and
//! each line goes out in one `write` on an `O_APPEND` descriptor. Readers hold a shared lock.
//! Blocking I/O: call it from `spawn_blocking`.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use super::record::LedgerRecord;
use crate::store::atomic::ensure_private_dir;

/// Default cap of one ledger file (the previous file is kept too).
pub const DEFAULT_MAX_BYTES: u64 = 4 * 1024 * 1024;
/// Smallest cap accepted from `OMNIROUTE_USAGE_MAX_BYTES`.
const MIN_MAX_BYTES: u64 = 1024;
/// Longest line written; records are small (strings are clipped), this is a guard.
pub const MAX_LINE: usize = 8 * 1024;

/// The ledger files of one cache directory.
#[derive(Debug, Clone)]
pub struct Ledger {
    dir: PathBuf,
    max_bytes: u64,
}

/// What a read found.
#[derive(Debug, Default)]
pub struct ReadOutcome {
    /// Records in file order (previous file first).
    pub records: Vec<LedgerRecord>,
    /// Lines that could not be parsed (a torn write after a crash, a foreign edit).
    pub skipped: usize,
}

impl Ledger {
    /// The ledger in `cache_dir`, capped at `max_bytes` per file when given (the environment's
    /// `OMNIROUTE_USAGE_MAX_BYTES`, for tests and small disks), else [`DEFAULT_MAX_BYTES`].
    pub fn in_dir(cache_dir: &Path, max_bytes: Option<u64>) -> Ledger {
        Ledger::with_cap(cache_dir, max_bytes.unwrap_or(DEFAULT_MAX_BYTES))
    }

    /// The ledger in `dir` with an explicit cap per file.
    pub fn with_cap(dir: &Path, max_bytes: u64) -> Ledger {
        Ledger {
            dir: dir.to_path_buf(),
            max_bytes: max_bytes.max(MIN_MAX_BYTES),
        }
    }

    /// The current file.
    pub fn path(&self) -> PathBuf {
        self.dir.join("usage.jsonl")
    }

    /// The previous file (after a rotation).
    pub fn previous_path(&self) -> PathBuf {
        self.dir.join("usage.1.jsonl")
    }

    fn lock_path(&self) -> PathBuf {
        self.dir.join("usage.lock")
    }

    /// Appends one record (one line), rotating first when the line would pass the cap.
    pub fn append(&self, record: &LedgerRecord) -> Result<(), String> {
        let mut line = serde_json::to_vec(record).map_err(|e| e.to_string())?;
        line.push(b'\n');
        if line.len() > MAX_LINE {
            return Err(format!(
                "usage record of {} bytes exceeds {MAX_LINE}",
                line.len()
            ));
        }
        ensure_private_dir(&self.dir).map_err(|e| self.io_err("create", &self.dir, e))?;
        let lock = open_private(&self.lock_path(), false)
            .map_err(|e| self.io_err("open", &self.lock_path(), e))?;
        lock.lock()
            .map_err(|e| self.io_err("lock", &self.lock_path(), e))?;
        let path = self.path();
        let size = match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!(
                    "{} is a symbolic link; refusing to write usage through it",
                    path.display()
                ))
            }
            Ok(m) => m.len(),
            Err(_) => 0,
        };
        if size > 0 && size + line.len() as u64 > self.max_bytes {
            fs::rename(&path, self.previous_path()).map_err(|e| self.io_err("rotate", &path, e))?;
        }
        let mut file = open_private(&path, true).map_err(|e| self.io_err("open", &path, e))?;
        file.write_all(&line)
            .map_err(|e| self.io_err("append to", &path, e))?;
        drop(file);
        let _ = lock.unlock();
        Ok(())
    }

    /// Every record of both files whose `at` is in `[since, until)` (ms; `None` = open).
    /// Unparseable lines are counted, not fatal. A missing ledger reads as empty.
    pub fn read(&self, since: Option<u64>, until: Option<u64>) -> Result<ReadOutcome, String> {
        let mut out = ReadOutcome::default();
        if !self.dir.exists() {
            return Ok(out);
        }
        let lock = open_private(&self.lock_path(), false).ok();
        if let Some(l) = &lock {
            // Without the lock (read-only directory) a reader may see a rotation mid-way; it
            // still never sees half a line as a record.
            let _ = l.lock_shared();
        }
        for path in [self.previous_path(), self.path()] {
            let file = match File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(self.io_err("read", &path, e)),
            };
            for line in BufReader::new(file).split(b'\n') {
                let line = line.map_err(|e| self.io_err("read", &path, e))?;
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match serde_json::from_slice::<LedgerRecord>(&line) {
                    Ok(r) => {
                        if since.is_none_or(|s| r.at >= s) && until.is_none_or(|u| r.at < u) {
                            out.records.push(r);
                        }
                    }
                    Err(_) => out.skipped += 1,
                }
            }
        }
        if let Some(l) = &lock {
            let _ = l.unlock();
        }
        Ok(out)
    }

    fn io_err(&self, what: &str, path: &Path, e: std::io::Error) -> String {
        format!("cannot {what} the usage ledger {} ({e})", path.display())
    }
}

/// Opens (creating with mode 0600) for appending or plain writing.
fn open_private(path: &Path, append: bool) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.create(true);
    if append {
        o.append(true);
    } else {
        o.read(true).write(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(at: u64, model: &str) -> LedgerRecord {
        LedgerRecord {
            at,
            model: model.into(),
            served_model: None,
            served_id: None,
            provider: None,
            tokens_in: 1,
            tokens_out: 2,
            cost_usd: 0.5,
            latency_ms: Some(10),
            ttft_ms: None,
            cache_hit: None,
            fallback_attempts: None,
            status: 200,
            ok: true,
            host: None,
            session_id: None,
            error: None,
        }
    }

    #[test]
    fn append_read_window_and_mode() {
        let d = tempfile::tempdir().unwrap();
        let l = Ledger::with_cap(&d.path().join("c"), 1 << 20);
        for i in 0..5 {
            l.append(&rec(100 + i, "m")).unwrap();
        }
        let all = l.read(None, None).unwrap();
        assert_eq!(all.records.len(), 5);
        assert_eq!(l.read(Some(102), Some(104)).unwrap().records.len(), 2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(l.path()).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn rotation_keeps_one_previous_file_under_the_cap() {
        let d = tempfile::tempdir().unwrap();
        let l = Ledger::with_cap(d.path(), 2048);
        for i in 0..200 {
            l.append(&rec(i, "model-with-a-longish-name")).unwrap();
        }
        assert!(fs::metadata(l.path()).unwrap().len() <= 2048);
        assert!(fs::metadata(l.previous_path()).unwrap().len() <= 2048);
        let got = l.read(None, None).unwrap();
        assert_eq!(got.skipped, 0);
        assert!(got.records.len() < 200 && got.records.len() > 10);
        assert_eq!(got.records.last().unwrap().at, 199, "the newest is kept");
        let ats: Vec<u64> = got.records.iter().map(|r| r.at).collect();
        assert!(
            ats.windows(2).all(|w| w[0] + 1 == w[1]),
            "a contiguous tail"
        );
    }

    #[test]
    fn torn_lines_are_skipped() {
        let d = tempfile::tempdir().unwrap();
        let l = Ledger::with_cap(d.path(), 1 << 20);
        l.append(&rec(1, "m")).unwrap();
        let mut f = OpenOptions::new().append(true).open(l.path()).unwrap();
        f.write_all(b"{\"at\":2,\"mod").unwrap();
        drop(f);
        l.append(&rec(3, "m")).unwrap();
        let got = l.read(None, None).unwrap();
        assert_eq!(got.skipped, 1);
        assert_eq!(
            got.records.len(),
            1,
            "the torn line swallowed the next one's start"
        );
    }
}

//! Atomic file replacement: write a private temp file in the same directory, fsync, rename over
//! the target. Readers see the old file or the new one, never half of one. Directories are
//! created with mode 0700 and files are 0600.

use std::fs;
use std::io::Write;
use std::path::Path;

/// Creates `dir` (and parents) with mode 0700 where it does not exist yet.
pub fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        fs::create_dir_all(dir)
    }
}

/// Atomically replaces `path` with `bytes`, mode 0600. Refuses to write through a symlink.
/// `durable` also fsyncs the data before the rename (credentials: yes; caches: not needed, a
/// torn cache file after a power cut is detected and ignored).
pub fn write_atomic(path: &Path, bytes: &[u8], durable: bool) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("the path has no parent directory"))?;
    ensure_private_dir(dir)?;
    if let Ok(meta) = fs::symlink_metadata(path) {
        if meta.file_type().is_symlink() {
            return Err(std::io::Error::other(
                "the path is a symbolic link; refusing to replace it (point the link's owner at a regular file)",
            ));
        }
    }
    let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?; // tempfile creates it 0600 on unix
    tmp.write_all(bytes)?;
    if durable {
        tmp.as_file().sync_all()?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

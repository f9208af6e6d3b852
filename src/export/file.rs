//! Reading and replacing a tool's config file safely: symlinks are followed to the real file,
//! the previous version is kept as `FILE.bak` beside it, the new text lands by an atomic rename
//! with the old file's permissions, and a file changed by someone else meanwhile is not
//! overwritten.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Most symlinks followed before giving up (a loop).
const MAX_LINKS: usize = 40;

/// The file a path finally names after following symlinks (which may not exist yet).
pub fn resolve(path: &Path) -> Result<PathBuf, String> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&current)
                    .map_err(|e| format!("cannot read the link {}: {e}", current.display()))?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(format!(
        "{}: too many levels of symbolic links",
        path.display()
    ))
}

/// The file's text, `None` when it does not exist. Errors name the file (and the position of
/// the first byte that is not UTF-8).
pub fn read(path: &Path) -> Result<Option<String>, String> {
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return Err(format!("{}: is a directory, not a file", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: cannot read it: {e}", path.display())),
        Ok(_) => {}
    }
    let bytes = fs::read(path).map_err(|e| format!("{}: cannot read it: {e}", path.display()))?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok(Some(s)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let good = String::from_utf8_lossy(&e.as_bytes()[..at]).into_owned();
            let (line, col) = super::jsonc::line_col(&good, at);
            Err(format!(
                "{}:{line}:{col}: the file is not UTF-8 text (byte {at})",
                path.display()
            ))
        }
    }
}

/// Path of the backup kept beside `real`.
pub fn backup_path(real: &Path) -> PathBuf {
    let mut name = real
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".bak");
    real.with_file_name(name)
}

/// Replaces `real` with `text`: the previous content `old` (if any) goes to `FILE.bak`, the
/// new text is written to a temp file in the same directory and renamed over. Refuses when
/// the file no longer holds `old` (changed since it was read). Returns the backup's path.
pub fn replace(real: &Path, old: Option<&str>, text: &str) -> Result<Option<PathBuf>, String> {
    let shown = real.display();
    let dir = match real.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let now = read(real)?;
    if now.as_deref() != old {
        return Err(format!(
            "{shown} changed while the export ran; nothing written, run it again"
        ));
    }
    let perms = fs::metadata(real).ok().map(|m| m.permissions());
    let backup = match old {
        Some(old) => {
            let b = backup_path(real);
            write_atomic(&dir, &b, old, perms.clone())
                .map_err(|e| format!("cannot write the backup {}: {e}", b.display()))?;
            Some(b)
        }
        None => None,
    };
    write_atomic(&dir, real, text, perms).map_err(|e| format!("cannot write {shown}: {e}"))?;
    Ok(backup)
}

fn write_atomic(
    dir: &Path,
    path: &Path,
    text: &str,
    perms: Option<fs::Permissions>,
) -> std::io::Result<()> {
    let mut tmp = tempfile::Builder::new()
        .prefix(".omniroute-export-")
        .tempfile_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    match perms {
        Some(p) => fs::set_permissions(tmp.path(), p)?,
        None => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o644))?;
            }
        }
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_links_and_keeps_a_backup() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.json");
        #[cfg(unix)]
        std::os::unix::fs::symlink("real.json", &link).unwrap();
        #[cfg(not(unix))]
        fs::copy(&real, &link).unwrap();
        let target = resolve(&link).unwrap();
        assert_eq!(target, dir.path().join("real.json"));
        let b = replace(&target, Some("old"), "new").unwrap().unwrap();
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(fs::read_to_string(b).unwrap(), "old");
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        let e = replace(&target, Some("other"), "x").unwrap_err();
        assert!(e.contains("changed while"), "{e}");
    }

    #[test]
    fn unreadable_inputs_are_named() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path()).unwrap_err().contains("is a directory"));
        let f = dir.path().join("bad");
        fs::write(&f, b"{\n  \"a\xff\": 1}").unwrap();
        assert!(read(&f)
            .unwrap_err()
            .ends_with(":2:5: the file is not UTF-8 text (byte 6)"));
        assert_eq!(read(&dir.path().join("none")).unwrap(), None);
    }
}

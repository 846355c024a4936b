//! Files kept by content hash under the data directory, one folder per module:
//! `<data>/files/<area>/<sha256>.<ext>`. Writing the same bytes twice keeps one copy; a file is
//! written under a temporary name and renamed, so a reader never sees half of it.

use std::path::{Path, PathBuf};

/// The folder of one module's files.
pub fn dir(data_dir: &Path, area: &str) -> PathBuf {
    data_dir.join("files").join(area)
}

/// Where a kept file is, when `sha` is a well-formed hash (so a stored value cannot point
/// elsewhere).
pub fn path(data_dir: &Path, area: &str, sha: &str, ext: &str) -> Option<PathBuf> {
    (sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| dir(data_dir, area).join(format!("{sha}.{ext}")))
}

/// Keeps bytes under their content hash (once) and returns the hash.
pub fn keep(data_dir: &Path, area: &str, bytes: &[u8], ext: &str) -> std::io::Result<String> {
    let sha = crate::security::sha256_hex(bytes);
    let dir = dir(data_dir, area);
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{sha}.{ext}"));
    if !path.exists() {
        let tmp = dir.join(format!("{sha}.{ext}.part"));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)?;
    }
    Ok(sha)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_once_and_found_by_hash() {
        let d = std::env::temp_dir().join(format!("zhengwu-blobs-{}", std::process::id()));
        let a = keep(&d, "t", b"abc", "txt").unwrap();
        assert_eq!(a, keep(&d, "t", b"abc", "txt").unwrap());
        let p = path(&d, "t", &a, "txt").unwrap();
        assert_eq!(std::fs::read(p).unwrap(), b"abc");
        assert!(path(&d, "t", "../etc/passwd", "txt").is_none());
        let _ = std::fs::remove_dir_all(d);
    }
}

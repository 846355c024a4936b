//! Files kept by content hash under the data directory, one folder per module:
//! `<data>/files/<area>/<sha256>.<ext>`. Writing the same bytes twice keeps one copy; a file is
//! written under a temporary name and renamed, so a reader never sees half of it. Kept pictures
//! are answered to browsers by [`picture_response`].

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

/// A kept JPEG or PNG named `<sha256>.<jpg|png>` as a response: its type, `nosniff`, the given
/// caching, and an ETag from the hash (a matching `If-None-Match` gets a 304 without reading the
/// file). `None` when the name is not such a file or it is missing. The caller decides whether
/// the picture may be shown at all.
pub async fn picture_response(
    data_dir: &Path,
    area: &str,
    file: &str,
    headers: &axum::http::HeaderMap,
    cache_control: &'static str,
) -> Option<axum::response::Response> {
    use axum::http::{HeaderValue, StatusCode, header};
    use axum::response::IntoResponse;
    let (sha, ext) = file.split_once('.')?;
    let mime = match ext {
        "jpg" => "image/jpeg",
        "png" => "image/png",
        _ => return None,
    };
    let path = path(data_dir, area, sha, ext)?;
    let etag = HeaderValue::from_str(&format!("\"{}\"", &sha[..16])).ok()?;
    let cache = HeaderValue::from_static(cache_control);
    if headers.get(header::IF_NONE_MATCH) == Some(&etag) && path.exists() {
        return Some(
            (StatusCode::NOT_MODIFIED, [(header::ETAG, etag), (header::CACHE_CONTROL, cache)]).into_response(),
        );
    }
    let bytes = tokio::fs::read(&path).await.ok()?;
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, cache);
    h.insert(header::ETAG, etag);
    Some(res)
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

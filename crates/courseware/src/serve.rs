//! Lesson video for players, from memory where it can be: a player seeking through a lesson asks
//! for one byte range after another, and the same lessons are watched by many. Stored videos never
//! change (they are kept by content hash), so their bytes are cached in 1 MB blocks (least
//! recently used out first, within a budget) and a simple range request — `GET` with one
//! `Range: bytes=…` and no conditions — is answered from those blocks without touching the disk
//! or copying: each block is shared, and the answer is slices of it. Anything else (a whole file,
//! several ranges, `If-Range`, an unsatisfiable range, `HEAD`) goes to tower-http's file service.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;

/// Bytes per cached block.
pub const BLOCK: u64 = 1 << 20;

/// The blocks of stored videos in memory.
pub struct BlockCache {
    budget: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    blocks: HashMap<(String, u64), (Bytes, u64)>,
    /// Length and modification time (as an HTTP date) of each file seen.
    files: HashMap<String, (u64, String)>,
    used: usize,
    tick: u64,
}

/// A single range as a player sends it, resolved against the file's length: first and last byte.
pub fn parse_range(value: &str, len: u64) -> Option<(u64, u64)> {
    let spec = value.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') || len == 0 {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().ok().filter(|n| *n > 0)?;
        (len.saturating_sub(n), len - 1)
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() { len - 1 } else { b.parse::<u64>().ok()?.min(len - 1) };
        (start, end)
    };
    (start <= end && start < len).then_some((start, end))
}

impl BlockCache {
    pub fn new(budget: usize) -> BlockCache {
        BlockCache { budget, inner: Mutex::new(Inner::default()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, key: &(String, u64)) -> Option<Bytes> {
        let mut g = self.lock();
        g.tick += 1;
        let tick = g.tick;
        g.blocks.get_mut(key).map(|(b, t)| {
            *t = tick;
            b.clone()
        })
    }

    fn put(&self, key: (String, u64), bytes: Bytes) {
        let mut g = self.lock();
        if bytes.len() > self.budget {
            return;
        }
        g.tick += 1;
        let tick = g.tick;
        if let Some((old, _)) = g.blocks.insert(key, (bytes.clone(), tick)) {
            g.used -= old.len();
        }
        g.used += bytes.len();
        while g.used > self.budget {
            let Some(oldest) = g.blocks.iter().min_by_key(|(_, (_, t))| *t).map(|(k, _)| k.clone()) else { break };
            if let Some((b, _)) = g.blocks.remove(&oldest) {
                g.used -= b.len();
            }
        }
    }

    /// Bytes held now.
    pub fn used(&self) -> usize {
        self.lock().used
    }

    async fn file(&self, path: &Path, sha: &str) -> Option<(u64, String)> {
        if let Some(f) = self.lock().files.get(sha) {
            return Some(f.clone());
        }
        let meta = tokio::fs::metadata(path).await.ok()?;
        let modified = meta.modified().ok().map(httpdate::fmt_http_date).unwrap_or_default();
        let f = (meta.len(), modified);
        self.lock().files.insert(sha.to_owned(), f.clone());
        Some(f)
    }

    async fn block(&self, path: &Path, sha: &str, index: u64, len: u64) -> Option<Bytes> {
        let key = (sha.to_owned(), index);
        if let Some(b) = self.get(&key) {
            return Some(b);
        }
        let path: PathBuf = path.to_owned();
        let size = BLOCK.min(len - index * BLOCK) as usize;
        let bytes = tokio::task::spawn_blocking(move || {
            use std::os::unix::fs::FileExt;
            let f = std::fs::File::open(path).ok()?;
            let mut buf = vec![0u8; size];
            f.read_exact_at(&mut buf, index * BLOCK).ok()?;
            Some(Bytes::from(buf))
        })
        .await
        .ok()??;
        self.put(key, bytes.clone());
        Some(bytes)
    }

    /// The answer to a simple range request from cached blocks, or `None` for the file service.
    pub async fn range(
        &self,
        method: &Method,
        headers: &HeaderMap,
        path: &Path,
        sha: &str,
        content_type: &'static str,
    ) -> Option<Response> {
        if method != Method::GET
            || [
                header::IF_RANGE,
                header::IF_MATCH,
                header::IF_NONE_MATCH,
                header::IF_MODIFIED_SINCE,
                header::IF_UNMODIFIED_SINCE,
            ]
            .iter()
            .any(|h| headers.contains_key(h))
        {
            return None;
        }
        let range = headers.get(header::RANGE)?.to_str().ok()?;
        let (len, modified) = self.file(path, sha).await?;
        let (start, end) = parse_range(range, len)?;
        let mut parts = Vec::new();
        for index in start / BLOCK..=end / BLOCK {
            let block = self.block(path, sha, index, len).await?;
            let lo = start.max(index * BLOCK) - index * BLOCK;
            let hi = end.min(index * BLOCK + block.len() as u64 - 1) - index * BLOCK;
            parts.push(block.slice(lo as usize..=hi as usize));
        }
        let body = if parts.len() == 1 {
            Body::from(parts.pop().unwrap_or_default())
        } else {
            Body::from_stream(futures_util::stream::iter(parts.into_iter().map(Ok::<_, std::io::Error>)))
        };
        let mut res = Response::new(body);
        *res.status_mut() = StatusCode::PARTIAL_CONTENT;
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start + 1));
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
            h.insert(header::CONTENT_RANGE, v);
        }
        if let Ok(v) = HeaderValue::from_str(&modified) {
            h.insert(header::LAST_MODIFIED, v);
        }
        Some(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_players_send_them() {
        assert_eq!(parse_range("bytes=0-1023", 5000), Some((0, 1023)));
        assert_eq!(parse_range("bytes=4000-", 5000), Some((4000, 4999)));
        assert_eq!(parse_range("bytes=-500", 5000), Some((4500, 4999)));
        assert_eq!(parse_range("bytes=4000-9999", 5000), Some((4000, 4999)), "an end past the file is cut");
        assert_eq!(parse_range("bytes=-9999", 5000), Some((0, 4999)));
        for bad in ["bytes=5000-", "bytes=10-5", "bytes=0-1,5-9", "items=0-1", "bytes=-0", "bytes=a-b", "bytes=0-1"] {
            let len = if bad == "bytes=0-1" { 0 } else { 5000 };
            assert_eq!(parse_range(bad, len), None, "{bad}");
        }
    }

    #[test]
    fn the_least_recently_used_block_leaves_first() {
        let c = BlockCache::new(3000);
        let k = |i| ("a".to_owned(), i);
        c.put(k(0), Bytes::from(vec![0; 1000]));
        c.put(k(1), Bytes::from(vec![1; 1000]));
        c.put(k(2), Bytes::from(vec![2; 1000]));
        assert!(c.get(&k(0)).is_some(), "touch block 0");
        c.put(k(3), Bytes::from(vec![3; 1000]));
        assert!(c.get(&k(1)).is_none(), "block 1 was the oldest");
        assert!(c.get(&k(0)).is_some() && c.get(&k(3)).is_some());
        assert_eq!(c.used(), 3000);
        c.put(k(9), Bytes::from(vec![9; 4000]));
        assert!(c.get(&k(9)).is_none(), "larger than the budget: not kept");
    }
}

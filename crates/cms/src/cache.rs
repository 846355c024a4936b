//! The public page cache: rendered pages in memory, each with the dependency tags it was built
//! from (`a:ID` an article, `c:ID` a channel's list, `nav:SITE`, `site:SITE`, `sitemap:SITE`).
//! A publication change names the tags it touches; exactly the pages holding one of them are
//! dropped. Changes travel through the `content_change` table, which every node follows, so a
//! publication on one node clears the pages on all of them within the poll interval.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::http::HeaderValue;
use platform::web::encoding::Precompressed;

/// A rendered page with its validators, ready to send: a cache hit costs no formatting.
pub struct Page {
    /// Shared between the cache and in-flight responses without copying; its gzip and brotli
    /// forms are made on first demand and live as long as the cached page.
    pub body: Precompressed,
    pub content_type: &'static str,
    /// Quoted strong validator, e.g. `"3fa2…"`.
    pub etag: HeaderValue,
    /// HTTP date of when the page was rendered.
    pub last_modified: HeaderValue,
    /// What the page is, for counting its views (site, channel, article, title).
    pub facts: Arc<platform::analytics::PageFacts>,
}

impl Page {
    /// A page whose validators are derived from its bytes and `rendered_at` (unix seconds).
    pub fn new(body: Vec<u8>, content_type: &'static str, rendered_at: i64) -> Page {
        let etag = format!("\"{}\"", &crate::files::sha256(&body)[..20]);
        Page {
            etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\"")),
            last_modified: HeaderValue::from_str(&platform::web::http_date(rendered_at))
                .unwrap_or(HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT")),
            body: Precompressed::new(body.into()),
            content_type,
            facts: Arc::default(),
        }
    }

    pub fn with_facts(mut self, facts: Arc<platform::analytics::PageFacts>) -> Page {
        self.facts = facts;
        self
    }

    /// Bytes this page holds in the cache, with its key and tags (for the size budget).
    fn weight(&self, key: &str, tags: &[String]) -> usize {
        self.body.identity().len() + key.len() + tags.iter().map(|t| t.len() + 48).sum::<usize>() + 160
    }
}

struct Entry {
    page: Arc<Page>,
    tags: Vec<String>,
    weight: usize,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, Entry>,
    by_tag: HashMap<String, HashSet<String>>,
    order: VecDeque<String>,
    bytes: usize,
}

pub struct PageCache {
    /// Reads (every cache hit) share the lock; only insertions and invalidations take it alone.
    inner: RwLock<Inner>,
    capacity: usize,
    enabled: bool,
    /// Last change-feed id applied on this node.
    pub applied: AtomicI64,
    /// Counts invalidations. A page is kept only if no invalidation happened since its render
    /// began, so a page built from data read just before a change never outlives the change.
    generation: AtomicU64,
}

impl PageCache {
    pub fn new(capacity_bytes: usize, enabled: bool) -> Self {
        PageCache {
            inner: RwLock::new(Inner::default()),
            capacity: capacity_bytes,
            enabled,
            applied: AtomicI64::new(0),
            generation: AtomicU64::new(0),
        }
    }

    pub fn get(&self, key: &str) -> Option<Arc<Page>> {
        if !self.enabled {
            return None;
        }
        self.inner.read().ok()?.entries.get(key).map(|e| e.page.clone())
    }

    /// Read before rendering a page; pass to [`PageCache::put`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Keeps a page rendered since `generation` was read, unless an invalidation came in between.
    pub fn put(&self, key: String, page: Arc<Page>, tags: Vec<String>, generation: u64) {
        let weight = page.weight(&key, &tags);
        if !self.enabled || weight > self.capacity / 4 {
            return;
        }
        let Ok(mut g) = self.inner.write() else { return };
        if self.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        if let Some(old) = g.entries.remove(&key) {
            g.bytes -= old.weight;
            remove_tags(&mut g, &key, &old.tags);
        }
        g.bytes += weight;
        for t in &tags {
            g.by_tag.entry(t.clone()).or_default().insert(key.clone());
        }
        g.order.push_back(key.clone());
        g.entries.insert(key, Entry { page, tags, weight });
        // Evict oldest insertions until under budget.
        while g.bytes > self.capacity {
            let Some(k) = g.order.pop_front() else { break };
            if let Some(e) = g.entries.remove(&k) {
                g.bytes -= e.weight;
                remove_tags(&mut g, &k, &e.tags);
            }
        }
        if g.order.len() > g.entries.len() * 2 + 1024 {
            let Inner { order, entries, .. } = &mut *g;
            order.retain(|k| entries.contains_key(k));
        }
    }

    /// Drops every page that depends on any of `tags`; returns how many.
    pub fn invalidate(&self, tags: &[&str]) -> usize {
        let Ok(mut g) = self.inner.write() else {
            return 0;
        };
        self.generation.fetch_add(1, Ordering::SeqCst);
        let mut keys = HashSet::new();
        for t in tags {
            if let Some(ks) = g.by_tag.remove(*t) {
                keys.extend(ks);
            }
        }
        for k in &keys {
            if let Some(e) = g.entries.remove(k) {
                g.bytes -= e.weight;
                remove_tags(&mut g, k, &e.tags);
            }
        }
        keys.len()
    }

    pub fn clear(&self) {
        if let Ok(mut g) = self.inner.write() {
            self.generation.fetch_add(1, Ordering::SeqCst);
            *g = Inner::default();
        }
    }

    pub fn len(&self) -> usize {
        self.inner.read().map(|g| g.entries.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }
}

fn remove_tags(g: &mut Inner, key: &str, tags: &[String]) {
    for t in tags {
        if let Some(set) = g.by_tag.get_mut(t) {
            set.remove(key);
            if set.is_empty() {
                g.by_tag.remove(t);
            }
        }
    }
}

/// How often a node looks at the change feed.
pub const POLL: Duration = Duration::from_millis(200);

/// Applies change-feed entries newer than what this node has seen.
pub async fn follow_once(db: &platform::db::Db, cache: &PageCache, on_tags: &(dyn Fn(&[&str]) + Send + Sync)) {
    let after = cache.applied.load(Ordering::Relaxed);
    let Ok(changes) = crate::store::changes_after(db, after).await else {
        return;
    };
    for ch in changes {
        let tags: Vec<&str> = ch.tags.split(' ').filter(|t| !t.is_empty()).collect();
        // The data pages are built from first, then the pages themselves.
        on_tags(&tags);
        cache.invalidate(&tags);
        cache.applied.store(ch.id, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(s: &str) -> Arc<Page> {
        Arc::new(Page::new(s.as_bytes().to_vec(), "text/html", 0))
    }

    #[test]
    fn invalidation_drops_exactly_the_tagged_pages() {
        let c = PageCache::new(1 << 20, true);
        c.put("/".into(), page("home"), vec!["c:1".into(), "c:2".into(), "site:1".into()], 0);
        c.put("/c/1/".into(), page("list1"), vec!["c:1".into(), "site:1".into()], 0);
        c.put("/c/3/".into(), page("list3"), vec!["c:3".into(), "site:1".into()], 0);
        c.put("/a/9.html".into(), page("art"), vec!["a:9".into(), "c:1".into()], 0);
        assert_eq!(c.invalidate(&["a:9", "c:1"]), 3);
        assert!(c.get("/").is_none() && c.get("/c/1/").is_none() && c.get("/a/9.html").is_none());
        assert!(c.get("/c/3/").is_some());
        assert_eq!(c.invalidate(&["site:1"]), 1);
        assert!(c.is_empty());
    }

    #[test]
    fn capacity_is_respected_and_disabled_cache_stores_nothing() {
        let one = page(&"x".repeat(20)).weight("/0", &["t0".into()]);
        let c = PageCache::new(one * 5, true);
        for i in 0..10 {
            c.put(format!("/{i}"), page(&"x".repeat(20)), vec![format!("t{i}")], 0);
        }
        assert_eq!(c.len(), 5);
        assert!(c.get("/9").is_some() && c.get("/0").is_none());
        let off = PageCache::new(one * 5, false);
        off.put("/".into(), page("x"), vec![], 0);
        assert!(off.get("/").is_none());
    }

    #[test]
    fn a_page_rendered_across_an_invalidation_is_not_kept() {
        let c = PageCache::new(1 << 20, true);
        let before = c.generation();
        c.invalidate(&["c:1"]);
        c.put("/c/1/".into(), page("built from old data"), vec!["c:1".into()], before);
        assert!(c.get("/c/1/").is_none());
        c.put("/c/1/".into(), page("fresh"), vec!["c:1".into()], c.generation());
        assert!(c.get("/c/1/").is_some());
    }
}

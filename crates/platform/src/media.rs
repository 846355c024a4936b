//! Video addresses handed to the browser's own player (live streams from a streaming server,
//! recorded lessons elsewhere): whether a typed address is one the page may carry, and the MIME
//! type the `<source>` element announces, by the address's extension. Pure.

/// An http(s) address with a host, no spaces, at most 500 characters (what a stream, a snapshot
/// or an external video may be; `javascript:` and the like never are).
pub fn is_http_url(s: &str) -> bool {
    s.chars().count() <= 500
        && !s.contains(char::is_whitespace)
        && ["http://", "https://"].iter().any(|p| {
            s.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p))
                && s.len() > p.len()
                && !s[p.len()..].starts_with('/')
        })
}

/// What kind of stream an address serves, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    /// An HLS playlist (`.m3u8`).
    Hls,
    /// HTTP-FLV (`.flv`), which most browsers cannot play without a script.
    Flv,
    /// Anything else is taken as MP4.
    Mp4,
}

impl StreamKind {
    pub fn of(url: &str) -> StreamKind {
        let path = url.split(['?', '#']).next().unwrap_or("").to_ascii_lowercase();
        if path.ends_with(".m3u8") {
            StreamKind::Hls
        } else if path.ends_with(".flv") {
            StreamKind::Flv
        } else {
            StreamKind::Mp4
        }
    }

    /// The MIME type the `<source>` element announces.
    pub fn mime(self) -> &'static str {
        match self {
            StreamKind::Hls => "application/vnd.apple.mpegurl",
            StreamKind::Flv => "video/x-flv",
            StreamKind::Mp4 => "video/mp4",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StreamKind::Hls => "HLS",
            StreamKind::Flv => "HTTP-FLV",
            StreamKind::Mp4 => "MP4",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_kinds() {
        assert!(is_http_url("http://10.20.1.5:8080/live/gangqu.m3u8"));
        assert!(is_http_url("HTTPS://tv.example.cn/a.flv"));
        for bad in ["", "rtmp://10.0.0.5/live/a", "javascript:alert(1)", "http:///x.m3u8", "http://", "http://a b/c"] {
            assert!(!is_http_url(bad), "{bad}");
        }
        assert!(!is_http_url(&format!("http://a/{}", "x".repeat(500))));
        assert_eq!(StreamKind::of("http://a/live/x.m3u8?token=1").mime(), "application/vnd.apple.mpegurl");
        assert_eq!(StreamKind::of("https://tv.example.cn/live/a.FLV"), StreamKind::Flv);
        assert_eq!(StreamKind::of("https://tv.example.cn/replay/a.mp4#t=10").mime(), "video/mp4");
        assert_eq!(StreamKind::of("http://a/live/x").label(), "MP4");
    }
}

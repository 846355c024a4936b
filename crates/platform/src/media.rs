//! Video addresses handed to the browser's own player (live streams from a streaming server,
//! recorded lessons elsewhere): whether a typed address is one the page may carry, and the MIME
//! type the `<source>` element announces, by the address's extension; and the demo's placeholder
//! pictures. Pure.

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

/// A placeholder picture for the demo (a PNG of sky, a skyline and snow in shades chosen by
/// `seed`): the pictures a real camera or reporter would send are not in the repository.
pub fn placeholder_picture(width: u32, height: u32, seed: u32) -> Vec<u8> {
    use std::io::Write;
    let (w, h) = (width as usize, height as usize);
    let hue = (seed * 37 % 60) as u8;
    let mut raw = Vec::with_capacity((w * 3 + 1) * h);
    for y in 0..h {
        raw.push(0); // no filter
        for x in 0..w {
            // A skyline: blocks of buildings whose heights vary with x and the seed.
            let block = (x * 7 / w.max(1)) as u32;
            let top = h * (35 + ((block * 13 + seed * 7) % 25) as usize) / 100;
            let ground = h * 78 / 100;
            let px = if y >= ground {
                [235, 240, 245] // snow
            } else if y >= top {
                let shade = 70 + ((block * 29 + seed) % 50) as u8;
                [shade, shade + 10, shade + 25 + hue / 4]
            } else {
                let t = (y * 120 / h.max(1)) as u8;
                [90 + t, 140 + t / 2, 200 + hue / 2]
            };
            raw.extend_from_slice(&px);
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = z.write_all(&raw);
    let idat = z.finish().unwrap_or_default();
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8; 4], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &idat);
    chunk(b"IEND", &[]);
    out
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

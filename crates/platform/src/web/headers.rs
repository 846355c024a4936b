//! The security headers every response carries: a Content-Security-Policy for its area, framing
//! limited to our own pages, no MIME sniffing, a conservative Referrer-Policy, and `no-store` for
//! back-office and API answers (they carry personal data and must not sit in shared caches or the
//! browser's disk cache).

use axum::http::{HeaderMap, HeaderValue, header};

/// Which part of the product a response belongs to; each has its own policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Public pages: no script at all, styles and images from our own origin only.
    Public,
    /// The back office: our own scripts (the editor), inline styles (the editor writes them).
    BackOffice,
    /// JSON and other machine answers: nothing to load, nothing to frame.
    Api,
}

impl Area {
    pub fn of_path(path: &str) -> Area {
        if path == "/admin" || path.starts_with("/admin/") {
            Area::BackOffice
        } else if path.starts_with("/api/") || path.starts_with("/open311/") || path == "/metrics" || path == "/healthz"
        {
            Area::Api
        } else {
            Area::Public
        }
    }

    pub fn content_security_policy(self) -> &'static str {
        match self {
            Area::Public => {
                "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; media-src 'self'; \
                 object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
            }
            Area::BackOffice => {
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
                 object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
            }
            Area::Api => "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        }
    }
}

/// The public policy that also lets exactly one inline script run, named by its SHA-256: for a
/// page whose script only adds a convenience the page works without (the print button of a
/// 决定书). Nothing else may run, and any change to the script's text stops it.
pub fn public_policy_with_script(script: &str) -> String {
    public_policy(Some(script), &[])
}

/// The public policy for one page, widened only as far as the page needs: one inline script
/// named by its hash, and the browser's own player loading a live stream from the named servers
/// (a streaming server's or camera's origin, such as `http://10.1.2.3:8080`). Addresses that are
/// not plain http(s) URLs are left out.
pub fn public_policy(script: Option<&str>, media: &[&str]) -> String {
    use base64::Engine;
    use sha2::Digest;
    let mut p = Area::Public.content_security_policy().to_owned();
    if let Some(script) = script {
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script.as_bytes()));
        p = p.replace("script-src 'none'", &format!("script-src 'sha256-{hash}'"));
    }
    let mut origins = String::new();
    for m in media {
        if let Ok(u) = url::Url::parse(m)
            && matches!(u.scheme(), "http" | "https")
            && u.host_str().is_some()
        {
            let o = u.origin().ascii_serialization();
            if !origins.contains(&o) {
                origins.push(' ');
                origins.push_str(&o);
            }
        }
    }
    if !origins.is_empty() {
        p = p.replace("media-src 'self'", &format!("media-src 'self'{origins}"));
    }
    p
}

/// Gives one public page its own policy (see [`public_policy`]).
pub fn set_public_policy(h: &mut HeaderMap, script: Option<&str>, media: &[&str]) {
    if let Ok(v) = HeaderValue::from_str(&public_policy(script, media)) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
}

/// Adds the area's security headers where the handler did not set its own.
pub fn apply(h: &mut HeaderMap, area: Area) {
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert_with(|| HeaderValue::from_static(area.content_security_policy()));
    h.entry(header::X_FRAME_OPTIONS).or_insert(HeaderValue::from_static(match area {
        Area::Api => "DENY",
        _ => "SAMEORIGIN",
    }));
    h.entry(header::X_CONTENT_TYPE_OPTIONS).or_insert(HeaderValue::from_static("nosniff"));
    h.entry(header::REFERRER_POLICY).or_insert(HeaderValue::from_static(match area {
        Area::Public => "strict-origin-when-cross-origin",
        _ => "same-origin",
    }));
    if area != Area::Public {
        h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_inline_script_by_its_hash() {
        let p = public_policy_with_script("alert(1)");
        // echo -n 'alert(1)' | openssl dgst -sha256 -binary | base64
        assert!(p.contains("script-src 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"), "{p}");
        assert!(!p.contains("'none'; style") && p.contains("object-src 'none'"), "{p}");
    }

    #[test]
    fn a_live_stream_widens_media_only() {
        let p = public_policy(
            None,
            &["http://10.1.2.3:8080/live/a.m3u8", "javascript:alert(1)", "https://tv.example.cn/x.flv?k=1"],
        );
        assert!(p.contains("media-src 'self' http://10.1.2.3:8080 https://tv.example.cn;"), "{p}");
        assert!(p.contains("script-src 'none'") && !p.contains("javascript"), "{p}");
        assert_eq!(public_policy(None, &[]), Area::Public.content_security_policy());
    }

    #[test]
    fn every_area_gets_its_headers_without_overriding_the_handler() {
        assert_eq!(Area::of_path("/admin/cms/articles"), Area::BackOffice);
        assert_eq!(Area::of_path("/administration"), Area::Public);
        assert_eq!(Area::of_path("/api/v1/letters"), Area::Api);
        assert_eq!(Area::of_path("/hudong/szxx/"), Area::Public);
        let mut h = HeaderMap::new();
        apply(&mut h, Area::BackOffice);
        assert_eq!(h[header::CACHE_CONTROL], "no-store");
        assert!(h[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("script-src 'self'"));
        let mut h = HeaderMap::new();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, no-cache"));
        apply(&mut h, Area::Public);
        assert_eq!(h[header::CACHE_CONTROL], "public, no-cache");
        assert!(h[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("script-src 'none'"));
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(h[header::X_FRAME_OPTIONS], "SAMEORIGIN");
    }
}

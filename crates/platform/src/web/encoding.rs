//! Response compression done once: a body is compressed for gzip and brotli the first time a
//! client asks for that encoding and kept with the body, so a cached page or a static asset costs
//! one compression in its lifetime rather than one per request. Negotiation follows the client's
//! `Accept-Encoding` (brotli preferred, `q=0` honoured).

use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, header};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoding {
    pub fn header_value(self) -> Option<HeaderValue> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some(HeaderValue::from_static("gzip")),
            Encoding::Brotli => Some(HeaderValue::from_static("br")),
        }
    }
}

/// The best encoding the client accepts.
pub fn negotiate(headers: &HeaderMap) -> Encoding {
    let Some(accept) = headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else {
        return Encoding::Identity;
    };
    let (mut br, mut gzip) = (false, false);
    for part in accept.split(',') {
        let mut it = part.split(';');
        let name = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = it
            .any(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()).is_some_and(|q| q <= 0.0));
        match name.as_str() {
            "br" => br = !refused,
            "gzip" => gzip = !refused,
            "*" if !refused => {
                br = true;
                gzip = true;
            }
            _ => {}
        }
    }
    if br {
        Encoding::Brotli
    } else if gzip {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// Bodies smaller than this are sent as they are: compression would not pay for itself.
const MIN_SIZE: usize = 512;

/// A body with its compressed forms, made on first demand and shared by every clone.
#[derive(Clone)]
pub struct Precompressed {
    identity: Bytes,
    forms: Arc<(OnceLock<Bytes>, OnceLock<Bytes>)>,
}

impl Precompressed {
    pub fn new(identity: Bytes) -> Self {
        Precompressed { identity, forms: Arc::new((OnceLock::new(), OnceLock::new())) }
    }

    pub fn identity(&self) -> &Bytes {
        &self.identity
    }

    /// The body in the best encoding the client accepts, and the encoding actually used.
    pub fn for_client(&self, headers: &HeaderMap) -> (Bytes, Encoding) {
        self.encoded(negotiate(headers))
    }

    pub fn encoded(&self, enc: Encoding) -> (Bytes, Encoding) {
        if self.identity.len() < MIN_SIZE {
            return (self.identity.clone(), Encoding::Identity);
        }
        match enc {
            Encoding::Identity => (self.identity.clone(), Encoding::Identity),
            Encoding::Gzip => (self.forms.0.get_or_init(|| gzip(&self.identity)).clone(), Encoding::Gzip),
            Encoding::Brotli => (self.forms.1.get_or_init(|| brotli(&self.identity)).clone(), Encoding::Brotli),
        }
    }
}

fn gzip(data: &[u8]) -> Bytes {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 3), flate2::Compression::new(6));
    // Writing into a Vec cannot fail.
    let _ = e.write_all(data);
    Bytes::from(e.finish().unwrap_or_default())
}

fn brotli(data: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(data.len() / 4);
    // Quality 6 compresses a typical page in about a millisecond and close to the best ratio.
    let params = brotli::enc::BrotliEncoderParams { quality: 6, lgwin: 20, ..Default::default() };
    let _ = brotli::BrotliCompress(&mut &data[..], &mut out, &params);
    Bytes::from(out)
}

/// A static asset compiled into the binary, with its content fingerprint (for immutable URLs).
pub struct StaticAsset {
    pub body: Precompressed,
    pub content_type: &'static str,
    /// First 10 hex digits of the SHA-256 of the content.
    pub fingerprint: String,
}

impl StaticAsset {
    pub fn new(content: &'static [u8], content_type: &'static str) -> Self {
        use sha2::Digest;
        let fingerprint = hex::encode(sha2::Sha256::digest(content))[..10].to_owned();
        StaticAsset { body: Precompressed::new(Bytes::from_static(content)), content_type, fingerprint }
    }

    /// Serves the asset. `immutable` for fingerprinted URLs (cached for a year); otherwise an
    /// hour, so an old unversioned link still picks up a new release.
    pub fn respond(&self, headers: &HeaderMap, immutable: bool) -> axum::response::Response {
        let (body, enc) = self.body.for_client(headers);
        let mut res = axum::response::Response::new(axum::body::Body::from(body));
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if immutable {
                "public, max-age=31536000, immutable"
            } else {
                "public, max-age=3600"
            }),
        );
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        if let Some(v) = enc.header_value() {
            h.insert(header::CONTENT_ENCODING, v);
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn h(v: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        m
    }

    #[test]
    fn negotiation_prefers_brotli_and_honours_refusals() {
        assert_eq!(negotiate(&HeaderMap::new()), Encoding::Identity);
        assert_eq!(negotiate(&h("gzip, deflate, br")), Encoding::Brotli);
        assert_eq!(negotiate(&h("gzip, br;q=0")), Encoding::Gzip);
        assert_eq!(negotiate(&h("identity")), Encoding::Identity);
        assert_eq!(negotiate(&h("*")), Encoding::Brotli);
        assert_eq!(negotiate(&h("GZIP")), Encoding::Gzip);
    }

    #[test]
    fn compressed_forms_decode_to_the_original_and_are_made_once() {
        let text = "政府信息公开工作年度报告。".repeat(200);
        let p = Precompressed::new(Bytes::from(text.clone()));
        let (gz, enc) = p.encoded(Encoding::Gzip);
        assert_eq!(enc, Encoding::Gzip);
        let mut out = String::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut out).unwrap();
        assert_eq!(out, text);
        let (br, _) = p.clone().encoded(Encoding::Brotli);
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut out).unwrap();
        assert_eq!(out, text.as_bytes());
        assert!(br.len() < text.len() / 5);
        // The clone shares the forms: same allocation.
        assert_eq!(p.encoded(Encoding::Brotli).0.as_ptr(), br.as_ptr());
        // Tiny bodies stay as they are.
        assert_eq!(Precompressed::new(Bytes::from_static(b"ok")).encoded(Encoding::Brotli).1, Encoding::Identity);
    }
}

//! One outgoing HTTP GET, for the modules that look at other servers: the availability probes and
//! the link checker (supervision), the camera points' stream checks and snapshots (live). HTTP/1.1
//! over plain TCP or TLS (the machine's trusted roots), no redirects followed, a time limit on the
//! whole exchange, and a cap on how much of the body is read — a live stream never ends, so its
//! first bytes are all anyone needs.

use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

/// How much of the answer to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// The status line and headers only (a linked file may be large).
    Status,
    /// The whole body, however long (a page that starts and then hangs is not available).
    Whole,
    /// At most this many bytes of the body; the connection is dropped after them.
    First(usize),
}

/// What came back.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    pub status: u16,
    pub content_type: String,
    /// The bytes read (empty for [`Read::Status`]; with [`Read::Whole`] only their count is
    /// kept, in `read`).
    pub body: Vec<u8>,
    /// Body bytes received.
    pub read: usize,
}

/// Fetches `url` once within `timeout`; the error is a Chinese sentence for the person who
/// configured the address.
pub async fn get(url: &str, timeout: Duration, read: Read, agent: &str) -> Result<Fetched, String> {
    match tokio::time::timeout(timeout, request(url, read, agent)).await {
        Err(_) => Err(format!("{} 秒内无响应", timeout.as_secs().max(1))),
        Ok(r) => r,
    }
}

/// The TLS settings for https addresses: the machine's trusted roots, loaded once.
fn tls() -> Result<tokio_rustls::TlsConnector, String> {
    static CONFIG: std::sync::OnceLock<Result<std::sync::Arc<tokio_rustls::rustls::ClientConfig>, String>> =
        std::sync::OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let mut roots = tokio_rustls::rustls::RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        for cert in found.certs {
            let _ = roots.add(cert);
        }
        if roots.is_empty() {
            return Err("本机没有可用的根证书，无法访问 https 地址".to_owned());
        }
        let provider = std::sync::Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map(|b| std::sync::Arc::new(b.with_root_certificates(roots).with_no_client_auth()))
            .map_err(|e| e.to_string())
    });
    config.clone().map(tokio_rustls::TlsConnector::from)
}

async fn request(url: &str, read: Read, agent: &str) -> Result<Fetched, String> {
    let u = url::Url::parse(url).map_err(|_| "地址无效".to_owned())?;
    let https = match u.scheme() {
        "http" => false,
        "https" => true,
        _ => return Err("只能访问 http:// 或 https:// 地址".into()),
    };
    let host = u.host_str().ok_or("地址缺少主机名")?.to_owned();
    let port = u.port_or_known_default().unwrap_or(if https { 443 } else { 80 });
    let stream =
        tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port)).await.map_err(|e| connect_error(&e))?;
    let path = match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_owned(),
    };
    let host_header = if u.port().is_some() { format!("{host}:{port}") } else { host.clone() };
    let req = hyper::Request::get(path)
        .header(hyper::header::HOST, host_header)
        .header(hyper::header::USER_AGENT, agent)
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    if https {
        let name = tokio_rustls::rustls::pki_types::ServerName::try_from(host.clone()).map_err(|e| e.to_string())?;
        let tls = tls()?.connect(name, stream).await.map_err(|e| format!("TLS 握手失败：{e}"))?;
        exchange(TokioIo::new(tls), req, read).await
    } else {
        exchange(TokioIo::new(stream), req, read).await
    }
}

/// Why a connection failed, in words the person who typed the address can act on.
fn connect_error(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::ConnectionRefused => "无法连接：对方拒绝连接（服务未启动或端口不对）".to_owned(),
        ErrorKind::TimedOut => "无法连接：连接超时".to_owned(),
        ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => "无法连接：网络不通".to_owned(),
        _ if e.to_string().contains("lookup") || e.to_string().contains("resolve") => {
            "无法连接：主机名无法解析".to_owned()
        }
        _ => format!("无法连接：{e}"),
    }
}

async fn exchange<I>(io: I, req: hyper::Request<Empty<Bytes>>, read: Read) -> Result<Fetched, String>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(io).await.map_err(|e| format!("HTTP 握手失败：{e}"))?;
    let conn = tokio::spawn(async move {
        let _ = conn.await;
    });
    let res = sender.send_request(req).await.map_err(|e| format!("请求失败：{e}"))?;
    let mut out = Fetched {
        status: res.status().as_u16(),
        content_type: res
            .headers()
            .get(hyper::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned(),
        ..Fetched::default()
    };
    let mut body = res.into_body();
    match read {
        Read::Status => {}
        Read::Whole | Read::First(_) => {
            let cap = match read {
                Read::First(n) => n,
                _ => 0,
            };
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| format!("读取内容失败：{e}"))?;
                if let Some(data) = frame.data_ref() {
                    out.read += data.len();
                    if cap > 0 {
                        let room = cap.saturating_sub(out.body.len());
                        out.body.extend_from_slice(&data[..data.len().min(room)]);
                        if out.body.len() >= cap {
                            break;
                        }
                    }
                }
            }
        }
    }
    // A stream that never ends is cut here rather than read on in the background.
    conn.abort();
    Ok(out)
}

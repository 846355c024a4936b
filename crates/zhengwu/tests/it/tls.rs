//! HTTPS with HTTP/2 on the real router: a client that offers only `h2` gets HTTP/2 and the portal
//! page for the host it named in `:authority`; one that offers only `http/1.1` gets HTTP/1.1; a
//! bad certificate file is refused at start with its name; shutdown lets the server return.

use crate::common;

use std::sync::Arc;

use axum::http::{Request, StatusCode, Version, header};
use common::{Backend, TestApp};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

struct Tls {
    addr: std::net::SocketAddr,
    roots: RootCertStore,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    _dir: tempfile::TempDir,
}

async fn start(app: &TestApp) -> Tls {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("self-signed certificate");
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).expect("write cert");
    std::fs::write(&key, certified.signing_key.serialize_pem()).expect("write key");
    let config = zhengwu::tls::server_config(&cert, &key).expect("server config");
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(certified.cert.der().to_vec())).expect("root");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(zhengwu::tls::serve(listener, app.router.clone(), config, async {
        let _ = stopped.await;
    }));
    Tls { addr, roots, stop, server, _dir: dir }
}

async fn connect(tls: &Tls, alpn: &[u8]) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let mut config = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(tls.roots.clone())
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    let tcp = tokio::net::TcpStream::connect(tls.addr).await.expect("connect");
    let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .expect("TLS handshake");
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(alpn), "negotiated protocol");
    stream
}

async fn body_text(res: hyper::Response<hyper::body::Incoming>) -> String {
    String::from_utf8_lossy(&res.into_body().collect().await.expect("body").to_bytes()).into_owned()
}

#[tokio::test]
async fn https_serves_http2_and_http1_by_alpn() {
    let app = TestApp::new(Backend::Sqlite).await;
    app.load_demo(20, 0).await;
    let tls = start(&app).await;

    // HTTP/2: no Host header, the host travels in :authority.
    let (mut h2, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(connect(&tls, b"h2").await))
            .await
            .expect("h2 handshake");
    tokio::spawn(conn);
    for round in 0..2 {
        // The second round is answered from the page cache.
        let req = Request::get(format!("https://localhost:{}/", tls.addr.port())).body(Empty::<Bytes>::new()).unwrap();
        let res = h2.send_request(req).await.expect("h2 request");
        assert_eq!(res.version(), Version::HTTP_2);
        assert_eq!(res.status(), StatusCode::OK, "round {round}");
        let text = body_text(res).await;
        assert!(text.contains("哈尔滨市人民政府"), "round {round}: the portal's home page");
        assert!(
            text.contains(&format!("content=\"localhost:{}\"", tls.addr.port())),
            "the site domain comes from :authority"
        );
    }
    // Back-office pages work over HTTP/2 as well.
    let req =
        Request::get(format!("https://localhost:{}/admin/login", tls.addr.port())).body(Empty::<Bytes>::new()).unwrap();
    let res = h2.send_request(req).await.expect("login page");
    assert_eq!(res.status(), StatusCode::OK);

    // HTTP/1.1 for clients that do not speak HTTP/2.
    let (mut h1, conn) = hyper::client::conn::http1::handshake(TokioIo::new(connect(&tls, b"http/1.1").await))
        .await
        .expect("h1 handshake");
    tokio::spawn(conn);
    let req = Request::get("/")
        .header(header::HOST, format!("localhost:{}", tls.addr.port()))
        .body(Empty::<Bytes>::new())
        .unwrap();
    let res = h1.send_request(req).await.expect("h1 request");
    assert_eq!(res.version(), Version::HTTP_11);
    assert_eq!(res.status(), StatusCode::OK);
    assert!(body_text(res).await.contains("哈尔滨市人民政府"));

    tls.stop.send(()).expect("stop");
    drop(h2);
    drop(h1);
    tokio::time::timeout(std::time::Duration::from_secs(15), tls.server)
        .await
        .expect("server stops")
        .expect("join")
        .expect("serve");
}

#[test]
fn a_bad_certificate_file_is_named_in_the_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, "这不是证书").unwrap();
    std::fs::write(&key, "这也不是私钥").unwrap();
    let err = format!("{:#}", zhengwu::tls::server_config(&cert, &key).unwrap_err());
    assert!(err.contains("cert.pem"), "{err}");
    let missing = format!("{:#}", zhengwu::tls::server_config(&dir.path().join("none.pem"), &key).unwrap_err());
    assert!(missing.contains("无法读取证书文件") && missing.contains("none.pem"), "{missing}");
}

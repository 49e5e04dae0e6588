use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};

use super::*;
use crate::sim::tls::TestCa;

/// Serves TLS handshakes with `config` on loopback; the address.
async fn server(config: Arc<rustls::ServerConfig>) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = acceptor.accept(stream).await;
            });
        }
    });
    addr
}

async fn inspect(trust: &Trust, addr: std::net::SocketAddr, host: &str) -> Result<Peer, Failure> {
    trust.inspect(TcpStream::connect(addr).await.unwrap(), host).await
}

#[tokio::test]
async fn an_unknown_issuer_is_named_and_ca_file_makes_it_trusted() {
    let ca = TestCa::new("Contoso Inspection CA").unwrap();
    let addr = server(ca.server(&["snow.nowsync.test"], false).unwrap()).await;
    let platform = Trust::load(None).unwrap();
    let f = inspect(&platform, addr, "snow.nowsync.test").await.unwrap_err();
    assert_eq!(f.problem, Some(CertificateError::UnknownIssuer));
    assert!(f.shown.issuer.contains("Contoso Inspection CA"), "{:?}", f.shown);
    let text = f.explain("snow.nowsync.test", "servicenow", None);
    assert!(
        text.contains("Contoso Inspection CA") && text.contains("ca_file = \"...\" under [servicenow]"),
        "{text}"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, ca.pem()).unwrap();
    let trust = Trust::load(Some(&path)).unwrap();
    let peer = inspect(&trust, addr, "snow.nowsync.test").await.unwrap();
    assert!(peer.by_ca_file);
    assert_eq!(peer.shown.names, vec!["snow.nowsync.test".to_owned()]);
    // The same trust serves reqwest.
    assert!(trust.client_config().is_ok());
}

#[tokio::test]
async fn a_name_mismatch_and_an_expired_certificate_are_told_apart() {
    let ca = TestCa::new("nowsync Test CA").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, ca.pem()).unwrap();
    let trust = Trust::load(Some(&path)).unwrap();

    let addr = server(ca.server(&["snow.nowsync.test"], false).unwrap()).await;
    let f = inspect(&trust, addr, "other.nowsync.test").await.unwrap_err();
    let text = f.explain("other.nowsync.test", "servicenow", trust.ca_file());
    assert!(
        text.contains("for snow.nowsync.test, not for other.nowsync.test"),
        "{text}"
    );

    let addr = server(ca.server(&["snow.nowsync.test"], true).unwrap()).await;
    let f = inspect(&trust, addr, "snow.nowsync.test").await.unwrap_err();
    assert!(
        matches!(
            f.problem,
            Some(CertificateError::Expired | CertificateError::ExpiredContext { .. })
        ),
        "{:?}",
        f.problem
    );
    assert!(f.explain("snow.nowsync.test", "servicenow", None).contains("expired"));
}

#[test]
fn a_ca_file_must_hold_pem_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    assert!(matches!(read_ca_file(&missing), Err(TlsError::Read { .. })));
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "# nothing here\n").unwrap();
    let err = read_ca_file(&empty).unwrap_err();
    assert!(err.to_string().contains("no PEM certificate"), "{err}");
}

//! The notifier against a tiny scripted SMTP server on loopback (the real-server check with
//! aiosmtpd is in tests/it/notify.rs, run by .ci/run).

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use chrono::Utc;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::*;
use crate::notify::{Kind, Reason};

const PASSWORD: &str = "hunter2-Secret!";

/// How the stub answers; `{line}` in a reply is replaced by the command it answers, the way a
/// careless server echoes what it got.
#[derive(Clone, Copy)]
struct Script {
    auth: &'static str,
    rcpt: &'static str,
    silent: bool,
}

const ACCEPT: Script = Script {
    auth: "235 2.7.0 ok",
    rcpt: "250 ok",
    silent: false,
};

/// Starts the stub; returns its port and the DATA of every message it accepted.
async fn stub(script: Script) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let seen = got.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                if script.silent {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    return;
                }
                let (r, mut w) = socket.into_split();
                let mut lines = BufReader::new(r).lines();
                let _ = w.write_all(b"220 stub ESMTP\r\n").await;
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.split(' ').next().unwrap_or_default().to_ascii_uppercase();
                    let reply = match verb.as_str() {
                        "EHLO" => "250-stub\r\n250 AUTH PLAIN LOGIN".to_owned(),
                        "AUTH" => script.auth.replace("{line}", &line),
                        "RCPT" => script.rcpt.to_owned(),
                        "DATA" => {
                            let _ = w.write_all(b"354 go on\r\n").await;
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(&l);
                                data.push('\n');
                            }
                            seen.lock().unwrap().push(data);
                            "250 queued".to_owned()
                        }
                        "QUIT" => {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => "250 ok".to_owned(),
                    };
                    let _ = w.write_all(format!("{reply}\r\n").as_bytes()).await;
                }
            });
        }
    });
    (port, got)
}

fn settings(port: u16, user: Option<&str>) -> Notification {
    Notification {
        email: "idm-team@example.com".into(),
        smtp_host: Some("127.0.0.1".into()),
        smtp_port: port,
        smtp_tls: SmtpTls::None,
        smtp_user: user.map(str::to_owned),
    }
}

fn quarantine(reason: Reason) -> Event {
    Event::new("default", Kind::QuarantineStarted { reason }, Utc::now())
}

#[tokio::test]
async fn sends_a_test_message_over_plain_loopback() {
    let (port, got) = stub(ACCEPT).await;
    let notifier = Notifier::new("default", &settings(port, None), None).unwrap();
    notifier
        .send(&Event::new("default", Kind::Test, Utc::now()))
        .await
        .unwrap();
    let got = got.lock().unwrap();
    assert_eq!(got.len(), 1);
    assert!(
        got[0].contains("Subject: [nowsync] test message for profile 'default'"),
        "{}",
        got[0]
    );
    assert!(got[0].contains("To: idm-team@example.com"), "{}", got[0]);
    assert!(
        got[0].contains("Message-ID: <nowsync.") && got[0].contains("@example.com>"),
        "{}",
        got[0]
    );
    assert!(got[0].contains("This is a test message from nowsync"), "{}", got[0]);
}

#[tokio::test]
async fn notify_mails_once_per_reason() {
    let (port, got) = stub(ACCEPT).await;
    let tmp = tempfile::tempdir().unwrap();
    let state = StateFile::in_data_dir(tmp.path());
    let notifier = Notifier::new("default", &settings(port, None), None).unwrap();
    let first = quarantine(Reason::TooManyFailures);
    assert_eq!(notifier.notify(&state, &first).await.unwrap(), Delivery::Sent);
    assert_eq!(
        notifier.notify(&state, &first).await.unwrap(),
        Delivery::AlreadySent {
            reason: "TooManyFailures".into()
        }
    );
    let changed = quarantine(Reason::CredentialsRejected);
    assert_eq!(notifier.notify(&state, &changed).await.unwrap(), Delivery::Sent);
    assert_eq!(got.lock().unwrap().len(), 2);
}

// A server that echoes the AUTH line must not get the password into our error text.
#[tokio::test]
async fn auth_failure_names_the_user_and_never_the_password() {
    let (port, _) = stub(Script {
        auth: "535 5.7.8 authentication failed for {line}",
        ..ACCEPT
    })
    .await;
    let notifier = Notifier::new("default", &settings(port, Some("nowsync")), Some(Secret::new(PASSWORD))).unwrap();
    let err = notifier.send(&quarantine(Reason::TooManyFailures)).await.unwrap_err();
    assert!(matches!(err, NotifyError::AuthFailed { .. }), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(
        text.contains("rejected the login of 'nowsync'") && text.contains("535"),
        "{text}"
    );
    assert!(text.contains("***"), "the echoed AUTH line should be scrubbed: {text}");
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    for leak in [
        PASSWORD.to_owned(),
        b64(PASSWORD),
        b64(&format!("\0nowsync\0{PASSWORD}")),
    ] {
        assert!(!text.contains(&leak), "{leak} in {text}");
    }
    assert!(!err.is_config() && !err.is_transient());
}

#[tokio::test]
async fn refused_recipient_is_its_own_error() {
    let (port, _) = stub(Script {
        rcpt: "550 5.1.1 no such mailbox",
        ..ACCEPT
    })
    .await;
    let notifier = Notifier::new("default", &settings(port, None), None).unwrap();
    let err = notifier.send(&quarantine(Reason::TooManyFailures)).await.unwrap_err();
    assert!(matches!(err, NotifyError::RecipientRefused { .. }), "{err:?}");
    assert!(err.to_string().contains("'idm-team@example.com'"), "{err}");
}

#[tokio::test]
async fn connection_refused_and_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let notifier = Notifier::new("default", &settings(port, None), None).unwrap();
    let err = notifier.send(&quarantine(Reason::TooManyFailures)).await.unwrap_err();
    assert!(matches!(err, NotifyError::ConnectionRefused { .. }), "{err:?}");
    assert!(err.is_transient() && !err.is_config());

    let (port, _) = stub(Script { silent: true, ..ACCEPT }).await;
    let notifier = Notifier::new("default", &settings(port, None), None)
        .unwrap()
        .with_timeout(Duration::from_millis(300));
    let err = notifier.send(&quarantine(Reason::TooManyFailures)).await.unwrap_err();
    assert!(matches!(err, NotifyError::Timeout { .. }), "{err:?}");
}

#[test]
fn settings_that_cannot_work_fail_early() {
    let mut remote = settings(25, None);
    remote.smtp_host = Some("smtp.example.com".into());
    let err = Notifier::new("default", &remote, None).err().unwrap();
    assert!(matches!(err, NotifyError::PlainNotLoopback { .. }), "{err:?}");

    let err = Notifier::new("default", &settings(25, Some("nowsync")), None)
        .err()
        .unwrap();
    assert!(err.to_string().contains("secrets set smtp-password"), "{err}");

    let mut no_host = settings(25, None);
    no_host.smtp_host = None;
    let err = Notifier::new("p", &no_host, None).err().unwrap();
    assert!(
        err.to_string().contains("[profiles.p.notification] has no smtp_host"),
        "{err}"
    );
    assert!(err.is_config());
}

#[test]
fn the_sender_is_the_login_when_it_is_an_address() {
    let with_address = settings(25, Some("robot@example.com"));
    let n = Notifier::new("default", &with_address, Some(Secret::new("x"))).unwrap();
    assert_eq!(n.sender(), "robot@example.com");
    let n = Notifier::new("default", &settings(25, Some("robot")), Some(Secret::new("x"))).unwrap();
    assert_eq!(n.sender(), "idm-team@example.com");
}

#[test]
fn loopback_hosts() {
    for (host, want) in [
        ("localhost", true),
        ("127.0.0.1", true),
        ("127.8.9.10", true),
        ("::1", true),
        ("[::1]", true),
        ("10.0.0.1", false),
        ("smtp.example.com", false),
        ("localhost.example.com", false),
    ] {
        assert_eq!(is_loopback(host), want, "{host}");
    }
}

// A server without STARTTLS, or one that speaks plain text on an implicit-TLS port, is a TLS
// failure with TLS advice, not a generic rejection.
#[tokio::test]
async fn tls_modes_against_a_plain_server_fail_as_tls() {
    for mode in [SmtpTls::StartTls, SmtpTls::Tls] {
        let (port, got) = stub(ACCEPT).await;
        let mut s = settings(port, None);
        s.smtp_tls = mode;
        let notifier = Notifier::new("default", &s, None)
            .unwrap()
            .with_timeout(Duration::from_secs(5));
        let err = notifier.send(&quarantine(Reason::TooManyFailures)).await.unwrap_err();
        assert!(matches!(err, NotifyError::Tls { .. }), "{mode:?}: {err:?}");
        assert!(err.to_string().contains("check smtp_tls"), "{err}");
        assert!(got.lock().unwrap().is_empty());
    }
}

// Certificates are verified: a server whose certificate no system root vouches for (the
// self-signed one in tests/fixtures/notify) fails as TLS, before any login is sent.
#[tokio::test]
async fn an_untrusted_certificate_is_refused() {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/notify");
    let cert = CertificateDer::from_pem_file(format!("{dir}/self-signed.crt")).unwrap();
    let key = PrivateKeyDer::from_pem_file(format!("{dir}/self-signed.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            // The handshake fails on the client's side; nothing more to serve.
            let _ = acceptor.accept(socket).await;
        }
    });
    let mut s = settings(port, Some("nowsync"));
    s.smtp_tls = SmtpTls::Tls;
    s.smtp_host = Some("localhost".into());
    let notifier = Notifier::new("default", &s, Some(Secret::new(PASSWORD)))
        .unwrap()
        .with_timeout(Duration::from_secs(5));
    let err = notifier.send(&quarantine(Reason::TooManyFailures)).await.unwrap_err();
    assert!(matches!(err, NotifyError::Tls { .. }), "{err:?}");
    assert!(err.to_string().contains("certificate"), "{err}");
}

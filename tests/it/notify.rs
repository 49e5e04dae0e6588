//! `nowsync notify --test` as the real binary, and (ignored, run by .ci/run with
//! `NOWSYNC_AIOSMTPD_PYTHON`) the whole notification path against aiosmtpd, a real SMTP server
//! from PyPI: the CLI with and without AUTH, then `Notifier` + `StateFile` mailing once per
//! quarantine reason.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use chrono::Utc;
use nowsync::notify::{Counts, Delivery, ErrorSample, Event, Kind, Notifier, Reason, StateFile};
use nowsync::secrets::Secret;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::support::{Workspace, text};

fn notification_profile(ws: &Workspace, port: u16, user: Option<&str>) {
    let user = user.map(|u| format!("smtp_user = \"{u}\"\n")).unwrap_or_default();
    ws.write_config(&format!(
        "[profiles.default.secrets]\nstore = \"env\"\n\n[profiles.default.notification]\n\
         email = \"idm-team@example.com\"\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {port}\nsmtp_tls = \"none\"\n{user}"
    ));
}

/// An SMTP server that accepts every message and counts them: enough for the exit-0 path on a
/// machine without aiosmtpd.
pub async fn accept_all() -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (r, mut w) = socket.into_split();
                let mut lines = BufReader::new(r).lines();
                let _ = w.write_all(b"220 stub\r\n").await;
                while let Ok(Some(line)) = lines.next_line().await {
                    let reply: &[u8] = match line.get(..4).map(str::to_ascii_uppercase).as_deref() {
                        Some("DATA") => {
                            let _ = w.write_all(b"354 go on\r\n").await;
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(&l);
                                data.push('\n');
                            }
                            let _ = tx.send(data);
                            b"250 queued\r\n"
                        }
                        Some("QUIT") => b"221 bye\r\n",
                        _ => b"250 ok\r\n",
                    };
                    let _ = w.write_all(reply).await;
                }
            });
        }
    });
    (port, rx)
}

#[tokio::test]
async fn notify_test_sends_and_says_so() {
    let ws = Workspace::new();
    let (port, mut got) = accept_all().await;
    notification_profile(&ws, port, None);
    let out = ws.run(&["notify", "--test"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("to idm-team@example.com through 127.0.0.1:{port} (plain)")),
        "{stdout}"
    );
    assert!(stdout.contains("sent: the server accepted the message"), "{stdout}");
    let data = got.recv().await.unwrap();
    assert!(
        data.contains("Subject: [nowsync] test message for profile 'default'"),
        "{data}"
    );
}

#[tokio::test]
async fn notify_test_exit_codes() {
    let ws = Workspace::new();
    ws.write_config("[profiles.default.secrets]\nstore = \"env\"\n");
    let out = ws.run(&["notify", "--test"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("add [profiles.default.notification] with email and smtp_host"),
        "{}",
        text(&out.stderr)
    );

    // A login without its password is a configuration problem: 2, and says how to set it.
    notification_profile(&ws, 25, Some("nowsync"));
    let out = ws.run(&["notify", "--test"], &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("smtp-password"), "{}", text(&out.stderr));

    // Nobody listening: a connection failure, 3.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    notification_profile(&ws, port, None);
    let out = ws.run(&["notify", "--test"], &[]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("refused the connection"),
        "{}",
        text(&out.stderr)
    );
}

/// aiosmtpd's recorded messages, oldest first: (login, recipients, content).
fn received(dir: &Path) -> Vec<(Option<String>, Vec<String>, String)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            let rcpts = v["rcpt_tos"].as_array().unwrap().iter();
            (
                v["login"].as_str().map(str::to_owned),
                rcpts.map(|r| r.as_str().unwrap().to_owned()).collect(),
                readable(v["content"].as_str().unwrap()),
            )
        })
        .collect()
}

/// A message with its headers unfolded and quoted-printable soft line breaks undone, so that
/// phrases can be searched whole.
fn readable(content: &str) -> String {
    let (head, body) = content.split_once("\r\n\r\n").unwrap_or((content, ""));
    let head = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let body = body.replace("=\r\n", "");
    format!("{head}\n\n{body}").replace("\r\n", "\n")
}

const SMTP_PASSWORD: &str = "aiosmtpd-Pass-7";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs aiosmtpd from PyPI: run by .ci/run with NOWSYNC_AIOSMTPD_PYTHON"]
async fn smtp_real_aiosmtpd() {
    let python =
        std::env::var("NOWSYNC_AIOSMTPD_PYTHON").expect("NOWSYNC_AIOSMTPD_PYTHON names a python with aiosmtpd");
    let ws = Workspace::new();
    let mail_dir = ws.dir.path().join("mail");
    std::fs::create_dir(&mail_dir).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/notify/aiosmtpd_server.py");
    let mut server = tokio::process::Command::new(python)
        .arg(script)
        .arg("--dir")
        .arg(&mail_dir)
        .args(["--user", "nowsync", "--password", SMTP_PASSWORD])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut ready = BufReader::new(server.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(20), ready.next_line())
        .await
        .expect("aiosmtpd did not start in 20 s")
        .unwrap()
        .expect("aiosmtpd printed no ready line");
    let port = serde_json::from_str::<serde_json::Value>(&line).unwrap()["port"]
        .as_u64()
        .unwrap() as u16;

    // (1) The CLI, plain over loopback without a login.
    notification_profile(&ws, port, None);
    let out = ws.run(&["notify", "--test"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mails = received(&mail_dir);
    assert_eq!(mails.len(), 1);
    let (login, rcpts, content) = &mails[0];
    assert_eq!((login, rcpts), (&None, &vec!["idm-team@example.com".to_owned()]));
    assert!(
        content.contains("Subject: [nowsync] test message for profile 'default'\n"),
        "{content}"
    );
    assert!(content.contains("To: idm-team@example.com\n"), "{content}");
    assert!(
        content.contains("This is a test message from nowsync for profile 'default'."),
        "{content}"
    );

    // (1b) AUTH over plain loopback: the right password logs in, a wrong one exits 3 and is
    // not echoed.
    notification_profile(&ws, port, Some("nowsync"));
    let out = ws
        .run(&["notify", "--test"], &[("NOWSYNC_SMTP_PASSWORD", SMTP_PASSWORD)])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mails = received(&mail_dir);
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[1].0.as_deref(), Some("nowsync"));
    assert!(
        text(&out.stdout).contains("login 'nowsync' (smtp-password from env)"),
        "{}",
        text(&out.stdout)
    );
    let out = ws
        .run(&["notify", "--test"], &[("NOWSYNC_SMTP_PASSWORD", "wrong-Pass-9")])
        .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("rejected the login of 'nowsync'") && stderr.contains("535"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-Pass-9"), "{stderr}");
    assert_eq!(received(&mail_dir).len(), 2);

    // (2) The engine's path: the same reason twice mails once, a changed reason mails again.
    let state = StateFile::in_data_dir(&ws.data_dir());
    let settings = nowsync::config::Notification {
        email: "idm-team@example.com".into(),
        smtp_host: Some("127.0.0.1".into()),
        smtp_port: port,
        smtp_tls: nowsync::config::SmtpTls::None,
        smtp_user: Some("nowsync".into()),
    };
    let notifier = Notifier::new("default", &settings, Some(Secret::new(SMTP_PASSWORD))).unwrap();
    let failures = Event {
        counts: Counts {
            operations: 20,
            failures: 17,
        },
        errors: vec![ErrorSample {
            code: "InvalidLookupReference".into(),
            object: "jane@contoso.com".into(),
            message: "department 'Sales' does not exist".into(),
        }],
        ..Event::new(
            "default",
            Kind::QuarantineStarted {
                reason: Reason::TooManyFailures,
            },
            Utc::now(),
        )
    };
    assert_eq!(notifier.notify(&state, &failures).await.unwrap(), Delivery::Sent);
    assert!(matches!(
        notifier.notify(&state, &failures).await.unwrap(),
        Delivery::AlreadySent { .. }
    ));
    let changed = Event {
        counts: Counts {
            operations: 3,
            failures: 3,
        },
        ..Event::new(
            "default",
            Kind::ReasonChanged {
                from: Reason::TooManyFailures,
                to: Reason::CredentialsRejected,
            },
            Utc::now(),
        )
    };
    assert_eq!(notifier.notify(&state, &changed).await.unwrap(), Delivery::Sent);
    assert!(matches!(
        notifier.notify(&state, &changed).await.unwrap(),
        Delivery::AlreadySent { .. }
    ));

    let mails = received(&mail_dir);
    assert_eq!(mails.len(), 4, "two notices after the two test messages");
    let first = &mails[2].2;
    assert!(
        first.contains("Subject: [nowsync] profile 'default' is quarantined: TooManyFailures\n"),
        "{first}"
    );
    for want in [
        "Reason:          TooManyFailures\n",
        "Operations:      20\n",
        "Failures:        17\n",
        "jane@contoso.com",
    ] {
        assert!(first.contains(want), "{want:?} in {first}");
    }
    let second = &mails[3].2;
    assert!(
        second.contains("quarantine reason is now CredentialsRejected\n"),
        "{second}"
    );
    for want in [
        "Reason:          CredentialsRejected\n",
        "Failures:        3\n",
        "changed from TooManyFailures to CredentialsRejected",
    ] {
        assert!(second.contains(want), "{want:?} in {second}");
    }

    // Closing its stdin stops the server.
    drop(server.stdin.take());
    let _ = tokio::time::timeout(Duration::from_secs(10), server.wait()).await;
}

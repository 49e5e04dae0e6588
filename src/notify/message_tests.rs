use chrono::TimeZone;

use super::*;
use crate::notify::event::{Counts, ErrorSample, Reason};

fn at(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, h, 0, 0).single().unwrap_or_default()
}

fn sample(code: &str, object: &str, message: &str) -> ErrorSample {
    ErrorSample {
        code: code.into(),
        object: object.into(),
        message: message.into(),
    }
}

#[test]
fn quarantine_for_rejected_credentials_reads_like_this() {
    let event = Event {
        counts: Counts {
            operations: 12,
            failures: 12,
        },
        errors: vec![sample(
            "CredentialsRejected",
            "jane@contoso.com",
            "ServiceNow answered 401 User Not Authenticated",
        )],
        next_attempt: Some(at(22)),
        ..Event::new(
            "default",
            Kind::QuarantineStarted {
                reason: Reason::CredentialsRejected,
            },
            at(21),
        )
    };
    let mail = render(&event);
    assert_eq!(
        mail.subject,
        "[nowsync] profile 'default' is quarantined: CredentialsRejected"
    );
    let want = "\
Provisioning for profile 'default' is quarantined: CredentialsRejected.

A service rejected nowsync's credentials, so the cycle stopped before failing every object.

Profile:         default
Reason:          CredentialsRejected
Time:            2026-11-28 21:00:00 UTC
Next attempt:    2026-11-28 22:00:00 UTC
Operations:      12
Failures:        12

First errors (1 of 12):
  1. CredentialsRejected  jane@contoso.com
     ServiceNow answered 401 User Not Authenticated

What to do:
  - Check the credentials: nowsync test-connection
  - Store the new password or secret: nowsync secrets set NAME
  - Then try again at once: nowsync restart --scope quarantine

-- 
Sent by nowsync. One message per quarantine reason: the next comes only if the reason changes.
";
    assert_eq!(mail.body, want);
}

#[test]
fn deletion_threshold_gives_the_staged_counts_and_allow_deletes() {
    let event = Event::new(
        "prod",
        Kind::DeletionThreshold {
            staged_disables: 5,
            staged_deletes: 2,
            threshold: 3,
        },
        at(21),
    );
    let mail = render(&event);
    assert_eq!(
        mail.subject,
        "[nowsync] profile 'prod': deletion threshold exceeded, deletions staged"
    );
    for want in [
        "Reason:          TooManyDeletes\n",
        "Staged disables: 5\n",
        "Staged deletes:  2\n",
        "Threshold:       3\n",
        "nowsync --profile prod allow-deletes\n",
        "so nothing was disabled or deleted.",
    ] {
        assert!(mail.body.contains(want), "{want:?} missing from:\n{}", mail.body);
    }
    assert!(!mail.body.contains("First errors"), "{}", mail.body);
    assert!(
        !mail.body.contains("Operations:"),
        "no counts were given: {}",
        mail.body
    );
}

#[test]
fn reason_change_names_both_reasons() {
    let event = Event::new(
        "default",
        Kind::ReasonChanged {
            from: Reason::TooManyDeletes,
            to: Reason::TooManyFailures,
        },
        at(21),
    );
    let mail = render(&event);
    assert_eq!(
        mail.subject,
        "[nowsync] profile 'default': quarantine reason is now TooManyFailures"
    );
    assert!(mail.body.contains("changed from TooManyDeletes to TooManyFailures."));
    assert!(mail.body.contains("Reason:          TooManyFailures\n"));
    assert!(mail.body.contains("nowsync restart --scope quarantine"));
}

#[test]
fn test_message_has_no_reason_or_advice() {
    let mail = render(&Event::new("default", Kind::Test, at(21)));
    assert_eq!(mail.subject, "[nowsync] test message for profile 'default'");
    assert!(
        mail.body
            .starts_with("This is a test message from nowsync for profile 'default'.")
    );
    assert!(!mail.body.contains("Reason:") && !mail.body.contains("What to do"));
}

#[test]
fn only_the_first_errors_are_listed() {
    let errors = (0..25)
        .map(|i| {
            sample(
                "InvalidLookupReference",
                &format!("user{i}@contoso.com"),
                "no such department",
            )
        })
        .collect();
    let event = Event {
        errors,
        counts: Counts {
            operations: 100,
            failures: 40,
        },
        ..Event::new(
            "default",
            Kind::QuarantineStarted {
                reason: Reason::TooManyFailures,
            },
            at(21),
        )
    };
    let body = render(&event).body;
    assert!(body.contains(&format!("First errors ({MAX_ERRORS} of 40):")), "{body}");
    assert!(body.contains("user9@contoso.com") && !body.contains("user10@contoso.com"));
}

// Header injection: an object name or error text with CR/LF must not become a header or a line.
#[test]
fn foreign_text_cannot_inject_headers_or_lines() {
    let evil = "x\r\nBcc: victim@example.com\r\n\r\n.\r\nRCPT TO:<other@example.com>\x1b[2J";
    let event = Event {
        errors: vec![sample(evil, evil, evil)],
        ..Event::new(
            format!("p{evil}"),
            Kind::QuarantineStarted {
                reason: Reason::Other(evil.into()),
            },
            at(21),
        )
    };
    let mail = render(&event);
    assert!(
        !mail.subject.contains('\r') && !mail.subject.contains('\n'),
        "{:?}",
        mail.subject
    );
    assert!(
        !mail.body.contains('\r') && !mail.body.contains('\x1b'),
        "{:?}",
        mail.body
    );
    for l in mail.body.lines() {
        assert!(
            !l.starts_with("Bcc:") && !l.starts_with('.') && !l.starts_with("RCPT"),
            "{l:?}"
        );
    }
    assert!(mail.body.contains("x\\r\\nBcc: victim@example.com"), "{}", mail.body);
}

#[test]
fn long_messages_are_cut() {
    let event = Event {
        errors: vec![sample("Timeout", "u@x.org", &"a".repeat(5000))],
        ..Event::new(
            "default",
            Kind::QuarantineStarted {
                reason: Reason::TooManyFailures,
            },
            at(21),
        )
    };
    let body = render(&event).body;
    assert!(body.contains(&format!("{}…", "a".repeat(500))));
    assert!(!body.contains(&"a".repeat(501)));
}

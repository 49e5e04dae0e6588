use super::*;
use reqwest::header::{HeaderName, HeaderValue};

const NOW: u64 = 1_700_000_000;
const HIBERNATING: &str = r#"<html><head><title>Hibernating Instance</title></head><body><div class="instance-hibernating-page"><h1>Your instance is hibernating</h1><p class="information">Sign in to the site to wake your instance</p></div></body></html>"#;

fn ctx() -> Context {
    Context::new("https://dev1.service-now.com", "PATCH", Some("sys_user"))
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

fn json_h() -> Vec<(&'static str, &'static str)> {
    vec![
        ("content-type", "application/json;charset=UTF-8"),
        ("x-transaction-id", "a1b2c3"),
    ]
}

fn run(status: u16, hdrs: &[(&str, &str)], body: &str) -> Result<Option<Value>, Error> {
    classify(ctx(), status, &headers(hdrs), body.as_bytes(), true, NOW)
}

#[test]
fn success_shapes() {
    let j = json_h();
    assert!(run(200, &j, r#"{"result":[]}"#).unwrap().is_some());
    assert!(run(201, &j, r#"{"result":{"sys_id":"x"}}"#).unwrap().is_some());
    assert!(run(204, &[], "").unwrap().is_none());
}

const JSON: Headers = &[
    ("content-type", "application/json;charset=UTF-8"),
    ("x-transaction-id", "a1b2c3"),
];
const HTML: Headers = &[("content-type", "text/html")];
const E401: &str = r#"{"error":{"message":"User is not authenticated","detail":"Required to provide Auth information"},"status":"failure"}"#;
const E403: &str = r#"{"error":{"message":"Operation Failed","detail":"ACL Exception Update Failed due to security constraints"},"status":"failure"}"#;
const E404: &str = r#"{"error":{"message":"No Record found","detail":null},"status":"failure"}"#;
const E429: &str = r#"{"error":{"message":"Rate limit exceeded","detail":"Rate limit of 100 requests per hour for Table API exceeded"},"status":"failure"}"#;
const E400: &str =
    r#"{"error":{"message":"Requested URI does not represent any resource","detail":null},"status":"failure"}"#;

type Check = fn(&Error) -> bool;
type Headers = &'static [(&'static str, &'static str)];

/// Each status and body kind the instance (or whoever answers in its stead) sends: status,
/// headers, body, the expected kind, transient, connection.
const CASES: &[(u16, Headers, &str, Check, bool, bool)] = &[
    (400, JSON, E400, |e| matches!(e, Error::BadRequest { .. }), false, false),
    (
        400,
        HTML,
        "<html>Request header is too large</html>",
        |e| matches!(e, Error::BadRequest { .. }),
        false,
        false,
    ),
    (
        401,
        JSON,
        E401,
        |e| matches!(e, Error::Unauthorized { .. }),
        false,
        true,
    ),
    (
        403,
        JSON,
        E403,
        |e| matches!(e, Error::Forbidden { detail: Some(d), .. } if d.contains("ACL")),
        false,
        false,
    ),
    (404, JSON, E404, |e| matches!(e, Error::NotFound { .. }), false, false),
    (
        404,
        HTML,
        "<html>Not Found</html>",
        |e| matches!(e, Error::NotServiceNow { .. }),
        false,
        true,
    ),
    (
        429,
        JSON,
        E429,
        |e| e.retry_after().is_none() && matches!(e, Error::RateLimited { .. }),
        true,
        false,
    ),
    (202, &[], "", |e| matches!(e, Error::AcceptedEmpty { .. }), true, false),
    (
        202,
        &[],
        "  \n",
        |e| matches!(e, Error::AcceptedEmpty { .. }),
        true,
        false,
    ),
    (
        500,
        JSON,
        r#"{"error":{"message":"boom","detail":"x"}}"#,
        |e| matches!(e, Error::Server { status: 500, .. }),
        true,
        false,
    ),
    (
        502,
        HTML,
        "<html>Bad Gateway</html>",
        |e| matches!(e, Error::Server { status: 502, .. }),
        true,
        false,
    ),
    (
        503,
        &[],
        "",
        |e| matches!(e, Error::Server { status: 503, .. }),
        true,
        false,
    ),
    (
        200,
        HTML,
        "<html><body>Welcome to our login page</body></html>",
        |e| matches!(e, Error::NotServiceNow { .. }),
        false,
        true,
    ),
    (
        200,
        HTML,
        HIBERNATING,
        |e| matches!(e, Error::Hibernating { .. }),
        false,
        true,
    ),
    (
        302,
        &[("location", "https://developer.servicenow.com/")],
        "",
        |e| matches!(e, Error::NotServiceNow { .. }),
        false,
        true,
    ),
    (
        302,
        &[("location", "https://x.service-now.com/hibernating.do")],
        "",
        |e| matches!(e, Error::Hibernating { .. }),
        false,
        true,
    ),
    (
        200,
        JSON,
        r#"{"result":[{"sys_id":"abc","na"#,
        |e| matches!(e, Error::Truncated { .. }),
        true,
        false,
    ),
    (200, JSON, "", |e| matches!(e, Error::Truncated { .. }), true, false),
    (
        200,
        JSON,
        r#"{"status":"ok","items":[]}"#,
        |e| matches!(e, Error::NotServiceNow { .. }),
        false,
        true,
    ),
    (
        405,
        JSON,
        r#"{"error":{"message":"Method not Supported","detail":null}}"#,
        |e| matches!(e, Error::Status { status: 405, .. }),
        false,
        false,
    ),
];

#[test]
fn each_status_and_body_kind_is_classified() {
    for &(status, hdrs, body, check, transient, connection) in CASES {
        let err = run(status, hdrs, body).expect_err(body);
        assert!(check(&err), "{status} {body}: got {err:?}");
        assert_eq!(err.is_transient(), transient, "{status} {body}: transient of {err:?}");
        assert_eq!(
            err.is_connection(),
            connection,
            "{status} {body}: connection of {err:?}"
        );
    }
}

#[test]
fn forbidden_keeps_message_and_detail() {
    let body = r#"{"error":{"message":"Operation Failed","detail":"ACL Exception Insert Failed due to security constraints"},"status":"failure"}"#;
    let err = run(403, &json_h(), body).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("Operation Failed") && text.contains("ACL Exception Insert Failed"),
        "{text}"
    );
}

#[test]
fn retry_after_seconds_date_and_reset() {
    let r = |h: &[(&str, &str)]| retry_after(&headers(h), NOW);
    assert_eq!(r(&[("retry-after", "7")]), Some(Duration::from_secs(7)));
    let date = httpdate::fmt_http_date(std::time::UNIX_EPOCH + Duration::from_secs(NOW + 30));
    assert_eq!(r(&[("retry-after", &date)]), Some(Duration::from_secs(30)));
    let reset = (NOW + 120).to_string();
    assert_eq!(r(&[("x-ratelimit-reset", &reset)]), Some(Duration::from_secs(120)));
    assert_eq!(r(&[("x-ratelimit-reset", "1")]), Some(Duration::ZERO));
    assert_eq!(r(&[]), None);
    let err = run(429, &[("retry-after", "3")], "").unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
}

#[test]
fn messages_name_instance_method_table_and_transaction_not_secrets() {
    let err = run(
        401,
        &json_h(),
        r#"{"error":{"message":"User is not authenticated","detail":null}}"#,
    )
    .unwrap_err();
    let text = err.to_string();
    for needle in [
        "https://dev1.service-now.com",
        "PATCH",
        "sys_user",
        "a1b2c3",
        "check the user name and password",
    ] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }
    assert_eq!(err.context().and_then(|c| c.transaction_id.as_deref()), Some("a1b2c3"));
    assert!(!text.contains("Authorization") && !text.contains("Basic "));
    let h = run(200, &[("content-type", "text/html")], HIBERNATING)
        .unwrap_err()
        .to_string();
    assert!(
        h.contains("hibernating") && h.contains("developer.servicenow.com"),
        "{h}"
    );
    let n = run(200, &[("content-type", "text/html")], "<html>x</html>")
        .unwrap_err()
        .to_string();
    assert!(n.contains("appears to be invalid"), "{n}");
}

/// Issue 17, defect 7: a request refused for its size (a 10 MB user name in the Basic
/// header: 431; a long query: 414; a big body: 413) is reported as that, in HTML, plain text or
/// no body, never as "not a ServiceNow instance".
#[test]
fn a_request_too_large_is_named_as_such() {
    for (status, what) in [
        (431, "Request Header Fields Too Large"),
        (414, "URI Too Long"),
        (413, "Payload Too Large"),
    ] {
        for (hdrs, body) in [
            (
                &[("content-type", "text/html")][..],
                "<html><body>Request Header Or Cookie Too Large</body></html>",
            ),
            (&[][..], ""),
            (&[("content-type", "text/plain")][..], "too large"),
        ] {
            let e = run(status, hdrs, body).unwrap_err();
            assert!(matches!(e, Error::TooLarge { .. }), "{status} {body:?}: {e:?}");
            let text = e.to_string();
            assert!(text.contains(what) && text.contains("too long"), "{text}");
            assert!(!text.contains("does not answer as a ServiceNow instance"), "{text}");
            assert!(!e.is_transient() && !e.is_connection());
            assert_eq!(e.status(), Some(status));
        }
    }
}

#[test]
fn a_quota_cancelled_read_is_an_error_never_a_result() {
    let j = json_h();
    let body = r#"{"result":[{"sys_id":"a"},{"sys_id":"b"}],"error":{"message":"Transaction cancelled: maximum execution time exceeded","detail":"Transaction cancelled: maximum execution time exceeded Check logs for error trace or enable glide.rest.debug property to verify REST request processing"},"status":"failure"}"#;
    let e = run(200, &j, body).unwrap_err();
    assert!(
        matches!(
            &e,
            Error::Cancelled {
                rows: 2,
                status: 200,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.is_quota_cancelled());
    assert_eq!(
        e.verdict("GET"),
        crate::net::retry::Verdict::Fail,
        "the pager asks for a smaller page"
    );
    assert!(e.to_string().contains("after 2 rows"), "{e}");
    // Cancelled while queued: a 500 saying so.
    let queued = r#"{"error":{"message":"Transaction cancelled: maximum execution time exceeded","detail":null},"status":"failure"}"#;
    let e = run(500, &j, queued).unwrap_err();
    assert!(e.is_quota_cancelled() && e.verdict("GET") == crate::net::retry::Verdict::Retry);
    let e = run(500, &j, r#"{"error":{"message":"boom"}}"#).unwrap_err();
    assert!(!e.is_quota_cancelled());
    // An `"error": null` beside a result is no error.
    assert!(run(200, &j, r#"{"result":[],"error":null}"#).unwrap().is_some());
}

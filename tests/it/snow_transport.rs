//! Transport shapes of the ServiceNow client against a scripted stub: retries, typed errors,
//! OAuth refresh, paging, batch, the in-flight ceiling. The simulator tests are in `snow_client`.

use std::time::Duration;

use nowsync::net::retry::Policy;
use nowsync::secrets::Secret;
use nowsync::servicenow::{Auth, BatchOp, Client, ClientOptions, Cond, Error, Instance, ListParams, Query};
use serde_json::json;

use crate::snow_stub::{Reply, json, start, with_headers};

const ID: &str = "6816f79cc0a8016401c5a33be04be441";

fn basic() -> Auth {
    Auth::Basic {
        username: "admin".into(),
        password: Secret::new("s3cr3t-pw"),
    }
}

/// A client whose backoff waits are milliseconds (the stub is real: no paused time here).
fn client(url: &str, auth: Auth, options: ClientOptions) -> Client {
    let retry = Policy {
        base: Duration::from_millis(1),
        cap: Duration::from_millis(5),
        throttle_base: Duration::from_millis(1),
        throttle_cap: Duration::from_millis(5),
        throttle_budget: Duration::from_secs(5),
        ..options.retry
    };
    Client::new(
        Instance::parse(url, false).unwrap(),
        auth,
        ClientOptions { retry, ..options },
    )
    .unwrap()
}

fn attempts(max_attempts: u32) -> ClientOptions {
    ClientOptions {
        retry: Policy {
            max_attempts,
            ..Policy::default()
        },
        ..ClientOptions::default()
    }
}

fn ok_list() -> Reply {
    json(
        200,
        &format!(r#"{{"result":[{{"sys_id":"{ID}","user_name":"abel"}}]}}"#),
    )
}

fn params() -> ListParams {
    ListParams::new(Query::new().and(Cond::eq("user_name", "abel tuter")))
}

#[tokio::test]
async fn transient_failures_are_retried_then_succeed() {
    let script = vec![
        with_headers(
            429,
            &[("Retry-After", "0")],
            r#"{"error":{"message":"Rate limit exceeded"}}"#,
        ),
        with_headers(429, &[("X-RateLimit-Reset", "1")], ""),
        with_headers(429, &[], ""),
        Reply::Http(202, vec![], String::new()),
        with_headers(
            503,
            &[("Content-Type", "text/html")],
            "<html>Service Unavailable</html>",
        ),
        Reply::Drop,
        Reply::Truncated(r#"{"result":[{"sys_id":"#.into(), 200),
    ];
    let stub = start(script, ok_list()).await;
    // Throttles (three 429s, one 202-empty) spend no attempt: 4 attempts cover the 3 failures.
    let c = client(&stub.url, basic(), attempts(4));
    let page = c.list("sys_user", &params()).await.unwrap();
    assert_eq!(page.records.len(), 1);
    assert_eq!(stub.requests().len(), 8);
}

#[tokio::test]
async fn retries_are_bounded_and_the_last_error_is_typed() {
    let stub = start(vec![], json(500, r#"{"error":{"message":"boom","detail":"x"}}"#)).await;
    let c = client(&stub.url, basic(), attempts(3));
    let err = c.list("sys_user", &params()).await.unwrap_err();
    assert!(matches!(err, Error::Server { status: 500, .. }), "{err:?}");
    assert_eq!(stub.requests().len(), 3);
}

#[tokio::test]
async fn a_create_is_not_retried_after_a_dropped_connection() {
    let stub = start(
        vec![Reply::Drop],
        json(201, &format!(r#"{{"result":{{"sys_id":"{ID}"}}}}"#)),
    )
    .await;
    let c = client(&stub.url, basic(), ClientOptions::default());
    let body = json!({"user_name": "x"}).as_object().unwrap().clone();
    let err = c.create("sys_user", &body).await.unwrap_err();
    assert!(
        matches!(err, Error::Dropped { .. } | Error::Truncated { .. }),
        "{err:?}"
    );
    assert_eq!(stub.requests().len(), 1);
}

#[tokio::test]
async fn errors_are_typed_and_name_the_request_but_never_the_password() {
    let cases = vec![
        (
            with_headers(
                401,
                &[
                    ("X-Transaction-ID", "tx42"),
                    ("WWW-Authenticate", "Basic realm=\"Service-now\""),
                ],
                r#"{"error":{"message":"User is not authenticated","detail":"Required to provide Auth information"},"status":"failure"}"#,
            ),
            "Unauthorized",
        ),
        (
            json(
                403,
                r#"{"error":{"message":"Operation Failed","detail":"ACL Exception Update Failed due to security constraints"},"status":"failure"}"#,
            ),
            "Forbidden",
        ),
        (
            json(
                404,
                r#"{"error":{"message":"No Record found","detail":null},"status":"failure"}"#,
            ),
            "NotFound",
        ),
        (
            with_headers(
                200,
                &[("Content-Type", "text/html")],
                "<html><h1>Your instance is hibernating</h1></html>",
            ),
            "Hibernating",
        ),
        (
            with_headers(200, &[("Content-Type", "text/html")], "<html>Welcome</html>"),
            "NotServiceNow",
        ),
    ];
    for (reply, kind) in cases {
        let stub = start(vec![reply], json(500, "{}")).await;
        let c = client(&stub.url, basic(), ClientOptions::default());
        let id = nowsync::model::SysId::parse(ID).unwrap();
        let body = json!({"title": "x"}).as_object().unwrap().clone();
        let err = c.update("sys_user", &id, &body).await.unwrap_err();
        assert!(format!("{err:?}").starts_with(kind), "{kind}: {err:?}");
        let text = err.to_string();
        assert!(
            text.contains(&stub.url) && text.contains("PATCH") && text.contains("sys_user"),
            "{text}"
        );
        assert!(!text.contains("s3cr3t-pw") && !format!("{err:?}").contains("s3cr3t-pw"));
        if kind == "Unauthorized" {
            assert!(text.contains("tx42"), "{text}");
        }
        assert_eq!(stub.requests().len(), 1, "{kind} must not be retried");
        let head = &stub.requests()[0].head;
        assert!(
            head.starts_with(&format!("PATCH /api/now/v2/table/sys_user/{ID}?")),
            "{head}"
        );
        assert!(!head.to_ascii_lowercase().contains("\ncookie:"));
    }
}

#[tokio::test]
async fn requests_carry_encoded_query_auth_and_json_headers() {
    let stub = start(vec![], ok_list()).await;
    let c = client(&stub.url, basic(), ClientOptions::default());
    let q = Query::new()
        .and(Cond::eq("user_name", "o'brien+1@x.com"))
        .or(Cond::is_empty("email"));
    let p = ListParams::new(q).fields(&["sys_id", "user_name"]).limit(50);
    c.list("sys_user", &p).await.unwrap();
    let head = stub.requests()[0].head.clone();
    let line = head.lines().next().unwrap();
    assert!(
        line.contains("sysparm_query=user_name%3Do%27brien%2B1%40x.com%5EORemailISEMPTY"),
        "{line}"
    );
    assert!(
        line.contains("sysparm_fields=sys_id%2Cuser_name") && line.contains("sysparm_limit=50"),
        "{line}"
    );
    assert!(line.contains("sysparm_exclude_reference_link=true"), "{line}");
    let lower = head.to_ascii_lowercase();
    assert!(lower.contains("authorization: basic ywrtaw46cznjcjn0lxb3"), "{head}");
    assert!(lower.contains("accept: application/json"));
    // A query that would change meaning is never sent.
    let bad = ListParams::new(Query::new().and(Cond::eq("user_name", "x^ORactive=true")));
    assert!(matches!(c.list("sys_user", &bad).await, Err(Error::Query { .. })));
    assert_eq!(stub.requests().len(), 1);
}

#[tokio::test]
async fn oauth_password_grant_then_refresh_once_on_401() {
    let token = |n: u32| {
        json(
            200,
            &format!(
                r#"{{"access_token":"at{n}","refresh_token":"rt{n}","token_type":"Bearer","expires_in":1799,"scope":"useraccount"}}"#
            ),
        )
    };
    let script = vec![
        token(1),
        json(
            401,
            r#"{"error":{"message":"User is not authenticated","detail":null},"status":"failure"}"#,
        ),
        token(2),
        ok_list(),
    ];
    let stub = start(script, json(500, "{}")).await;
    let auth = Auth::OAuth {
        client_id: "cid".into(),
        client_secret: Secret::new("csecret"),
        username: "admin".into(),
        password: Secret::new("s3cr3t-pw"),
    };
    let c = client(&stub.url, auth, ClientOptions::default());
    c.list("sys_user", &params()).await.unwrap();
    let seen = stub.requests();
    assert_eq!(seen.len(), 4);
    assert!(seen[0].request_line().starts_with("POST /oauth_token.do"));
    assert!(seen[0].body.contains("grant_type=password") && seen[0].body.contains("client_id=cid"));
    assert!(seen[1].head.contains("Bearer at1"));
    assert!(seen[2].body.contains("grant_type=refresh_token") && seen[2].body.contains("refresh_token=rt1"));
    assert!(seen[3].head.contains("Bearer at2"));
}

#[tokio::test]
async fn oauth_failure_is_a_typed_connection_error() {
    let stub = start(
        vec![json(
            401,
            r#"{"error_description":"access_denied","error":"server_error"}"#,
        )],
        json(500, "{}"),
    )
    .await;
    let auth = Auth::OAuth {
        client_id: "cid".into(),
        client_secret: Secret::new("csecret"),
        username: "admin".into(),
        password: Secret::new("s3cr3t-pw"),
    };
    let c = client(&stub.url, auth, ClientOptions::default());
    let err = c.list("sys_user", &params()).await.unwrap_err();
    assert!(
        matches!(err, Error::OAuth { status: 401, .. }) && err.is_connection(),
        "{err:?}"
    );
    assert!(!err.to_string().contains("csecret"));
}

#[tokio::test]
async fn read_all_pages_by_keyset_and_goes_on_after_a_short_page() {
    let row = |i: u32| format!(r#"{{"sys_id":"{i:032x}"}}"#);
    let page = |rows: &[u32], total: u32| {
        let body = format!(
            r#"{{"result":[{}]}}"#,
            rows.iter().map(|i| row(*i)).collect::<Vec<_>>().join(",")
        );
        with_headers(200, &[("X-Total-Count", &total.to_string())], &body)
    };
    // Page size 3, total 8: the second page is short (an ACL hid a row) and reading goes on
    // until a page comes back empty with a count that leaves no row after it. The page after
    // a short one is counted (6, 7, 8 remain before ACLs; then none).
    let script = vec![page(&[1, 2, 3], 8), page(&[4, 5], 8), page(&[7, 8], 3), page(&[], 0)];
    let stub = start(script, json(500, "{}")).await;
    let c = client(
        &stub.url,
        basic(),
        ClientOptions {
            page_size: 3,
            max_in_flight: 1,
            ..Default::default()
        },
    );
    let mut pages = Vec::new();
    let n = c
        .read_all("sys_user", &ListParams::default(), |p| pages.push(p.len()))
        .await
        .unwrap();
    assert_eq!((n, pages), (7, vec![3, 2, 2]));
    let seen = stub.requests();
    assert_eq!(seen.len(), 4);
    let after = ["", "3", "5", "8"];
    for (i, s) in seen.iter().enumerate() {
        let line = s.request_line();
        assert!(
            line.contains("sysparm_limit=3") && !line.contains("sysparm_offset"),
            "{line}"
        );
        let query = if i == 0 {
            "sysparm_query=ORDERBYsys_id".to_owned()
        } else {
            format!("sysparm_query=sys_id%3E{:0>32}%5EORDERBYsys_id", after[i])
        };
        assert!(line.contains(&query), "{line}");
        assert_eq!(line.contains("sysparm_no_count=true"), i == 1, "{line}");
    }
    // An instance that never sends a count: an empty page is asked again with its count, and
    // coming back empty without one again, ends the read.
    let script = vec![
        json(200, &format!(r#"{{"result":[{}]}}"#, row(1))),
        json(200, r#"{"result":[]}"#),
        json(200, r#"{"result":[]}"#),
    ];
    let stub = start(script, json(500, "{}")).await;
    let c = client(
        &stub.url,
        basic(),
        ClientOptions {
            page_size: 1,
            ..Default::default()
        },
    );
    assert_eq!(c.read_all("sys_user", &ListParams::default(), |_| {}).await.unwrap(), 1);
    assert_eq!(stub.requests().len(), 3);
}

/// `sysparm_limit` is applied before ACLs (servicenow.md §1.2): a page the ACLs emptied is no
/// end while `X-Total-Count` says rows remain; the same keyset query is asked again further on.
#[tokio::test]
async fn read_all_steps_over_pages_acls_emptied_while_the_count_says_rows_remain() {
    let row = |i: u32| format!(r#"{{"sys_id":"{i:032x}"}}"#);
    let page = |rows: &[u32], total: Option<u32>| {
        let body = format!(
            r#"{{"result":[{}]}}"#,
            rows.iter().map(|i| row(*i)).collect::<Vec<_>>().join(",")
        );
        match total {
            Some(t) => with_headers(200, &[("X-Total-Count", &t.to_string())], &body),
            None => json(200, &body),
        }
    };
    // Rows 1-6 are hidden from the caller, 7-8 readable, 9-10 hidden: the first two pages come
    // back empty (total 10), the third has 7 and 8; the one after that short page is counted
    // (2 rows remain before ACLs) and empty: the read ends.
    let script = vec![
        page(&[], Some(10)),
        page(&[], None),
        page(&[7, 8], None),
        page(&[], Some(2)),
    ];
    let stub = start(script, json(500, "{}")).await;
    let c = client(
        &stub.url,
        basic(),
        ClientOptions {
            page_size: 3,
            max_in_flight: 1,
            ..Default::default()
        },
    );
    let mut ids = Vec::new();
    let n = c
        .read_all("sys_user", &ListParams::default(), |p| {
            ids.extend(p.iter().map(|r| r.value("sys_id").unwrap()))
        })
        .await
        .unwrap();
    assert_eq!(ids, vec![format!("{:032x}", 7), format!("{:032x}", 8)]);
    assert_eq!(n, 2);
    let lines: Vec<String> = stub.requests().iter().map(|r| r.request_line().to_owned()).collect();
    assert_eq!(lines.len(), 4, "{lines:#?}");
    assert!(
        lines[0].contains("sysparm_query=ORDERBYsys_id") && !lines[0].contains("offset"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("sysparm_offset=3") && lines[1].contains("sysparm_no_count=true"),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains("sysparm_offset=6"), "{}", lines[2]);
    assert!(
        lines[3].contains(&format!("sys_id%3E{:032x}", 8)) && !lines[3].contains("offset"),
        "{}",
        lines[3]
    );
    assert!(!lines[3].contains("sysparm_no_count"), "{}", lines[3]);

    // An empty page without a count is asked again with one before it ends a range.
    let script = vec![
        page(&[1, 2, 3], Some(9)),
        page(&[], None),
        page(&[], Some(7)),
        page(&[], None),
        page(&[7], None),
        page(&[], Some(0)),
    ];
    let stub = start(script, json(500, "{}")).await;
    let c = client(
        &stub.url,
        basic(),
        ClientOptions {
            page_size: 3,
            max_in_flight: 1,
            ..Default::default()
        },
    );
    assert_eq!(c.read_all("sys_user", &ListParams::default(), |_| {}).await.unwrap(), 4);
    let lines: Vec<String> = stub.requests().iter().map(|r| r.request_line().to_owned()).collect();
    assert_eq!(lines.len(), 6, "{lines:#?}");
    assert!(
        lines[2].contains(&format!("sys_id%3E{:032x}", 3))
            && !lines[2].contains("offset")
            && !lines[2].contains("no_count"),
        "{}",
        lines[2]
    );
    assert!(lines[3].contains("sysparm_offset=3"), "{}", lines[3]);
}

#[tokio::test]
async fn batch_gives_per_item_results_and_resends_unserviced_items() {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let created = b64(&format!(r#"{{"result":{{"sys_id":"{ID}","name":"g"}}}}"#));
    let denied = b64(
        r#"{"error":{"message":"Operation Failed","detail":"ACL Exception Insert Failed due to security constraints"},"status":"failure"}"#,
    );
    let first = json!({"batch_request_id":"1","serviced_requests":[
        {"id":"0","status_code":201,"status_text":"Created","body":created,"headers":[],"execution_time":5},
        {"id":"1","status_code":403,"status_text":"Forbidden","body":denied,"headers":[],"execution_time":3}
    ],"unserviced_requests":["2"]});
    let second = json!({"batch_request_id":"1","serviced_requests":[
        {"id":"2","status_code":204,"status_text":"No Content","body":"","headers":[],"execution_time":2}
    ],"unserviced_requests":[]});
    let stub = start(
        vec![json(200, &first.to_string()), json(200, &second.to_string())],
        json(500, "{}"),
    )
    .await;
    let c = client(&stub.url, basic(), ClientOptions::default());
    let fields = json!({"name": "g"}).as_object().unwrap().clone();
    let id = nowsync::model::SysId::parse(ID).unwrap();
    let ops = vec![
        BatchOp::Create {
            table: "sys_user_group".into(),
            fields: fields.clone(),
        },
        BatchOp::Create {
            table: "sys_user_group".into(),
            fields,
        },
        BatchOp::Delete {
            table: "sys_user_grmember".into(),
            sys_id: id,
        },
    ];
    let results = c.batch(&ops).await.unwrap();
    assert_eq!(
        results[0].as_ref().unwrap().as_ref().unwrap().value("name").as_deref(),
        Some("g")
    );
    assert!(matches!(&results[1], Err(Error::Forbidden { detail: Some(d), .. }) if d.contains("Insert Failed")));
    assert!(matches!(results[2], Ok(None)));
    let seen = stub.requests();
    assert_eq!(seen.len(), 2);
    assert!(seen[0].request_line().starts_with("POST /api/now/v1/batch"));
    let resent: serde_json::Value = serde_json::from_str(&seen[1].body).unwrap();
    assert_eq!(resent["rest_requests"].as_array().unwrap().len(), 1);
    assert_eq!(resent["rest_requests"][0]["method"], "DELETE");
}

#[tokio::test]
async fn in_flight_requests_never_exceed_the_ceiling() {
    let slow = Reply::Slow(Duration::from_millis(40), Box::new(ok_list()));
    let stub = start(vec![], slow).await;
    let c = client(
        &stub.url,
        basic(),
        ClientOptions {
            max_in_flight: 3,
            ..Default::default()
        },
    );
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.list("sys_user", &params()).await.map(|p| p.records.len()) })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), 1);
    }
    assert_eq!(stub.requests().len(), 12);
    assert!(stub.peak() <= 3 && stub.peak() >= 2, "peak {}", stub.peak());
}

#[tokio::test]
async fn a_timeout_is_typed() {
    let slow = Reply::Slow(Duration::from_secs(5), Box::new(ok_list()));
    let stub = start(vec![], slow).await;
    let c = client(
        &stub.url,
        basic(),
        ClientOptions {
            timeout: Duration::from_millis(200),
            ..attempts(1)
        },
    );
    let err = c.list("sys_user", &params()).await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { .. }) && err.is_connection() && err.is_transient(),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_retried_delete_that_finds_the_record_gone_has_succeeded() {
    let not_found = json(
        404,
        r#"{"error":{"message":"No Record found","detail":null},"status":"failure"}"#,
    );
    let stub = start(vec![Reply::Drop], not_found.clone()).await;
    let c = client(&stub.url, basic(), ClientOptions::default());
    let id = nowsync::model::SysId::parse(ID).unwrap();
    c.delete("sys_user_grmember", &id).await.unwrap();
    assert_eq!(stub.requests().len(), 2);
    // Without a lost answer before it, a 404 is a 404.
    let stub = start(vec![], not_found).await;
    let c = client(&stub.url, basic(), ClientOptions::default());
    assert!(matches!(
        c.delete("sys_user_grmember", &id).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn a_tls_handshake_with_a_plain_http_server_is_a_tls_error() {
    use tokio::io::AsyncWriteExt;
    // A plain HTTP server that answers at once, whatever the client sends (a ClientHello here).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let _ = sock
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .await;
        }
    });
    let c = client(&format!("https://{addr}"), basic(), attempts(1));
    let err = c.list("sys_user", &params()).await.unwrap_err();
    assert!(matches!(err, Error::Tls { .. }) && err.is_connection(), "{err:?}");
}

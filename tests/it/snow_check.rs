//! `servicenow::check::test_connection` against the scripted stub: every step's verdict and the
//! clean-up of the write probe. The simulator versions are in `snow_client`.

use std::time::Duration;

use nowsync::model::check::{Outcome, Step};
use nowsync::secrets::Secret;
use nowsync::servicenow::{Auth, ClientOptions, Instance, check};

use crate::snow_stub::{Reply, json, start, with_headers};

fn auth() -> Auth {
    Auth::Basic {
        username: "admin".into(),
        password: Secret::new("s3cr3t-pw"),
    }
}

fn opts() -> ClientOptions {
    ClientOptions {
        retry: nowsync::net::retry::Policy {
            max_attempts: 1,
            ..Default::default()
        },
        timeout: Duration::from_secs(5),
        ..Default::default()
    }
}

async fn run(url: &str) -> Vec<Step> {
    check::test_connection(&Instance::parse(url, false).unwrap(), &auth(), &opts()).await
}

fn outcomes(steps: &[Step]) -> Vec<(&'static str, Outcome)> {
    steps.iter().map(|s| (s.id, s.outcome)).collect()
}

const UNAUTH: &str = r#"{"error":{"message":"User is not authenticated","detail":"Required to provide Auth information"},"status":"failure"}"#;

fn created(n: u32) -> Reply {
    json(201, &format!(r#"{{"result":{{"sys_id":"{n:032x}"}}}}"#))
}

fn list(n: usize) -> Reply {
    let rows: Vec<String> = (0..n).map(|i| format!(r#"{{"sys_id":"{i:032x}"}}"#)).collect();
    json(200, &format!(r#"{{"result":[{}]}}"#, rows.join(",")))
}

/// The replies of a healthy instance up to (not including) the write probe.
fn healthy_reads() -> Vec<Reply> {
    let mut v = vec![json(401, UNAUTH), list(1), list(1)];
    v.extend((0..6).map(|_| list(1)));
    v
}

fn assert_failed_at(steps: &[Step], id: &str, code: &str, needle: &str) {
    let mut seen_fail = false;
    for s in steps {
        if seen_fail {
            assert_eq!(s.outcome, Outcome::Skipped, "{}", s.id);
            assert_eq!(s.message, "not run: an earlier step failed");
        } else if s.id == id {
            assert_eq!(s.outcome, Outcome::Fail, "{steps:#?}");
            assert!(s.connection_failure);
            assert_eq!(s.error_code.as_deref(), Some(code), "{}", s.message);
            assert!(s.message.contains(needle), "{needle} not in {}", s.message);
            assert!(!s.message.contains("s3cr3t-pw"));
            seen_fail = true;
        } else {
            assert_ne!(s.outcome, Outcome::Fail, "{} failed: {}", s.id, s.message);
        }
    }
    assert!(seen_fail, "{id} did not fail: {steps:#?}");
}

#[tokio::test]
async fn happy_path_passes_every_step_and_cleans_up() {
    let mut script = healthy_reads();
    script.extend([created(1), created(2), created(3)]);
    script.extend((0..3).map(|_| Reply::Http(204, vec![], String::new())));
    let stub = start(script, json(500, "{}")).await;
    let steps = run(&stub.url).await;
    let want = [
        ("dns", Outcome::Pass),
        ("tcp", Outcome::Pass),
        ("tls", Outcome::Skipped),
        ("instance", Outcome::Pass),
        ("credentials", Outcome::Pass),
        ("admin_role", Outcome::Pass),
        ("table_access", Outcome::Pass),
    ];
    assert_eq!(outcomes(&steps), want, "{steps:#?}");
    assert!(steps[2].message.contains("plain http"));
    let seen = stub.requests();
    let lines: Vec<&str> = seen.iter().map(|s| s.request_line()).collect();
    let deletes: Vec<&&str> = lines.iter().filter(|l| l.starts_with("DELETE")).collect();
    assert_eq!(deletes.len(), 3, "{lines:#?}");
    assert!(
        deletes[0].contains("sys_user_grmember/") && deletes[2].contains("sys_user_group/"),
        "{deletes:?}"
    );
    let admin = lines.iter().find(|l| l.contains("sys_user_has_role")).unwrap();
    assert!(
        admin.contains("user.user_name%3Dadmin%5Erole.name%3Dadmin%5Estate%3Dactive"),
        "{admin}"
    );
}

#[tokio::test]
async fn nothing_listening_fails_at_tcp_as_instance_invalid() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let steps = run(&format!("http://127.0.0.1:{port}")).await;
    assert_failed_at(&steps, "tcp", "ServiceNowInstanceInvalid", "connection refused");
}

#[tokio::test]
async fn an_html_site_is_not_an_instance() {
    let stub = start(
        vec![],
        with_headers(200, &[("Content-Type", "text/html")], "<html>Welcome to Acme</html>"),
    )
    .await;
    let steps = run(&stub.url).await;
    assert_failed_at(&steps, "instance", "ServiceNowInstanceInvalid", "appears to be invalid");
    assert!(
        steps[3]
            .message
            .contains("Require basic authentication for incoming SCHEMA requests")
    );
}

#[tokio::test]
async fn a_hibernating_instance_is_named() {
    let page = "<html><div class=\"instance-hibernating-page\"><h1>Your instance is hibernating</h1></div></html>";
    let stub = start(vec![], with_headers(200, &[("Content-Type", "text/html")], page)).await;
    let steps = run(&stub.url).await;
    assert_failed_at(
        &steps,
        "instance",
        "ServiceNowInstanceHibernating",
        "developer.servicenow.com",
    );
}

#[tokio::test]
async fn a_wrong_password_fails_at_credentials() {
    let stub = start(vec![], json(401, UNAUTH)).await;
    let steps = run(&stub.url).await;
    assert_failed_at(
        &steps,
        "credentials",
        "ServiceNowCredentialsInvalid",
        "user name 'admin'",
    );
}

#[tokio::test]
async fn an_account_without_admin_fails_at_admin_role() {
    let stub = start(vec![json(401, UNAUTH), list(1), list(0)], json(500, "{}")).await;
    let steps = run(&stub.url).await;
    assert_failed_at(
        &steps,
        "admin_role",
        "ServiceNowAdminRoleMissing",
        "does not have the admin role",
    );
}

#[tokio::test]
async fn a_denied_write_is_reported_and_what_was_created_is_deleted() {
    let denied = r#"{"error":{"message":"Operation Failed","detail":"ACL Exception Insert Failed due to security constraints"},"status":"failure"}"#;
    let mut script = healthy_reads();
    script.extend([created(1), json(403, denied), Reply::Http(204, vec![], String::new())]);
    let stub = start(script, json(500, "{}")).await;
    let steps = run(&stub.url).await;
    assert_failed_at(
        &steps,
        "table_access",
        "ServiceNowTableAccessDenied",
        "creating sys_user: denied",
    );
    assert!(
        steps[6].message.contains("ACL Exception Insert Failed"),
        "{}",
        steps[6].message
    );
    let last = stub.requests().last().unwrap().request_line().to_owned();
    assert!(
        last.starts_with(&format!("DELETE /api/now/v2/table/sys_user_group/{:032x}", 1)),
        "{last}"
    );
}

#[tokio::test]
async fn a_denied_read_names_the_table() {
    let denied = r#"{"error":{"message":"Operation Failed","detail":"ACL Exception Read Failed"},"status":"failure"}"#;
    let script = vec![json(401, UNAUTH), list(1), list(1), list(1), list(1), json(403, denied)];
    let stub = start(script, json(500, "{}")).await;
    let steps = run(&stub.url).await;
    assert_failed_at(
        &steps,
        "table_access",
        "ServiceNowTableAccessDenied",
        "reading sys_user_grmember",
    );
}

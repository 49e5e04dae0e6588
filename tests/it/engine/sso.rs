//! `nowsync sso check` against the ServiceNow simulator's three Multi-Provider SSO setups: an
//! identity provider matching the NameID (the UPN) on user_name, one matching on email, and an
//! instance without the plugin.

use serde_json::Value;

use super::{Env, options, setup_with};
use crate::support::text;
use nowsync::sim::snow::Sso;

async fn provisioned(sso: Sso) -> Env {
    let mut o = options(200, 10, 20, 0);
    o.snow.sso = sso;
    let env = setup_with(o).await;
    let (_, first) = env.sync(&[]).await;
    assert_eq!(first["kind"], "initial", "{first}");
    env
}

async fn sso_check(env: &Env, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["sso", "check", "--json"];
    args.extend(extra);
    let out = env.nowsync(&args).await;
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout {} stderr {}", text(&out.stdout), text(&out.stderr)));
    (out.status.code().unwrap_or(-1), doc)
}

/// With SSO matching on user_name from the UPN, members sign in; B2B guests do not (SSO sends
/// their `#EXT#` UPN, provisioning writes it rewritten) and the fix says so.
fn members_ready_guests_named(report: &Value) {
    assert_eq!(report["field"], "user_name", "{report}");
    assert_eq!(report["mapping_ok"], true, "{report}");
    let provisioned = report["provisioned"].as_u64().unwrap();
    let locked = report["locked_out_count"].as_u64().unwrap();
    assert!(
        provisioned > locked && report["would_sign_in"].as_u64() == Some(provisioned - locked),
        "{report}"
    );
    assert_eq!(
        report["guests_locked_out"].as_u64(),
        Some(locked),
        "only guests: {report}"
    );
    for u in report["locked_out"].as_array().unwrap() {
        assert!(u["nameid"].as_str().unwrap().contains("#EXT#"), "{u}");
    }
    if locked > 0 {
        let fix = report["fix"].as_str().unwrap();
        assert!(
            fix.contains("originalUserPrincipalName") && !fix.contains("map user_name from [userPrincipalName]"),
            "{fix}"
        );
    } else {
        assert!(report["fix"].is_null(), "{report}");
    }
}

#[tokio::test]
async fn a_provider_matching_the_upn_on_user_name_is_ready_for_members() {
    let env = provisioned(Sso::Matching).await;
    let (code, report) = sso_check(&env, &[]).await;
    assert!(
        report["field_from"].as_str().unwrap().contains("Microsoft Entra ID"),
        "{report}"
    );
    members_ready_guests_named(&report);
    let locked = report["locked_out_count"].as_u64().unwrap();
    assert_eq!(code, if locked == 0 { 0 } else { 1 }, "{report}");
    let out = env.nowsync(&["sso", "check"]).await;
    let shown = text(&out.stdout);
    assert!(
        shown.contains("Mapping: user_name is written from userPrincipalName ✓"),
        "{shown}"
    );
    assert!(shown.contains("Okta (retired) (inactive): matches on email"), "{shown}");
}

#[tokio::test]
async fn a_provider_matching_on_email_locks_users_out_and_says_what_to_do() {
    let env = provisioned(Sso::Mismatched).await;
    let (code, report) = sso_check(&env, &[]).await;
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["field"], "email", "{report}");
    assert_eq!(report["mapping_ok"], false, "{report}");
    assert!(
        report["mapping"]
            .as_str()
            .unwrap()
            .contains("email is written from mail"),
        "{report}"
    );
    let locked = report["locked_out_count"].as_u64().unwrap();
    assert!(locked > 0, "{report}");
    assert_eq!(
        report["would_sign_in"].as_u64().unwrap() + locked,
        report["provisioned"].as_u64().unwrap()
    );
    let sample = report["locked_out"].as_array().unwrap();
    assert!(!sample.is_empty() && sample.len() <= 5, "{report}");
    assert!(
        report["fix"]
            .as_str()
            .unwrap()
            .contains("map email from [userPrincipalName]"),
        "{report}"
    );
}

#[tokio::test]
async fn without_multi_provider_sso_the_field_is_asked_for() {
    let env = provisioned(Sso::Absent).await;
    let (code, report) = sso_check(&env, &[]).await;
    assert_eq!(code, 2, "{report}");
    assert_eq!(report["providers"]["state"], "unreadable", "{report}");
    let reason = report["providers"]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("Multi-Provider SSO is not installed on this instance (table sso_properties does not exist"),
        "{reason}"
    );
    assert!(!reason.contains("transaction id"), "{reason}");
    assert!(report["field"].is_null(), "{report}");
    assert!(report["fix"].as_str().unwrap().contains("--field"), "{report}");
    let (_, given) = sso_check(&env, &["--field", "user_name"]).await;
    assert_eq!(given["field_from"], "given, not read from the instance", "{given}");
    members_ready_guests_named(&given);
}

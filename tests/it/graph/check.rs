//! The Entra steps of test connection, passing and failing.

use nowsync::graph::check::test_connection;
use nowsync::model::check::{Outcome, Step};
use nowsync::secrets::Secret;
use nowsync::sim::graph::Faults;

use super::{settings, start};

const IDS: [&str; 6] = [
    "authority",
    "token",
    "service_principal",
    "read_users",
    "read_groups",
    "read_app_role_assignments",
];

fn outcomes(steps: &[Step]) -> Vec<Outcome> {
    steps.iter().map(|s| s.outcome).collect()
}

/// Asserts the step named `failed` failed, the earlier ones passed and the later ones were skipped.
fn assert_fails_at<'a>(steps: &'a [Step], failed: &str) -> &'a Step {
    let at = IDS.iter().position(|i| *i == failed).unwrap();
    assert_eq!(steps.iter().map(|s| s.id).collect::<Vec<_>>(), IDS);
    for (i, s) in steps.iter().enumerate() {
        let want = match i.cmp(&at) {
            std::cmp::Ordering::Less => Outcome::Pass,
            std::cmp::Ordering::Equal => Outcome::Fail,
            std::cmp::Ordering::Greater => Outcome::Skipped,
        };
        assert_eq!(s.outcome, want, "{}: {}", s.id, s.message);
        if want == Outcome::Skipped {
            assert_eq!(s.message, "not run: an earlier step failed");
        }
    }
    assert!(steps[at].connection_failure);
    &steps[at]
}

#[tokio::test]
async fn all_entra_steps_pass_against_the_simulator() {
    let r = start(200, 10, |_| {}).await;
    let steps = test_connection(&settings(&r), &Secret::new(r.client_secret.clone())).await;
    assert_eq!(outcomes(&steps), vec![Outcome::Pass; 6], "{steps:#?}");
    assert!(steps.iter().all(|s| !s.connection_failure && !s.message.is_empty()));
    assert!(steps[2].message.contains("ServiceNow"));
}

#[tokio::test]
async fn a_wrong_secret_fails_the_token_step_with_advice() {
    let r = start(200, 10, |_| {}).await;
    let steps = test_connection(&settings(&r), &Secret::new("not-the-secret")).await;
    let s = assert_fails_at(&steps, "token");
    assert_eq!(s.error_code.as_deref(), Some("AADSTS7000215"));
    assert!(s.message.contains("Secret ID"), "{}", s.message);
    assert!(!s.message.contains("not-the-secret"));
}

#[tokio::test]
async fn an_expired_secret_is_told_apart_from_a_wrong_one() {
    let r = start(200, 10, |o| o.faults.secret_expired = true).await;
    let steps = test_connection(&settings(&r), &Secret::new(r.client_secret.clone())).await;
    let s = assert_fails_at(&steps, "token");
    assert_eq!(s.error_code.as_deref(), Some("AADSTS7000222"));
    assert!(s.message.contains("expired"), "{}", s.message);
}

#[tokio::test]
async fn an_unknown_tenant_fails_at_the_authority() {
    let r = start(200, 10, |_| {}).await;
    let mut entra = settings(&r);
    entra.tenant_id = "11111111-2222-3333-4444-555555555555".into();
    let s = test_connection(&entra, &Secret::new(r.client_secret.clone())).await;
    let s = assert_fails_at(&s, "authority");
    assert_eq!(s.error_code.as_deref(), Some("AADSTS90002"));
    assert!(s.message.contains("tenant_id"), "{}", s.message);
}

#[tokio::test]
async fn an_unknown_client_id_fails_the_token_step() {
    let r = start(200, 10, |_| {}).await;
    let mut entra = settings(&r);
    entra.client_id = "11111111-2222-3333-4444-555555555555".into();
    let s = test_connection(&entra, &Secret::new(r.client_secret.clone())).await;
    assert_eq!(assert_fails_at(&s, "token").error_code.as_deref(), Some("AADSTS700016"));
}

#[tokio::test]
async fn an_unknown_service_principal_is_named() {
    let r = start(200, 10, |_| {}).await;
    let mut entra = settings(&r);
    entra.service_principal_id = "11111111-2222-3333-4444-555555555555".into();
    let s = test_connection(&entra, &Secret::new(r.client_secret.clone())).await;
    let s = assert_fails_at(&s, "service_principal");
    assert!(s.message.contains("11111111-2222-3333-4444-555555555555") && s.message.contains("Object ID"));
}

#[tokio::test]
async fn a_missing_permission_names_what_to_grant() {
    let r = start(200, 10, |_| {}).await;
    for (permission, step) in [
        ("Application.Read.All", "service_principal"),
        ("User.Read.All", "read_users"),
        ("Group.Read.All", "read_groups"),
    ] {
        // Groups are readable with either GroupMember.Read.All or Group.Read.All: deny both.
        let mut deny = vec![permission.to_owned()];
        if permission == "Group.Read.All" {
            deny.push("GroupMember.Read.All".into());
        }
        r.sim.set_faults(Faults {
            deny,
            ..Faults::default()
        });
        let s = test_connection(&settings(&r), &Secret::new(r.client_secret.clone())).await;
        let s = assert_fails_at(&s, step);
        assert!(s.message.contains(permission), "{}", s.message);
        assert_eq!(s.error_code.as_deref(), Some("Authorization_RequestDenied"));
    }
}

#[tokio::test]
async fn groups_read_with_group_member_read_all_alone() {
    // specs/graph.md §5: GET /groups accepts GroupMember.Read.All (the least privilege) as well
    // as Group.Read.All; an app granted only the former passes the group step.
    let r = start(200, 10, |_| {}).await;
    r.sim.set_faults(Faults {
        deny: vec!["Group.Read.All".into()],
        ..Faults::default()
    });
    let s = test_connection(&settings(&r), &Secret::new(r.client_secret.clone())).await;
    let groups = s.iter().find(|s| s.id == "read_groups").map(|s| &s.outcome);
    assert!(matches!(groups, Some(Outcome::Pass)), "{s:?}");
}

#[tokio::test]
async fn an_unreachable_authority_fails_first() {
    let r = start(200, 10, |_| {}).await;
    let mut entra = settings(&r);
    entra.authority_url = Some("http://127.0.0.1:9".into());
    let s = test_connection(&entra, &Secret::new(r.client_secret.clone())).await;
    assert_eq!(
        assert_fails_at(&s, "authority").error_code.as_deref(),
        Some("AuthorityUnreachable")
    );
}

//! Plan tests of identity safety (the integration account, rows of other classes, rows
//! linked or claimed by other objects, values whose lookup could not run) and of the
//! deprovisioning defaults (groups deactivated with their memberships removed).

use std::collections::HashMap;

use serde_json::json;

use super::*;

fn prior_links(links: &[(ObjectType, &str, &str)]) -> Prior {
    Prior {
        links: links
            .iter()
            .map(|(t, src, sys)| ((*t, (*src).to_owned()), (*sys).to_owned()))
            .collect(),
        ..Prior::default()
    }
}

fn failure_of(p: &crate::sync::Plan, source_id: &str) -> Option<FailureCode> {
    p.to_vec()
        .iter()
        .find(|o| o.source_id == source_id)
        .and_then(|o| match &o.kind {
            OpKind::Error(f) => Some(f.code),
            _ => None,
        })
}

#[test]
fn the_integration_account_and_rows_of_other_classes_are_never_candidates() {
    let mut t = target(vec![
        row(
            "admin",
            &[
                ("user_name", "admin"),
                ("email", "admin@example.com"),
                ("active", "true"),
            ],
        ),
        row(
            "contact",
            &[
                ("user_name", "contact.bea"),
                ("email", "bea@x.com"),
                ("sys_class_name", "customer_contact"),
            ],
        ),
        row("plain", &[("user_name", "cy@x.com"), ("sys_class_name", "sys_user")]),
    ]);
    t.integration_account = Some("admin".into());
    let users = vec![
        user("u1", "ada@x.com", json!({"mail": "ADMIN@example.com"})),
        user("u2", "bea@x.com", json!({"mail": "bea@x.com"})),
        user("u3", "cy@x.com", json!({})),
    ];
    let p = plan_of(users, &t, &Prior::default());
    assert_eq!(failure_of(&p, "u1"), Some(FailureCode::MatchesIntegrationAccount));
    assert_eq!(failure_of(&p, "u2"), Some(FailureCode::MatchesOtherClass));
    let ops = p.to_vec();
    let reason = ops
        .iter()
        .find(|o| o.source_id == "u2")
        .map(|o| format!("{:?}", o.kind));
    assert!(reason.unwrap().contains("customer_contact"));
    assert_eq!(
        p.ops().find(|o| o.source_id == "u3").unwrap().target_id.as_deref(),
        Some("plain")
    );
    // A link to the integration account (an older version matched it) is never followed:
    // no update, and no disable once the object leaves scope.
    let prior = prior_links(&[(ObjectType::User, "u1", "admin")]);
    let p = plan_of(vec![user("u1", "ada@x.com", json!({"givenName": "Eve"}))], &t, &prior);
    assert_eq!(failure_of(&p, "u1"), Some(FailureCode::MatchesIntegrationAccount));
    let p = plan_of(vec![], &t, &prior);
    assert!(p.to_vec().is_empty(), "{:?}", p.to_vec());
}

#[test]
fn a_row_linked_to_another_object_is_no_candidate_and_two_users_never_share_a_row() {
    let t = target(vec![row(
        "s1",
        &[
            ("user_name", "first@x.com"),
            ("email", "shared@x.com"),
            ("active", "true"),
        ],
    )]);
    // u1 is linked to s1; u2 carries the same mail: it gets a row of its own.
    let prior = prior_links(&[(ObjectType::User, "u1", "s1")]);
    let users = vec![
        user("u2", "second@x.com", json!({"mail": "shared@x.com"})),
        user("u1", "first@x.com", json!({"mail": "shared@x.com"})),
    ];
    let p = plan_of(users, &t, &prior);
    let u2 = p.ops().find(|o| o.source_id == "u2").unwrap();
    assert!(matches!(u2.kind, OpKind::Create { .. }), "{:?}", u2.kind);
    let u1 = p.ops().find(|o| o.source_id == "u1").unwrap();
    assert_eq!(u1.target_id.as_deref(), Some("s1"));
}

#[test]
fn an_object_is_not_created_on_a_value_whose_lookup_did_not_run() {
    let mut t = target(vec![]);
    t.not_looked_up.insert(("user_name".into(), "^odd@x.com".into()));
    let p = plan_of(vec![user("u1", "^odd@x.com", json!({}))], &t, &Prior::default());
    assert_eq!(failure_of(&p, "u1"), Some(FailureCode::MatchingValueNotSearchable));
    // A whole-table read needs no lookup: the row itself is matched.
    let t2 = target(vec![row("s1", &[("user_name", "^odd@x.com"), ("active", "true")])]);
    let p = plan_of(vec![user("u1", "^odd@x.com", json!({}))], &t2, &Prior::default());
    assert_eq!(p.to_vec()[0].target_id.as_deref(), Some("s1"));
}

#[test]
fn a_group_that_leaves_scope_is_deactivated_with_its_members_removed_never_deleted() {
    let prior = prior_links(&[
        (ObjectType::User, "u1", "s1"),
        (ObjectType::Group, "g", "sg"),
        (ObjectType::Group, "m365", "sm"),
    ]);
    let mut t = target(vec![row(
        "s1",
        &[("user_name", "a@x.com"), ("first_name", "Ada"), ("active", "true")],
    )]);
    t.groups = vec![
        row("sg", &[("name", "G"), ("active", "true")]),
        row("sm", &[("name", "M365"), ("active", "true")]),
    ];
    let member = |sys: &str, group: &str, user: &str| MemberRow {
        sys_id: sys.into(),
        group: group.into(),
        user: user.into(),
    };
    t.members = vec![
        member("m1", "sg", "s1"),
        member("m2", "sg", "unmanaged"),
        member("m3", "sm", "s1"),
    ];
    // "g" purged (a security group), "m365" soft-deleted (the recycle bin).
    let source = Source {
        users: vec![user("u1", "a@x.com", json!({}))],
        soft_deleted_groups: ["m365".to_owned()].into(),
        ..Source::default()
    };
    let p = plan(1, CycleKind::Incremental, source.clone(), &t, &prior, &rules());
    let ops = p.to_vec();
    let kinds: HashMap<(&str, &str), &OpKind> = ops
        .iter()
        .map(|o| ((o.source_id.as_str(), o.target_id.as_deref().unwrap_or("")), &o.kind))
        .collect();
    assert!(matches!(kinds[&("g", "sg")], OpKind::Disable { .. }));
    assert!(matches!(kinds[&("m365", "sm")], OpKind::Disable { .. }));
    assert_eq!(kinds[&("g", "m1")], &OpKind::RemoveMember);
    assert_eq!(kinds[&("m365", "m3")], &OpKind::RemoveMember);
    assert!(!kinds.contains_key(&("g", "m2")), "rows of unmanaged users stay");
    assert!(!p.to_vec().iter().any(|o| o.kind == OpKind::Delete));
    // deprovision_groups = "delete": the purged group is deleted (its rows go with it), the
    // soft-deleted one only deactivated, so its restore finds the same row.
    let deleting = Rules {
        deprovision_groups: crate::config::DeprovisionGroups::Delete,
        ..rules()
    };
    let p = plan(1, CycleKind::Incremental, source, &t, &prior, &deleting);
    let of = |id: &str| {
        p.to_vec()
            .iter()
            .filter(|o| o.source_id == id)
            .map(|o| o.kind.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(of("g"), [OpKind::Delete]);
    assert!(
        matches!(of("m365").as_slice(), [OpKind::Disable { .. }, OpKind::RemoveMember]),
        "{:?}",
        of("m365")
    );
}

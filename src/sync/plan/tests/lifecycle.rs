//! Plan tests of an object's life once linked: disabled users not created but disabled and
//! re-enabled, leaving scope and purges (disable by default, delete only when asked, a
//! vanished row matched again), memberships made equal, a permanent failure not retried while
//! unchanged, a group back in scope reactivated.

use std::collections::HashMap;

use serde_json::json;

use super::*;

#[test]
fn disabled_users_are_not_created_but_linked_ones_are_disabled_and_reenabled() {
    let t = target(vec![]);
    let p = plan_of(
        vec![user("u1", "a@x.com", json!({"accountEnabled": false}))],
        &t,
        &Prior::default(),
    );
    assert!(matches!(only(&p), OpKind::Skip { .. }));
    let prior = Prior {
        links: HashMap::from([((ObjectType::User, "u1".into()), "s1".into())]),
        ..Prior::default()
    };
    let t = target(vec![row(
        "s1",
        &[("user_name", "a@x.com"), ("first_name", "Ada"), ("active", "true")],
    )]);
    let p = plan_of(
        vec![user("u1", "a@x.com", json!({"accountEnabled": false}))],
        &t,
        &prior,
    );
    assert!(matches!(only(&p), OpKind::Disable { .. }), "{p:#?}");
    let t = target(vec![row(
        "s1",
        &[
            ("user_name", "a@x.com"),
            ("first_name", "Ada"),
            ("active", "false"),
            ("locked_out", "true"),
        ],
    )]);
    let p = plan_of(vec![user("u1", "a@x.com", json!({}))], &t, &prior);
    match only(&p) {
        OpKind::Update { diff } => assert!(diff.iter().any(|c| &*c.attribute == "locked_out")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn out_of_scope_and_purge_disable_by_default_delete_only_when_asked_and_a_vanished_row_rematches() {
    let prior = Prior {
        links: HashMap::from([((ObjectType::User, "u1".into()), "s1".into())]),
        ..Prior::default()
    };
    let t = target(vec![row("s1", &[("user_name", "a@x.com"), ("active", "true")])]);
    let mut u = user("u1", "a@x.com", json!({}));
    u.in_scope = false;
    let p = plan_of(vec![u], &t, &prior);
    assert!(matches!(only(&p), OpKind::Disable { .. }));
    // Purged in Entra: disabled by default (deprovision_users = "disable").
    let p = plan_of(vec![], &t, &prior);
    assert!(matches!(only(&p), OpKind::Disable { .. }), "{:?}", p.to_vec());
    let deleting = Rules {
        deprovision_users: crate::config::DeprovisionUsers::Delete,
        ..rules()
    };
    let p = plan(1, CycleKind::Initial, Source::default(), &t, &prior, &deleting);
    assert!(matches!(only(&p), OpKind::Delete));
    // Soft-deleted (restorable): disabled even then.
    let soft = Source {
        soft_deleted: ["u1".to_owned()].into(),
        ..Source::default()
    };
    let p = plan(1, CycleKind::Initial, soft, &t, &prior, &deleting);
    assert!(matches!(only(&p), OpKind::Disable { .. }));
    let t = target(vec![row(
        "s9",
        &[("user_name", "a@x.com"), ("first_name", "Ada"), ("active", "true")],
    )]);
    let p = plan_of(vec![user("u1", "a@x.com", json!({}))], &t, &prior);
    assert_eq!(p.to_vec()[0].target_id.as_deref(), Some("s9"));
    assert!(p.to_vec()[0].steps.iter().any(|s| s.detail.contains("InvalidAnchor")));
}

#[test]
fn memberships_are_made_equal_for_managed_users() {
    let prior = Prior {
        links: HashMap::from([
            ((ObjectType::User, "u1".into()), "s1".into()),
            ((ObjectType::User, "u2".into()), "s2".into()),
            ((ObjectType::Group, "g".into()), "sg".into()),
        ]),
        ..Prior::default()
    };
    let mut t = target(vec![
        row(
            "s1",
            &[("user_name", "a@x.com"), ("first_name", "Ada"), ("active", "true")],
        ),
        row(
            "s2",
            &[("user_name", "b@x.com"), ("first_name", "Ada"), ("active", "true")],
        ),
    ]);
    t.groups = vec![row("sg", &[("name", "G"), ("active", "true")])];
    t.members = vec![
        MemberRow {
            sys_id: "m2".into(),
            group: "sg".into(),
            user: "s2".into(),
        },
        MemberRow {
            sys_id: "mx".into(),
            group: "sg".into(),
            user: "unmanaged".into(),
        },
    ];
    let group = SourceObject {
        id: "g".into(),
        name: "G".into(),
        attrs: source_attributes(&json!({"id": "g", "displayName": "G"}), false, &[]).into(),
        in_scope: true,
        enabled: true,
        scope_detail: "assigned".into(),
        members: vec!["u1".into()],
    };
    let source = Source {
        users: vec![user("u1", "a@x.com", json!({})), user("u2", "b@x.com", json!({}))],
        groups: vec![group],
        ..Source::default()
    };
    let p = plan(1, CycleKind::Initial, source, &t, &prior, &rules());
    let ops = p.to_vec();
    let members: Vec<_> = ops.iter().filter(|o| o.object_type == ObjectType::Membership).collect();
    assert_eq!(members.len(), 2, "{members:#?}");
    assert!(
        p.objects().iter().all(|o| o.object_type != ObjectType::Membership),
        "the memberships are held compactly, not as whole ops (issue 16 §3)"
    );
    assert!(
        members
            .iter()
            .any(|o| o.kind == OpKind::AddMember && o.member_id.as_deref() == Some("u1"))
    );
    assert!(
        members
            .iter()
            .any(|o| o.kind == OpKind::RemoveMember && o.target_id.as_deref() == Some("m2"))
    );
}

#[test]
fn a_permanent_failure_is_not_retried_while_unchanged() {
    let t = target(vec![]);
    let p = plan_of(vec![user("u1", "a@x.com", json!({}))], &t, &Prior::default());
    let hash = p.to_vec()[0].hash.to_string();
    let prior = Prior {
        permanent_failures: HashMap::from([(
            (ObjectType::User, "u1".into()),
            (hash, FailureCode::ServiceNowForbidden),
        )]),
        ..Prior::default()
    };
    let p = plan_of(vec![user("u1", "a@x.com", json!({}))], &t, &prior);
    assert!(matches!(only(&p), OpKind::Skip { .. }));
    let p = plan_of(vec![user("u1", "a@x.com", json!({"givenName": "Bea"}))], &t, &prior);
    assert!(matches!(only(&p), OpKind::Create { .. }));
}

#[test]
fn a_user_who_left_scope_loses_the_memberships_we_gave_it_and_a_group_back_in_scope_is_reactivated() {
    let prior = Prior {
        links: HashMap::from([
            ((ObjectType::User, "u1".into()), "s1".into()),
            ((ObjectType::Group, "g".into()), "sg".into()),
        ]),
        ..Prior::default()
    };
    let mut t = target(vec![row("s1", &[("user_name", "a@x.com"), ("active", "true")])]);
    t.groups = vec![row("sg", &[("name", "G"), ("active", "false")])];
    t.members = vec![MemberRow {
        sys_id: "m1".into(),
        group: "sg".into(),
        user: "s1".into(),
    }];
    let mut u = user("u1", "a@x.com", json!({}));
    u.in_scope = false;
    let group = SourceObject {
        id: "g".into(),
        name: "G".into(),
        attrs: source_attributes(&json!({"id": "g", "displayName": "G"}), false, &[]).into(),
        in_scope: true,
        enabled: true,
        scope_detail: "assigned".into(),
        members: vec![],
    };
    let source = Source {
        users: vec![u],
        groups: vec![group],
        ..Source::default()
    };
    let p = plan(1, CycleKind::Incremental, source, &t, &prior, &rules());
    assert!(
        p.to_vec()
            .iter()
            .any(|o| o.kind == OpKind::RemoveMember && o.target_id.as_deref() == Some("m1"))
    );
    assert!(p.to_vec().iter().any(|o| matches!(&o.kind, OpKind::Update { diff }
        if o.object_type == ObjectType::Group && diff.iter().any(|c| &*c.attribute == "active" && c.new.as_deref() == Some("true")))));
}

/// Acceptance F1: a disable's details did not say why ("Scope: member of assigned group …").
/// A user disabled in Entra says so, as Entra's provisioning log does; one that left the scope
/// says that.
#[test]
fn a_disables_scope_step_says_why() {
    let prior = Prior {
        links: HashMap::from([
            ((ObjectType::User, "u1".into()), "s1".into()),
            ((ObjectType::User, "u2".into()), "s2".into()),
        ]),
        ..Prior::default()
    };
    let t = target(vec![
        row(
            "s1",
            &[("user_name", "a@x.com"), ("first_name", "Ada"), ("active", "true")],
        ),
        row("s2", &[("user_name", "b@x.com"), ("active", "true")]),
    ]);
    let mut disabled = user("u1", "a@x.com", json!({"accountEnabled": false}));
    disabled.scope_detail = "member of assigned group Security Approvers".into();
    let mut left = user("u2", "b@x.com", json!({}));
    left.in_scope = false;
    left.scope_detail = "out of scope: not assigned to the app".into();
    let p = plan_of(vec![disabled, left], &t, &prior);
    let scope_of = |id: &str| {
        let ops = p.to_vec();
        let op = ops.iter().find(|o| &*o.source_id == id).expect("an op");
        assert!(matches!(op.kind, OpKind::Disable { .. }), "{op:#?}");
        op.steps
            .iter()
            .find(|s| s.name == "Scope")
            .map(|s| s.detail.to_string())
            .unwrap_or_default()
    };
    assert_eq!(
        scope_of("u1"),
        "member of assigned group Security Approvers; disabled in Entra (accountEnabled = false): disabled"
    );
    assert_eq!(scope_of("u2"), "out of scope: not assigned to the app: disabled");
}

/// Review R12: `active` as "1"/"0" (the default mapping's values, and how an instance may send
/// booleans) was compared as text where the dictionary read did not type the column boolean: a
/// disable planned as an update (so the deletion threshold never counted it) and a re-enable
/// left the account locked out.
#[test]
fn active_as_one_and_zero_is_a_disable_and_an_enable_whatever_the_dictionary_says() {
    let prior = Prior {
        links: HashMap::from([((ObjectType::User, "u1".into()), "s1".into())]),
        ..Prior::default()
    };
    let with = |active: &str, locked: &str| {
        let mut t = target(vec![row(
            "s1",
            &[
                ("user_name", "a@x.com"),
                ("first_name", "Ada"),
                ("active", active),
                ("locked_out", locked),
            ],
        )]);
        t.booleans.clear();
        t
    };
    let disabled = || vec![user("u1", "a@x.com", json!({"accountEnabled": false}))];
    let enabled = || vec![user("u1", "a@x.com", json!({}))];
    for active in ["1", "true", "True"] {
        let p = plan_of(disabled(), &with(active, "0"), &prior);
        match only(&p) {
            OpKind::Disable { diff } => {
                let change = diff.iter().find(|c| &*c.attribute == "active").unwrap();
                assert_eq!(change.new.as_deref(), Some("false"), "{change:?}");
            }
            other => panic!("active {active}: {other:?}"),
        }
        assert!(matches!(
            only(&plan_of(enabled(), &with(active, "0"), &prior)),
            OpKind::Skip { .. }
        ));
    }
    for active in ["0", "false"] {
        match only(&plan_of(enabled(), &with(active, "1"), &prior)) {
            OpKind::Update { diff } => assert!(
                diff.iter().any(|c| &*c.attribute == "locked_out"),
                "active {active}: the account unlocked with its enable: {diff:?}"
            ),
            other => panic!("active {active}: {other:?}"),
        }
        assert!(matches!(
            only(&plan_of(disabled(), &with(active, "1"), &prior)),
            OpKind::Skip { .. }
        ));
    }
}

/// Acceptance N11: an object in the retry queue that was never provisioned and has left scope
/// (or is gone from Entra) gets one skip that drops its failure; one in scope is planned as
/// ever, and one linked follows the deprovisioning path.
#[test]
fn a_failed_object_never_provisioned_that_left_scope_is_skipped_once_as_left_scope() {
    let code = FailureCode::AttributeValueTooLong;
    let prior = Prior {
        links: HashMap::from([((ObjectType::User, "u3".into()), "s3".into())]),
        failing: HashMap::from([
            ((ObjectType::User, "u1".into()), (code, "gone@x.com".into())),
            ((ObjectType::User, "u2".into()), (code, "left@x.com".into())),
            ((ObjectType::User, "u3".into()), (code, "linked@x.com".into())),
            ((ObjectType::User, "u4".into()), (code, "still@x.com".into())),
        ]),
        ..Prior::default()
    };
    let t = target(vec![row("s3", &[("user_name", "linked@x.com"), ("active", "true")])]);
    let mut left = user("u2", "left@x.com", json!({}));
    left.in_scope = false;
    left.scope_detail = "not assigned to the app".into();
    let mut linked = user("u3", "linked@x.com", json!({}));
    linked.in_scope = false;
    let still = user("u4", "still@x.com", json!({}));
    let ops = plan_of(vec![left, linked, still], &t, &prior).to_vec();
    let of = |id: &str| {
        ops.iter()
            .filter(|o| &*o.source_id == id)
            .map(|o| o.kind.clone())
            .collect::<Vec<_>>()
    };
    let skip = OpKind::Skip {
        reason: crate::sync::outcome::SkipReason::LeftScope { code },
    };
    assert_eq!(of("u1"), vec![skip.clone()], "purged: {ops:#?}");
    assert_eq!(of("u2"), vec![skip.clone()], "out of scope: {ops:#?}");
    assert!(matches!(of("u3")[..], [OpKind::Disable { .. }]), "linked: {ops:#?}");
    assert!(matches!(of("u4")[..], [OpKind::Create { .. }]), "in scope: {ops:#?}");
    let u1 = ops.iter().find(|o| &*o.source_id == "u1").unwrap();
    assert_eq!(u1.source_name, "gone@x.com");
    let u2 = ops.iter().find(|o| &*o.source_id == "u2").unwrap();
    assert_eq!(
        u2.steps[0].detail.to_string(),
        "not assigned to the app: not provisioned"
    );
}

/// Acceptance A1: a linked user whose update fails (a department with no row) kept its
/// group rows in Entra, yet the plan removed them as "no longer a member".
#[test]
fn a_user_whose_write_fails_keeps_its_memberships() {
    let prior = Prior {
        links: HashMap::from([
            ((ObjectType::User, "u1".into()), "s1".into()),
            ((ObjectType::Group, "g".into()), "sg".into()),
        ]),
        ..Prior::default()
    };
    let mut t = target(vec![row(
        "s1",
        &[("user_name", "a@x.com"), ("first_name", "Ada"), ("active", "true")],
    )]);
    t.groups = vec![row("sg", &[("name", "G"), ("active", "true")])];
    t.members = vec![MemberRow {
        sys_id: "m1".into(),
        group: "sg".into(),
        user: "s1".into(),
    }];
    let group = SourceObject {
        id: "g".into(),
        name: "G".into(),
        attrs: source_attributes(&json!({"id": "g", "displayName": "G"}), false, &[]).into(),
        in_scope: true,
        enabled: true,
        scope_detail: "assigned".into(),
        members: vec!["u1".into()],
    };
    let source = Source {
        users: vec![user("u1", "a@x.com", json!({"department": "NoSuchDept"}))],
        groups: vec![group],
        ..Source::default()
    };
    let p = plan(1, CycleKind::Initial, source, &t, &prior, &rules());
    let ops = p.to_vec();
    assert!(
        ops.iter().any(|o| o.source_id.as_str() == "u1"
            && matches!(&o.kind, OpKind::Error(f) if f.code == FailureCode::InvalidLookupReference)),
        "{ops:#?}"
    );
    let members: Vec<_> = ops.iter().filter(|o| o.object_type == ObjectType::Membership).collect();
    assert!(members.is_empty(), "the failed user's row stays: {members:#?}");
}

use std::collections::HashMap;

use serde_json::json;

use super::*;
use crate::mapping::catalogue::source_attributes;
use crate::mapping::model::defaults;
use crate::sync::op::{ObjectType, OpKind};
use crate::sync::outcome::FailureCode;

fn rules() -> Rules {
    Rules {
        mappings: defaults().unwrap(),
        now: chrono::Utc::now(),
        match_active_only: false,
        missing_reference: MissingReference::Fail,
        deprovision_users: Default::default(),
        deprovision_groups: Default::default(),
        seed: 1,
        redaction: std::sync::Arc::new(crate::sync::redact::Redaction::random()),
    }
}

fn user(id: &str, upn: &str, extra: serde_json::Value) -> SourceObject {
    let mut obj = json!({"id": id, "userPrincipalName": upn, "accountEnabled": true, "givenName": "Ada"});
    if let (Some(o), Some(e)) = (obj.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    let enabled = obj["accountEnabled"].as_bool().unwrap_or(true);
    SourceObject {
        id: id.into(),
        name: upn.into(),
        attrs: source_attributes(&obj, !enabled, &[]).into(),
        in_scope: true,
        enabled,
        scope_detail: "assigned".into(),
        members: vec![],
    }
}

fn row(sys_id: &str, fields: &[(&str, &str)]) -> Row {
    Row {
        sys_id: sys_id.into(),
        fields: fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
    }
}

fn target(users: Vec<Row>) -> Target {
    let mut t = Target {
        users,
        ..Target::default()
    };
    t.lookups.insert(
        "cmn_department".into(),
        HashMap::from([("sales".into(), "dep1".into())]),
    );
    t.max_lengths.insert(("sys_user".into(), "user_name".into()), 40);
    t.booleans.insert(("sys_user".into(), "active".into()));
    t
}

fn plan_of(users: Vec<SourceObject>, t: &Target, prior: &Prior) -> crate::sync::Plan {
    let source = Source {
        users,
        ..Source::default()
    };
    plan(1, CycleKind::Initial, source, t, prior, &rules())
}

fn only(p: &crate::sync::Plan) -> &OpKind {
    assert_eq!(p.ops.len(), 1, "{:#?}", p.ops);
    &p.ops[0].kind
}

#[test]
fn matching_follows_precedence_case_insensitively() {
    let t = target(vec![row(
        "s1",
        &[("user_name", "other"), ("email", "ADA@X.COM"), ("active", "true")],
    )]);
    let p = plan_of(
        vec![user("u1", "ada@x.com", json!({"mail": "ada@x.com"}))],
        &t,
        &Prior::default(),
    );
    assert_eq!(p.ops[0].target_id.as_deref(), Some("s1"));
    match only(&p) {
        OpKind::Update { diff } => {
            assert!(
                diff.iter()
                    .any(|c| c.attribute == "user_name" && c.new.as_deref() == Some("ada@x.com"))
            );
            // `active` "1" from the mapping equals "true" read back: no change.
            assert!(!diff.iter().any(|c| c.attribute == "active"), "{diff:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn two_rows_for_one_value_is_duplicate_target_entries() {
    let t = target(vec![
        row("s1", &[("email", "a@x.com")]),
        row("s2", &[("email", "A@x.com"), ("active", "false")]),
    ]);
    let p = plan_of(
        vec![user("u1", "a@x.com", json!({"mail": "a@x.com"}))],
        &t,
        &Prior::default(),
    );
    assert!(matches!(only(&p), OpKind::Error(f) if f.code == FailureCode::DuplicateTargetEntries));
}

#[test]
fn no_row_creates_and_nothing_to_change_is_a_skip_without_write() {
    let t = target(vec![]);
    let p = plan_of(
        vec![user("u1", "a@x.com", json!({"department": "Sales"}))],
        &t,
        &Prior::default(),
    );
    match only(&p) {
        OpKind::Create { fields } => {
            assert!(
                fields
                    .iter()
                    .any(|c| c.attribute == "department" && c.new.as_deref() == Some("dep1"))
            );
        }
        other => panic!("{other:?}"),
    }
    let t = target(vec![row(
        "s1",
        &[
            ("user_name", "a@x.com"),
            ("first_name", "Ada"),
            ("active", "true"),
            ("department", "dep1"),
        ],
    )]);
    let prior = Prior {
        links: HashMap::from([((ObjectType::User, "u1".into()), "s1".into())]),
        ..Prior::default()
    };
    let p = plan_of(vec![user("u1", "a@x.com", json!({"department": "sales"}))], &t, &prior);
    assert!(matches!(only(&p), OpKind::Skip { .. }), "{p:#?}");
    assert_eq!(p.counts.writes(), 0);
}

#[test]
fn missing_department_is_invalid_lookup_reference_and_long_values_fail() {
    let t = target(vec![]);
    let p = plan_of(
        vec![user("u1", "a@x.com", json!({"department": "Nowhere"}))],
        &t,
        &Prior::default(),
    );
    assert!(
        matches!(only(&p), OpKind::Error(f) if f.code == FailureCode::InvalidLookupReference && f.reason.contains("Nowhere"))
    );
    let long = format!("{}@x.com", "a".repeat(50));
    let p = plan_of(vec![user("u1", &long, json!({}))], &t, &Prior::default());
    assert!(matches!(only(&p), OpKind::Error(f) if f.code == FailureCode::AttributeValueTooLong));
}

#[test]
fn duplicate_source_values_and_missing_matching_values() {
    let t = target(vec![]);
    let p = plan_of(
        vec![user("u1", "a@x.com", json!({})), user("u2", "A@x.com", json!({}))],
        &t,
        &Prior::default(),
    );
    assert!(
        p.ops
            .iter()
            .all(|o| matches!(&o.kind, OpKind::Error(f) if f.code == FailureCode::DuplicateSourceEntries))
    );
    let mut r = rules();
    r.mappings
        .user
        .attributes
        .retain(|a| a.matching.is_none() || a.target == "employee_number");
    if let Some(a) = r
        .mappings
        .user
        .attributes
        .iter_mut()
        .find(|a| a.target == "employee_number")
    {
        a.matching = Some(1);
    }
    let source = Source {
        users: vec![user("u1", "a@x.com", json!({}))],
        ..Source::default()
    };
    let p = plan(1, CycleKind::Initial, source, &t, &Prior::default(), &r);
    assert!(matches!(only(&p), OpKind::Error(f) if f.code == FailureCode::EntryJoiningPropertyValueIsMissing));
}

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
        OpKind::Update { diff } => assert!(diff.iter().any(|c| c.attribute == "locked_out")),
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
    assert!(matches!(only(&p), OpKind::Disable { .. }), "{:?}", p.ops);
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
    assert_eq!(p.ops[0].target_id.as_deref(), Some("s9"));
    assert!(p.ops[0].steps.iter().any(|s| s.detail.contains("InvalidAnchor")));
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
    let members: Vec<_> = p
        .ops
        .iter()
        .filter(|o| o.object_type == ObjectType::Membership)
        .collect();
    assert_eq!(members.len(), 2, "{members:#?}");
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
    let hash = p.ops[0].hash.clone();
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
        p.ops
            .iter()
            .any(|o| o.kind == OpKind::RemoveMember && o.target_id.as_deref() == Some("m1"))
    );
    assert!(p.ops.iter().any(|o| matches!(&o.kind, OpKind::Update { diff }
        if o.object_type == ObjectType::Group && diff.iter().any(|c| c.attribute == "active" && c.new.as_deref() == Some("true")))));
}

// The opt-in options of the plan (missing_reference = "create", clear_when_null).
mod managers;
mod names;
mod options;

// Identity safety and deprovisioning defaults (issue 12).
mod identity;
// The mapping functions that depend on more than the object (random and unique values).
mod functions;

//! Names instead of ids (issue 14): reference diffs carry the referenced rows' display
//! values; memberships name the group and the user's UPN also when the user is not planned.

use std::collections::HashMap;

use serde_json::json;

use super::*;

#[test]
fn a_reference_diff_names_the_rows_it_points_at() {
    let mut t = target(vec![row(
        "s1",
        &[("user_name", "a@x.com"), ("department", "dep0"), ("active", "true")],
    )]);
    t.lookups
        .get_mut("cmn_department")
        .unwrap()
        .insert("research".into(), "dep0".into());
    t.names.insert(
        "cmn_department".into(),
        HashMap::from([("dep1".into(), "Sales".into()), ("dep0".into(), "Research".into())]),
    );
    let prior = Prior {
        links: HashMap::from([((ObjectType::User, "u1".into()), "s1".into())]),
        ..Prior::default()
    };
    let p = plan_of(vec![user("u1", "a@x.com", json!({"department": "sales"}))], &t, &prior);
    let OpKind::Update { diff } = only(&p) else {
        panic!("{:?}", p.to_vec())
    };
    let department = diff.iter().find(|c| &*c.attribute == "department").unwrap();
    assert_eq!(
        (department.old(), department.new.as_deref()),
        (Some("dep0"), Some("dep1"))
    );
    assert_eq!(
        (department.old_text(), department.new_text()),
        (Some("Research"), Some("Sales"))
    );
    let json = serde_json::to_value(department).unwrap();
    assert_eq!(json["new_display"], "Sales", "the log and --json carry it");
}

#[test]
fn a_membership_of_a_user_not_planned_names_the_user() {
    let prior = Prior {
        links: HashMap::from([
            ((ObjectType::User, "u1".into()), "s1".into()),
            ((ObjectType::Group, "g".into()), "sg".into()),
        ]),
        ..Prior::default()
    };
    let mut t = target(vec![]);
    t.groups = vec![row("sg", &[("name", "Finance"), ("active", "true")])];
    let group = SourceObject {
        id: "g".into(),
        name: "Finance".into(),
        attrs: source_attributes(&json!({"id": "g", "displayName": "Finance"}), false, &[]).into(),
        in_scope: true,
        enabled: true,
        scope_detail: "assigned".into(),
        members: vec!["u1".into()],
    };
    // An incremental cycle: the group changed, its member did not.
    let source = Source {
        groups: vec![group],
        provisioned: ["u1".to_owned()].into(),
        names: HashMap::from([("u1".into(), "ada@x.com".into())]),
        ..Source::default()
    };
    let p = plan(1, CycleKind::Incremental, source, &t, &prior, &rules());
    let add = p.ops().find(|o| o.kind == OpKind::AddMember).unwrap();
    assert_eq!(add.source_name, "Finance / ada@x.com");
}

/// Acceptance N8: a member whose create fails in the plan (its UPN longer than `user_name`
/// holds) has its membership said as a skip that names the user, the group and the failure.
#[test]
fn a_membership_of_a_user_whose_create_fails_is_a_skip_naming_the_wait() {
    let prior = Prior {
        links: HashMap::from([((ObjectType::Group, "g".into()), "sg".into())]),
        ..Prior::default()
    };
    let mut t = target(vec![]);
    t.groups = vec![row("sg", &[("name", "Finance"), ("active", "true")])];
    let upn = "a.name.far.too.long.for.the.user.name.field@x.com";
    let group = SourceObject {
        id: "g".into(),
        name: "Finance".into(),
        attrs: source_attributes(&json!({"id": "g", "displayName": "Finance"}), false, &[]).into(),
        in_scope: true,
        enabled: true,
        scope_detail: "assigned".into(),
        members: vec!["u1".into()],
    };
    let source = Source {
        users: vec![user("u1", upn, json!({}))],
        groups: vec![group],
        ..Source::default()
    };
    let p = plan(1, CycleKind::Initial, source, &t, &prior, &rules());
    let create = p.ops().find(|o| o.object_type == ObjectType::User).unwrap();
    let OpKind::Error(f) = &create.kind else {
        panic!("{create:?}")
    };
    let member = p.ops().find(|o| o.object_type == ObjectType::Membership).unwrap();
    assert_eq!(member.source_name, format!("Finance / {upn}").as_str());
    assert_eq!(member.target_id, None);
    let OpKind::Skip { reason } = &member.kind else {
        panic!("{member:?}")
    };
    assert_eq!(
        reason.to_string(),
        format!(
            "membership of {upn} in Finance waits for the user's create (failed: {})",
            f.reason
        )
    );
    // The group (in sync) and the membership.
    assert_eq!(p.counts.skip, 2, "counted as skipped: {:?}", p.counts);
}

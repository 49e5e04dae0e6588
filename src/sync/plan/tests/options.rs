//! Plan tests of the opt-in options: `missing_reference = "create"` and `clear_when_null`.

use std::collections::HashMap;

use serde_json::json;

use super::*;
use crate::sync::op::Change;

#[test]
fn missing_reference_create_plans_one_row_ahead_of_the_users_that_need_it() {
    let t = target(vec![]);
    let users = vec![
        user("u1", "a@x.com", json!({"department": "Nowhere"})),
        user("u2", "b@x.com", json!({"department": "NOWHERE"})),
        user("u3", "c@x.com", json!({"department": "sales"})),
    ];
    let source = Source {
        users,
        ..Source::default()
    };
    let rules = Rules {
        missing_reference: MissingReference::Create,
        ..rules()
    };
    let p = plan(1, CycleKind::Initial, source, &t, &Prior::default(), &rules);
    // One row per value, case-insensitively, first; the users hold the value until apply.
    assert!(
        matches!(&p.to_vec()[0].kind, OpKind::CreateReference(r)
            if r.table == "cmn_department" && r.field == "name" && r.value == "Nowhere"),
        "{p:#?}"
    );
    assert_eq!(p.counts.create_reference, 1);
    assert_eq!(p.counts.create, 3);
    let department = |i: usize| match &p.to_vec()[i].kind {
        OpKind::Create { fields } => fields
            .iter()
            .find(|c| &*c.attribute == "department")
            .and_then(|c| c.new.as_deref().map(str::to_owned)),
        _ => None,
    };
    assert_eq!(department(1).as_deref(), Some("Nowhere"));
    assert_eq!(department(3).as_deref(), Some("dep1"));
}

#[test]
fn clear_when_null_sends_empty_on_update_only_when_opted_in() {
    let t = target(vec![row(
        "s1",
        &[
            ("user_name", "a@x.com"),
            ("first_name", "Ada"),
            ("active", "true"),
            ("title", "Boss"),
        ],
    )]);
    let prior = Prior {
        links: HashMap::from([((ObjectType::User, "u1".into()), "s1".into())]),
        ..Prior::default()
    };
    // No jobTitle in the source: by default the target keeps its title.
    let p = plan_of(vec![user("u1", "a@x.com", json!({}))], &t, &prior);
    assert!(matches!(only(&p), OpKind::Skip { .. }), "{p:#?}");
    let mut rules = rules();
    for a in rules
        .mappings
        .user
        .attributes
        .iter_mut()
        .filter(|a| a.target == "title")
    {
        a.clear_when_null = true;
    }
    let source = |u| Source {
        users: vec![u],
        ..Source::default()
    };
    let p = plan(
        1,
        CycleKind::Initial,
        source(user("u1", "a@x.com", json!({}))),
        &t,
        &prior,
        &rules,
    );
    match only(&p) {
        OpKind::Update { diff } => assert_eq!(diff, &[Change::new("title", Some("Boss".into()), Some(String::new()))]),
        other => panic!("{other:?}"),
    }
    // A create sends nothing for it.
    let p = plan(
        1,
        CycleKind::Initial,
        source(user("u1", "a@x.com", json!({}))),
        &target(vec![]),
        &Prior::default(),
        &rules,
    );
    assert!(matches!(only(&p), OpKind::Create { fields } if fields.iter().all(|c| &*c.attribute != "title")));
}

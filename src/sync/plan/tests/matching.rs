//! Plan tests of matching and of one object's op: Entra's matching precedence (case
//! insensitive), two rows or two source objects for one value, creates, skips without a write,
//! and the field failures (an unresolvable reference, a value too long).

use serde_json::json;

use super::*;

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
    assert_eq!(p.to_vec()[0].target_id.as_deref(), Some("s1"));
    match only(&p) {
        OpKind::Update { diff } => {
            assert!(
                diff.iter()
                    .any(|c| &*c.attribute == "user_name" && c.new.as_deref() == Some("ada@x.com"))
            );
            // `active` "1" from the mapping equals "true" read back: no change.
            assert!(!diff.iter().any(|c| &*c.attribute == "active"), "{diff:?}");
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
                    .any(|c| &*c.attribute == "department" && c.new.as_deref() == Some("dep1"))
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
        p.to_vec()
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

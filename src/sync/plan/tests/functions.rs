//! Plan tests of the mapping functions whose value depends on more than the object: `Guid()`
//! and `RandomString()` (fresh per object and cycle) and `SelectUniqueValue` (checked against
//! what the target holds and what this cycle already chose).

use std::collections::{HashMap, HashSet};

use serde_json::json;

use super::*;
use crate::mapping::model::load_str;
use crate::sync::op::Op;

/// The default user mappings with `extra` attribute mappings appended (TOML).
fn rules_with(extra: &str) -> Rules {
    // Keep the default group mapping: only the users' list grows.
    let (users, groups) = crate::mapping::model::DEFAULT_MAPPINGS_TOML
        .split_once("\n[group]\n")
        .unwrap_or_default();
    let set = load_str(&format!("{users}\n{extra}\n[group]\n{groups}")).unwrap();
    Rules {
        mappings: set,
        ..rules()
    }
}

fn created<'a>(op: &'a Op, attribute: &str) -> Option<&'a str> {
    match &op.kind {
        OpKind::Create { fields } => fields
            .iter()
            .find(|c| &*c.attribute == attribute)
            .and_then(|c| c.new.as_deref()),
        _ => None,
    }
}

fn plan_users(users: Vec<SourceObject>, t: &Target, rules: &Rules) -> crate::sync::Plan {
    let source = Source {
        users,
        ..Source::default()
    };
    plan(1, CycleKind::Initial, source, t, &Prior::default(), rules)
}

#[test]
fn random_values_are_fresh_per_object_and_per_cycle_but_stable_within_one() {
    let rules = rules_with(
        "[[user.attributes]]\ntarget = \"u_token\"\nexpression = 'Guid()'\napply = \"on_create\"\n\
         [[user.attributes]]\ntarget = \"user_password\"\nexpression = 'RandomString(16,2,2,2,2)'\napply = \"on_create\"\n",
    );
    let users = || {
        (0..20)
            .map(|i| user(&format!("u{i}"), &format!("u{i}@x.com"), json!({})))
            .collect::<Vec<_>>()
    };
    let t = target(vec![]);
    let p = plan_users(users(), &t, &rules);
    for attribute in ["u_token", "user_password"] {
        let ops = p.to_vec();
        let values: HashSet<&str> = ops.iter().filter_map(|op| created(op, attribute)).collect();
        assert_eq!(values.len(), 20, "{attribute}: every user gets its own value");
    }
    // The same cycle (a dry run, then the real cycle of the same plan) gives the same values.
    let again = plan_users(users(), &t, &rules);
    assert_eq!(
        created(&p.to_vec()[0], "u_token"),
        created(&again.to_vec()[0], "u_token")
    );
    // Another cycle, other values.
    let next = plan_users(
        users(),
        &t,
        &Rules {
            seed: 2,
            ..rules.clone()
        },
    );
    assert_ne!(
        created(&p.to_vec()[0], "u_token"),
        created(&next.to_vec()[0], "u_token")
    );
    assert_ne!(
        created(&p.to_vec()[0], "user_password"),
        created(&next.to_vec()[0], "user_password")
    );
}

const UNIQUE: &str = "[[user.attributes]]\ntarget = \"u_alias\"\napply = \"on_create\"\n\
    expression = 'SelectUniqueValue(Join(\".\", [givenName], [surname]), Join(\".\", Left([givenName], 1), [surname]), Join(\"\", [givenName], [surname], \"1\"))'\n";

#[test]
fn select_unique_value_skips_what_the_target_holds_and_what_this_cycle_chose() {
    let rules = rules_with(UNIQUE);
    let mut t = target(vec![]);
    t.taken.values.insert(
        ("sys_user".into(), "u_alias".into()),
        HashMap::from([("ada.king".to_owned(), "s9".to_owned())]),
    );
    let p = plan_users(
        vec![
            user("u1", "a1@x.com", json!({"givenName": "Ada", "surname": "King"})),
            user("u2", "a2@x.com", json!({"givenName": "Alan", "surname": "King"})),
            user("u3", "a3@x.com", json!({"givenName": "Ada", "surname": "Kong"})),
        ],
        &t,
        &rules,
    );
    // u1: "Ada.King" is held by s9 (case-insensitively), so the second rule.
    assert_eq!(created(&p.to_vec()[0], "u_alias"), Some("A.King"));
    // u2: "Alan.King" is free.
    assert_eq!(created(&p.to_vec()[1], "u_alias"), Some("Alan.King"));
    assert_eq!(created(&p.to_vec()[2], "u_alias"), Some("Ada.Kong"));
    // Two objects of one cycle never get the same value: u2 would be "A.King" after "Alan.King".
    let p = plan_users(
        vec![
            user("u1", "a1@x.com", json!({"givenName": "Ada", "surname": "King"})),
            user("u2", "a2@x.com", json!({"givenName": "Al", "surname": "King"})),
            user("u3", "a3@x.com", json!({"givenName": "Al", "surname": "King"})),
        ],
        &t,
        &rules,
    );
    assert_eq!(created(&p.to_vec()[0], "u_alias"), Some("A.King"));
    assert_eq!(created(&p.to_vec()[1], "u_alias"), Some("Al.King"));
    assert_eq!(created(&p.to_vec()[2], "u_alias"), Some("AlKing1"));
}

#[test]
fn no_unique_value_fails_the_object_with_what_to_do() {
    let rules = rules_with(UNIQUE);
    let mut t = target(vec![]);
    t.taken.values.insert(
        ("sys_user".into(), "u_alias".into()),
        HashMap::from([
            ("ada.king".to_owned(), "s1".to_owned()),
            ("a.king".to_owned(), "s2".to_owned()),
            ("adaking1".to_owned(), "s3".to_owned()),
        ]),
    );
    let p = plan_users(
        vec![user("u1", "a1@x.com", json!({"givenName": "Ada", "surname": "King"}))],
        &t,
        &rules,
    );
    match only(&p) {
        OpKind::Error(f) => {
            assert_eq!(f.code, FailureCode::AttributeMappingEvaluationFailed);
            assert!(
                f.reason.contains("u_alias") && f.reason.contains("every candidate"),
                "{f:?}"
            );
            assert!(
                f.recommended_action.contains("add a rule to the SelectUniqueValue"),
                "{f:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    // A candidate no query could carry is never chosen.
    let mut t = target(vec![]);
    t.taken
        .unchecked
        .insert(("sys_user".into(), "u_alias".into(), "ada.king".into()));
    let p = plan_users(
        vec![user("u1", "a1@x.com", json!({"givenName": "Ada", "surname": "King"}))],
        &t,
        &rules,
    );
    assert_eq!(created(&p.to_vec()[0], "u_alias"), Some("A.King"));
}

#[test]
fn a_value_held_by_the_object_itself_is_not_taken_on_update() {
    let rules = rules_with(&UNIQUE.replace("apply = \"on_create\"\n", ""));
    let mut t = target(vec![row(
        "s1",
        &[("user_name", "a1@x.com"), ("u_alias", "Ada.King"), ("active", "true")],
    )]);
    t.taken.values.insert(
        ("sys_user".into(), "u_alias".into()),
        HashMap::from([("ada.king".to_owned(), "s1".to_owned())]),
    );
    let p = plan_users(
        vec![user("u1", "a1@x.com", json!({"givenName": "Ada", "surname": "King"}))],
        &t,
        &rules,
    );
    assert!(
        !matches!(only(&p), OpKind::Update { diff } if diff.iter().any(|c| &*c.attribute == "u_alias")),
        "{p:#?}"
    );
}

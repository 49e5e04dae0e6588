//! Managers set in the create (issue 16 §2): a reference to a user created in the same cycle
//! rides in the report's own create as a pending change; a separate `SetReference` write only
//! where the create cannot carry it.

use std::collections::HashMap;

use serde_json::json;

use super::*;
use crate::sync::op::{Change, Op};

fn manager_change(kind: &OpKind) -> Option<&Change> {
    match kind {
        OpKind::Create { fields: c } | OpKind::Update { diff: c } => c.iter().find(|c| &*c.attribute == "manager"),
        _ => None,
    }
}

fn set_references(p: &crate::sync::Plan) -> Vec<(String, String)> {
    p.to_vec()
        .iter()
        .filter_map(|op| match &op.kind {
            OpKind::SetReference { source_id, .. } => Some((op.source_id.to_string(), source_id.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_manager_created_in_the_same_cycle_is_set_in_the_reports_create() {
    let t = target(vec![]);
    let boss = user("b", "boss@x.com", json!({}));
    let emp = user("e", "emp@x.com", json!({"manager": {"id": "b"}}));
    let p = plan_of(vec![emp, boss], &t, &Prior::default());
    assert!(set_references(&p).is_empty(), "{:#?}", p.to_vec());
    assert_eq!(p.counts.set_reference, 0);
    let emp = p.ops().find(|op| op.source_id == "e").unwrap();
    let c = manager_change(&emp.kind).unwrap();
    assert!(c.pending);
    assert_eq!(
        c.new.as_deref(),
        Some("b"),
        "the manager's source id, its sys_id once created"
    );
    assert_eq!(c.new_display(), Some("boss@x.com"), "shown by name");
    let json = serde_json::to_value(&emp.kind).unwrap();
    assert_eq!(json["fields"].as_array().unwrap().last().unwrap()["pending"], true);
}

#[test]
fn a_cycle_of_managers_sets_one_reference_after_the_creates() {
    let t = target(vec![]);
    let a = user("a", "a@x.com", json!({"manager": {"id": "b"}}));
    let b = user("b", "b@x.com", json!({"manager": {"id": "a"}}));
    let own = user("s", "self@x.com", json!({"manager": {"id": "s"}}));
    let p = plan_of(vec![a, b, own], &t, &Prior::default());
    let sets = set_references(&p);
    assert_eq!(sets.len(), 2, "one per cycle (a↔b, s↔s): {sets:?}");
    assert!(sets.contains(&("s".into(), "s".into())));
    let ops = p.to_vec();
    let pending: Vec<&str> = ops
        .iter()
        .filter(|op| manager_change(&op.kind).is_some_and(|c| c.pending))
        .map(|op| op.source_id.as_str())
        .collect();
    assert_eq!(
        pending.len(),
        1,
        "the other edge of a↔b rides in its create: {pending:?}"
    );
    let (broken, _) = sets.iter().find(|(id, _)| id != "s").unwrap();
    assert_ne!(pending[0], broken);
    // The SetReferences come after every create.
    let last_create = p
        .to_vec()
        .iter()
        .rposition(|op| matches!(op.kind, OpKind::Create { .. }));
    let ops = p.to_vec();
    let first_set = ops.iter().position(|op| matches!(op.kind, OpKind::SetReference { .. }));
    assert!(last_create < first_set);
}

/// The ops of the object `id`, but for memberships.
fn ops_of<'p>(p: &'p crate::sync::Plan, id: &str) -> Vec<&'p Op> {
    p.objects()
        .iter()
        .filter(|op| op.source_id == id && op.object_type == ObjectType::User)
        .collect()
}

/// Regression (acceptance pass, issue 14): a manager whose create is not in the plan (it fails
/// in the plan) made its reports' plan offer a write that could only fail
/// (`ReferenceNotProvisioned`), and list such a report twice. The report waits for its
/// manager, said by name in its one op: its create goes without it, or, in sync otherwise, a
/// skip with the reason.
#[test]
fn a_report_whose_manager_is_not_created_in_the_plan_waits_for_it_in_its_one_op() {
    // user_name holds at most 40 characters: the manager's create fails in the plan.
    let long = format!("{}@x.com", "b".repeat(40));
    let t = target(vec![row(
        "s2",
        &[("user_name", "two@x.com"), ("first_name", "Ada"), ("active", "true")],
    )]);
    let prior = Prior {
        links: HashMap::from([((ObjectType::User, "u2".into()), "s2".into())]),
        ..Prior::default()
    };
    let boss = user("boss-object-id", &long, json!({}));
    let emp = user("e", "emp@x.com", json!({"manager": {"id": "boss-object-id"}}));
    let two = user("u2", "two@x.com", json!({"manager": {"id": "boss-object-id"}}));
    let p = plan_of(vec![emp, two, boss], &t, &prior);
    assert!(
        set_references(&p).is_empty(),
        "no write that cannot succeed: {:#?}",
        p.to_vec()
    );
    assert_eq!(p.counts.set_reference, 0);
    let waits = format!("manager waits for {long}, not provisioned yet: set by the cycle that provisions it");

    let emp = ops_of(&p, "e");
    assert_eq!(emp.len(), 1, "listed once: {emp:#?}");
    assert!(manager_change(&emp[0].kind).is_none(), "the create goes without it");
    let said: Vec<String> = emp[0].steps.iter().map(|s| s.detail.to_string()).collect();
    assert!(said.iter().any(|d| d.contains(&waits)), "{said:#?}");
    assert!(!said.iter().any(|d| d.contains("boss-object-id")), "{said:#?}");

    let two = ops_of(&p, "u2");
    assert_eq!(two.len(), 1, "listed once: {two:#?}");
    match &two[0].kind {
        OpKind::Skip { reason } => assert_eq!(reason.to_string(), waits),
        other => panic!("a skip with its reason, not {other:?}"),
    }
    // The reason travels (a plan over the engine's socket).
    let back: Op = serde_json::from_value(serde_json::to_value(two[0]).unwrap()).unwrap();
    assert_eq!(back.kind, two[0].kind);
}

#[test]
fn a_linked_user_carries_a_new_manager_in_its_update_or_alone_when_in_sync() {
    let t = target(vec![
        row(
            "s1",
            &[("user_name", "one@x.com"), ("first_name", "Old"), ("active", "true")],
        ),
        row(
            "s2",
            &[("user_name", "two@x.com"), ("first_name", "Ada"), ("active", "true")],
        ),
    ]);
    let prior = Prior {
        links: HashMap::from([
            ((ObjectType::User, "u1".into()), "s1".into()),
            ((ObjectType::User, "u2".into()), "s2".into()),
        ]),
        ..Prior::default()
    };
    let boss = user("b", "boss@x.com", json!({}));
    let one = user("u1", "one@x.com", json!({"manager": {"id": "b"}}));
    let two = user("u2", "two@x.com", json!({"manager": {"id": "b"}}));
    let p = plan_of(vec![one, two, boss], &t, &prior);
    let one = p.ops().find(|op| op.source_id == "u1").unwrap();
    assert!(matches!(one.kind, OpKind::Update { .. }), "{:?}", one.kind);
    assert!(
        manager_change(&one.kind).is_some_and(|c| c.pending),
        "rides in the update"
    );
    assert_eq!(
        set_references(&p),
        [("u2".to_owned(), "b".to_owned())],
        "in sync otherwise: its one write sets the manager"
    );
}

/// The Action step of the `SetReference` of `id`.
fn set_reference_said(p: &crate::sync::Plan, id: &str) -> String {
    let op = p
        .ops()
        .find(|op| op.source_id == id && matches!(op.kind, OpKind::SetReference { .. }))
        .unwrap();
    op.steps.iter().find(|s| s.name == "Action").unwrap().detail.to_string()
}

/// Regression (acceptance pass, issue 14 "names instead of ids"): a `SetReference` said the
/// manager by its Entra object id, in the console's detail and in `sync --dry-run`.
#[test]
fn a_set_reference_names_the_manager_never_by_its_id() {
    // In sync but for the manager: the write of its own sets it.
    let t = target(vec![row(
        "s2",
        &[("user_name", "two@x.com"), ("first_name", "Ada"), ("active", "true")],
    )]);
    let prior = Prior {
        links: HashMap::from([((ObjectType::User, "u2".into()), "s2".into())]),
        ..Prior::default()
    };
    let boss = user("boss-object-id", "boss@x.com", json!({}));
    let two = user("u2", "two@x.com", json!({"manager": {"id": "boss-object-id"}}));
    let p = plan_of(vec![two, boss], &t, &prior);
    assert_eq!(
        set_reference_said(&p, "u2"),
        "manager → boss@x.com (created in this cycle)"
    );
}

//! `status`'s human summary (acceptance N13: it printed every held op, 1,721 lines).

use super::*;
use crate::model::ObjectType;
use crate::store::StagedRow;

fn held(n: usize, object_type: ObjectType, action: &str, cycle_id: i64) -> Vec<sync::StagedOp> {
    (0..n)
        .map(|i| {
            sync::StagedOp::from(StagedRow {
                object_type,
                source_id: format!("{object_type}-{i}"),
                source_name: format!("{object_type} {i}"),
                sys_id: String::new(),
                action: action.to_owned(),
                cycle_id,
                op: String::new(),
            })
        })
        .collect()
}

fn status_with(staged: Vec<sync::StagedOp>) -> sync::Status {
    sync::Status {
        profile: "default".into(),
        enabled: true,
        state: "idle",
        engine: None,
        paused: false,
        has_state: true,
        quarantine: None,
        last_cycle: None,
        last_on_demand: None,
        to_date: Value::Object(serde_json::Map::new()),
        cycles: 0,
        held: sync::HeldCounts::of(&staged),
        staged_deletions: staged,
        escrows: 0,
        failing: 0,
        linked_users: 0,
        linked_groups: 0,
        reconciliation: sync::Reconciliation::default(),
    }
}

#[test]
fn status_names_the_first_held_ops_counts_the_rest_and_says_where_to_see_them_all() {
    let mut staged = held(30, ObjectType::Membership, "remove_member", 7);
    staged.extend(held(4, ObjectType::User, "disable", 7));
    let text = status_lines(&status_with(staged)).render();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        text.contains("held          4 disables, 30 membership removals by the deletion threshold"),
        "{text}"
    );
    let named: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("              "))
        .collect();
    assert_eq!(named.len(), 11, "ten named and the rest counted: {text}");
    assert!(named[0].contains("disable user user 0"), "users first: {text}");
    assert_eq!(
        named[10].trim(),
        "… and 24 more: `nowsync status --json` lists every one, `nowsync logs --action StagedDelete --cycle 7` as the cycle held them"
    );
    // A few are all named.
    let text = status_lines(&status_with(held(3, ObjectType::User, "disable", 7))).render();
    assert_eq!(text.lines().filter(|l| l.starts_with("              ")).count(), 3);
    assert!(!text.contains("more:"));
}

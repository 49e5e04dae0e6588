//! What the deletion threshold holds (issue 14, acceptance F21/F28): a scope change from all to
//! assigned that would disable more users and deactivate more groups than the threshold allows
//! writes none of it — not the disables, not the deactivations, and not the membership removals
//! that follow from them — and the held set stays held until `allow-deletes` applies it or a
//! cycle that evaluated those objects again finds them no longer leaving.

use super::ops::append_config;
use super::plans::scope;
use super::{Env, State, setup};
use crate::support::text;

/// A world provisioned under scope "all", with `deletion_threshold = 3`; its state.
pub(crate) async fn provisioned_all() -> (Env, State) {
    let env = setup(200, 20, 20, 0).await;
    append_config(
        &env,
        "\n[profiles.default.provisioning]\nscope = \"all\"\ndeletion_threshold = 3\n",
    );
    let (code, doc) = env.sync(&[]).await;
    assert!(code <= 1, "{doc}");
    let before = env.state().await;
    (env, before)
}

/// Switches the scope to assigned and runs a cycle: it trips the threshold; nothing changes.
pub(crate) async fn switch_to_assigned_is_held(env: &Env, before: &State) -> usize {
    scope(env, "assigned");
    let (_, dry) = env.sync(&["--dry-run"]).await;
    let counts = &dry["counts"];
    assert!(counts["staged_delete"].as_u64().unwrap() > 3, "{counts}");
    assert_eq!(counts["disable"], 0, "{counts}");
    assert_eq!(
        counts["remove_member"], 0,
        "membership removals of held objects are held: {counts}"
    );
    env.reset_stats().await;
    let (code, doc) = env.sync(&[]).await;
    assert_eq!(code, 4, "{doc}");
    assert_eq!(doc["stats"]["disabled"], 0, "{doc}");
    assert_eq!(doc["stats"]["members_removed"], 0, "{doc}");
    assert_eq!(&env.state().await, before, "the held cycle changed ServiceNow");
    let st = env.status().await;
    assert_eq!(st["quarantine"]["reason"], "TooManyDeletes", "{st}");
    let staged = st["staged_deletions"].as_array().unwrap().len();
    assert!(staged > 3, "{st}");
    staged
}

#[tokio::test]
async fn a_scope_change_the_threshold_holds_removes_no_membership_and_allow_deletes_applies_them_all() {
    let (env, before) = provisioned_all().await;
    let staged = switch_to_assigned_is_held(&env, &before).await;

    // A quiet incremental cycle (nothing changed in Entra) looked again at the held objects:
    // still leaving, so still held and still quarantined — nothing applied piecemeal.
    let (code, doc) = env.sync(&[]).await;
    assert_eq!(code, 4, "{doc}");
    assert_eq!(doc["kind"], "incremental", "{doc}");
    assert_eq!(&env.state().await, &before, "a quiet cycle applied held writes");
    let st = env.status().await;
    assert_eq!(st["quarantine"]["reason"], "TooManyDeletes", "{st}");
    assert_eq!(st["staged_deletions"].as_array().unwrap().len(), staged, "{st}");

    // `status` counts what is held by kind (issue 14: counts mean objects: a membership
    // removal is no deletion) and names the way out: allow-deletes, not only lifting it.
    let held = &st["held"];
    let words = held_words(held);
    let out = env.nowsync(&["status"]).await;
    let shown = text(&out.stdout);
    assert!(
        shown.contains(&format!(
            "{words} by the deletion threshold (`nowsync allow-deletes` applies them)"
        )),
        "{shown}"
    );
    let quarantine = shown.lines().find(|l| l.starts_with("quarantine")).unwrap_or_default();
    assert!(
        quarantine.contains(
            "`nowsync allow-deletes` (or D in the console) applies the held changes, also while a console runs"
        ),
        "{shown}"
    );
    assert!(!shown.contains("deletions"), "{shown}");

    let out = env.nowsync(&["allow-deletes"]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{} {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains(&format!("applying what the deletion threshold held: {words}")),
        "{}",
        text(&out.stdout)
    );
    let after = env.state().await;
    assert_ne!(
        after.members, before.members,
        "the held membership removals were applied"
    );
    let st = env.status().await;
    assert!(st["quarantine"].is_null(), "{st}");
    // Everything the scope change meant is done: a dry run has nothing left to disable,
    // deactivate or remove.
    let (_, dry) = env.sync(&["--dry-run"]).await;
    let counts = &dry["counts"];
    for what in ["disable", "staged_delete", "remove_member"] {
        assert_eq!(counts[what], 0, "{what}: {counts}");
    }
}

#[tokio::test]
async fn a_held_scope_change_taken_back_ends_the_quarantine_and_changes_nothing() {
    let (env, before) = provisioned_all().await;
    switch_to_assigned_is_held(&env, &before).await;
    scope(&env, "all");
    let (code, doc) = env.sync(&[]).await;
    assert!(code <= 1, "{doc}");
    let st = env.status().await;
    assert!(st["quarantine"].is_null(), "{st}");
    assert_eq!(st["staged_deletions"].as_array().unwrap().len(), 0, "{st}");
    assert_eq!(&env.state().await, &before);
}

/// `status --json`'s held counts in the words `status` and the console say them.
fn held_words(held: &serde_json::Value) -> String {
    let n = |k: &str| held[k].as_u64().unwrap_or(0);
    nowsync::sync::op::held_words(n("disable"), n("deactivate"), n("delete"), n("remove_member")).unwrap_or_default()
}

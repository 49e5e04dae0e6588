//! Issue 12, the periodic full reconciliation, end to end: once `reconcile_hours` have passed
//! since the last full read of both sides, the next cycle reads both whole and corrects what
//! no delta reports — a restore that `users/delta` left out (real Graph does with `$select`,
//! graph.md §14 #1: the simulator's `omit_restored_with_select`), a row changed by hand in
//! ServiceNow, a linked row deleted by hand. The time passes by moving the stored
//! `reconciled` mark back, not by waiting.

use reqwest::Method;
use serde_json::{Value, json};

use super::ops::append_config;
use super::{Env, options, setup, setup_with};
use crate::support::text;

/// Sets (or, with `None`, removes) when the state says the last full read began.
fn set_reconciled(env: &Env, at: Option<chrono::DateTime<chrono::Utc>>) {
    let db = env.ws.data_dir().join("default.state.db");
    let conn = rusqlite::Connection::open(db).unwrap();
    match at {
        Some(t) => conn
            .execute(
                "UPDATE watermarks SET value = ?1 WHERE name = 'reconciled'",
                [t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)],
            )
            .map(|n| assert_eq!(n, 1, "a full read recorded its time"))
            .unwrap(),
        None => conn
            .execute("DELETE FROM watermarks WHERE name = 'reconciled'", [])
            .map(drop)
            .unwrap(),
    }
}

/// The mark as if the last full read had begun `hours` ago.
fn hours_ago(hours: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    Some(chrono::Utc::now() - chrono::TimeDelta::hours(hours))
}

/// The number of `sys_user` rows.
async fn user_rows(env: &Env) -> usize {
    env.rows("sys_user", &["sys_id"]).await.len()
}

#[tokio::test]
async fn a_restore_users_delta_left_out_is_re_enabled_on_the_same_row_by_the_next_reconciliation() {
    let mut o = options(200, 10, 20, 0);
    o.graph.faults.omit_restored_with_select = true;
    let env = setup_with(o).await;
    let id = env.new_assigned_user("restored@nowsync.test", json!({})).await;
    let (_, first) = env.sync(&[]).await;
    assert_eq!(first["kind"], "initial");
    let sys = env.link_of(&id).await.expect("provisioned");
    assert_eq!(env.row("sys_user", &sys).await["active"], "true");

    env.graph_write(Method::DELETE, &format!("/users/{id}"), Value::Null)
        .await;
    let (_, doc) = env.sync(&[]).await;
    assert_eq!(doc["kind"], "incremental");
    assert_eq!(
        env.row("sys_user", &sys).await["active"],
        "false",
        "soft-deleted: disabled {doc}"
    );

    env.graph_write(
        Method::POST,
        &format!("/directory/deletedItems/{id}/restore"),
        Value::Null,
    )
    .await;
    let (_, doc) = env.sync(&[]).await;
    assert_eq!(doc["kind"], "incremental");
    assert_eq!(
        env.row("sys_user", &sys).await["active"],
        "false",
        "the delta round did not report the restore: {doc}"
    );

    let rows = user_rows(&env).await;
    set_reconciled(&env, hours_ago(25));
    let (code, doc) = env.sync(&[]).await;
    assert_eq!(doc["kind"], "reconciliation", "{doc}");
    assert!(
        doc["full_cycle_reason"]
            .as_str()
            .is_some_and(|r| r.contains("reconcile_hours = 24")),
        "{doc}"
    );
    assert!(code <= 1, "at most the tenant's planted failures: {doc}");
    let row = env.row("sys_user", &sys).await;
    assert_eq!(row["active"], "true", "re-enabled: {doc}");
    assert_eq!(env.link_of(&id).await.as_deref(), Some(sys.as_str()), "the same row");
    assert_eq!(user_rows(&env).await, rows, "no row created");
    env.state().await; // panics on a duplicate
    let reconciled = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "success")
        .map(|r| {
            (
                r["source_id"].as_str().unwrap_or_default(),
                r["action"].as_str().unwrap_or_default(),
            )
        })
        .collect::<Vec<_>>();
    assert_eq!(reconciled, [(id.as_str(), "update")], "only the restore is corrected");

    // The next cycle is incremental again, and quiet.
    env.reset_stats().await;
    let (_, doc) = env.sync(&[]).await;
    assert_eq!(doc["kind"], "incremental");
    assert_eq!(env.writes().await, 0, "{doc}");
}

#[tokio::test]
async fn a_row_changed_by_hand_is_corrected_by_a_reconciliation_not_by_a_quiet_incremental_cycle() {
    let env = setup(200, 10, 20, 0).await;
    let id = env
        .new_assigned_user("handmade@nowsync.test", json!({"jobTitle": "Engineer"}))
        .await;
    let gone = env.new_assigned_user("vanished@nowsync.test", json!({})).await;
    env.sync(&[]).await;
    let sys = env.link_of(&id).await.expect("provisioned");
    let gone_sys = env.link_of(&gone).await.expect("provisioned");
    // By hand in ServiceNow: a title changed, a linked row deleted.
    let patch = json!({"title": "Changed by hand"});
    let id_sys = nowsync::model::SysId::parse(&sys).unwrap();
    env.snow
        .update("sys_user", &id_sys, patch.as_object().unwrap())
        .await
        .unwrap();
    env.snow
        .delete("sys_user", &nowsync::model::SysId::parse(&gone_sys).unwrap())
        .await
        .unwrap();

    env.reset_stats().await;
    let (_, doc) = env.sync(&[]).await;
    assert_eq!(doc["kind"], "incremental");
    assert_eq!(env.writes().await, 0, "no source change, nothing read back: {doc}");
    assert_eq!(env.row("sys_user", &sys).await["title"], "Changed by hand");

    // Asked for now, whatever reconcile_hours says.
    env.reset_stats().await;
    let out = env.nowsync(&["sync", "--once", "--reconcile"]).await;
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(stdout.contains("(reconciliation): created 1, updated 1,"), "{stdout}");
    assert!(stderr.contains("note: a reconciliation (asked for)"), "{stderr}");
    assert_eq!(env.row("sys_user", &sys).await["title"], "Engineer", "corrected");
    let relinked = env.link_of(&gone).await.expect("linked again");
    assert_ne!(relinked, gone_sys, "the vanished row is created again");
    assert_eq!(
        env.row("sys_user", &relinked).await["user_name"],
        "vanished@nowsync.test"
    );
    let stats = env.stats().await;
    assert_eq!(stats["requests"]["PATCH"], 1, "one update: {stats}");
    assert_eq!(stats["requests"]["POST"], 1, "one create: {stats}");
    env.state().await; // panics on a duplicate

    // `status` says when it was and when the next is due.
    let status = env.status().await;
    let r = &status["reconciliation"];
    assert_eq!(r["every_hours"], 24);
    assert_eq!(r["due"], false);
    let at = |k: &str| chrono::DateTime::parse_from_rfc3339(r[k].as_str().unwrap()).unwrap();
    assert_eq!(at("next_due") - at("last"), chrono::TimeDelta::hours(24), "{r}");
    assert!(chrono::Utc::now().signed_duration_since(at("last")) < chrono::TimeDelta::minutes(5));
    let out = env.nowsync(&["status"]).await;
    let lines = text(&out.stdout);
    assert!(
        lines
            .lines()
            .any(|l| l.starts_with("reconcile") && l.contains("next due")),
        "{lines}"
    );
    assert!(lines.contains("(reconciliation)"), "the last cycle's kind: {lines}");
}

#[tokio::test]
async fn reconcile_hours_zero_never_reconciles_and_an_unrecorded_one_is_due_at_once() {
    let env = setup(200, 10, 20, 0).await;
    let (_, first) = env.sync(&[]).await;
    assert_eq!(first["kind"], "initial");
    // A state from before reconciliations (no time recorded): the next cycle reconciles.
    set_reconciled(&env, None);
    let (_, doc) = env.sync(&[]).await;
    assert_eq!(doc["kind"], "reconciliation", "{doc}");
    assert!(
        doc["full_cycle_reason"]
            .as_str()
            .is_some_and(|r| r.contains("none is recorded yet")),
        "{doc}"
    );
    assert_eq!(doc["stats"]["writes"], 0, "nothing drifted: {doc}");
    // Within reconcile_hours: incremental.
    set_reconciled(&env, hours_ago(23));
    let (_, doc) = env.sync(&[]).await;
    assert_eq!(doc["kind"], "incremental");

    append_config(&env, "\n[profiles.default.provisioning]\nreconcile_hours = 0\n");
    set_reconciled(&env, hours_ago(24 * 365));
    for _ in 0..2 {
        let (_, doc) = env.sync(&[]).await;
        assert_eq!(doc["kind"], "incremental", "{doc}");
    }
    set_reconciled(&env, None);
    let (_, doc) = env.sync(&[]).await;
    assert_eq!(doc["kind"], "incremental", "{doc}");
    let status = env.status().await;
    assert_eq!(status["reconciliation"]["every_hours"], 0);
    assert_eq!(status["reconciliation"]["due"], false);
    assert_eq!(status["reconciliation"]["next_due"], Value::Null);
    let out = env.nowsync(&["status"]).await;
    assert!(
        text(&out.stdout).contains("never by itself (reconcile_hours = 0"),
        "{}",
        text(&out.stdout)
    );
}

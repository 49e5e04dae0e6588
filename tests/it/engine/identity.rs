//! Issue 12, identity safety and deprovisioning defaults, end to end: the integration account
//! and rows of tables that extend `sys_user` are never written; values an encoded query
//! cannot carry plainly are matched in initial and incremental cycles; users are disabled and
//! groups deactivated by default; a Microsoft 365 group soft-deleted and restored keeps one
//! row. Judged against what the simulators hold.

use reqwest::Method;
use serde_json::{Map, Value, json};

use super::{Env, options, setup_with};
use nowsync::sim::snow::{self, ADMIN_SYS_ID};

/// Every row of `sys_user` whose `field` is `value` (case-insensitively), with all fields.
async fn rows_with(env: &Env, field: &str, value: &str) -> Vec<Map<String, Value>> {
    env.rows(
        "sys_user",
        &["sys_id", "user_name", "email", "active", "sys_class_name"],
    )
    .await
    .into_iter()
    .filter(|r| r[field].as_str().is_some_and(|v| v.eq_ignore_ascii_case(value)))
    .collect()
}

async fn members_of(env: &Env, group: &str) -> usize {
    env.rows("sys_user_grmember", &["group", "user"])
        .await
        .into_iter()
        .filter(|m| m["group"] == group)
        .count()
}

async fn failures(env: &Env, cycle: &Value) -> Vec<Value> {
    env.logs(&["--cycle", &cycle["cycle_id"].to_string(), "--status", "failure"])
        .await
}

#[tokio::test]
async fn an_entra_user_with_the_integration_accounts_email_never_touches_it() {
    let mut o = options(300, 20, 30, 0);
    o.snow.integration_collision = Some(snow::Collision::Email);
    let env = setup_with(o).await;
    let planted = env.world.graph.sim.tenant().planted.integration_account.clone();
    assert!(!planted.is_empty());
    let before = env.row("sys_user", ADMIN_SYS_ID).await;
    let (code, first) = env.sync(&[]).await;
    assert_eq!(code, 1, "the planted object fails: {first}");
    let failed = failures(&env, &first).await;
    let record = failed
        .iter()
        .find(|r| r["source_id"] == planted.as_str())
        .expect("planted fails");
    assert_eq!(record["error_code"], "MatchesIntegrationAccount", "{record}");
    assert!(record["reason"].as_str().unwrap().contains(ADMIN_SYS_ID));
    let (code, _) = env.sync(&[]).await;
    assert_eq!(code, 1);
    // The admin's row is as it was, field for field, and the account still signs in.
    assert_eq!(env.row("sys_user", ADMIN_SYS_ID).await, before);
    assert_eq!(
        rows_with(&env, "email", "admin@example.com").await.len(),
        1,
        "no second admin row"
    );
    assert!(env.link_of(&planted).await.is_none());
    let status = env.status().await;
    assert!(status["quarantine"].is_null(), "{status}");
}

#[tokio::test]
async fn rows_of_extending_tables_and_an_admin_named_like_a_user_are_never_written() {
    let mut o = options(300, 20, 30, 0);
    o.snow.integration_collision = Some(snow::Collision::UserName);
    o.snow.extended_users = 4;
    let env = setup_with(o).await;
    let planted = env.world.graph.sim.tenant().planted.clone();
    assert_eq!(planted.extended_users.len(), 4);
    let tenant = env.world.graph.sim.tenant().clone();
    let mail_of = |id: &str| {
        tenant
            .users
            .iter()
            .find(|u| u.id == id)
            .and_then(|u| u.mail.clone())
            .unwrap()
    };
    let mut before = Vec::new();
    for (id, class) in &planted.extended_users {
        let rows = rows_with(&env, "email", &mail_of(id)).await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["sys_class_name"], class.as_str());
        let sys_id = rows[0]["sys_id"].as_str().unwrap().to_owned();
        before.push((
            id.clone(),
            class.clone(),
            sys_id.clone(),
            env.row("sys_user", &sys_id).await,
        ));
    }
    let admin_name = env.world.ready_line()["servicenow_user"].as_str().unwrap().to_owned();
    let admin_rows = rows_with(&env, "user_name", &admin_name).await;
    assert_eq!(admin_rows.len(), 1, "the admin is named like a tenant user's UPN");
    let admin_sys = admin_rows[0]["sys_id"].as_str().unwrap().to_owned();
    let admin_before = env.row("sys_user", &admin_sys).await;
    let (code, first) = env.sync(&[]).await;
    assert_eq!(code, 1, "{first}");
    let failed = failures(&env, &first).await;
    for (id, class, sys_id, row) in &before {
        let record = failed
            .iter()
            .find(|r| r["source_id"] == id.as_str())
            .expect("contact fails");
        assert_eq!(record["error_code"], "MatchesOtherClass");
        assert!(record["reason"].as_str().unwrap().contains(class.as_str()), "{record}");
        assert_eq!(&env.row("sys_user", sys_id).await, row, "{class} row never written");
    }
    let admin = failed
        .iter()
        .find(|r| r["source_id"] == planted.integration_account.as_str())
        .unwrap();
    assert_eq!(admin["error_code"], "MatchesIntegrationAccount");
    assert_eq!(env.row("sys_user", &admin_sys).await, admin_before);
    let (code, second) = env.sync(&[]).await;
    assert_eq!((code, second["kind"].as_str()), (1, Some("incremental")));
    for (_, class, sys_id, row) in &before {
        assert_eq!(&env.row("sys_user", sys_id).await, row, "{class} row never written");
    }
}

#[tokio::test]
async fn values_with_commas_and_carets_are_matched_in_initial_and_incremental_cycles() {
    let env = setup_with(options(300, 20, 30, 0)).await;
    let values = ["o,neil@nowsync.test", "car^et@nowsync.test", "^lead@nowsync.test"];
    let mut expected = Vec::new();
    for (n, mail) in values.iter().enumerate() {
        let sys_id = env
            .snow_insert(
                "sys_user",
                json!({"user_name": format!("legacy.{n}"), "email": mail, "first_name": "Legacy"}),
            )
            .await;
        let id = env
            .new_assigned_user(&format!("initial.{n}@nowsync.test"), json!({"mail": mail}))
            .await;
        expected.push((id, sys_id, *mail));
    }
    let (_, first) = env.sync(&[]).await;
    assert_eq!(first["kind"], "initial");
    let later = ["x,y@nowsync.test", "p^q@nowsync.test", "new\nline@nowsync.test"];
    for (n, mail) in later.iter().enumerate() {
        let sys_id = env
            .snow_insert(
                "sys_user",
                json!({"user_name": format!("legacy.later.{n}"), "email": mail}),
            )
            .await;
        let id = env
            .new_assigned_user(&format!("later.{n}@nowsync.test"), json!({"mail": mail}))
            .await;
        expected.push((id, sys_id, *mail));
    }
    let (_, second) = env.sync(&[]).await;
    assert_eq!(second["kind"], "incremental");
    for (id, sys_id, mail) in &expected {
        assert_eq!(
            env.link_of(id).await.as_deref(),
            Some(sys_id.as_str()),
            "{mail:?} matched its row"
        );
        assert_eq!(rows_with(&env, "email", mail).await.len(), 1, "{mail:?}: no duplicate");
    }
    let (_, third) = env.sync(&[]).await;
    assert_eq!(third["stats"]["created"], 0);
}

#[tokio::test]
async fn groups_are_deactivated_never_deleted_and_a_restored_microsoft_365_group_keeps_its_row() {
    let mut o = options(300, 20, 30, 0);
    o.graph.unified_assigned_group = true;
    let env = setup_with(o).await;
    let unified = env.world.graph.sim.tenant().planted.unified_group.clone();
    env.sync(&[]).await;
    let group_sys = env
        .link_of(&unified)
        .await
        .expect("the Microsoft 365 group is provisioned");
    let members = members_of(&env, &group_sys).await;
    assert!(members > 0);
    env.reset_stats().await;
    env.graph_write(Method::DELETE, &format!("/groups/{unified}"), Value::Null)
        .await;
    let (_, second) = env.sync(&[]).await;
    assert_eq!(second["kind"], "incremental");
    let row = env.row("sys_user_group", &group_sys).await;
    assert_eq!(row["active"], "false", "deactivated, not deleted");
    assert_eq!(members_of(&env, &group_sys).await, 0, "its memberships removed");
    env.graph_write(
        Method::POST,
        &format!("/directory/deletedItems/{unified}/restore"),
        Value::Null,
    )
    .await;
    let (_, third) = env.sync(&[]).await;
    let row = env.row("sys_user_group", &group_sys).await;
    assert_eq!(row["active"], "true", "re-activated on the same row: {third}");
    let name = row["name"].as_str().unwrap().to_owned();
    let same_name = env.rows("sys_user_group", &["name"]).await;
    assert_eq!(same_name.iter().filter(|g| g["name"] == name.as_str()).count(), 1);
    assert_eq!(members_of(&env, &group_sys).await, members, "members back");
    let stats = env.stats().await;
    for table in ["sys_user", "sys_user_group"] {
        assert_eq!(
            stats["by_table"][table]["DELETE"].as_u64().unwrap_or(0),
            0,
            "no DELETE on {table}"
        );
    }
}

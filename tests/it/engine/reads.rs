//! Issue 12, reads that cannot skip or lie, end to end: pages the instance's transaction quota
//! cancels are asked for again smaller and never used (no user lost, none duplicated); a read
//! that cannot complete stops the cycle before any write; rows another writer inserts while
//! the target is paged are matched, not duplicated.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use super::{Env, options, setup_with};

async fn faults(env: &Env, body: Value) {
    let url = format!("{}/sim/faults", env.world.snow.url);
    let resp = reqwest::Client::new().post(url).json(&body).send().await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap_or_default());
}

/// Sets a key of the profile's `[servicenow]` table.
fn servicenow_key(env: &Env, line: &str) {
    let path = env.ws.config();
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replacen(
        "[profiles.default.servicenow]\n",
        &format!("[profiles.default.servicenow]\n{line}\n"),
        1,
    );
    std::fs::write(&path, text).unwrap();
}

/// The (object type, source name, action) of each op a `sync --json` document planned or did.
fn ops(doc: &Value, key: &str) -> BTreeSet<(String, String, String)> {
    let s = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    doc[key]
        .as_array()
        .unwrap()
        .iter()
        .filter(|op| op.get("kind").is_none_or(|k| k["action"] != "skip"))
        .map(|op| {
            let action = match op.get("kind") {
                Some(k) => match k["action"].as_str().unwrap_or_default() {
                    "set_reference" => "update".to_owned(),
                    other => other.to_owned(),
                },
                None => s(op, "action"),
            };
            (s(op, "object_type"), s(op, "source_name"), action)
        })
        .filter(|(_, _, a)| a != "skip")
        .collect()
}

#[tokio::test]
async fn quota_cancelled_pages_are_read_again_smaller_and_lose_or_duplicate_no_user() {
    let env = setup_with(options(600, 30, 1500, 0)).await;
    let (dry_code, dry) = env.sync(&["--dry-run"]).await;
    let users_before = env.rows("sys_user", &["sys_id"]).await.len();
    // Pages of more than 300 rows are cancelled after 300 (a 200 with a partial result and
    // the error); the first read is also cancelled once while running, another while queued.
    faults(
        &env,
        json!({"quota_max_rows": 300, "next": [
            {"kind": "quota_cancelled", "phase": "read"},
            {"kind": "quota_queued", "phase": "read"},
        ]}),
    )
    .await;
    let (code, real) = env.sync(&[]).await;
    let stats = env.stats().await;
    faults(&env, json!({"quota_max_rows": null})).await;
    assert_eq!(code, dry_code, "{real}");
    assert!(
        stats["faults"]["quota_cancelled"].as_u64() >= Some(1),
        "the quota cancelled reads: {stats}"
    );
    assert_eq!(
        ops(&dry, "plan"),
        ops(&real, "results"),
        "the same plan as without the quota"
    );
    let created = real["stats"]["created"].as_u64().unwrap();
    assert!(created > 0);
    let state = env.state().await; // panics on a duplicate user, group or membership
    let users_after = env.rows("sys_user", &["sys_id"]).await.len() as u64;
    let created_users = real["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["object_type"] == "user" && r["action"] == "create" && r["status"] == "success")
        .count() as u64;
    assert_eq!(users_after, users_before as u64 + created_users, "no row created twice");
    assert!(state.users.len() > 1500);
    let (_, quiet) = env.sync(&[]).await;
    assert_eq!(quiet["stats"]["created"], 0, "{quiet}");
}

#[tokio::test]
async fn a_read_the_quota_cancels_even_in_small_pages_stops_the_cycle_before_any_write() {
    let env = setup_with(options(200, 20, 300, 0)).await;
    env.sync(&[]).await;
    // A user to create and one to disable are waiting; the next cycle reads the tables whole.
    env.new_assigned_user("waiting@nowsync.test", json!({})).await;
    let scope = env.graph.assigned_scope().await.unwrap();
    let mut leaving = None;
    let via_groups: BTreeSet<&String> = scope.group_members.values().flatten().collect();
    for a in &scope.assignments {
        if scope.direct_users.contains_key(&a.principal_id)
            && !via_groups.contains(&a.principal_id)
            && let Some(sys) = env.link_of(&a.principal_id).await
        {
            leaving = Some((a.clone(), sys));
            break;
        }
    }
    let (assignment, leaving_sys) = leaving.expect("a provisioned user");
    let sp = env.graph.service_principal_id().to_owned();
    env.graph_write(
        Method::DELETE,
        &format!("/servicePrincipals/{sp}/appRoleAssignedTo/{}", assignment.id),
        Value::Null,
    )
    .await;
    let out = env.nowsync(&["restart", "--scope", "watermark"]).await;
    assert!(out.status.success());
    faults(&env, json!({"quota_max_rows": 5})).await;
    env.reset_stats().await;
    let out = env.nowsync(&["sync", "--once"]).await;
    let stderr = crate::support::text(&out.stderr);
    assert_eq!(env.writes().await, 0, "nothing written from a partial read: {stderr}");
    // DESIGN.md's exit codes: the instance could not be read, 3 (connection failure) — no
    // object failed (1), nothing is wrong with the configuration (2), and a cancelled read is
    // no reason for quarantine (4).
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(env.status().await["quarantine"], Value::Null);
    assert!(
        stderr.contains("Transaction cancelled: maximum execution time exceeded")
            && stderr.contains("page_size")
            && stderr.contains("Transaction Quota Rules"),
        "the error says what happened and what to do: {stderr}"
    );
    assert_eq!(
        env.row("sys_user", &leaving_sys).await["active"],
        "true",
        "nothing disabled"
    );

    // Once the quota allows a page, the same cycle runs whole.
    faults(&env, json!({"quota_max_rows": null})).await;
    let (_, doc) = env.sync(&[]).await;
    assert_eq!(doc["kind"], "initial");
    assert_eq!(env.row("sys_user", &leaving_sys).await["active"], "false", "{doc}");
}

#[tokio::test]
async fn rows_another_writer_inserts_while_the_target_is_paged_are_matched_not_duplicated() {
    let env = setup_with(options(400, 20, 800, 0)).await;
    servicenow_key(&env, "page_size = 100");
    // New Entra users whose rows an SSO just-in-time provisioning creates while we read.
    let mut jit = Vec::new();
    let mut rows = Vec::new();
    for n in 0..6 {
        let mail = format!("jit.{n}@nowsync.test");
        let id = env.new_assigned_user(&mail, json!({"mail": mail})).await;
        rows.push(json!({"user_name": format!("sso.jit.{n}"), "email": mail, "first_name": "Jit"}));
        jit.push((id, mail));
    }
    faults(
        &env,
        json!({"other_writer": {"table": "sys_user", "every": 1, "insert": 1, "rows": rows}}),
    )
    .await;
    let (_, first) = env.sync(&[]).await;
    let doc = env.stats().await;
    assert!(doc["faults"]["other_writer_insert"].as_u64() >= Some(6), "{doc}");
    faults(&env, json!({"other_writer": null})).await;
    assert_eq!(first["kind"], "initial");
    for (id, mail) in &jit {
        let rows = env.rows("sys_user", &["sys_id", "email", "user_name"]).await;
        let with: Vec<_> = rows.iter().filter(|r| r["email"] == mail.as_str()).collect();
        assert_eq!(with.len(), 1, "{mail}: one row, {with:?}");
        assert_eq!(
            env.link_of(id).await.as_deref(),
            with[0]["sys_id"].as_str(),
            "{mail}: the other writer's row is matched"
        );
    }
    env.state().await; // panics on a duplicate
    let (_, quiet) = env.sync(&[]).await;
    assert_eq!(quiet["stats"]["created"], 0, "{quiet}");
}

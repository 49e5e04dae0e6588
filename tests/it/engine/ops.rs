//! Issue 8 end to end: the deletion threshold and allow-deletes, quarantine after a password
//! change mid-cycle, escrow retried once the missing department exists; `status`, `restart`.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Env, setup};
use crate::support::text;

/// Appends a `[provisioning]` section (and anything else) to the world profile.
pub(super) fn append_config(env: &Env, extra: &str) {
    let mut text = std::fs::read_to_string(env.ws.config()).unwrap();
    text.push_str(extra);
    env.ws.write_config(&text);
}

async fn links(env: &Env) -> Vec<Value> {
    let out = env.nowsync(&["links", "--format", "json"]).await;
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn status(env: &Env) -> (i32, Value) {
    let out = env.nowsync(&["status", "--json"]).await;
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    (out.status.code().unwrap_or(-1), doc)
}

/// Directly assigned, linked users in no assigned group: (id, UPN, sys_id, assignment id).
pub(super) async fn direct_users(env: &Env) -> Vec<(String, String, String, String)> {
    let links = links(env).await;
    let scope = env.graph.assigned_scope().await.unwrap();
    let tenant = env.world.graph.sim.tenant().clone();
    tenant
        .users
        .iter()
        .filter(|u| scope.direct_users.contains_key(&u.id))
        .filter(|u| !scope.group_members.values().any(|m| m.contains(&u.id)))
        .filter_map(|u| {
            let sys = links.iter().find(|l| l["source_id"] == u.id.as_str())?["sys_id"]
                .as_str()?
                .to_owned();
            let a = scope.assignments.iter().find(|a| a.principal_id == u.id)?;
            Some((u.id.clone(), u.user_principal_name.clone(), sys, a.id.clone()))
        })
        .collect()
}

async fn active(env: &Env, sys_id: &str) -> String {
    env.rows("sys_user", &["sys_id", "active"])
        .await
        .into_iter()
        .find(|r| r["sys_id"] == sys_id)
        .map(|r| r["active"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_deletion_threshold_stages_and_allow_deletes_applies_exactly_the_staged_set() {
    let env = setup(200, 20, 20, 0).await;
    append_config(&env, "\n[profiles.default.provisioning]\ndeletion_threshold = 3\n");
    let (code, _) = env.sync(&[]).await;
    assert!(code <= 1, "{code}");
    let direct = direct_users(&env).await;
    let mut five = Vec::new();
    for d in direct {
        if active(&env, &d.2).await == "true" {
            five.push(d);
        }
        if five.len() == 5 {
            break;
        }
    }
    assert_eq!(five.len(), 5);
    let sp = env.graph.service_principal_id().to_owned();
    for (_, _, _, assignment) in &five {
        env.graph_write(
            Method::DELETE,
            &format!("/servicePrincipals/{sp}/appRoleAssignedTo/{assignment}"),
            Value::Null,
        )
        .await;
    }
    // A dry run shows what the real cycle will do: the five staged, none disabled.
    let (_, dry) = env.sync(&["--dry-run"]).await;
    assert_eq!(dry["counts"]["staged_delete"], 5, "{}", dry["counts"]);
    assert_eq!(dry["counts"]["disable"], 0);
    env.reset_stats().await;
    let (code, doc) = env.sync(&[]).await;
    assert_eq!(code, 4, "{doc}");
    assert_eq!(doc["stats"]["disabled"], 0);
    assert_eq!(doc["stats"]["staged_deletes"], 5);
    for (_, upn, sys, _) in &five {
        assert_eq!(active(&env, sys).await, "true", "{upn} not disabled");
    }
    let staged = env
        .logs(&["--cycle", &doc["cycle_id"].to_string(), "--action", "StagedDelete"])
        .await;
    assert_eq!(staged.len(), 5, "{staged:?}");
    let (code, st) = status(&env).await;
    assert_eq!(code, 4);
    assert_eq!(st["quarantine"]["reason"], "TooManyDeletes");
    assert!(st["quarantine"]["next_attempt"].is_string());
    assert_eq!(st["staged_deletions"].as_array().unwrap().len(), 5);

    // Provision on demand runs while quarantined (an explicit admin action).
    let out = env.nowsync(&["provision", "--user", &five[0].1, "--dry-run"]).await;
    assert!(text(&out.stdout).contains("out of scope"), "{}", text(&out.stdout));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    env.reset_stats().await;
    let out = env.nowsync(&["allow-deletes"]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{} {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    for (_, upn, sys, _) in &five {
        assert_eq!(active(&env, sys).await, "false", "{upn} disabled");
    }
    let stats = env.stats().await;
    assert_eq!(stats["requests"]["PATCH"], 5, "{stats}");
    assert_eq!(env.writes().await, 5, "exactly the staged set");
    let (code, st) = status(&env).await;
    assert_eq!(code, 0, "{st}");
    assert!(st["quarantine"].is_null());
    assert_eq!(st["staged_deletions"].as_array().unwrap().len(), 0);
    // Nothing left to do: the next cycle is quiet and not quarantined.
    let (code, doc) = env.sync(&[]).await;
    assert!(code <= 1, "{doc}");
    assert_eq!(doc["stats"]["disabled"], 0);
}

#[tokio::test]
async fn a_missing_department_is_an_escrow_retried_once_the_department_exists() {
    let env = setup(200, 20, 20, 0).await;
    let _ = env.sync(&[]).await;
    let direct = direct_users(&env).await;
    let (id, upn, sys, _) = direct[0].clone();
    env.graph_write(
        Method::PATCH,
        &format!("/users/{id}"),
        json!({"department": "Quantum Gardening"}),
    )
    .await;
    let (code, _) = env.sync(&[]).await;
    assert_eq!(code, 1);
    let out = env.nowsync(&["logs", "--escrow", "--format", "json"]).await;
    let escrows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let e = escrows
        .iter()
        .find(|e| e["source_id"] == id.as_str())
        .expect("escrow listed");
    assert_eq!(e["code"], "InvalidLookupReference");
    assert!(e["next_attempt"].is_string(), "{e}");
    env.snow
        .create(
            "cmn_department",
            &serde_json::from_value(json!({"name": "Quantum Gardening"})).unwrap(),
        )
        .await
        .unwrap();
    // The next cycle retries it (no restart) and it succeeds; the tenant's other planted
    // failures keep the exit code at 1.
    let (_, doc) = env.sync(&[]).await;
    assert!(
        doc["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["source_id"] == id.as_str() && r["status"] == "success"),
        "{doc}"
    );
    let row = env
        .rows("sys_user", &["sys_id", "department"])
        .await
        .into_iter()
        .find(|r| r["sys_id"] == sys.as_str())
        .unwrap();
    assert!(!row["department"].as_str().unwrap_or_default().is_empty(), "{upn}");
    let out = env.nowsync(&["logs", "--escrow", "--format", "json"]).await;
    let escrows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!escrows.iter().any(|e| e["source_id"] == id.as_str()), "escrow cleared");
}

#[tokio::test]
async fn a_password_changed_mid_cycle_stops_the_cycle_quarantines_and_mails_once() {
    let env = setup(200, 20, 20, 25).await;
    let (port, mut mails) = crate::notify::accept_all().await;
    append_config(
        &env,
        &format!(
            "\n[profiles.default.notification]\nemail = \"idm-team@example.com\"\nsmtp_host = \"127.0.0.1\"\n\
             smtp_port = {port}\nsmtp_tls = \"none\"\n"
        ),
    );
    let admin = env
        .rows("sys_user", &["sys_id", "user_name"])
        .await
        .into_iter()
        .find(|r| r["user_name"] == env.world.ready_line()["servicenow_user"])
        .unwrap();
    let admin_id = admin["sys_id"].as_str().unwrap().to_owned();
    let run = {
        let env_vars = env.env.clone();
        let config = env.ws.config();
        let data = env.ws.data_dir();
        tokio::spawn(async move {
            tokio::process::Command::new(crate::support::BIN)
                .arg("--config")
                .arg(config)
                .arg("--data-dir")
                .arg(data)
                .args(["sync", "--once", "--json"])
                .envs(env_vars)
                .stdin(std::process::Stdio::null())
                .output()
                .await
                .unwrap()
        })
    };
    // Let the initial cycle start writing, then change the admin's password under it.
    let mut posts = 0;
    for _ in 0..400 {
        posts = env.stats().await["requests"]["POST"].as_u64().unwrap_or(0);
        if posts >= 10 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(posts >= 10, "the cycle did not start writing");
    let sys = nowsync::model::SysId::parse(&admin_id).unwrap();
    env.snow
        .update(
            "sys_user",
            &sys,
            &serde_json::from_value(json!({"user_password": "Changed-Elsewhere-1"})).unwrap(),
        )
        .await
        .unwrap();
    let out = run.await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{} {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = doc["results"].as_array().unwrap();
    let unauthorized = results
        .iter()
        .filter(|r| r["error_code"] == "ServiceNowUnauthorized")
        .count();
    // Bounded: the halt after 5 alike plus the writes already in flight (the client's limit,
    // at most max_in_flight = 64, and the 4 the engine keeps ready above it).
    assert!(
        (5..=5 + 64 + 4).contains(&unauthorized),
        "{unauthorized} 401s; planned {}",
        doc["counts"]
    );
    let planned_writes = doc["counts"]["create"].as_u64().unwrap();
    assert!(
        (results.len() as u64) < planned_writes,
        "the cycle stopped: {} results of {planned_writes} creates",
        results.len()
    );
    let (code, st) = status(&env).await;
    assert_eq!(code, 4);
    assert_eq!(st["quarantine"]["reason"], "CredentialsRejected", "{st}");
    let mail = tokio::time::timeout(std::time::Duration::from_secs(10), mails.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(mail.contains("CredentialsRejected"), "{mail}");
    // A later cycle fails on the login at once: still quarantined (exit 4, the highest), no
    // write, and no second mail for the same reason.
    env.reset_stats().await;
    let out = env.nowsync(&["sync", "--once"]).await;
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert_eq!(env.writes().await, 0);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(mails.try_recv().is_err(), "no second mail for the same reason");
}

#[tokio::test]
async fn restart_scopes_clear_what_they_name() {
    let env = setup(200, 20, 20, 0).await;
    let _ = env.sync(&[]).await;
    assert!(!links(&env).await.is_empty());
    let out = env.nowsync(&["restart", "--scope", "watermark"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (_, doc) = env.sync(&[]).await;
    assert_eq!(doc["kind"], "initial", "watermark: the next cycle is initial");
    let out = env.nowsync(&["restart", "--scope", "escrows"]).await;
    assert_eq!(out.status.code(), Some(0));
    let out = env.nowsync(&["logs", "--escrow", "--format", "json"]).await;
    assert_eq!(text(&out.stdout).trim(), "[]");
    let out = env.nowsync(&["restart", "--scope", "full"]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(links(&env).await.is_empty(), "full forgets links");
    // Matching runs again: the rows are found, not duplicated.
    env.reset_stats().await;
    let (_, doc) = env.sync(&[]).await;
    assert_eq!(doc["stats"]["created"], 0, "{}", doc["stats"]);
    assert!(!links(&env).await.is_empty());
    env.state().await;
    let out = env.nowsync(&["restart", "--scope", "force-deletes"]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("nothing is held by the deletion threshold"));
}

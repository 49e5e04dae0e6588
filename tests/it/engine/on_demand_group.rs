//! Provision a group on demand (review R10, entra-provisioning.md §2.8 and §2.6): Entra takes
//! at most 5 members of a group per request; the request's disables count against the deletion
//! threshold as a cycle's do; and while the threshold's quarantine holds a user, provisioning
//! a group of which it is a member disables none of it.

use reqwest::Method;
use serde_json::{Value, json};

use super::ops::append_config;
use super::{Env, setup};
use crate::support::text;

/// A new security group in Entra with `members`, assigned to the app; its id.
pub(super) async fn assigned_group(env: &Env, name: &str, members: &[String]) -> String {
    let body = json!({"displayName": name, "mailEnabled": false, "mailNickname": name, "securityEnabled": true});
    let created = env.graph.request(Method::POST, "/groups", Some(&body)).await.unwrap();
    let gid = created.unwrap()["id"].as_str().unwrap().to_owned();
    for m in members {
        let member = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{m}")});
        env.graph_write(Method::POST, &format!("/groups/{gid}/members/$ref"), member)
            .await;
    }
    let sp = env.graph.service_principal_id().to_owned();
    let assignment =
        json!({"principalId": gid, "resourceId": sp, "appRoleId": nowsync::sim::tenant::DEFAULT_ACCESS_ROLE});
    env.graph_write(
        Method::POST,
        &format!("/servicePrincipals/{sp}/appRoleAssignedTo"),
        assignment,
    )
    .await;
    gid
}

/// `n` new assigned users `{prefix}{i}@contoso.com`: their ids and UPNs.
async fn users(env: &Env, prefix: &str, n: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for i in 0..n {
        let upn = format!("{prefix}{i}@contoso.com");
        out.push((env.new_assigned_user(&upn, json!({})).await, upn));
    }
    out
}

async fn disable(env: &Env, id: &str) {
    env.graph_write(Method::PATCH, &format!("/users/{id}"), json!({"accountEnabled": false}))
        .await;
}

/// Whether the ServiceNow user `upn` is active.
async fn active(env: &Env, upn: &str) -> String {
    env.state().await.users.get(upn).cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_group_on_demand_takes_at_most_five_members() {
    let env = setup(40, 4, 0, 0).await;
    let six = users(&env, "six", 6).await;
    let ids: Vec<String> = six.iter().map(|(id, _)| id.clone()).collect();
    let gid = assigned_group(&env, "Six Members", &ids).await;

    env.reset_stats().await;
    let out = env.nowsync(&["provision", "--group", &gid]).await;
    let said = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{} {said}", text(&out.stdout));
    assert!(
        said.contains("Six Members") && said.contains("6 members") && said.contains("at most 5"),
        "{said}"
    );
    assert!(said.contains("nowsync provision --user"), "what to do: {said}");
    assert_eq!(env.writes().await, 0, "a refused request writes nothing");

    // Five members: the group and each member, step by step.
    env.graph_write(
        Method::DELETE,
        &format!("/groups/{gid}/members/{}/$ref", ids[5]),
        Value::Null,
    )
    .await;
    let out = env.nowsync(&["provision", "--group", &gid, "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["objects"].as_array().unwrap().len(), 6, "{report}");
    for (_, upn) in &six[..5] {
        assert_eq!(active(&env, upn).await, "true", "{upn} provisioned");
    }
}

#[tokio::test]
async fn a_group_on_demands_disables_count_against_the_deletion_threshold() {
    let env = setup(40, 4, 0, 0).await;
    append_config(&env, "\n[profiles.default.provisioning]\ndeletion_threshold = 1\n");
    let three = users(&env, "thr", 3).await;
    let ids: Vec<String> = three.iter().map(|(id, _)| id.clone()).collect();
    let gid = assigned_group(&env, "Three Members", &ids).await;
    let (code, doc) = env.sync(&[]).await;
    assert!(code <= 1, "{doc}");
    disable(&env, &ids[0]).await;
    disable(&env, &ids[1]).await;

    let out = env.nowsync(&["provision", "--group", &gid]).await;
    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{shown} {}", text(&out.stderr));
    assert!(
        shown.contains("StagedDelete") && shown.contains("deletion threshold (1)"),
        "{shown}"
    );
    for (_, upn) in &three[..2] {
        assert_eq!(active(&env, upn).await, "true", "{upn} disabled past the threshold");
    }
}

#[tokio::test]
async fn a_group_on_demand_disables_no_member_the_thresholds_quarantine_holds() {
    let env = setup(40, 4, 0, 0).await;
    append_config(&env, "\n[profiles.default.provisioning]\ndeletion_threshold = 2\n");
    let four = users(&env, "q", 4).await;
    let ids: Vec<String> = four.iter().map(|(id, _)| id.clone()).collect();
    // The group holds one of the three users the threshold will hold, and one staying.
    let gid = assigned_group(&env, "Held Member", &[ids[0].clone(), ids[3].clone()]).await;
    let (code, doc) = env.sync(&[]).await;
    assert!(code <= 1, "{doc}");
    for id in &ids[..3] {
        disable(&env, id).await;
    }
    let (code, doc) = env.sync(&[]).await;
    assert_eq!(code, 4, "the threshold holds the three disables: {doc}");
    let staged = |st: &Value| -> Vec<String> {
        st["staged_deletions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let before = staged(&env.status().await);
    assert!(before.iter().any(|s| s.contains(&ids[0])), "{before:?}");

    // One disable is within the threshold, but the quarantine holds that user.
    let out = env.nowsync(&["provision", "--group", &gid]).await;
    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{shown} {}", text(&out.stderr));
    assert!(
        shown.contains("StagedDelete") && shown.contains("allow-deletes"),
        "{shown}"
    );
    assert_eq!(active(&env, &four[0].1).await, "true", "a held user was disabled");
    let st = env.status().await;
    assert_eq!(st["quarantine"]["reason"], "TooManyDeletes", "{st}");
    assert_eq!(staged(&st), before, "the staged set is unchanged");

    // `allow-deletes` still applies it.
    let out = env.nowsync(&["allow-deletes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(active(&env, &four[0].1).await, "false");
}

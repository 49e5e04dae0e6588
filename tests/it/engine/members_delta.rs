//! Issue 16 §4, incremental cycles read only what changed: the members of assigned groups
//! come from `members@delta` in the groups delta round (kept in the source cache), never from
//! listing every assigned group's members each cycle; a newly assigned group's members are
//! read in full once.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Env, setup};

async fn graph_stats(env: &Env) -> Value {
    let url = format!("{}/sim/stats", env.world.graph.url);
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

async fn reset_all(env: &Env) {
    env.reset_stats().await;
    let url = format!("{}/sim/stats/reset", env.world.graph.url);
    reqwest::Client::new().post(url).send().await.unwrap();
}

/// (member listings, single-group reads) Graph served since the last reset.
async fn group_reads(env: &Env) -> (u64, u64) {
    let stats = graph_stats(env).await;
    let n = |k: &str| stats["by_endpoint"][k].as_u64().unwrap_or(0);
    (n("GET groups/{id}/members"), n("GET groups/{id}"))
}

async fn add_member(env: &Env, group: &str, user: &str) {
    let body = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{user}")});
    env.graph_write(Method::POST, &format!("/groups/{group}/members/$ref"), body)
        .await;
}

#[tokio::test]
async fn quiet_incremental_cycles_list_no_members_and_a_newly_assigned_group_is_read_once() {
    let env = setup(300, 30, 0, 0).await;
    let (_, first) = env.sync(&[]).await;
    assert_eq!(first["kind"], "initial");
    let scope = env.graph.assigned_scope().await.unwrap();
    assert!(
        scope.groups.len() > 2,
        "the tenant assigns groups: {:?}",
        scope.groups.len()
    );

    reset_all(&env).await;
    let (_, quiet) = env.sync(&[]).await;
    assert_eq!(quiet["kind"], "incremental");
    assert_eq!(
        group_reads(&env).await,
        (0, 0),
        "a quiet cycle lists no group's members"
    );
    assert_eq!(env.writes().await, 0);

    // A member added in Entra arrives through members@delta: written, still no listing.
    let links: Vec<Value> = serde_json::from_slice(&env.nowsync(&["links", "--format", "json"]).await.stdout).unwrap();
    let linked = |t: &str| -> Vec<String> {
        links
            .iter()
            .filter(|l| l["object_type"] == t)
            .map(|l| l["source_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (users, groups) = (linked("user"), linked("group"));
    let (group, user) = groups
        .iter()
        .filter(|g| scope.groups.contains_key(*g))
        .find_map(|g| {
            let members = &scope.group_members[g];
            Some((g.clone(), users.iter().find(|u| !members.contains(*u))?.clone()))
        })
        .expect("a provisioned assigned group and a provisioned user outside it");
    add_member(&env, &group, &user).await;
    reset_all(&env).await;
    let (_, added) = env.sync(&[]).await;
    assert_eq!(added["kind"], "incremental");
    assert_eq!(group_reads(&env).await, (0, 0));
    let stats = env.stats().await;
    assert_eq!(stats["by_table"]["sys_user_grmember"]["POST"], 1, "{stats}");

    // A group assigned now: its kind and members are read from Graph once; its members are
    // provisioned into it; the next quiet cycle reads nothing of it.
    let created = env
        .graph
        .request(
            Method::POST,
            "/groups",
            Some(&json!({"displayName": "Newly Assigned", "securityEnabled": true, "mailEnabled": false, "mailNickname": "newly"})),
        )
        .await
        .unwrap()
        .unwrap();
    let gid = created["id"].as_str().unwrap().to_owned();
    for u in users.iter().take(3) {
        add_member(&env, &gid, u).await;
    }
    let sp = env.graph.service_principal_id().to_owned();
    env.graph_write(
        Method::POST,
        &format!("/servicePrincipals/{sp}/appRoleAssignedTo"),
        json!({"principalId": gid, "resourceId": sp, "appRoleId": nowsync::sim::tenant::DEFAULT_ACCESS_ROLE}),
    )
    .await;
    reset_all(&env).await;
    let (_, assigned) = env.sync(&[]).await;
    assert_eq!(assigned["kind"], "incremental");
    assert_eq!(group_reads(&env).await, (1, 1), "the new group read in full, once");
    let state = env.state().await;
    assert_eq!(state.groups.get("Newly Assigned").map(String::as_str), Some("true"));
    let members = state.members.iter().filter(|(g, _)| g == "Newly Assigned").count();
    assert_eq!(members, 3);

    reset_all(&env).await;
    env.sync(&[]).await;
    assert_eq!(group_reads(&env).await, (0, 0));
    assert_eq!(env.writes().await, 0);
}

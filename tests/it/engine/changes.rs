//! Each change made through the Graph simulator's write endpoints is reflected by the next
//! incremental cycle, with the right log records.

use reqwest::Method;
use serde_json::{Value, json};

use super::setup;

async fn user_row(env: &super::Env, sys_id: &str) -> Option<serde_json::Map<String, Value>> {
    env.rows(
        "sys_user",
        &[
            "sys_id",
            "user_name",
            "title",
            "active",
            "locked_out",
            "manager",
            "department",
        ],
    )
    .await
    .into_iter()
    .find(|r| r["sys_id"] == sys_id)
}

#[tokio::test]
async fn graph_changes_are_reflected_by_the_next_incremental_cycle() {
    let env = setup(300, 30, 40, 0).await;
    let (_, first) = env.sync(&[]).await;
    assert_eq!(first["kind"], "initial");
    let links_out = env.nowsync(&["links", "--format", "json"]).await;
    let links: Vec<Value> = serde_json::from_slice(&links_out.stdout).unwrap();
    let sys_of = |id: &str| {
        links
            .iter()
            .find(|l| l["source_id"] == id)
            .and_then(|l| l["sys_id"].as_str())
            .map(str::to_owned)
    };
    let scope = env.graph.assigned_scope().await.unwrap();
    let state = env.state().await;
    let tenant = env.world.graph.sim.tenant().clone();
    // Directly assigned users in no assigned group, provisioned and active.
    let direct: Vec<&nowsync::sim::tenant::User> = tenant
        .users
        .iter()
        .filter(|u| scope.direct_users.contains_key(&u.id))
        .filter(|u| !scope.group_members.values().any(|m| m.contains(&u.id)))
        .filter(|u| sys_of(&u.id).is_some())
        .filter(|u| {
            state
                .users
                .get(&u.user_principal_name.to_lowercase())
                .map(String::as_str)
                == Some("true")
        })
        .collect();
    assert!(direct.len() >= 5, "{}", direct.len());
    let (c0, c1, c2, c3, c4) = (direct[0], direct[1], direct[2], direct[3], direct[4]);
    let (gid, group_members) = scope
        .group_members
        .iter()
        .find(|(g, m)| sys_of(g).is_some() && m.iter().any(|u| sys_of(u).is_some()))
        .unwrap();
    let removed_member = group_members.iter().find(|u| sys_of(u).is_some()).unwrap().clone();
    let group_sys = sys_of(gid).unwrap();

    env.graph_write(
        Method::PATCH,
        &format!("/users/{}", c0.id),
        json!({"jobTitle": "Chief Tester"}),
    )
    .await;
    env.graph_write(
        Method::PATCH,
        &format!("/groups/{gid}"),
        json!({"displayName": "Renamed Group"}),
    )
    .await;
    env.graph_write(
        Method::PATCH,
        &format!("/users/{}", c1.id),
        json!({"accountEnabled": false}),
    )
    .await;
    env.graph_write(Method::DELETE, &format!("/users/{}", c2.id), Value::Null)
        .await;
    env.graph_write(Method::DELETE, &format!("/users/{}", c3.id), Value::Null)
        .await;
    env.graph_write(
        Method::DELETE,
        &format!("/directory/deletedItems/{}", c3.id),
        Value::Null,
    )
    .await;
    let assignment = scope.assignments.iter().find(|a| a.principal_id == c4.id).unwrap();
    env.graph_write(
        Method::DELETE,
        &format!(
            "/servicePrincipals/{}/appRoleAssignedTo/{}",
            env.graph.service_principal_id(),
            assignment.id
        ),
        Value::Null,
    )
    .await;
    let odata = |id: &str| json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")});
    env.graph_write(Method::POST, &format!("/groups/{gid}/members/$ref"), odata(&c0.id))
        .await;
    env.graph_write(
        Method::DELETE,
        &format!("/groups/{gid}/members/{removed_member}/$ref"),
        Value::Null,
    )
    .await;
    env.graph_write(
        Method::PUT,
        &format!("/users/{}/manager/$ref", c0.id),
        odata(&removed_member),
    )
    .await;

    let (_, second) = env.sync(&[]).await;
    assert_eq!(second["kind"], "incremental");
    let stats = env.stats().await;
    for table in ["sys_user", "sys_user_group"] {
        assert_eq!(
            stats["by_table"][table]["DELETE"].as_u64().unwrap_or(0),
            0,
            "no DELETE on {table}"
        );
    }
    let cycle = second["cycle_id"].to_string();
    let c0_row = user_row(&env, &sys_of(&c0.id).unwrap()).await.unwrap();
    assert_eq!(c0_row["title"], "Chief Tester");
    assert_eq!(
        c0_row["manager"].as_str(),
        sys_of(&removed_member).as_deref(),
        "manager change"
    );
    // Disabled whether it was disabled, soft-deleted, purged or unassigned in Entra: no
    // destructive default (deprovision_users = "disable").
    for c in [c1, c2, c3, c4] {
        let row = user_row(&env, &sys_of(&c.id).unwrap()).await.unwrap();
        assert_eq!(row["active"], "false", "{} disabled", c.user_principal_name);
    }
    let state = env.state().await;
    assert_eq!(state.groups.get("Renamed Group").map(String::as_str), Some("true"));
    let group_rows = env.rows("sys_user_group", &["sys_id", "name"]).await;
    assert!(
        group_rows
            .iter()
            .any(|g| g["sys_id"] == group_sys.as_str() && g["name"] == "Renamed Group")
    );
    let c0_name = c0.user_principal_name.to_lowercase();
    assert!(state.members.contains(&("Renamed Group".to_owned(), c0_name.clone())));
    let removed_upn = tenant
        .users
        .iter()
        .find(|u| u.id == removed_member)
        .unwrap()
        .user_principal_name
        .to_lowercase();
    assert!(!state.members.contains(&("Renamed Group".to_owned(), removed_upn)));
    let logs = env.logs(&["--cycle", &cycle]).await;
    let has = |action: &str, id: &str| {
        logs.iter().any(|r| {
            r["action"] == action && r["status"] == "success" && r["source_id"].as_str().unwrap().starts_with(id)
        })
    };
    assert!(has("update", &c0.id) && has("update", gid));
    assert!(has("disable", &c1.id) && has("disable", &c2.id) && has("disable", &c3.id) && has("disable", &c4.id));
    assert!(has("add_member", gid) && has("remove_member", gid));

    // Restore, and a department that ServiceNow does not have.
    env.graph_write(
        Method::POST,
        &format!("/directory/deletedItems/{}/restore", c2.id),
        Value::Null,
    )
    .await;
    env.graph_write(
        Method::PATCH,
        &format!("/users/{}", c0.id),
        json!({"department": "Nonexistent Dept"}),
    )
    .await;
    let (code, third) = env.sync(&[]).await;
    assert_eq!(code, 1);
    let c2_row = user_row(&env, &sys_of(&c2.id).unwrap()).await.unwrap();
    assert_eq!(c2_row["active"], "true");
    assert_eq!(c2_row["locked_out"], "false");
    let logs = env
        .logs(&["--cycle", &third["cycle_id"].to_string(), "--status", "failure"])
        .await;
    assert!(logs.iter().any(|r| r["source_id"] == c0.id.as_str()
        && r["error_code"] == "InvalidLookupReference"
        && r["reason"].as_str().unwrap().contains("Nonexistent Dept")));
}

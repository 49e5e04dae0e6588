//! A group delete never strips nowsync's own access (review R11, servicenow.md §13 #3 and
//! §3.3): deleting a `sys_user_group` row cascades to its membership rows and the roles granted
//! through it, so with `deprovision_groups = "delete"` a group the integration account is a
//! member of, or holds roles through, is not deleted: the op fails with its own code.

use reqwest::Method;
use serde_json::{Value, json};

use super::on_demand_group::assigned_group;
use super::ops::append_config;
use super::{Env, setup};
use nowsync::model::SysId;

/// The sys_id of the `sys_user` row `user_name`.
async fn user_id(env: &Env, user_name: &str) -> String {
    let users = env.rows("sys_user", &["sys_id", "user_name"]).await;
    let row = users.iter().find(|u| u["user_name"] == user_name).unwrap();
    row["sys_id"].as_str().unwrap().to_owned()
}

/// The role rows of `user` granted through `group`.
async fn granted(env: &Env, user: &str, group: &str) -> usize {
    let rows = env.rows("sys_user_has_role", &["user", "granted_by"]).await;
    let id = |v: &Value| match v {
        Value::Object(o) => o["value"].as_str().unwrap_or_default().to_owned(),
        v => v.as_str().unwrap_or_default().to_owned(),
    };
    rows.iter()
        .filter(|r| id(&r["user"]) == user && id(&r["granted_by"]) == group)
        .count()
}

#[tokio::test]
async fn the_simulator_cascades_a_group_delete_to_its_members_and_the_roles_it_grants() {
    let env = setup(10, 2, 0, 0).await;
    let group = env
        .snow_insert("sys_user_group", json!({"name": "Cascade", "roles": "itil"}))
        .await;
    let user = env.snow_insert("sys_user", json!({"user_name": "c.user"})).await;
    env.snow_insert("sys_user_grmember", json!({"user": user, "group": group}))
        .await;
    assert_eq!(granted(&env, &user, &group).await, 1, "the membership grants itil");
    assert_eq!(env.row("sys_user", &user).await["roles"], "itil");

    env.snow
        .delete("sys_user_group", &SysId::parse(&group).unwrap())
        .await
        .unwrap();
    let members = env.rows("sys_user_grmember", &["group"]).await;
    assert!(
        !members.iter().any(|m| m["group"].to_string().contains(&group)),
        "membership rows of the deleted group: {members:?}"
    );
    assert_eq!(granted(&env, &user, &group).await, 0);
    assert_eq!(env.row("sys_user", &user).await["roles"], "");
}

#[tokio::test]
async fn a_group_granting_the_integration_accounts_roles_is_never_deleted() {
    let env = setup(10, 2, 0, 0).await;
    append_config(
        &env,
        "\n[profiles.default.provisioning]\ndeprovision_groups = \"delete\"\n",
    );
    // ServiceNow's admin-granting group, which an Entra group of the same name matches.
    let group = env
        .snow_insert("sys_user_group", json!({"name": "SN Admins", "roles": "admin"}))
        .await;
    let admin = user_id(&env, &env.world.snow.admin_user.clone()).await;
    env.snow_insert("sys_user_grmember", json!({"user": admin, "group": group}))
        .await;
    assert_eq!(granted(&env, &admin, &group).await, 1);
    let gid = assigned_group(&env, "SN Admins", &[]).await;
    let (code, doc) = env.sync(&[]).await;
    assert!(code <= 1, "{doc}");
    assert_eq!(
        env.link_of(&gid).await.as_deref(),
        Some(group.as_str()),
        "matched by name"
    );

    // Deleted in Entra: a security group is purged at once, which is what a delete follows.
    env.graph_write(Method::DELETE, &format!("/groups/{gid}"), Value::Null)
        .await;
    env.reset_stats().await;
    let (code, doc) = env.sync(&[]).await;
    assert_eq!(code, 1, "the group's op fails: {doc}");
    assert_eq!(env.stats().await["requests"]["DELETE"], 0, "a DELETE was sent");
    assert_eq!(granted(&env, &admin, &group).await, 1, "the admin's role row is gone");
    let logs = env.logs(&[]).await;
    let failure = logs
        .iter()
        .find(|r| r["error_code"] == "GroupGrantsIntegrationAccount")
        .unwrap_or_else(|| panic!("{logs:?}"));
    let said = failure.to_string();
    assert!(
        said.contains("integration account") && said.contains("deprovision_groups"),
        "{said}"
    );
}

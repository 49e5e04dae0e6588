//! Mapping functions end to end: `SelectUniqueValue` asks ServiceNow whether each candidate is
//! taken — from the bulk read of an initial cycle, and by querying the candidates in an
//! incremental one — and an object whose every candidate is taken fails with what to do.

use reqwest::Method;
use serde_json::{Map, Value, json};

use super::{Env, setup};
use crate::support::text;

/// The default mappings with `email` chosen by `SelectUniqueValue` (and no longer matched on).
fn mappings() -> String {
    let defaults = nowsync::mapping::model::DEFAULT_MAPPINGS_TOML;
    let email = "target = \"email\"\nsource = \"mail\"\nmatching = 2\n";
    assert!(defaults.contains(email));
    defaults.replace(
        email,
        "target = \"email\"\napply = \"on_create\"\n\
         expression = 'SelectUniqueValue([mail], Replace([mail], \"@\", , , \"2@\", , ), [userPrincipalName])'\n",
    )
}

async fn with_unique_mappings() -> Env {
    let env = setup(300, 30, 40, 0).await;
    std::fs::write(env.ws.dir.path().join("mappings.toml"), mappings()).unwrap();
    let text = std::fs::read_to_string(env.ws.config()).unwrap();
    env.ws.write_config(&format!(
        "{text}\n[profiles.default.provisioning]\nmappings = \"mappings.toml\"\n"
    ));
    env
}

/// A row that is no tenant user's, holding `email`.
async fn plant(env: &Env, user_name: &str, email: &str) {
    let mut row = Map::new();
    row.insert("user_name".into(), json!(user_name));
    row.insert("email".into(), json!(email));
    env.snow.create("sys_user", &row).await.unwrap();
}

/// The email ServiceNow holds for the row named `user_name` (case-insensitively).
async fn email_of(env: &Env, user_name: &str) -> Option<String> {
    env.rows("sys_user", &["user_name", "email"])
        .await
        .into_iter()
        .find(|r| {
            r["user_name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(user_name))
        })
        .and_then(|r| r["email"].as_str().map(str::to_owned))
}

/// Enabled tenant users with a mail and a UPN ServiceNow takes, inside or outside the app's
/// assignments, that ServiceNow does not hold yet.
async fn candidates(env: &Env, assigned: bool) -> Vec<nowsync::sim::tenant::User> {
    let scope = env.graph.assigned_scope().await.unwrap();
    let in_scope = scope.user_ids();
    let state = env.state().await;
    let tenant = env.world.graph.sim.tenant().clone();
    tenant
        .users
        .iter()
        .filter(|u| u.account_enabled && in_scope.contains(u.id.as_str()) == assigned)
        .filter(|u| u.user_principal_name.len() <= 40 && !u.user_principal_name.contains("#EXT#"))
        .filter(|u| u.mail.as_deref().is_some_and(|m| m.len() <= 40 && m.contains('@')))
        .filter(|u| !state.users.contains_key(&u.user_principal_name.to_lowercase()))
        .cloned()
        .collect()
}

async fn assign(env: &Env, user_id: &str) {
    let sp = env.graph.service_principal_id().to_owned();
    env.graph_write(
        Method::POST,
        &format!("/servicePrincipals/{sp}/appRoleAssignedTo"),
        json!({"principalId": user_id, "resourceId": sp, "appRoleId": nowsync::sim::tenant::DEFAULT_ACCESS_ROLE}),
    )
    .await;
}

fn second(mail: &str) -> String {
    mail.replacen('@', "2@", 1)
}

#[tokio::test]
async fn select_unique_value_skips_values_servicenow_holds_in_initial_and_incremental_cycles() {
    let env = with_unique_mappings().await;
    let check = env.nowsync(&["mapping", "check"]).await;
    assert!(check.status.success(), "{}", text(&check.stderr));

    // Initial cycle: the bulk read already holds the planted row.
    let v = candidates(&env, true)
        .await
        .into_iter()
        .next()
        .expect("an assigned user");
    let v_mail = v.mail.clone().unwrap_or_default();
    plant(&env, "planted.one", &v_mail.to_uppercase()).await;
    let (_, first) = env.sync(&[]).await;
    assert_eq!(first["kind"], "initial", "{first}");
    assert_eq!(email_of(&env, &v.user_principal_name).await, Some(second(&v_mail)));

    // Incremental cycle: only the touched rows are read, so the candidates are queried.
    let mut unassigned = candidates(&env, false).await.into_iter();
    let u = unassigned.next().expect("an unassigned user");
    let w = unassigned.next().expect("a second unassigned user");
    let u_mail = u.mail.clone().unwrap_or_default();
    let w_mail = w.mail.clone().unwrap_or_default();
    plant(&env, "planted.two", &u_mail).await;
    // Every candidate of w is taken: w fails, and says what to do.
    plant(&env, "planted.three", &w_mail).await;
    plant(&env, "planted.four", &second(&w_mail)).await;
    plant(&env, "planted.five", &w.user_principal_name).await;
    assign(&env, &u.id).await;
    assign(&env, &w.id).await;
    let (code, next) = env.sync(&[]).await;
    assert_eq!(next["kind"], "incremental", "{next}");
    assert_eq!(code, 1, "w fails: {next}");
    assert_eq!(email_of(&env, &u.user_principal_name).await, Some(second(&u_mail)));
    assert_eq!(email_of(&env, &w.user_principal_name).await, None, "w is not created");
    let logs = env.logs(&["--cycle", &next["cycle_id"].to_string()]).await;
    let failed: &Value = logs
        .iter()
        .find(|r| r["source_id"] == w.id.as_str() && r["object_type"] == "user")
        .unwrap_or_else(|| panic!("{} planned: {logs:?}", w.user_principal_name));
    assert_eq!(failed["status"], "failure", "{failed}");
    assert_eq!(failed["error_code"], "AttributeMappingEvaluationFailed", "{failed}");
    let record = failed.to_string();
    assert!(
        record.contains("every candidate is empty or already used") && record.contains("SelectUniqueValue"),
        "{record}"
    );
}

#[tokio::test]
async fn app_role_functions_give_the_roles_entra_documents() {
    let env = setup(300, 30, 40, 0).await;
    let defaults = nowsync::mapping::model::DEFAULT_MAPPINGS_TOML;
    let title = "target = \"title\"\nsource = \"jobTitle\"\n";
    let street = "target = \"street\"\nsource = \"streetAddress\"\n";
    assert!(defaults.contains(title) && defaults.contains(street));
    let file = defaults
        .replace(
            title,
            "target = \"title\"\nexpression = 'SingleAppRoleAssignment([appRoleAssignments])'\n",
        )
        .replace(
            street,
            "target = \"street\"\nexpression = 'AppRoleAssignmentsComplex([appRoleAssignments])'\n",
        );
    std::fs::write(env.ws.dir.path().join("mappings.toml"), file).unwrap();
    let text = std::fs::read_to_string(env.ws.config()).unwrap();
    env.ws.write_config(&format!(
        "{text}\n[profiles.default.provisioning]\nmappings = \"mappings.toml\"\n"
    ));
    // An unassigned user (so in no assigned group) gets the app's second role, "Admin".
    let u = candidates(&env, false)
        .await
        .into_iter()
        .next()
        .expect("an unassigned user");
    let (admin_id, admin) = env.world.graph.sim.tenant().service_principal.app_roles[1].clone();
    let sp = env.graph.service_principal_id().to_owned();
    env.graph_write(
        Method::POST,
        &format!("/servicePrincipals/{sp}/appRoleAssignedTo"),
        json!({"principalId": u.id, "resourceId": sp, "appRoleId": admin_id}),
    )
    .await;
    let (_, first) = env.sync(&[]).await;
    assert_eq!(first["kind"], "initial", "{first}");
    let rows = env.rows("sys_user", &["user_name", "title", "street"]).await;
    let row = rows
        .iter()
        .find(|r| {
            r["user_name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(&u.user_principal_name))
        })
        .unwrap_or_else(|| panic!("{} not provisioned", u.user_principal_name));
    assert_eq!(row["title"].as_str(), Some(admin.as_str()), "{row:?}");
    let roles: Value = serde_json::from_str(row["street"].as_str().unwrap_or_default()).unwrap();
    assert_eq!(
        roles,
        json!([{"primary": false, "type": "WindowsAzureActiveDirectoryRole", "display": admin, "value": admin}])
    );
    // Users with only the Default Access role (no value) get nothing for these fields.
    let default_only = rows
        .iter()
        .filter(|r| r["title"].as_str().is_none_or(str::is_empty))
        .count();
    assert!(default_only > 0, "most assigned users hold only Default Access");
}

#[tokio::test]
async fn the_default_country_mapping_writes_the_iso_code_not_entras_free_text() {
    let env = setup(300, 30, 40, 0).await;
    let tenant = env.world.graph.sim.tenant().clone();
    assert!(
        tenant
            .users
            .iter()
            .any(|u| u.country.as_deref() == Some("United States")),
        "Entra's country is free text"
    );
    let (_, first) = env.sync(&[]).await;
    let logs = env.logs(&["--cycle", &first["cycle_id"].to_string()]).await;
    let country_failures: Vec<&Value> = logs
        .iter()
        .filter(|r| r["status"] == "failure" && r["reason"].as_str().is_some_and(|t| t.contains("country")))
        .collect();
    assert!(country_failures.is_empty(), "{country_failures:?}");
    let rows = env.rows("sys_user", &["user_name", "country"]).await;
    let codes: std::collections::BTreeSet<&str> = rows.iter().filter_map(|r| r["country"].as_str()).collect();
    assert!(codes.contains("US"), "{codes:?}");
    assert!(codes.iter().all(|c| c.is_empty() || c.len() == 2), "{codes:?}");
}

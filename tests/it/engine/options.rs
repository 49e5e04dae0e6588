//! `[profiles.P.provisioning]` options reach the engine, judged by their effects:
//! `match_active_only` (the rehire linked to its active row), `missing_reference = "warn"` or
//! `"create"`, `log_retention_days` (old records pruned), `clear_when_null` (a field emptied
//! when Entra's value goes to null, kept without it).

use std::collections::BTreeSet;

use super::setup;

#[tokio::test]
async fn match_active_only_missing_reference_warn_and_log_retention_change_the_cycle() {
    let env = setup(300, 30, 40, 0).await;
    let text = std::fs::read_to_string(env.ws.config()).unwrap();
    env.ws.write_config(&format!(
        "{text}\n[profiles.default.provisioning]\nmatch_active_only = true\nmissing_reference = \"warn\"\nlog_retention_days = 7\n"
    ));
    let (_, first) = env.sync(&[]).await;
    assert_eq!(first["kind"], "initial", "{first}");
    let logs = env.logs(&["--cycle", &first["cycle_id"].to_string()]).await;
    let codes: BTreeSet<&str> = logs
        .iter()
        .filter(|r| r["status"] == "failure")
        .filter_map(|r| r["error_code"].as_str())
        .collect();
    // Missing departments and locations are warnings, and the users are provisioned.
    assert!(!codes.contains("InvalidLookupReference"), "{codes:?}");
    let warned: Vec<_> = logs
        .iter()
        .filter(|r| r["status"] != "failure" && serde_json::to_string(r).unwrap().contains("has no row whose name is"))
        .collect();
    assert!(!warned.is_empty(), "a warning names the missing row");

    // The planted rehire (one email, two rows, the old one inactive) is matched to its active
    // row, as the simulator holds them; the inactive row is left as it was.
    let tenant = env.world.graph.sim.tenant().clone();
    let rehire = tenant.user(&tenant.planted.duplicate_email).unwrap();
    let mail = rehire.mail.clone().unwrap();
    let rows = env.rows("sys_user", &["sys_id", "email", "active", "user_name"]).await;
    let pair: Vec<_> = rows.iter().filter(|r| r["email"] == mail.as_str()).collect();
    assert_eq!(pair.len(), 2, "{pair:?}");
    let active = pair.iter().find(|r| r["active"] == "true").unwrap();
    let inactive = pair.iter().find(|r| r["active"] == "false").unwrap();
    assert_eq!(
        env.link_of(&rehire.id).await.as_deref(),
        active["sys_id"].as_str(),
        "the rehire is linked to the active row"
    );
    assert!(inactive["user_name"].as_str().unwrap().ends_with(".2"), "{inactive:?}");

    // Records older than log_retention_days are pruned at the next cycle; newer ones stay.
    let db = env.ws.data_dir().join("default.state.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let aged = conn
        .execute(
            "UPDATE log SET time = '2000-01-01T00:00:00.000Z' WHERE cycle_id = ?1",
            [first["cycle_id"].as_i64().unwrap()],
        )
        .unwrap();
    drop(conn);
    assert!(aged > 0);
    let title = "Retention Check";
    env.graph_write(
        reqwest::Method::PATCH,
        &format!("/users/{}", rehire.id),
        serde_json::json!({"jobTitle": title}),
    )
    .await;
    let (_, second) = env.sync(&[]).await;
    assert!(
        env.logs(&["--cycle", &first["cycle_id"].to_string()]).await.is_empty(),
        "pruned"
    );
    let kept = env.logs(&["--cycle", &second["cycle_id"].to_string()]).await;
    assert!(kept.iter().any(|r| r["source_id"] == rehire.id.as_str()), "{kept:?}");
}

#[tokio::test]
async fn clear_when_null_clears_the_field_end_to_end_and_without_it_the_value_stays() {
    let env = setup(120, 12, 0, 0).await;
    let defaults = nowsync::mapping::model::DEFAULT_MAPPINGS_TOML;
    let title = "target = \"title\"\nsource = \"jobTitle\"\n";
    assert!(defaults.contains(title));
    let mappings = defaults.replace(title, &format!("{title}clear_when_null = true\n"));
    std::fs::write(env.ws.dir.path().join("mappings.toml"), mappings).unwrap();
    let text = std::fs::read_to_string(env.ws.config()).unwrap();
    env.ws.write_config(&format!(
        "{text}\n[profiles.default.provisioning]\nmappings = \"mappings.toml\"\n"
    ));
    let cleared = env
        .new_assigned_user(
            "cleared@nowsync.test",
            serde_json::json!({"jobTitle": "Old Title", "city": "Old Town"}),
        )
        .await;
    env.sync(&[]).await;
    let sys = env.link_of(&cleared).await.unwrap();
    assert_eq!(env.row("sys_user", &sys).await["title"], "Old Title");
    // Entra's values go to null: with clear_when_null the title is emptied; the city, mapped
    // without it, keeps its value (Entra's documented default: a null is not written).
    env.graph_write(
        reqwest::Method::PATCH,
        &format!("/users/{cleared}"),
        serde_json::json!({"jobTitle": null, "city": null}),
    )
    .await;
    let (_, second) = env.sync(&[]).await;
    assert_eq!(second["kind"], "incremental");
    let row = env.row("sys_user", &sys).await;
    assert_eq!(row["title"], "", "cleared: {row:?}");
    assert_eq!(row["city"], "Old Town", "kept without clear_when_null: {row:?}");
}

#[tokio::test]
async fn missing_reference_create_creates_the_rows_first_and_the_users_point_at_them() {
    let env = setup(300, 30, 40, 0).await;
    let base = std::fs::read_to_string(env.ws.config()).unwrap();
    let with = |mode: &str| format!("{base}\n[profiles.default.provisioning]\nmissing_reference = \"{mode}\"\n");
    env.ws.write_config(&with("create"));

    // The dry run shows the rows to create, ahead of the users, and writes nothing.
    env.reset_stats().await;
    let (_, dry) = env.sync(&["--dry-run"]).await;
    assert_eq!(env.writes().await, 0, "a dry run writes nothing");
    let ops = dry["plan"].as_array().unwrap();
    let is_ref = |op: &serde_json::Value| op["kind"]["action"] == "create_reference";
    let planned: BTreeSet<(String, String)> = ops
        .iter()
        .filter(|op| is_ref(op))
        .map(|op| {
            (
                op["kind"]["table"].as_str().unwrap().to_owned(),
                op["kind"]["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let departments: BTreeSet<&str> = planned
        .iter()
        .filter(|(t, _)| t == "cmn_department")
        .map(|(_, v)| v.as_str())
        .collect();
    assert!(
        !departments.is_empty(),
        "the planted tenant has departments ServiceNow lacks"
    );
    let last_ref = ops.iter().rposition(is_ref).unwrap();
    let first_user = ops
        .iter()
        .position(|op| op["object_type"] == "user" && !is_ref(op))
        .unwrap();
    assert!(last_ref < first_user, "the rows come before the users");

    // The real cycle creates exactly those rows, and nothing fails for a missing reference.
    let (_, first) = env.sync(&[]).await;
    let created: BTreeSet<String> = first["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "create_reference" && r["status"] == "success")
        .map(|r| r["source_name"].as_str().unwrap().to_owned())
        .collect();
    let shown: BTreeSet<String> = planned.iter().map(|(t, v)| format!("{t} '{v}'")).collect();
    assert_eq!(created, shown, "{first}");
    let logs = env.logs(&["--cycle", &first["cycle_id"].to_string()]).await;
    assert!(
        !logs.iter().any(|r| r["error_code"] == "InvalidLookupReference"),
        "no missing reference fails"
    );
    let rows = env.rows("cmn_department", &["sys_id", "name"]).await;
    let users = env.rows("sys_user", &["department"]).await;
    for name in &departments {
        let found: Vec<_> = rows.iter().filter(|r| r["name"].as_str() == Some(name)).collect();
        assert_eq!(found.len(), 1, "one cmn_department row '{name}'");
        let sys_id = &found[0]["sys_id"];
        assert!(
            users.iter().any(|u| &u["department"] == sys_id),
            "a user refers to '{name}' by sys_id"
        );
    }

    // Another initial cycle (the option is part of the rules) finds every row: nothing to write.
    env.ws.write_config(&with("warn"));
    env.reset_stats().await;
    let (_, second) = env.sync(&[]).await;
    assert_eq!(second["kind"], "initial", "{second}");
    assert_eq!(env.writes().await, 0, "{second}");
}

#[tokio::test]
async fn flatten_nested_groups_gives_a_group_the_users_of_its_nested_groups() {
    use nowsync::sim::tenant::PrincipalType;
    use reqwest::Method;
    use serde_json::json;

    let env = setup(300, 30, 40, 0).await;
    let text = std::fs::read_to_string(env.ws.config()).unwrap();
    env.ws.write_config(&format!(
        "{text}\n[profiles.default.provisioning]\nscope = \"all\"\nflatten_nested_groups = true\n"
    ));
    let (_, first) = env.sync(&[]).await;
    assert_eq!(first["kind"], "initial");
    let tenant = env.world.graph.sim.tenant().clone();
    let upn = |id: &str| {
        tenant
            .users
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.user_principal_name.to_lowercase())
    };
    let state = env.state().await;
    let active = |name: &str| state.users.get(name).map(String::as_str) == Some("true");
    // A parent group with a nested group that has a provisioned user of its own.
    let (parent, nested, user) = tenant
        .groups
        .iter()
        .filter(|p| state.groups.contains_key(&p.display_name))
        .find_map(|p| {
            p.members
                .iter()
                .filter(|m| m.kind == PrincipalType::Group)
                .find_map(|m| {
                    let n = tenant.groups.iter().find(|g| g.id == m.id)?;
                    let u = n
                        .members
                        .iter()
                        .filter(|x| x.kind == PrincipalType::User)
                        .filter_map(|x| upn(&x.id))
                        .find(|name| active(name) && !p.members.iter().any(|d| upn(&d.id).as_deref() == Some(name)))?;
                    Some((p.clone(), n.clone(), u))
                })
        })
        .expect("a nested group with a provisioned user");
    assert!(
        state.members.contains(&(parent.display_name.clone(), user.clone())),
        "{} gets {user} through {}",
        parent.display_name,
        nested.display_name
    );

    // A user added to the nested group joins the parent in the next incremental cycle.
    let newcomer = tenant
        .users
        .iter()
        .find(|u| {
            let name = u.user_principal_name.to_lowercase();
            active(&name) && !state.members.contains(&(parent.display_name.clone(), name))
        })
        .unwrap();
    let odata = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{}", newcomer.id)});
    env.graph_write(Method::POST, &format!("/groups/{}/members/$ref", nested.id), odata)
        .await;
    let (_, second) = env.sync(&[]).await;
    assert_eq!(second["kind"], "incremental");
    let state = env.state().await;
    let name = newcomer.user_principal_name.to_lowercase();
    assert!(state.members.contains(&(nested.display_name.clone(), name.clone())));
    assert!(state.members.contains(&(parent.display_name.clone(), name)));
}

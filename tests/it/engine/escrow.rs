//! Entra's escrow thresholds count failure events (spec §2.7): an object failing as it failed
//! in an earlier cycle, with nothing changed since, is reported again but is no new event, so a
//! quiet cycle of a world with thousands of known failures is not quarantined; thousands of
//! objects failing anew still are.

use super::setup;

/// 5,800 users, every enabled one failing `InvalidLookupReference` (the department mapped to a name no
/// row has): the initial cycle's ~5,300 new failures, with 4 writes, quarantine it (≥ 5,000,
/// > 40 % of events); the quiet cycle after it plans the same failures again, unchanged, and is
/// not quarantined, though it still reports every one.
#[tokio::test]
async fn known_unchanged_planned_failures_do_not_quarantine_a_quiet_cycle_new_ones_do() {
    let env = setup(5_800, 4, 0, 0).await;
    let defaults = nowsync::mapping::model::DEFAULT_MAPPINGS_TOML;
    let department = "target = \"department\"\nsource = \"department\"\n";
    assert!(defaults.contains(department));
    let mappings = defaults.replace(
        department,
        "target = \"department\"\nconstant = \"No such department\"\n",
    );
    std::fs::write(env.ws.dir.path().join("mappings.toml"), mappings).unwrap();
    let config = std::fs::read_to_string(env.ws.config()).unwrap();
    env.ws.write_config(&format!(
        "{config}\n[profiles.default.provisioning]\nscope = \"all\"\nmappings = \"mappings.toml\"\n"
    ));

    let (code, first) = env.sync(&[]).await;
    let failed = first["stats"]["failed"].as_u64().unwrap();
    assert!(failed >= 5_000, "{}", first["stats"]);
    assert_eq!(
        code, 4,
        "5,000 objects failing anew, nearly all events: {}",
        first["stats"]
    );
    let status = env.status().await;
    assert_eq!(status["quarantine"]["reason"], "TooManyFailures", "{status}");

    let (code, second) = env.sync(&[]).await;
    assert_eq!(second["kind"], "incremental");
    assert_eq!(
        second["stats"]["failed"].as_u64(),
        Some(failed),
        "every failure still reported: {}",
        second["stats"]
    );
    assert_eq!(code, 1, "object failures, not a quarantine: {}", second["stats"]);
    let status = env.status().await;
    assert!(status["quarantine"].is_null(), "{status}");
    let failing = env.logs(&["--cycle", &second["cycle_id"].to_string()]).await;
    assert!(
        failing.iter().filter(|r| r["status"] == "failure").count() as u64 >= failed,
        "logged as failures: {} records, {:?}",
        failing.len(),
        failing.first().map(|r| (&r["status"], &r["error_code"]))
    );
}

/// Acceptance N11: a user whose create failed (its UPN is longer than `sys_user.user_name`
/// holds) and who then leaves scope, never provisioned, leaves "failing now" and the escrows
/// with one skip record saying so, and is never planned again; `status` counts it no more.
#[tokio::test]
async fn a_failed_user_that_leaves_scope_unprovisioned_leaves_failing_now_and_its_escrow() {
    let env = setup(20, 2, 0, 0).await;
    let upn = "a.user.whose.name.is.far.too.long.for.servicenow@example.com";
    let id = env.new_assigned_user(upn, serde_json::json!({})).await;
    let (_, first) = env.sync(&[]).await;
    let failed = env
        .logs(&["--cycle", &first["cycle_id"].to_string(), "--user", upn])
        .await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["error_code"], "AttributeValueTooLong");
    let before = env.status().await;
    assert!(before["failing"].as_u64() >= Some(1), "{before}");

    let scope = env.graph.assigned_scope().await.unwrap();
    let assignment = scope.assignments.iter().find(|a| a.principal_id == id).unwrap();
    let sp = env.graph.service_principal_id().to_owned();
    env.graph_write(
        reqwest::Method::DELETE,
        &format!("/servicePrincipals/{sp}/appRoleAssignedTo/{}", assignment.id),
        serde_json::Value::Null,
    )
    .await;
    let (_, second) = env.sync(&[]).await;
    let records = env
        .logs(&["--cycle", &second["cycle_id"].to_string(), "--user", upn])
        .await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["status"], "skipped", "{:?}", records[0]);
    assert_eq!(
        records[0]["reason"],
        "out of scope and never provisioned: its failure (AttributeValueTooLong) is dropped, not retried"
    );
    let after = env.status().await;
    let one_less = |k: &str| before[k].as_u64().map(|n| n - 1);
    assert_eq!(after["failing"].as_u64(), one_less("failing"), "{after}");
    assert_eq!(after["escrows"].as_u64(), one_less("escrows"), "{after}");
    assert_eq!(after["to_date"]["failed"], after["failing"]);

    let (_, third) = env.sync(&[]).await;
    let records = env
        .logs(&["--cycle", &third["cycle_id"].to_string(), "--user", upn])
        .await;
    assert!(records.is_empty(), "not planned again: {records:?}");
}

/// Acceptance N8: a user whose create fails, member of an assigned group, has its membership
/// recorded as a skip naming the wait (it appeared nowhere), counted as skipped.
#[tokio::test]
async fn the_membership_of_a_user_whose_create_failed_is_a_skip_naming_the_wait() {
    let env = setup(20, 3, 0, 0).await;
    let upn = "another.user.whose.name.is.far.too.long.for.servicenow@example.com";
    let id = env.new_assigned_user(upn, serde_json::json!({})).await;
    let scope = env.graph.assigned_scope().await.unwrap();
    let gid = scope.group_members.keys().next().unwrap().clone();
    let group = env
        .world
        .graph
        .sim
        .tenant()
        .groups
        .iter()
        .find(|g| g.id == gid)
        .unwrap()
        .display_name
        .clone();
    let odata = serde_json::json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")});
    env.graph_write(reqwest::Method::POST, &format!("/groups/{gid}/members/$ref"), odata)
        .await;
    let (_, first) = env.sync(&[]).await;
    let cycle = first["cycle_id"].to_string();
    let user = env.logs(&["--cycle", &cycle, "--type", "user", "--user", upn]).await;
    assert_eq!(user.len(), 1, "{user:?}");
    let failed = user[0]["reason"].as_str().unwrap().to_owned();
    let members = env
        .logs(&["--cycle", &cycle, "--type", "membership", "--user", upn])
        .await;
    assert_eq!(members.len(), 1, "{members:?}");
    assert_eq!(members[0]["status"], "skipped");
    assert_eq!(
        members[0]["reason"].as_str().unwrap(),
        format!("membership of {upn} in {group} waits for the user's create (failed: {failed})")
    );
    assert!(first["stats"]["skipped"].as_u64() >= Some(1), "{}", first["stats"]);
}

//! Issue 12, per-record refusals are per-record, end to end: a data policy, a business rule,
//! a unique key refuse single records (each object fails with its code, the cycle goes on, no
//! quarantine); an ACL on a whole table operation still halts the cycle; a transient answer
//! on one object's write is retried in the next cycle, not escrowed.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Env, options, setup_with};

async fn faults(env: &Env, body: Value) {
    let url = format!("{}/sim/faults", env.world.snow.url);
    let resp = reqwest::Client::new().post(url).json(&body).send().await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap_or_default());
}

/// An assigned group that is provisioned: (its id, its sys_id).
async fn provisioned_group(env: &Env) -> (String, String) {
    let scope = env.graph.assigned_scope().await.unwrap();
    for id in scope.groups.keys() {
        if let Some(sys) = env.link_of(id).await {
            return (id.clone(), sys);
        }
    }
    panic!("no provisioned group");
}

async fn add_member(env: &Env, group: &str, user: &str) {
    let body = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{user}")});
    env.graph_write(Method::POST, &format!("/groups/{group}/members/$ref"), body)
        .await;
}

async fn records(env: &Env, cycle: &Value) -> Vec<Value> {
    env.logs(&["--cycle", &cycle["cycle_id"].to_string()]).await
}

fn record<'a>(records: &'a [Value], source_id: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["source_id"] == source_id && r["object_type"] == "user")
        .unwrap_or_else(|| panic!("no record of {source_id}"))
}

#[tokio::test]
async fn six_data_policy_refusals_among_ten_new_users_fail_only_those_six() {
    let env = setup_with(options(300, 20, 30, 0)).await;
    env.sync(&[]).await;
    let (group, group_sys) = provisioned_group(&env).await;
    faults(
        &env,
        json!({"refusals": [{"kind": "data_policy", "operation": "insert", "fields": ["employee_number"]}]}),
    )
    .await;
    let mut ids = Vec::new();
    for n in 0..10 {
        let extra = if n < 4 {
            json!({"employeeId": format!("E{n}")})
        } else {
            json!({})
        };
        let id = env.new_assigned_user(&format!("new.{n}@nowsync.test"), extra).await;
        add_member(&env, &group, &id).await;
        ids.push(id);
    }
    let (code, cycle) = env.sync(&[]).await;
    assert_eq!((code, cycle["kind"].as_str()), (1, Some("incremental")), "{cycle}");
    let records = records(&env, &cycle).await;
    let members = env.rows("sys_user_grmember", &["group", "user"]).await;
    for (n, id) in ids.iter().enumerate() {
        let r = record(&records, id);
        if n < 4 {
            assert_eq!(
                (r["action"].as_str(), r["status"].as_str()),
                (Some("create"), Some("success"))
            );
            let sys = env.link_of(id).await.unwrap();
            assert!(
                members
                    .iter()
                    .any(|m| m["group"] == group_sys.as_str() && m["user"] == sys.as_str())
            );
        } else {
            assert_eq!(r["error_code"], "ServiceNowDataPolicy", "{r}");
            let reason = r["reason"].as_str().unwrap();
            assert!(
                reason.contains("The following fields are mandatory: Employee number"),
                "{reason}"
            );
            assert!(env.link_of(id).await.is_none());
        }
    }
    let status = env.status().await;
    assert!(status["quarantine"].is_null(), "{status}");
}

#[tokio::test]
async fn an_incremental_cycle_of_only_refused_contractors_fails_each_with_its_code() {
    let env = setup_with(options(300, 20, 30, 0)).await;
    env.sync(&[]).await;
    // One existing row holds the value a unique index protects.
    env.snow_insert(
        "sys_user",
        json!({"user_name": "taken.elsewhere", "employee_number": "C-1"}),
    )
    .await;
    faults(
        &env,
        json!({"refusals": [
            {"kind": "data_policy", "operation": "insert", "fields": ["employee_number"], "when": "user_nameSTARTSWITHcontractor.dp"},
            {"kind": "business_rule", "operation": "insert", "name": "No contractors", "when": "user_nameSTARTSWITHcontractor.br"},
            {"kind": "unique_key", "operation": "insert", "fields": ["employee_number"], "when": "user_nameSTARTSWITHcontractor.uk"},
        ]}),
    )
    .await;
    let mut expected = Vec::new();
    for (prefix, code, count) in [
        ("dp", "ServiceNowDataPolicy", 3),
        ("br", "ServiceNowBusinessRule", 3),
        ("uk", "DuplicateTargetEntries", 2),
    ] {
        for n in 0..count {
            let mut extra = json!({"jobTitle": "Contractor"});
            if prefix != "dp" {
                extra["employeeId"] = json!(format!("C-{n}"));
            }
            let id = env
                .new_assigned_user(&format!("contractor.{prefix}.{n}@nowsync.test"), extra)
                .await;
            expected.push((id, code));
        }
    }
    let (code, cycle) = env.sync(&[]).await;
    assert_eq!(code, 1, "{cycle}");
    let records = records(&env, &cycle).await;
    for (id, code) in &expected {
        let r = record(&records, id);
        assert_eq!(r["error_code"], *code, "{r}");
    }
    let rule = record(&records, &expected[3].0);
    assert!(
        rule["reason"]
            .as_str()
            .unwrap()
            .contains("aborted by Business Rule 'No contractors"),
        "{rule}"
    );
    let status = env.status().await;
    assert!(status["quarantine"].is_null(), "{status}");
    // Nothing changed about them: the next cycle does not send them again.
    env.reset_stats().await;
    let (_, next) = env.sync(&[]).await;
    assert_eq!(env.writes().await, 0, "{next}");
}

#[tokio::test]
async fn an_acl_refusing_a_whole_table_operation_still_halts_and_quarantines() {
    let env = setup_with(options(300, 20, 30, 0)).await;
    env.sync(&[]).await;
    faults(&env, json!({"refusals": [{"kind": "acl", "operation": "insert"}]})).await;
    for n in 0..8 {
        // Different shapes: some carry a title, a phone, an employee id.
        let extra = match n % 3 {
            0 => json!({"jobTitle": "Engineer"}),
            1 => json!({"mobilePhone": "+1 555 0100"}),
            _ => json!({"employeeId": format!("A{n}")}),
        };
        env.new_assigned_user(&format!("acl.{n}@nowsync.test"), extra).await;
    }
    let (code, cycle) = env.sync(&[]).await;
    assert_eq!(code, 4, "halted and quarantined: {cycle}");
    let status = env.status().await;
    assert_eq!(status["quarantine"]["reason"], "CredentialsRejected", "{status}");
    assert!(
        status["quarantine"]["detail"]
            .as_str()
            .unwrap()
            .contains("ServiceNowAclDenied")
    );
}

#[tokio::test]
async fn transient_answers_on_one_objects_write_are_retried_next_cycle_not_escrowed() {
    // No pre-existing rows: the first writes are creates, which are never sent twice blindly.
    let env = setup_with(options(300, 20, 0, 0)).await;
    faults(
        &env,
        json!({"next": [
            {"kind": "html", "phase": "write"},
            {"kind": "status", "status": 500, "phase": "write"},
            {"kind": "drop_after", "phase": "write"},
        ]}),
    )
    .await;
    let (code, first) = env.sync(&[]).await;
    assert_eq!(code, 1, "{first}");
    let failed: Vec<Value> = env
        .logs(&["--cycle", &first["cycle_id"].to_string(), "--status", "failure"])
        .await
        .into_iter()
        .filter(|r| {
            matches!(
                r["error_code"].as_str(),
                Some("ServiceNowTransientError" | "ServiceNowServerError")
            )
        })
        .collect();
    assert_eq!(failed.len(), 3, "{failed:?}");
    for r in &failed {
        assert_eq!(r["recommended_action"], "retried in the next cycle", "{r}");
    }
    let escrow = env.nowsync(&["logs", "--escrow", "--format", "json"]).await;
    let escrows: Vec<Value> = serde_json::from_slice(&escrow.stdout).unwrap();
    assert!(
        escrows
            .iter()
            .all(|e| !failed.iter().any(|f| f["source_id"] == e["source_id"])),
        "{escrows:?}"
    );
    let (_, second) = env.sync(&[]).await;
    assert_eq!(second["kind"], "incremental");
    for r in &failed {
        let id = r["source_id"].as_str().unwrap();
        assert!(
            env.link_of(id).await.is_some(),
            "{} provisioned next cycle",
            r["source_name"]
        );
    }
    // The write whose answer was lost was stored: found, not created twice.
    let _ = env.state().await;
    let (_, third) = env.sync(&[]).await;
    assert_eq!(third["stats"]["writes"], 0, "{third}");
}

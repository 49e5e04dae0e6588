//! The initial cycle on a generated tenant, the quiet second cycle, dry run = real cycle, and
//! no secret left behind.

use std::collections::{BTreeSet, HashMap};

use nowsync::mapping::catalogue::effective_upn;
use serde_json::{Value, json};

use super::super::support::files_under;
use super::setup;

fn op_key(v: &Value) -> (String, String, String) {
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
    (s("object_type"), s("source_name"), s("action"))
}

#[tokio::test]
async fn initial_cycle_provisions_exactly_then_a_quiet_cycle_writes_nothing() {
    let env = setup(2000, 100, 300, 0).await;
    let tenant = env.world.graph.sim.tenant().clone();

    // Dry run: nothing written; its plan is what the real cycle then does.
    env.reset_stats().await;
    let (code, dry) = env.sync(&["--dry-run"]).await;
    assert_eq!(code, 1, "planted failures make the exit code 1");
    assert_eq!(env.writes().await, 0, "a dry run writes nothing");
    let planned: BTreeSet<_> = dry["plan"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|op| !op["kind"]["reason"].as_str().is_some_and(|r| r.starts_with("in sync")))
        .map(|op| {
            let kind = op["kind"]["action"].as_str().unwrap();
            let action = match kind {
                "set_reference" => "update",
                "skip" => "skip",
                other => other,
            };
            (
                op["object_type"].as_str().unwrap().to_owned(),
                op["source_name"].as_str().unwrap().to_owned(),
                action.to_owned(),
            )
        })
        .collect();

    let (code, real) = env.sync(&[]).await;
    assert_eq!(code, 1);
    let done: BTreeSet<_> = real["results"].as_array().unwrap().iter().map(op_key).collect();
    assert_eq!(planned, done, "the real cycle did what the dry run showed");
    assert_eq!(real["stats"]["failed"], dry["counts"]["error"]);

    // Expected from the tenant and the app's assignments, independently of the engine.
    let scope = env.graph.assigned_scope().await.unwrap();
    let in_scope: BTreeSet<&str> = scope.user_ids();
    let failed: BTreeSet<String> = env
        .logs(&["--status", "failure"])
        .await
        .iter()
        .filter(|r| r["object_type"] == "user")
        .map(|r| r["source_id"].as_str().unwrap().to_owned())
        .collect();
    let state = env.state().await;
    let mut expected_users = 0;
    for u in &tenant.users {
        let upn = effective_upn(&u.user_principal_name).to_lowercase();
        let wanted = in_scope.contains(u.id.as_str()) && u.account_enabled && !failed.contains(&u.id);
        if wanted {
            expected_users += 1;
            assert_eq!(
                state.users.get(&upn).map(String::as_str),
                Some("true"),
                "{upn} provisioned and active"
            );
        }
    }
    assert!(expected_users > 150, "{expected_users}");
    let names: HashMap<&str, String> = tenant
        .users
        .iter()
        .map(|u| (u.id.as_str(), effective_upn(&u.user_principal_name).to_lowercase()))
        .collect();
    for gid in scope.groups.keys() {
        let Some(g) = tenant.groups.iter().find(|g| &g.id == gid) else {
            continue;
        };
        assert_eq!(
            state.groups.get(&g.display_name).map(String::as_str),
            Some("true"),
            "{}",
            g.display_name
        );
        let expected: BTreeSet<(String, String)> = scope.group_members[gid]
            .iter()
            .filter(|m| state.users.contains_key(&names[m.as_str()]) && !failed.contains(*m))
            .map(|m| (g.display_name.clone(), names[m.as_str()].clone()))
            .collect();
        let actual: BTreeSet<(String, String)> = state
            .members
            .iter()
            .filter(|(gn, _)| gn == &g.display_name)
            .cloned()
            .collect();
        assert_eq!(expected, actual, "members of {}", g.display_name);
    }

    // Pre-existing users matched (by user_name or email), never duplicated: `state` panics on a
    // duplicate user_name, and no row was created for a user matched by email.
    let logs = env.logs(&[]).await;
    let codes: BTreeSet<&str> = logs.iter().filter_map(|r| r["error_code"].as_str()).collect();
    assert!(codes.contains("InvalidLookupReference"), "{codes:?}");
    assert!(codes.contains("DuplicateTargetEntries"), "{codes:?}");
    assert!(
        logs.iter()
            .all(|r| r["status"] != "failure" || r["error_code"].is_string())
    );
    let matched_by_email = logs
        .iter()
        .filter(|r| r["action"] == "update")
        .flat_map(|r| r["steps"].as_array().cloned().unwrap_or_default())
        .filter(|s| s["detail"].as_str().is_some_and(|d| d.contains("matched on email")))
        .count();
    assert!(matched_by_email > 0, "some pre-existing users are matched by email");

    // A second cycle with no source change sends no write of any kind.
    env.reset_stats().await;
    let (_, second) = env.sync(&[]).await;
    // Every write (Table or Batch API) is a POST, PUT, PATCH or DELETE request: none.
    assert_eq!(env.writes().await, 0, "{second}");

    // No secret in the data dir (state database included) or the output.
    for file in files_under(&env.ws.data_dir()) {
        let bytes = std::fs::read(&file).unwrap();
        for secret in env.secrets() {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "secret in {}",
                file.display()
            );
        }
    }
    let printed = format!("{dry}{real}{second}");
    for secret in env.secrets() {
        assert!(!printed.contains(&secret));
    }
}

#[tokio::test]
async fn matching_on_employee_id_reports_missing_values() {
    let env = setup(300, 20, 0, 0).await;
    let mappings = nowsync::mapping::model::DEFAULT_MAPPINGS_TOML
        .replace(
            "source = \"userPrincipalName\"\nmatching = 1",
            "source = \"userPrincipalName\"",
        )
        .replace("source = \"mail\"\nmatching = 2", "source = \"mail\"")
        .replace("source = \"employeeId\"", "source = \"employeeId\"\nmatching = 1");
    let path = env.ws.dir.path().join("mappings.toml");
    std::fs::write(&path, mappings).unwrap();
    let config = std::fs::read_to_string(env.ws.config()).unwrap();
    env.ws.write_config(&format!(
        "{config}\n[profiles.default.provisioning]\nmappings = \"{}\"\n",
        path.display()
    ));
    let (code, _) = env.sync(&[]).await;
    assert_eq!(code, 1);
    let missing = env.logs(&["--status", "failure"]).await;
    assert!(
        missing
            .iter()
            .any(|r| r["error_code"] == "EntryJoiningPropertyValueIsMissing"),
        "{missing:?}"
    );
    let csv = env.nowsync(&["logs", "--format", "csv"]).await;
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert!(
        csv.starts_with("cycle_id,change_id,time,object_type,source_id,source_name,target_id,action,status,error_code")
    );
}

/// A cycle's duration is the whole cycle's, its reads included: the acceptance pass saw a cycle
/// that ran 7.1 s from its start to its end recorded (and shown) as 0.4 s, its writes alone.
#[tokio::test]
async fn a_cycles_duration_counts_its_reads_not_only_its_writes() {
    let env = setup(10, 2, 0, 250).await;
    let (code, cycle) = env.sync(&[]).await;
    assert!(code == 0 || code == 1, "{cycle}");
    let status = env.status().await;
    let last = &status["last_cycle"];
    let at = |k: &str| {
        let t = last[k].as_str().unwrap_or_else(|| panic!("{k}: {status}"));
        chrono::DateTime::parse_from_rfc3339(t)
            .unwrap_or_else(|e| panic!("{t}: {e}"))
            .timestamp_millis()
    };
    let wall = at("finished") - at("started");
    let duration = last["stats"]["duration_ms"].as_i64().unwrap_or_default();
    // Reading both sides costs at least one 250-ms round trip before the first write.
    assert!(wall >= 500, "{status}");
    assert!(
        duration <= wall && wall - duration < 200,
        "duration {duration} ms of {wall} ms: {status}"
    );
}

/// Review R9: the users' `$select` was a fixed list, so a custom mapping of a property outside
/// it (here `faxNumber`) read nothing: Graph returns only what is selected (graph.md §2.4). The
/// selection now comes from the mappings.
#[tokio::test]
async fn a_custom_mapping_of_a_property_outside_the_usual_selection_is_read() {
    let env = setup(60, 5, 0, 0).await;
    let extra = "[[user.attributes]]\ntarget = \"middle_name\"\nsource = \"faxNumber\"\n\n";
    let mappings = nowsync::mapping::model::DEFAULT_MAPPINGS_TOML.replacen(
        "[[user.attributes]]\n",
        &format!("{extra}[[user.attributes]]\n"),
        1,
    );
    let path = env.ws.dir.path().join("mappings.toml");
    std::fs::write(&path, mappings).unwrap();
    let config = std::fs::read_to_string(env.ws.config()).unwrap();
    env.ws.write_config(&format!(
        "{config}\n[profiles.default.provisioning]\nmappings = \"{}\"\n",
        path.display()
    ));
    let id = env
        .new_assigned_user("fax.reader@nowsync.test", json!({"faxNumber": "Fax 0100"}))
        .await;
    env.sync(&[]).await;
    let sys_id = env.link_of(&id).await.expect("provisioned");
    let row = env.row("sys_user", &sys_id).await;
    assert_eq!(row["middle_name"], "Fax 0100", "{row:?}");
}

//! Issue 16 §4: the retry queue costs no group's membership rows. An object that fails every
//! cycle is planned again each incremental cycle (it costs no write), but it keeps the
//! memberships it has: its groups are read only when the cycle links it (created or matched),
//! and then its memberships are written in the same cycle.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::{Env, setup};

fn gets(stats: &Value, table: &str) -> u64 {
    stats["by_table"][table]["GET"].as_u64().unwrap_or(0)
}

/// (table, field, value) of an InvalidLookupReference's reason: "department 'X': cmn_department
/// has no row whose name is 'X'".
fn missing_row(reason: &str) -> Option<(String, String, String)> {
    let (_, rest) = reason.split_once("': ")?;
    let (table, rest) = rest.split_once(" has no row whose ")?;
    let (field, value) = rest.split_once(" is '")?;
    Some((table.to_owned(), field.to_owned(), value.strip_suffix('\'')?.to_owned()))
}

/// The names of the linked groups `user` is a member of in Entra (assigned groups).
async fn linked_groups_of(env: &Env, user: &str) -> BTreeSet<String> {
    let scope = env.graph.assigned_scope().await.unwrap();
    let out = env.nowsync(&["links", "--format", "json"]).await;
    let links: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    links
        .iter()
        .filter(|l| l["object_type"] == "group")
        .filter(|l| {
            let id = l["source_id"].as_str().unwrap();
            scope.group_members.get(id).is_some_and(|m| m.contains(user))
        })
        .map(|l| l["source_name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_quiet_cycle_retries_failing_users_without_reading_any_groups_members() {
    let env = setup(300, 30, 40, 0).await;
    let (_, first) = env.sync(&[]).await;
    assert_eq!(first["kind"], "initial");
    let failed = env
        .logs(&["--cycle", &first["cycle_id"].to_string(), "--status", "failure"])
        .await;
    // A user failed for a reference to nothing, and a member of a provisioned group.
    let mut candidates = Vec::new();
    for r in failed.iter().filter(|r| r["error_code"] == "InvalidLookupReference") {
        let id = r["source_id"].as_str().unwrap().to_owned();
        let groups = linked_groups_of(&env, &id).await;
        if let (Some(missing), false) = (missing_row(r["reason"].as_str().unwrap()), groups.is_empty()) {
            candidates.push((id, r["source_name"].as_str().unwrap().to_lowercase(), missing, groups));
        }
    }
    let (id, upn, (table, field, value), groups) = candidates.pop().expect("a planted failing member");

    // Nothing changed: the failing users are planned again, no group's rows are read.
    env.reset_stats().await;
    let (_, quiet) = env.sync(&[]).await;
    assert_eq!(quiet["kind"], "incremental");
    let s = env.stats().await;
    assert_eq!(env.writes().await, 0, "{s}");
    assert_eq!(gets(&s, "sys_user_grmember"), 0, "no membership rows: {s}");
    assert_eq!(gets(&s, "sys_user_group"), 0, "no group rows: {s}");
    let again = env.logs(&["--cycle", &quiet["cycle_id"].to_string()]).await;
    assert!(
        again
            .iter()
            .any(|r| r["source_id"] == id.as_str() && r["error_code"] == "InvalidLookupReference"),
        "retried every cycle: {again:?}"
    );

    // The row it lacked appears in ServiceNow (no Graph change): the user is created and its
    // memberships written in the same cycle.
    let mut row = Map::new();
    row.insert(field, Value::String(value));
    env.snow.create(&table, &row).await.unwrap();
    env.reset_stats().await;
    let (_, fixed) = env.sync(&[]).await;
    assert_eq!(fixed["kind"], "incremental");
    assert!(
        gets(&env.stats().await, "sys_user_grmember") > 0,
        "its groups' rows are read"
    );
    let state = env.state().await;
    assert!(state.users.contains_key(&upn), "{upn} created");
    let member_of: BTreeSet<String> = state
        .members
        .iter()
        .filter(|(_, u)| *u == upn)
        .map(|(g, _)| g.clone())
        .collect();
    assert_eq!(member_of, groups, "{upn}'s memberships");
}

/// Acceptance F10: ServiceNow throttling (429 with Retry-After) stalled a cycle with nothing in
/// the console; each pause it starts is said in the log pane at INFO, not each request.
#[tokio::test]
async fn servicenow_throttling_is_said_once_per_pause_in_the_log_pane() {
    use nowsync::sync::{Command, LogLevel, SyncEvent};
    let env = setup(60, 6, 6, 0).await;
    let profile = super::plans::scope(&env, "all");
    let handle = env.start(&profile);
    let mut rx = handle.subscribe();
    let throttle = serde_json::json!({"kind": "status", "status": 429, "retry_after": "1"});
    let url = format!("{}/sim/faults", env.world.snow.url);
    let body = serde_json::json!({"next": [throttle.clone(), throttle.clone(), throttle]});
    reqwest::Client::new().post(url).json(&body).send().await.unwrap();
    handle.send(Command::RunNow);
    let mut said = Vec::new();
    loop {
        match super::next_event(&mut rx, |e| {
            matches!(e, SyncEvent::Log { .. } | SyncEvent::CycleFinished { .. })
        })
        .await
        {
            SyncEvent::Log { level, message } if message.starts_with("ServiceNow throttled") => {
                assert_eq!(level, LogLevel::Info);
                said.push(message);
            }
            SyncEvent::CycleFinished { .. } => break,
            _ => {}
        }
    }
    assert!((1..=3).contains(&said.len()), "once per pause, 3 throttles: {said:?}");
    assert!(
        said[0].starts_with("ServiceNow throttled (429): paused 1 s"),
        "{said:?}"
    );
    handle.shutdown().await;
}

//! Issue 17 defect 5, write intents drive recovery: a write whose outcome is unknown (its
//! answer lost after the instance acted, a 500, the engine killed mid-request) leaves its
//! intent open, and the next cycle — incremental, reading only touched rows — reads that
//! object's rows before planning it: a create whose answer was lost is matched, never sent
//! twice; a membership whose write failed is added, one whose answer was lost is not added
//! again.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Env, State, options, setup_with};

async fn faults(env: &Env, body: Value) {
    let url = format!("{}/sim/faults", env.world.snow.url);
    let resp = reqwest::Client::new().post(url).json(&body).send().await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap_or_default());
}

/// Provisioned objects of one type: (source id, source name), in a stable order.
async fn linked(env: &Env, object_type: &str) -> Vec<(String, String)> {
    let out = env.nowsync(&["links", "--format", "json"]).await;
    let links: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut v: Vec<(String, String)> = links
        .iter()
        .filter(|l| l["object_type"] == object_type)
        .map(|l| {
            (
                l["source_id"].as_str().unwrap().to_owned(),
                l["source_name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

async fn add_member(env: &Env, group: &str, user: &str) {
    let body = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{user}")});
    env.graph_write(Method::POST, &format!("/groups/{group}/members/$ref"), body)
        .await;
}

/// Two provisioned users that are no member of a provisioned group: (group id, group name,
/// [(user id, user_name)]).
async fn outsiders(env: &Env) -> (String, String, Vec<(String, String)>) {
    let state = env.state().await;
    let groups = linked(env, "group").await;
    let users = linked(env, "user").await;
    let active: Vec<&(String, String)> = users
        .iter()
        .filter(|(_, n)| state.users.get(&n.to_lowercase()).map(String::as_str) == Some("true"))
        .collect();
    for (gid, gname) in &groups {
        let outside: Vec<(String, String)> = active
            .iter()
            .filter(|(_, n)| !state.members.contains(&(gname.clone(), n.to_lowercase())))
            .take(2)
            .map(|(id, n)| (id.clone(), n.to_lowercase()))
            .collect();
        if outside.len() == 2 {
            return (gid.clone(), gname.clone(), outside);
        }
    }
    panic!("no group with two provisioned outsiders");
}

fn has_member(state: &State, group: &str, user: &str) -> bool {
    state.members.contains(&(group.to_owned(), user.to_owned()))
}

#[tokio::test]
async fn membership_writes_with_unknown_outcomes_are_read_back_by_the_next_incremental_cycle() {
    let env = setup_with(options(120, 12, 0, 0)).await;
    env.sync(&[]).await;
    let (group, group_name, users) = outsiders(&env).await;
    for (id, _) in &users {
        add_member(&env, &group, id).await;
    }
    // The first membership write fails with a 500 (the instance may or may not have acted: it
    // did not), the second is stored and its answer lost.
    faults(
        &env,
        json!({"next": [
            {"kind": "status", "status": 500, "phase": "membership"},
            {"kind": "drop_after", "phase": "membership"},
        ]}),
    )
    .await;
    let (code, cycle) = env.sync(&[]).await;
    assert_eq!((code, cycle["kind"].as_str()), (1, Some("incremental")), "{cycle}");
    let state = env.state().await;
    let added = users.iter().filter(|(_, n)| has_member(&state, &group_name, n)).count();
    assert_eq!(added, 1, "one stored (answer lost), one refused: {users:?}");

    // Nothing about the group or its members changes in Entra: only the open intents make the
    // next incremental cycle read the group's memberships back.
    env.reset_stats().await;
    let (_, next) = env.sync(&[]).await;
    assert_eq!(next["kind"], "incremental", "{next}");
    let state = env.state().await; // panics on a duplicate membership
    for (_, name) in &users {
        assert!(has_member(&state, &group_name, name), "{group_name} / {name} lost");
    }
    assert_eq!(env.writes().await, 1, "only the refused membership is written again");
    env.reset_stats().await;
    env.sync(&[]).await;
    assert_eq!(env.writes().await, 0, "quiet after recovery");
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_matched_not_created_again_by_an_incremental_cycle() {
    let env = setup_with(options(120, 12, 0, 0)).await;
    env.sync(&[]).await;
    let id = env.new_assigned_user("lost.answer@nowsync.test", json!({})).await;
    faults(&env, json!({"next": [{"kind": "drop_after", "phase": "write"}]})).await;
    let (code, cycle) = env.sync(&[]).await;
    assert_eq!((code, cycle["kind"].as_str()), (1, Some("incremental")), "{cycle}");
    assert!(env.link_of(&id).await.is_none(), "the answer was lost: no link yet");
    assert!(env.state().await.users.contains_key("lost.answer@nowsync.test"));

    env.reset_stats().await;
    let (_, next) = env.sync(&[]).await;
    assert_eq!(next["kind"], "incremental");
    let s = env.stats().await;
    assert_eq!(s["requests"]["POST"], 0, "matched, not created again: {s}");
    assert!(env.link_of(&id).await.is_some());
    env.state().await; // panics on a duplicate
}

/// Review R6 (harm): a create answered 502 or 504 by the gateway in front of the instance was
/// sent again, but the instance may have stored it (servicenow.md §4.3: the transaction runs on
/// after the gateway gave up): a user's second POST was refused as a duplicate user_name and
/// recorded failed, a membership's stored twice. Now the intent stays open and the next cycle
/// finds the row by its matching attribute.
#[tokio::test]
async fn a_create_a_gateway_answered_502_or_504_is_not_sent_again_but_looked_up() {
    let env = setup_with(options(120, 12, 0, 0)).await;
    env.sync(&[]).await;
    let (group, group_name, users) = outsiders(&env).await;
    add_member(&env, &group, &users[0].0).await;
    let id = env.new_assigned_user("gateway.lost@nowsync.test", json!({})).await;
    faults(
        &env,
        json!({"next": [
            {"kind": "gateway_after", "status": 502, "phase": "write"},
            {"kind": "gateway_after", "status": 504, "phase": "membership"},
        ]}),
    )
    .await;
    env.reset_stats().await;
    let (code, cycle) = env.sync(&[]).await;
    assert_eq!((code, cycle["kind"].as_str()), (1, Some("incremental")), "{cycle}");
    let s = env.stats().await;
    assert_eq!(s["by_table"]["sys_user"]["POST"], 1, "sent once: {s}");
    assert_eq!(s["by_table"]["sys_user_grmember"]["POST"], 1, "sent once: {s}");
    let state = env.state().await; // panics on a duplicate membership
    assert!(state.users.contains_key("gateway.lost@nowsync.test"));
    assert!(has_member(&state, &group_name, &users[0].1));
    let failed = env
        .logs(&["--cycle", &cycle["cycle_id"].to_string(), "--status", "failure"])
        .await;
    assert!(
        !failed
            .iter()
            .any(|r| r["source_id"] == id.as_str() && r["reason"].as_str().unwrap_or_default().contains("Unique")),
        "no duplicate refused: {failed:?}"
    );

    env.reset_stats().await;
    let (_, next) = env.sync(&[]).await;
    assert_eq!(next["kind"], "incremental");
    let s = env.stats().await;
    assert_eq!(s["requests"]["POST"], 0, "matched, not created again: {s}");
    assert!(env.link_of(&id).await.is_some());
    let state = env.state().await;
    assert!(has_member(&state, &group_name, &users[0].1));
}

/// Whether a `sync --once` killed after `writes` more writes landed before the cycle finished,
/// with writes in flight.
async fn killed_after(env: &Env, writes: u64) -> bool {
    let (moved, running) = super::crash::kill_after(env, writes).await;
    running && moved > 0
}

#[tokio::test]
async fn an_incremental_cycle_killed_mid_write_leaves_intents_the_next_one_reads_back() {
    // Latency keeps requests in flight when the kill lands.
    let env = setup_with(options(120, 12, 0, 20)).await;
    env.sync(&[]).await;
    let (group, group_name, _) = outsiders(&env).await;
    let mut names = Vec::new();
    for n in 0..12 {
        let upn = format!("killed.{n}@nowsync.test");
        let id = env.new_assigned_user(&upn, json!({})).await;
        add_member(&env, &group, &id).await;
        names.push(upn);
    }
    assert!(killed_after(&env, 5).await, "the kill landed mid-cycle");
    let (_, next) = env.sync(&[]).await;
    assert_eq!(next["kind"], "incremental", "{next}");
    let state = env.state().await; // panics on a duplicate
    for name in &names {
        assert!(state.users.contains_key(name), "{name} lost");
        assert!(has_member(&state, &group_name, name), "{group_name} / {name} lost");
    }
    env.reset_stats().await;
    env.sync(&[]).await;
    assert_eq!(env.writes().await, 0, "quiet after recovery");
}

//! Issue 12, idempotent against the instance's normalisation, end to end: a value the
//! instance stores differently from what was sent (4-byte characters as `?` on a
//! MariaDB-backed instance) makes no write on the next cycles.

use serde_json::json;

use super::{options, setup_with};

#[tokio::test]
async fn an_emoji_in_a_name_makes_no_write_on_the_second_and_third_cycle() {
    let mut o = options(200, 10, 20, 0);
    o.snow.four_byte_as_question = true;
    let env = setup_with(o).await;
    let id = env
        .new_assigned_user(
            "emoji.person@nowsync.test",
            json!({"givenName": "Ana 🎉", "surname": "Smile 😀", "displayName": "Ana 🎉 Smile"}),
        )
        .await;
    env.sync(&[]).await;
    let sys = env.link_of(&id).await.expect("provisioned");
    let row = env.row("sys_user", &sys).await;
    assert_eq!(row["first_name"], "Ana ?", "stored as the instance keeps it: {row:?}");
    for cycle in ["second", "third"] {
        env.reset_stats().await;
        let (_, doc) = env.sync(&[]).await;
        assert_eq!(env.writes().await, 0, "{cycle} cycle: {doc}");
    }
    // A full read compares every row: the value the instance kept is remembered with the link.
    let out = env.nowsync(&["restart", "--scope", "watermark"]).await;
    assert!(out.status.success());
    env.reset_stats().await;
    let (_, doc) = env.sync(&[]).await;
    assert_eq!(doc["kind"], "initial");
    assert_eq!(env.writes().await, 0, "a full cycle: {doc}");
    // Another change to the user writes that change only.
    env.graph_write(
        reqwest::Method::PATCH,
        &format!("/users/{id}"),
        json!({"jobTitle": "Chief Smiler"}),
    )
    .await;
    let (_, doc) = env.sync(&[]).await;
    let record = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["source_id"] == id.as_str())
        .unwrap_or_else(|| panic!("the user was written: {doc}"));
    let changed = record["modified_properties"].to_string();
    assert!(
        changed.contains("title") && !changed.contains("first_name") && !changed.contains("last_name"),
        "only the title: {changed}"
    );
}

/// A location name longer than `cmn_location.name` holds (100 characters in the simulator; Graph
/// does not limit `officeLocation` that short): with `missing_reference = "create"` the row is
/// created with the name cut, and the next cycles find it rather than create it again.
#[tokio::test]
async fn a_reference_row_created_with_its_name_cut_is_found_by_the_next_cycles() {
    let env = setup_with(options(200, 10, 20, 0)).await;
    super::ops::append_config(
        &env,
        "\n[profiles.default.provisioning]\nmissing_reference = \"create\"\n",
    );
    let long = format!("Building {} Annex", "North Wing ".repeat(10));
    assert!(long.chars().count() > 100);
    let id = env
        .new_assigned_user("far.away@nowsync.test", json!({"officeLocation": long}))
        .await;
    env.sync(&[]).await;
    let sys = env.link_of(&id).await.expect("provisioned");
    let location = env.row("sys_user", &sys).await["location"].clone();
    let rows = env.rows("cmn_location", &["sys_id", "name"]).await;
    let cut: Vec<_> = rows
        .iter()
        .filter(|r| r["name"].as_str().is_some_and(|n| long.starts_with(n)))
        .collect();
    assert_eq!(cut.len(), 1, "{cut:?}");
    assert_eq!(location, cut[0]["sys_id"]);
    for cycle in ["second", "third"] {
        env.reset_stats().await;
        let (_, doc) = env.sync(&[]).await;
        assert_eq!(env.writes().await, 0, "{cycle} cycle: {doc}");
    }
    env.graph_write(
        reqwest::Method::PATCH,
        &format!("/users/{id}"),
        json!({"jobTitle": "Remote"}),
    )
    .await;
    env.reset_stats().await;
    let (_, doc) = env.sync(&["--reconcile"]).await;
    assert_eq!(doc["kind"], "reconciliation");
    let stats = env.stats().await;
    assert_eq!(stats["requests"]["POST"], 0, "no location created again: {doc}");
    assert_eq!(stats["requests"]["PATCH"], 1, "the title only: {doc}");
    assert_eq!(env.row("sys_user", &sys).await["location"], location);
}

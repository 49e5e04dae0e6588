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

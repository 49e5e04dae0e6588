//! The ServiceNow simulator's paging under other writers (spec §13 #10): offset paging skips
//! rows when rows before the cursor are deleted, keyset paging (`sys_id>LAST^ORDERBYsys_id`)
//! does not; and uncounted pages (`sysparm_no_count`).

use std::collections::HashSet;

use nowsync::sim::snow::{Options, Running};
use serde_json::{Value, json};

use crate::sim_snow::{admin, start};

async fn faults(r: &Running, c: &reqwest::Client, body: Value) -> Value {
    c.post(format!("{}/sim/faults", r.url))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn page(r: &Running, c: &reqwest::Client, query: &str, offset: usize) -> Vec<String> {
    let url = format!(
        "{}/api/now/v2/table/sys_user?sysparm_query={query}&sysparm_limit=5&sysparm_offset={offset}&sysparm_fields=sys_id",
        r.url
    );
    let body: Value = admin(r, c.get(url)).send().await.unwrap().json().await.unwrap();
    body["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["sys_id"].as_str().unwrap().to_owned())
        .collect()
}

async fn read_by_offset(r: &Running, c: &reqwest::Client) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let rows = page(r, c, "ORDERBYsys_id", seen.len()).await;
        if rows.is_empty() {
            return seen;
        }
        seen.extend(rows);
    }
}

async fn read_by_keyset(r: &Running, c: &reqwest::Client) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    loop {
        let query = match seen.last() {
            Some(last) => format!("sys_id>{last}%5EORDERBYsys_id"),
            None => "ORDERBYsys_id".to_owned(),
        };
        let rows = page(r, c, &query, 0).await;
        if rows.is_empty() {
            return seen;
        }
        seen.extend(rows);
    }
}

/// Rows that existed before the read and were not deleted by the other writer, but the read
/// never saw; and how many rows the read saw twice.
async fn misses(r: &Running, c: &reqwest::Client, before: &[String], seen: &[String]) -> (usize, usize) {
    let doc = faults(r, c, json!({})).await;
    let deleted: HashSet<&str> = doc["other_writer"]["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(!deleted.is_empty(), "the other writer acted: {doc}");
    let seen_set: HashSet<&str> = seen.iter().map(String::as_str).collect();
    let missed = before
        .iter()
        .filter(|id| !deleted.contains(id.as_str()) && !seen_set.contains(id.as_str()))
        .count();
    (missed, seen.len() - seen_set.len())
}

#[tokio::test]
async fn offset_paging_skips_rows_that_keyset_paging_reads() {
    let (r, c) = start(Options {
        snow_users: 40,
        ..Options::default()
    })
    .await;
    let writer = json!({"other_writer": {"every": 2, "delete": 1}});
    let before = read_by_keyset(&r, &c).await;
    assert_eq!(before.len(), 42);
    faults(&r, &c, writer.clone()).await;
    let seen = read_by_offset(&r, &c).await;
    let (missed, repeated) = misses(&r, &c, &before, &seen).await;
    assert!(missed > 0, "offset paging skipped no row");
    assert_eq!(repeated, 0);

    faults(&r, &c, json!({"other_writer": null})).await;
    let before = read_by_keyset(&r, &c).await;
    faults(&r, &c, writer).await;
    let seen = read_by_keyset(&r, &c).await;
    assert_eq!(
        misses(&r, &c, &before, &seen).await,
        (0, 0),
        "keyset paging neither skips nor repeats"
    );
}

#[tokio::test]
async fn the_other_writer_inserts_the_given_rows_before_the_cursor() {
    let (r, c) = start(Options {
        snow_users: 10,
        ..Options::default()
    })
    .await;
    let doc = faults(
        &r,
        &c,
        json!({"other_writer": {"every": 1, "insert": 1,
            "rows": [{"user_name": "jit.one", "email": "jit.one@contoso.com"}]}}),
    )
    .await;
    assert_eq!(doc["other_writer"]["every"], 1);
    // Each read inserts one row before its cursor, so the cursor moves to the page's second row.
    let first = page(&r, &c, "ORDERBYsys_id", 5).await;
    let second = page(&r, &c, "ORDERBYsys_id", 10).await;
    let doc = faults(&r, &c, json!({"other_writer": null})).await;
    assert_eq!(doc["other_writer"], Value::Null);
    for (user_name, cursor) in [("jit.one", &first[1]), ("ldap.import1", &second[1])] {
        let url = format!("{}/api/now/table/sys_user?sysparm_query=user_name={user_name}", r.url);
        let body: Value = admin(&r, c.get(url)).send().await.unwrap().json().await.unwrap();
        let row = &body["result"][0];
        assert!(
            row["sys_id"].as_str().unwrap() < cursor.as_str(),
            "inserted before the cursor: {body}"
        );
        assert_eq!(row["sys_created_by"], "system");
    }
    assert_eq!(r.sim.stats()["faults"]["other_writer_insert"], 2);
    assert_eq!(
        r.sim.stats()["requests"]["POST"],
        0,
        "the other writer is not the client"
    );
}

#[tokio::test]
async fn uncounted_pages_offer_next_after_a_full_page_and_no_last() {
    let (r, c) = start(Options {
        snow_users: 6,
        ..Options::default()
    })
    .await;
    let url = |offset: usize| {
        format!(
            "{}/api/now/table/sys_user?sysparm_query=ORDERBYsys_id&sysparm_limit=5&sysparm_no_count=true&sysparm_offset={offset}",
            r.url
        )
    };
    let resp = admin(&r, c.get(url(0))).send().await.unwrap();
    assert!(resp.headers().get("x-total-count").is_none());
    let link = resp.headers()["link"].to_str().unwrap().to_owned();
    assert!(
        link.contains("rel=\"next\"") && !link.contains("rel=\"last\""),
        "{link}"
    );
    let resp = admin(&r, c.get(url(5))).send().await.unwrap();
    let link = resp.headers()["link"].to_str().unwrap().to_owned();
    assert!(!link.contains("rel=\"next\""), "a short page is the last: {link}");
}

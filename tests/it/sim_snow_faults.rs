//! The ServiceNow simulator's performance model and fault injection over HTTP. Assertions are on
//! counts and shapes, never on elapsed time.

use nowsync::sim::snow::{Options, Running};
use serde_json::{Value, json};

use crate::sim_snow::{admin, start};

async fn set_faults(url: &str, c: &reqwest::Client, body: Value) -> Value {
    c.post(format!("{url}/sim/faults"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn full_queue_answers_429_and_stats_count_it() {
    let (r, c) = start(Options {
        latency: std::time::Duration::from_millis(300),
        semaphore: 2,
        queue: 3,
        ..Options::default()
    })
    .await;
    let url = format!("{}/api/now/table/sys_user_role?sysparm_fields=name", r.url);
    let requests = (0..16).map(|_| admin(&r, c.get(&url)).send());
    let responses = futures_util::future::join_all(requests).await;
    let statuses: Vec<u16> = responses.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
    let ok = statuses.iter().filter(|s| **s == 200).count() as u64;
    let refused = statuses.iter().filter(|s| **s == 429).count() as u64;
    assert_eq!(ok + refused, 16, "{statuses:?}");
    assert!(refused >= 1, "{statuses:?}");
    let stats = r.sim.stats();
    assert_eq!(stats["rejected_429"], refused);
    assert_eq!(stats["peak_in_flight"], 2);
    assert_eq!(stats["requests"]["GET"], ok);
}

#[tokio::test]
async fn one_shot_faults_apply_in_order() {
    let (r, c) = start(Options::default()).await;
    let doc = set_faults(
        &r.url,
        &c,
        json!({"next": [
            {"kind": "status", "status": 429, "retry_after": "2", "reset_in_secs": 60},
            {"kind": "status", "status": 500},
            {"kind": "drop"},
            {"kind": "truncate"},
            {"kind": "accepted_empty"},
            {"kind": "html"},
        ]}),
    )
    .await;
    assert_eq!(doc["next"].as_array().unwrap().len(), 6);
    let url = format!("{}/api/now/table/sys_user?sysparm_limit=3", r.url);
    let resp = admin(&r, c.get(&url)).send().await.unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "2");
    assert!(resp.headers().contains_key("x-ratelimit-reset"));
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["message"],
        "Rate limit exceeded"
    );
    let resp = admin(&r, c.get(&url)).send().await.unwrap();
    assert_eq!(resp.status(), 500);
    assert_eq!(resp.json::<Value>().await.unwrap()["status"], "failure");
    let dropped = admin(&r, c.get(&url)).send().await;
    assert!(
        dropped.is_err(),
        "a dropped connection is an error, not a response: {dropped:?}"
    );
    let resp = admin(&r, c.get(&url)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "truncated body must not parse: {text}"
    );
    let resp = admin(&r, c.get(&url)).send().await.unwrap();
    assert_eq!(resp.status(), 202);
    assert!(resp.text().await.unwrap().is_empty());
    let resp = admin(&r, c.get(&url)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let resp = admin(&r, c.get(&url)).send().await.unwrap();
    assert_eq!(
        resp.json::<Value>().await.unwrap()["result"].as_array().unwrap().len(),
        3
    );
}

#[tokio::test]
async fn hibernation_answers_every_route_with_html_and_clears() {
    let (r, c) = start(Options::default()).await;
    set_faults(&r.url, &c, json!({"hibernating": true})).await;
    for resp in [
        admin(&r, c.get(format!("{}/api/now/table/sys_user", r.url)))
            .send()
            .await
            .unwrap(),
        c.post(format!("{}/oauth_token.do", r.url))
            .form(&[("grant_type", "password")])
            .send()
            .await
            .unwrap(),
        admin(&r, c.post(format!("{}/api/now/v1/batch", r.url)))
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(resp.status(), 200);
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(resp.text().await.unwrap().contains("Your instance is hibernating"));
    }
    let doc: Value = c
        .post(format!("{}/sim/faults/clear", r.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["hibernating"], false);
    let resp = admin(&r, c.get(format!("{}/api/now/table/sys_user", r.url)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
}

#[tokio::test]
async fn hourly_rate_rule_sends_headers_then_429() {
    let (r, c) = start(Options {
        rate_limit_per_hour: Some(2),
        ..Options::default()
    })
    .await;
    let url = format!("{}/api/now/table/sys_user_role", r.url);
    for _ in 0..2 {
        let resp = admin(&r, c.get(&url)).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["x-ratelimit-limit"], "2");
        assert!(resp.headers().contains_key("x-ratelimit-reset"));
        assert!(resp.headers().contains_key("x-ratelimit-rule"));
    }
    let resp = admin(&r, c.get(&url)).send().await.unwrap();
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().contains_key("retry-after"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["error"]["detail"],
        "Rate limit of 2 requests per hour for Table API exceeded"
    );
    let doc = set_faults(&r.url, &c, json!({"rate_limit_per_hour": null})).await;
    assert_eq!(doc["rate_limit_per_hour"], Value::Null);
    assert_eq!(admin(&r, c.get(&url)).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn full_fault_rate_gives_only_500s_or_dropped_connections() {
    let (r, c) = start(Options {
        fault_rate: 1.0,
        ..Options::default()
    })
    .await;
    for _ in 0..10 {
        // A dropped connection is an Err; anything that answers must be a 500.
        if let Ok(resp) = admin(&r, c.get(format!("{}/api/now/table/sys_user", r.url)))
            .send()
            .await
        {
            assert_eq!(resp.status(), 500);
        }
    }
    let stats: Value = c
        .get(format!("{}/sim/stats", r.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"]["GET"], 0);
}

async fn post_user(r: &Running, c: &reqwest::Client, user_name: &str) -> Result<reqwest::Response, reqwest::Error> {
    admin(r, c.post(format!("{}/api/now/table/sys_user", r.url)))
        .json(&json!({"user_name": user_name}))
        .send()
        .await
}

async fn rows_named(r: &Running, c: &reqwest::Client, user_name: &str) -> usize {
    let url = format!("{}/api/now/table/sys_user?sysparm_query=user_name={user_name}", r.url);
    let body: Value = admin(r, c.get(url)).send().await.unwrap().json().await.unwrap();
    body["result"].as_array().unwrap().len()
}

#[tokio::test]
async fn queued_faults_hit_only_their_phase() {
    let (r, c) = start(Options::default()).await;
    set_faults(
        &r.url,
        &c,
        json!({"next": [
            {"kind": "status", "status": 503, "phase": "membership"},
            {"kind": "html", "phase": "write"},
        ]}),
    )
    .await;
    let read = admin(&r, c.get(format!("{}/api/now/table/sys_user_role", r.url)))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    assert!(
        read.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let write = post_user(&r, &c, "phase.write").await.unwrap();
    assert!(
        write.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(
        rows_named(&r, &c, "phase.write").await,
        0,
        "an HTML answer acted on nothing"
    );
    let member = admin(&r, c.post(format!("{}/api/now/table/sys_user_grmember", r.url)))
        .json(&json!({"user": "x", "group": "y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(member.status(), 503);
    assert_eq!(post_user(&r, &c, "phase.write").await.unwrap().status(), 201);
    let stats = r.sim.stats();
    assert_eq!(stats["faults"]["html"], 1);
    assert_eq!(stats["faults"]["status"], 1);
}

#[tokio::test]
async fn drop_after_stores_the_write_and_loses_the_answer() {
    // The fault that breeds duplicates: the row exists, the client saw no answer.
    let (r, c) = start(Options::default()).await;
    set_faults(&r.url, &c, json!({"next": [{"kind": "drop_after", "phase": "write"}]})).await;
    let lost = post_user(&r, &c, "dropped.after").await;
    assert!(lost.is_err(), "no answer: {lost:?}");
    assert_eq!(rows_named(&r, &c, "dropped.after").await, 1);
    let stats = r.sim.stats();
    assert_eq!(stats["faults"]["drop_after"], 1);
    assert_eq!(stats["by_table"]["sys_user"]["POST"], 1);
    // `drop` (before acting) stores nothing.
    set_faults(&r.url, &c, json!({"next": [{"kind": "drop", "phase": "write"}]})).await;
    assert!(post_user(&r, &c, "dropped.before").await.is_err());
    assert_eq!(rows_named(&r, &c, "dropped.before").await, 0);
}

/// Review R6: a gateway (the load balancer, a proxy) answers 502 or 504 while the instance
/// runs the transaction on (servicenow.md §4.3): the row exists, the client saw an error.
#[tokio::test]
async fn gateway_after_stores_the_write_and_answers_the_gateways_status() {
    let (r, c) = start(Options::default()).await;
    for (status, name) in [(502, "gateway.bad"), (504, "gateway.timeout")] {
        set_faults(
            &r.url,
            &c,
            json!({"next": [{"kind": "gateway_after", "status": status, "phase": "write"}]}),
        )
        .await;
        let answer = post_user(&r, &c, name).await.unwrap();
        assert_eq!(answer.status().as_u16(), status);
        assert_eq!(rows_named(&r, &c, name).await, 1, "{name} stored");
    }
    assert_eq!(r.sim.stats()["faults"]["gateway_after"], 2);
}

#[tokio::test]
async fn persistent_rates_apply_to_their_phase_until_replaced() {
    let (r, c) = start(Options::default()).await;
    let doc = set_faults(
        &r.url,
        &c,
        json!({"rates": [{"phase": "read", "rate": 1.0, "kind": "accepted_empty"},
                         {"phase": "write", "rate": 1.0, "kind": "status", "status": 429}]}),
    )
    .await;
    assert_eq!(doc["rates"].as_array().unwrap().len(), 2);
    for _ in 0..3 {
        let resp = admin(&r, c.get(format!("{}/api/now/table/sys_user", r.url)))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 202);
        assert!(resp.text().await.unwrap().is_empty());
    }
    let resp = post_user(&r, &c, "rated").await.unwrap();
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().get("retry-after").is_none(), "a 429 without Retry-After");
    set_faults(&r.url, &c, json!({"rates": []})).await;
    assert_eq!(post_user(&r, &c, "rated").await.unwrap().status(), 201);
    assert_eq!(r.sim.stats()["faults"]["accepted_empty"], 3);
}

#[tokio::test]
async fn quota_cancelled_reads_answer_200_with_a_partial_result_and_the_error() {
    let (r, c) = start(Options {
        snow_users: 20,
        ..Options::default()
    })
    .await;
    set_faults(&r.url, &c, json!({"quota_max_rows": 5})).await;
    let url = format!(
        "{}/api/now/table/sys_user?sysparm_query=ORDERBYsys_id&sysparm_limit=10",
        r.url
    );
    let resp = admin(&r, c.get(&url)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-total-count"], "22");
    let text = resp.text().await.unwrap();
    assert!(text.starts_with("{\"result\":["), "result comes first: {text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["result"].as_array().unwrap().len(), 5);
    assert_eq!(
        body["error"]["message"],
        "Transaction cancelled: maximum execution time exceeded"
    );
    assert_eq!(body["status"], "failure");
    let small = format!("{}/api/now/table/sys_user?sysparm_limit=5", r.url);
    let body: Value = admin(&r, c.get(&small)).send().await.unwrap().json().await.unwrap();
    assert!(body.get("error").is_none(), "five rows fit: {body}");
    set_faults(
        &r.url,
        &c,
        json!({"quota_max_rows": null, "next": [{"kind": "quota_cancelled", "phase": "read"},
                                                {"kind": "quota_queued", "phase": "write"}]}),
    )
    .await;
    let body: Value = admin(&r, c.get(&url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["result"].as_array().unwrap().len(), 5, "half of the page");
    assert_eq!(body["status"], "failure");
    let queued = post_user(&r, &c, "queued.write").await.unwrap();
    assert_eq!(queued.status(), 500);
    assert_eq!(
        rows_named(&r, &c, "queued.write").await,
        0,
        "cancelled while queued: nothing done"
    );
}

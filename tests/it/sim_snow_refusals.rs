//! Per-record refusals and how an instance changes values as it stores them, over HTTP
//! (spec §13 #2, #6, #7).

use nowsync::sim::snow::{Options, Running};
use serde_json::{Value, json};

use crate::sim_snow::{admin, start};

async fn faults(r: &Running, c: &reqwest::Client, body: Value) -> reqwest::Response {
    c.post(format!("{}/sim/faults", r.url))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn post(r: &Running, c: &reqwest::Client, table: &str, query: &str, body: Value) -> (u16, Value) {
    let resp = admin(r, c.post(format!("{}/api/now/table/{table}{query}", r.url)))
        .json(&body)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
}

async fn count(r: &Running, c: &reqwest::Client, table: &str, query: &str) -> usize {
    let url = format!("{}/api/now/table/{table}?sysparm_query={query}", r.url);
    let body: Value = admin(r, c.get(url)).send().await.unwrap().json().await.unwrap();
    body["result"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_data_policy_refuses_only_the_records_it_names() {
    let (r, c) = start(Options::default()).await;
    let switch = json!({"refusals": [{"kind": "data_policy", "fields": ["employee_number"],
                                     "when": "titleLIKEcontractor", "operation": "insert"}]});
    assert_eq!(faults(&r, &c, switch).await.status(), 200);
    let (status, body) = post(
        &r,
        &c,
        "sys_user",
        "",
        json!({"user_name": "c.one", "title": "Contractor"}),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        body,
        json!({"error": {"message": "Operation Failed",
                         "detail": "Data Policy Exception: \n\tThe following fields are mandatory: Employee number"},
               "status": "failure"})
    );
    assert_eq!(
        count(&r, &c, "sys_user", "user_name=c.one").await,
        0,
        "a refused record is not stored"
    );
    let with = json!({"user_name": "c.two", "title": "Contractor", "employee_number": "E9"});
    assert_eq!(post(&r, &c, "sys_user", "", with).await.0, 201);
    assert_eq!(
        post(
            &r,
            &c,
            "sys_user",
            "",
            json!({"user_name": "e.one", "title": "Engineer"})
        )
        .await
        .0,
        201
    );
    let bad = faults(&r, &c, json!({"refusals": [{"kind": "data_policy"}]})).await;
    assert_eq!(bad.status(), 400, "a data policy needs its mandatory fields");
}

#[tokio::test]
async fn business_rules_unique_keys_and_acls_refuse_with_their_wording() {
    let (r, c) = start(Options::default()).await;
    faults(
        &r,
        &c,
        json!({"refusals": [
            {"kind": "business_rule", "name": "Block external domains", "when": "emailENDSWITH@external.example"},
            {"kind": "unique_key", "fields": ["email"], "when": "email=taken@contoso.com"},
            {"kind": "acl", "table": "sys_user_grmember", "operation": "insert"},
            {"kind": "acl", "operation": "update", "when": "user_name=admin"},
        ]}),
    )
    .await;
    let (status, body) = post(
        &r,
        &c,
        "sys_user",
        "",
        json!({"user_name": "x.y", "email": "x@external.example"}),
    )
    .await;
    assert_eq!(status, 403);
    let detail = body["error"]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("Operation against file 'sys_user' was aborted by Business Rule 'Block external domains^"),
        "{detail}"
    );
    let (status, body) = post(
        &r,
        &c,
        "sys_user",
        "",
        json!({"user_name": "t.k", "email": "taken@contoso.com"}),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        body["error"]["detail"],
        "Unique Key violation detected by database (Duplicate entry 'taken@contoso.com' for key 'email')"
    );
    let (status, user) = post(&r, &c, "sys_user", "", json!({"user_name": "fine.user"})).await;
    assert_eq!(status, 201);
    let (_, group) = post(&r, &c, "sys_user_group", "", json!({"name": "Fine group"})).await;
    let member = json!({"user": user["result"]["sys_id"], "group": group["result"]["sys_id"]});
    let (status, body) = post(&r, &c, "sys_user_grmember", "", member).await;
    assert_eq!(status, 403, "the whole table operation is refused");
    assert_eq!(
        body["error"]["detail"],
        "ACL Exception Insert Failed due to security constraints"
    );
    // One record's ACL: the admin row cannot be updated, another can.
    let ids = |name: &str| format!("{}/api/now/table/sys_user?sysparm_query=user_name={name}", r.url);
    for (name, want) in [("admin", 403), ("fine.user", 200)] {
        let body: Value = admin(&r, c.get(ids(name))).send().await.unwrap().json().await.unwrap();
        let id = body["result"][0]["sys_id"].as_str().unwrap().to_owned();
        let resp = admin(&r, c.patch(format!("{}/api/now/table/sys_user/{id}", r.url)))
            .json(&json!({"title": "Changed"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), want, "{name}");
    }
    // Refusals reach batch items too, and go away when replaced.
    let payload = base64_json(&json!({"user_name": "b.item", "email": "b@external.example"}));
    let batch = json!({"batch_request_id": "1", "rest_requests": [
        {"id": "1", "method": "POST", "url": "/api/now/table/sys_user", "body": payload}]});
    let resp: Value = admin(&r, c.post(format!("{}/api/now/v1/batch", r.url)))
        .json(&batch)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(resp["serviced_requests"][0]["status_code"], 403);
    faults(&r, &c, json!({"refusals": []})).await;
    let (status, _) = post(
        &r,
        &c,
        "sys_user",
        "",
        json!({"user_name": "x.y", "email": "x@external.example"}),
    )
    .await;
    assert_eq!(status, 201);
}

fn base64_json(v: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(v).unwrap())
}

#[tokio::test]
async fn an_acl_on_delete_keeps_the_row() {
    let (r, c) = start(Options::default()).await;
    let (_, user) = post(&r, &c, "sys_user", "", json!({"user_name": "kept.user"})).await;
    let id = user["result"]["sys_id"].as_str().unwrap().to_owned();
    faults(&r, &c, json!({"refusals": [{"kind": "acl", "operation": "delete"}]})).await;
    let resp = admin(&r, c.delete(format!("{}/api/now/table/sys_user/{id}", r.url)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(count(&r, &c, "sys_user", "user_name=kept.user").await, 1);
}

#[tokio::test]
async fn four_byte_characters_become_question_marks_on_mariadb_instances() {
    let (r, c) = start(Options::default()).await;
    let (_, body) = post(
        &r,
        &c,
        "sys_user",
        "",
        json!({"user_name": "emoji.off", "first_name": "Ana 🚀"}),
    )
    .await;
    assert_eq!(body["result"]["first_name"], "Ana 🚀", "off by default");
    faults(&r, &c, json!({"four_byte_as_question": true})).await;
    let (_, body) = post(
        &r,
        &c,
        "sys_user",
        "",
        json!({"user_name": "emoji.on", "first_name": "Ana 🚀", "last_name": "Émile"}),
    )
    .await;
    assert_eq!(body["result"]["first_name"], "Ana ?");
    assert_eq!(body["result"]["last_name"], "Émile", "2-byte characters stay");
    assert_eq!(body["result"]["name"], "Ana ? Émile");
}

#[tokio::test]
async fn choice_labels_written_as_display_values_store_the_choice_value() {
    let (r, c) = start(Options::default()).await;
    let display = "?sysparm_input_display_value=true";
    let (_, body) = post(
        &r,
        &c,
        "sys_user",
        display,
        json!({"user_name": "ch.one", "country": "United States", "preferred_language": "GERMAN"}),
    )
    .await;
    assert_eq!(
        (
            body["result"]["country"].as_str(),
            body["result"]["preferred_language"].as_str()
        ),
        (Some("US"), Some("de"))
    );
    let (_, body) = post(
        &r,
        &c,
        "sys_user",
        display,
        json!({"user_name": "ch.two", "country": "gb"}),
    )
    .await;
    assert_eq!(body["result"]["country"], "GB");
    let (_, body) = post(
        &r,
        &c,
        "sys_user",
        "",
        json!({"user_name": "ch.three", "country": "gb"}),
    )
    .await;
    assert_eq!(body["result"]["country"], "gb", "raw values are stored as given");
    assert_eq!(
        count(&r, &c, "sys_choice", "name=sys_user^element=country^value=US").await,
        1
    );
}

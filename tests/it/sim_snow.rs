//! The ServiceNow simulator over HTTP: CRUD, queries, paging headers, auth, batch, stats.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use nowsync::sim::snow::{self, Options, Running};
use serde_json::{Value, json};

pub async fn start(options: Options) -> (Running, reqwest::Client) {
    let running = snow::spawn(options).await.unwrap();
    (running, reqwest::Client::new())
}

pub fn admin(r: &Running, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    rb.basic_auth(&r.admin_user, Some(&r.admin_password))
}

async fn get_json(r: &Running, c: &reqwest::Client, path: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let resp = admin(r, c.get(format!("{}{path}", r.url))).send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

#[tokio::test]
async fn list_pages_with_total_and_link() {
    let (r, c) = start(Options {
        snow_users: 25,
        ..Options::default()
    })
    .await;
    let (status, headers, body) =
        get_json(&r, &c, "/api/now/v2/table/sys_user?sysparm_query=ORDERBYsys_id&sysparm_limit=10&sysparm_offset=10&sysparm_fields=sys_id,user_name").await;
    assert_eq!(status, 200);
    assert_eq!(headers["x-total-count"], "27");
    assert_eq!(headers["content-type"], "application/json;charset=UTF-8");
    assert_eq!(body["result"].as_array().unwrap().len(), 10);
    let link = headers["link"].to_str().unwrap();
    assert!(link.contains("rel=\"first\""), "{link}");
    assert!(
        link.contains("sysparm_offset=0&sysparm_limit=10>;rel=\"prev\""),
        "{link}"
    );
    assert!(
        link.contains("sysparm_offset=20&sysparm_limit=10>;rel=\"next\""),
        "{link}"
    );
    assert!(link.contains("sysparm_fields=sys_id,user_name"), "{link}");
    assert!(
        link.starts_with(&format!("<{}/api/now/v2/table/sys_user?", r.url)),
        "{link}"
    );
    // Ordered by sys_id and no overlap between pages.
    let ids: Vec<String> = body["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["sys_id"].as_str().unwrap().to_owned())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    let (_, headers, _) = get_json(
        &r,
        &c,
        "/api/now/v2/table/sys_user?sysparm_no_count=true&sysparm_suppress_pagination_header=TRUE&sysparm_limit=5",
    )
    .await;
    assert!(headers.get("x-total-count").is_none());
    assert!(headers.get("link").is_none());
    let (_, headers, _) = get_json(&r, &c, "/api/now/table/sys_user_role").await;
    assert!(headers.get("link").is_none(), "single page has no Link");
}

#[tokio::test]
async fn empty_list_is_404_on_v1_and_empty_on_v2() {
    let (r, c) = start(Options::default()).await;
    let q = "?sysparm_query=user_name=nobody.here";
    let (status, _, body) = get_json(&r, &c, &format!("/api/now/v1/table/sys_user{q}")).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["message"], "No Record found");
    let (status, _, body) = get_json(&r, &c, &format!("/api/now/v2/table/sys_user{q}")).await;
    assert_eq!((status, body), (200, json!({"result": []})));
    let (status, _, body) = get_json(&r, &c, &format!("/api/now/table/sys_user{q}")).await;
    assert_eq!((status, body), (200, json!({"result": []})));
}

#[tokio::test]
async fn unknown_paths_and_tables_are_400() {
    let (r, c) = start(Options::default()).await;
    let (status, _, body) = get_json(&r, &c, "/api/now/nothing/here").await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"error": {"message": "Requested URI does not represent any resource", "detail": null}, "status": "failure"})
    );
    let (status, _, body) = get_json(&r, &c, "/api/now/table/no_such_table").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["message"], "Invalid table no_such_table");
}

#[tokio::test]
async fn crud_round_trip_with_pysnow_style_sticky_params() {
    let (r, c) = start(Options::default()).await;
    let sticky = "sysparm_display_value=False&sysparm_exclude_reference_link=False&sysparm_suppress_pagination_header=False&sysparm_view=&sysparm_fields=&sysparm_query=user_name%3Dx";
    let resp = admin(&r, c.post(format!("{}/api/now/table/sys_user?{sticky}", r.url)))
        .json(&json!({"user_name": "ada.lovelace", "first_name": "Ada", "last_name": "Lovelace", "active": true, "bogus": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let rec: Value = resp.json().await.unwrap();
    let id = rec["result"]["sys_id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("{}/api/now/table/sys_user/{id}", r.url));
    assert_eq!(rec["result"]["name"], "Ada Lovelace");
    assert_eq!(rec["result"]["active"], "true");
    assert_eq!(rec["result"]["sys_created_by"], r.admin_user.as_str());
    assert_eq!(rec["result"]["sys_mod_count"], "0");
    assert!(rec["result"].get("bogus").is_none());

    let resp = admin(
        &r,
        c.patch(format!("{}/api/now/v2/table/sys_user/{id}?{sticky}", r.url)),
    )
    .json(&json!({"active": "FALSE", "sys_created_by": "mallory"}))
    .send()
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
    let rec: Value = resp.json().await.unwrap();
    assert_eq!(rec["result"]["active"], "false");
    assert_eq!(rec["result"]["locked_out"], "true");
    assert_eq!(rec["result"]["sys_mod_count"], "1");
    assert_eq!(rec["result"]["sys_created_by"], r.admin_user.as_str());
    assert_eq!(rec["result"]["first_name"], "Ada", "PATCH merges");

    let resp = admin(&r, c.put(format!("{}/api/now/table/sys_user/{id}", r.url)))
        .json(&json!({"active": 1}))
        .send()
        .await
        .unwrap();
    let rec: Value = resp.json().await.unwrap();
    assert_eq!(rec["result"]["active"], "true");
    assert_eq!(
        rec["result"]["locked_out"], "true",
        "re-enabling does not clear locked_out"
    );

    let resp = admin(&r, c.delete(format!("{}/api/now/table/sys_user/{id}?{sticky}", r.url)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let resp = admin(&r, c.delete(format!("{}/api/now/table/sys_user/{id}", r.url)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let (status, _, body) = get_json(&r, &c, &format!("/api/now/table/sys_user/{id}")).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["message"], "No Record found");
}

#[tokio::test]
async fn writes_reject_duplicates_malformed_json_and_cut_long_strings() {
    let (r, c) = start(Options::default()).await;
    let post = |body: &'static str| {
        admin(&r, c.post(format!("{}/api/now/table/sys_user", r.url)))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let resp = post(r#"{"user_name":"ADMIN"}"#).await.unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["message"],
        "Operation Failed"
    );
    let resp = post("{not json").await.unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["message"],
        "Exception while reading request"
    );
    let long = "x".repeat(60);
    let resp = admin(&r, c.post(format!("{}/api/now/table/sys_user", r.url)))
        .json(&json!({"user_name": long}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["result"]["user_name"]
            .as_str()
            .unwrap()
            .len(),
        40
    );

    let (r2, c2) = start(Options {
        reject_too_long: true,
        ..Options::default()
    })
    .await;
    let resp = admin(&r2, c2.post(format!("{}/api/now/table/sys_user", r2.url)))
        .json(&json!({"user_name": long}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn references_render_and_resolve_display_values() {
    let (r, c) = start(Options::default()).await;
    let resp = admin(
        &r,
        c.post(format!(
            "{}/api/now/table/sys_user?sysparm_input_display_value=true",
            r.url
        )),
    )
    .json(&json!({"user_name": "ref.user", "department": "engineering", "location": "Nowhere"}))
    .send()
    .await
    .unwrap();
    let rec: Value = resp.json().await.unwrap();
    let dept = &rec["result"]["department"];
    assert_eq!(dept["value"].as_str().unwrap().len(), 32);
    assert!(
        dept["link"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/api/now/table/cmn_department/", r.url))
    );
    assert_eq!(rec["result"]["location"], "");
    let (_, _, body) = get_json(&r, &c, "/api/now/v2/table/sys_user?user_name=ref.user&sysparm_display_value=true&sysparm_exclude_reference_link=true&sysparm_fields=department,department.name,user_name").await;
    assert_eq!(
        body["result"][0],
        json!({"department": "Engineering", "department.name": "Engineering", "user_name": "ref.user"})
    );
    // Name-value filter on a reference resolves the display value.
    let (_, _, body) = get_json(
        &r,
        &c,
        "/api/now/v2/table/sys_user?department=Engineering&user_name=ref.user&sysparm_fields=user_name",
    )
    .await;
    assert_eq!(body["result"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn membership_grants_group_roles_and_admin_check_sees_roles() {
    let (r, c) = start(Options::default()).await;
    let (_, _, body) = get_json(
        &r,
        &c,
        "/api/now/table/sys_user_group?sysparm_query=name=Service+Desk&sysparm_fields=sys_id",
    )
    .await;
    let group = body["result"][0]["sys_id"].as_str().unwrap().to_owned();
    let resp = admin(&r, c.post(format!("{}/api/now/table/sys_user", r.url)))
        .json(&json!({"user_name": "m.user"}))
        .send()
        .await
        .unwrap();
    let user = resp.json::<Value>().await.unwrap()["result"]["sys_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = admin(&r, c.post(format!("{}/api/now/table/sys_user_grmember", r.url)))
        .json(&json!({"user": user, "group": group}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let member = resp.json::<Value>().await.unwrap()["result"]["sys_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let q = "/api/now/table/sys_user_has_role?sysparm_query=user.user_name=m.user%5Erole.name=itil%5Estate=active&sysparm_fields=inherited,role.name&sysparm_exclude_reference_link=true";
    let (_, _, body) = get_json(&r, &c, q).await;
    assert_eq!(body["result"], json!([{"inherited": "true", "role.name": "itil"}]));
    let (_, _, body) = get_json(
        &r,
        &c,
        "/api/now/table/sys_user?sysparm_query=roles=itil%5Euser_name=m.user&sysparm_fields=roles",
    )
    .await;
    assert_eq!(body["result"], json!([{"roles": "itil"}]));
    admin(
        &r,
        c.delete(format!("{}/api/now/table/sys_user_grmember/{member}", r.url)),
    )
    .send()
    .await
    .unwrap();
    let (_, _, body) = get_json(&r, &c, q).await;
    assert_eq!(body["result"], json!([]));
    // The admin check of spec §3.3, as the admin.
    let q = format!(
        "/api/now/table/sys_user_has_role?sysparm_query=user.user_name={}%5Erole.name=admin%5Estate=active&sysparm_limit=1",
        r.admin_user
    );
    let (_, _, body) = get_json(&r, &c, &q).await;
    assert_eq!(body["result"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn reader_is_not_admin_and_cannot_write() {
    let (r, c) = start(Options::default()).await;
    let reader = |rb: reqwest::RequestBuilder| rb.basic_auth(snow::READER_USER, Some(snow::READER_PASSWORD));
    let q = format!(
        "{}/api/now/table/sys_user_has_role?sysparm_query=role.name=admin",
        r.url
    );
    let body: Value = reader(c.get(&q)).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["result"], json!([]), "silent ACL hides other users' role rows");
    let q = format!(
        "{}/api/now/table/sys_user_has_role?sysparm_query=user=javascript:gs.getUserID()",
        r.url
    );
    let body: Value = reader(c.get(&q)).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["result"].as_array().unwrap().len(), 1);
    let resp = reader(c.get(format!("{}/api/now/table/sys_user?sysparm_limit=1", r.url)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = reader(c.post(format!("{}/api/now/table/sys_user_group", r.url)))
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["error"]["detail"],
        "ACL Exception Insert Failed due to security constraints"
    );
}

#[tokio::test]
async fn basic_auth_failures_are_401_with_realm() {
    let (r, c) = start(Options::default()).await;
    for rb in [
        c.get(format!("{}/api/now/table/sys_user", r.url)),
        c.get(format!("{}/api/now/table/sys_user", r.url))
            .basic_auth("admin", Some("wrong")),
    ] {
        let resp = rb.send().await.unwrap();
        assert_eq!(resp.status(), 401);
        assert_eq!(resp.headers()["www-authenticate"], "Basic realm=\"Service-now\"");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            body,
            json!({"error": {"message": "User is not authenticated", "detail": "Required to provide Auth information"}, "status": "failure"})
        );
    }
}

#[tokio::test]
async fn oauth_grants_both_client_auth_styles_refresh_and_expiry() {
    let (r, c) = start(Options::default()).await;
    let token_url = format!("{}/oauth_token.do", r.url);
    let form = [
        ("grant_type", "password"),
        ("username", r.admin_user.as_str()),
        ("password", r.admin_password.as_str()),
    ];
    let tok: Value = c
        .post(&token_url)
        .basic_auth(snow::OAUTH_CLIENT_ID, Some(snow::OAUTH_CLIENT_SECRET))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tok["expires_in"], 1799);
    assert_eq!(tok["token_type"], "Bearer");
    let access = tok["access_token"].as_str().unwrap().to_owned();
    let resp = c
        .get(format!("{}/api/now/table/sys_user_role", r.url))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", snow::OAUTH_CLIENT_ID),
        ("client_secret", snow::OAUTH_CLIENT_SECRET),
    ];
    let resp = c.post(&token_url).form(&form).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    r.sim.expire_tokens();
    let resp = c
        .get(format!("{}/api/now/table/sys_user_role", r.url))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", tok["refresh_token"].as_str().unwrap()),
        ("client_id", snow::OAUTH_CLIENT_ID),
        ("client_secret", snow::OAUTH_CLIENT_SECRET),
    ];
    let tok2: Value = c
        .post(&token_url)
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let resp = c
        .get(format!("{}/api/now/table/sys_user_role", r.url))
        .bearer_auth(tok2["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = c
        .get(format!("{}/api/now/table/sys_user_role", r.url))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let bad = [("grant_type", "password"), ("username", "admin"), ("password", "nope")];
    let resp = c
        .post(&token_url)
        .basic_auth(snow::OAUTH_CLIENT_ID, Some(snow::OAUTH_CLIENT_SECRET))
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"error_description": "access_denied", "error": "server_error"})
    );
    assert_eq!(r.sim.stats()["oauth"], 4);
}

#[tokio::test]
async fn batch_runs_items_and_counts_them_by_method() {
    let (r, c) = start(Options::default()).await;
    let body = STANDARD.encode(r#"{"name":"Batch Group"}"#);
    let req = json!({"batch_request_id": "1", "rest_requests": [
        {"id": "a", "method": "POST", "url": "/api/now/table/sys_user_group", "headers": [{"name": "Content-Type", "value": "application/json"}], "body": body},
        {"id": "b", "method": "GET", "url": "/api/now/table/sys_user_group?sysparm_query=name=Batch+Group&sysparm_fields=name", "exclude_response_headers": true},
    ]});
    let resp: Value = admin(&r, c.post(format!("{}/api/now/v1/batch", r.url)))
        .json(&req)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = resp["serviced_requests"].as_array().unwrap();
    assert_eq!(items[0]["status_code"], 201);
    assert_eq!(items[0]["status_text"], "Created");
    assert_eq!(items[1]["status_code"], 200);
    assert!(items[1]["execution_time"].is_u64());
    let decoded: Value = serde_json::from_slice(&STANDARD.decode(items[1]["body"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(decoded, json!({"result": [{"name": "Batch Group"}]}));
    assert_eq!(resp["unserviced_requests"], json!([]));
    let stats = r.sim.stats();
    assert_eq!(stats["batches"], 1);
    assert_eq!(stats["requests"]["POST"], 1);
    assert_eq!(stats["by_table"]["sys_user_group"]["GET"], 1);
}

#[tokio::test]
async fn control_routes_are_uncounted_and_stats_reset() {
    let (r, c) = start(Options::default()).await;
    let accounts: Value = c
        .get(format!("{}/sim/accounts", r.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(accounts[0]["user_name"], "admin");
    assert_eq!(accounts[0]["password"], r.admin_password.as_str());
    assert_eq!(accounts[1]["roles"], json!(["itil"]));
    assert_eq!(accounts[2]["oauth_client_id"], snow::OAUTH_CLIENT_ID);
    get_json(&r, &c, "/api/now/table/sys_user?sysparm_limit=1").await;
    let stats: Value = c
        .get(format!("{}/sim/stats", r.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"]["GET"], 1);
    assert_eq!(stats["by_table"]["sys_user"]["GET"], 1);
    assert_eq!(stats["peak_in_flight"], 1);
    c.post(format!("{}/sim/stats/reset", r.url)).send().await.unwrap();
    let stats: Value = c
        .get(format!("{}/sim/stats", r.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"]["GET"], 0);
    assert_eq!(stats["by_table"], json!({}));
}

#[tokio::test]
async fn legacy_stats_count_and_dictionary_discovery() {
    let (r, c) = start(Options {
        snow_users: 5,
        ..Options::default()
    })
    .await;
    let (_, _, body) = get_json(&r, &c, "/api/now/stats/sys_user?sysparm_count=true").await;
    assert_eq!(body, json!({"result": {"stats": {"count": "7"}}}));
    let (_, _, body) = get_json(&r, &c, "/api/now/table/sys_dictionary?sysparm_query=name=sys_user%5Eactive=true%5EelementISNOTEMPTY%5Eelement=user_name&sysparm_fields=element,internal_type,max_length&sysparm_exclude_reference_link=true").await;
    assert_eq!(
        body["result"],
        json!([{"element": "user_name", "internal_type": "string", "max_length": "40"}])
    );
    let (_, _, body) = get_json(
        &r,
        &c,
        "/api/now/table/sys_db_object?sysparm_query=name=sys_user&sysparm_fields=super_class.name",
    )
    .await;
    let parent = body["result"][0]["super_class.name"].as_str().unwrap().to_owned();
    let (_, _, body) = get_json(
        &r,
        &c,
        &format!(
            "/api/now/table/sys_dictionary?sysparm_query=name={parent}%5Eelement=sys_id&sysparm_fields=max_length"
        ),
    )
    .await;
    assert_eq!(body["result"], json!([{"max_length": "32"}]));
}

#[tokio::test]
async fn planted_rows_method_override_and_long_urls() {
    let (r, c) = start(Options {
        snow_users: 0,
        ..Options::default()
    })
    .await;
    let id = r
        .sim
        .insert(
            "sys_user",
            &json!({"user_name": "planted.user", "email": "p@x.com", "active": false}),
        )
        .unwrap();
    let (_, _, body) = get_json(
        &r,
        &c,
        &format!("/api/now/table/sys_user/{id}?sysparm_fields=user_name,locked_out"),
    )
    .await;
    assert_eq!(
        body["result"],
        json!({"user_name": "planted.user", "locked_out": "true"})
    );
    let err = r
        .sim
        .insert("sys_user", &json!({"user_name": "PLANTED.user"}))
        .unwrap_err();
    assert_eq!(err.status, 403);
    assert!(r.sim.insert("nope", &json!({})).is_err());
    let resp = admin(&r, c.post(format!("{}/api/now/table/sys_user/{id}", r.url)))
        .header("X-http-method-override", "PATCH")
        .json(&json!({"title": "Pilot"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap()["result"]["title"], "Pilot");
    let long = "x".repeat(9000);
    let resp = admin(
        &r,
        c.get(format!(
            "{}/api/now/table/sys_user?sysparm_query=user_nameIN{long}",
            r.url
        )),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("Request header is too large"));
}

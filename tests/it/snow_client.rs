//! The ServiceNow client against the real simulator: CRUD on every table, whole-table reads,
//! schema, batch, OAuth, each injected fault, and test connection.

use std::time::Duration;

use nowsync::model::SysId;
use nowsync::model::check::{Outcome, Step};
use nowsync::net::retry::Policy;
use nowsync::secrets::Secret;
use nowsync::servicenow::{Auth, BatchOp, Client, ClientOptions, Cond, Error, Instance, ListParams, Query, check};
use nowsync::sim::snow::{self, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, Options, READER_PASSWORD, READER_USER, Running};
use serde_json::{Map, Value, json};

async fn sim(snow_users: usize) -> Running {
    snow::spawn(Options {
        snow_users,
        ..Options::default()
    })
    .await
    .unwrap()
}

fn admin(r: &Running) -> Auth {
    Auth::Basic {
        username: r.admin_user.clone(),
        password: Secret::new(r.admin_password.clone()),
    }
}

/// A client whose backoff waits are milliseconds (the simulator is real: no paused time here).
fn client_with(r: &Running, auth: Auth, options: ClientOptions) -> Client {
    let retry = Policy {
        base: Duration::from_millis(2),
        cap: Duration::from_millis(20),
        throttle_base: Duration::from_millis(2),
        throttle_cap: Duration::from_millis(20),
        ..options.retry
    };
    Client::new(
        Instance::parse(&r.url, false).unwrap(),
        auth,
        ClientOptions { retry, ..options },
    )
    .unwrap()
}

fn client(r: &Running) -> Client {
    client_with(r, admin(r), ClientOptions::default())
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

async fn faults(r: &Running, body: Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/sim/faults", r.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
}

#[tokio::test]
async fn crud_on_every_table() {
    let r = sim(5).await;
    let c = client(&r);
    let user = c
        .create(
            "sys_user",
            &obj(json!({"user_name": "crud.user", "first_name": "Crud"})),
        )
        .await
        .unwrap();
    let user_id = user.sys_id().unwrap();
    let group = c
        .create("sys_user_group", &obj(json!({"name": "Crud Group"})))
        .await
        .unwrap();
    let group_id = group.sys_id().unwrap();
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("cmn_department", json!({"name": "Crud Dept"}), "name", "Crud Dept 2"),
        ("cmn_location", json!({"name": "Crud City"}), "name", "Crud City 2"),
        ("core_company", json!({"name": "Crud Inc"}), "name", "Crud Inc 2"),
        (
            "sys_user_grmember",
            json!({"user": user_id.as_str(), "group": group_id.as_str()}),
            "group",
            "",
        ),
        (
            "sys_user",
            json!({"user_name": "crud.other", "email": "a@b.c"}),
            "title",
            "Engineer",
        ),
        (
            "sys_user_group",
            json!({"name": "Crud Other"}),
            "description",
            "changed",
        ),
    ];
    for (table, fields, field, new_value) in cases {
        let created = c
            .create(table, &obj(fields))
            .await
            .unwrap_or_else(|e| panic!("{table}: {e}"));
        let id = created.sys_id().unwrap();
        let got = c.get(table, &id, &[]).await.unwrap();
        assert_eq!(got.sys_id(), Some(id.clone()));
        let new_value = if new_value.is_empty() {
            group_id.as_str()
        } else {
            new_value
        };
        let updated = c.update(table, &id, &obj(json!({ field: new_value }))).await.unwrap();
        assert_eq!(updated.value(field).as_deref(), Some(new_value), "{table}.{field}");
        let q = Query::new().and(Cond::eq("sys_id", id.as_str()));
        let page = c.list_for_write(table, &ListParams::new(q)).await.unwrap();
        assert_eq!(page.records.len(), 1, "{table}");
        c.delete(table, &id).await.unwrap();
        let gone = c.get(table, &id, &["sys_id"]).await.unwrap_err();
        assert!(matches!(gone, Error::NotFound { .. }), "{table}: {gone:?}");
    }
}

#[tokio::test]
async fn whole_table_read_across_pages_sees_every_row_once() {
    let r = sim(60).await;
    for max_in_flight in [1, 8] {
        let c = client_with(
            &r,
            admin(&r),
            ClientOptions {
                page_size: 7,
                max_in_flight,
                ..Default::default()
            },
        );
        let mut ids = Vec::new();
        let mut pages = 0;
        let params = ListParams::default().fields(&["sys_id", "user_name"]);
        let n = c
            .read_all("sys_user", &params, |page| {
                pages += 1;
                ids.extend(page.iter().map(|r| r.value("sys_id").unwrap()));
            })
            .await
            .unwrap();
        let first = c.list("sys_user", &ListParams::default().limit(1)).await.unwrap();
        assert_eq!(Some(n), first.total);
        assert!(pages >= 3 && n > 60, "{pages} pages, {n} rows");
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, ids, "in sys_id order, no duplicates");
    }
}

/// Rows an ACL hides from the integration account are left out after `sysparm_limit` picked
/// the page (servicenow.md §1.2): whole pages come back empty, at the start and in the middle
/// of the key space, and every readable row is still read once.
#[tokio::test]
async fn whole_table_read_reads_every_readable_row_past_pages_acls_emptied() {
    let r = sim(120).await;
    let params = ListParams::default().fields(&["sys_id"]);
    let mut all = Vec::new();
    client(&r)
        .read_all("sys_user", &params, |p| {
            all.extend(p.iter().map(|r| r.value("sys_id").unwrap()))
        })
        .await
        .unwrap();
    // Hidden: the 30 smallest sys_ids (4 pages of 7 and more) and 20 in the middle.
    let (first, middle) = (&all[29], (&all[60], &all[79]));
    let query = format!("sys_id<={first}^NQsys_id>={}^sys_id<={}", middle.0, middle.1);
    faults(&r, json!({"acl_hidden": [{"table": "sys_user", "query": query}]})).await;
    let readable: Vec<String> = all[30..60].iter().chain(&all[80..]).cloned().collect();
    for max_in_flight in [1, 8] {
        let c = client_with(
            &r,
            admin(&r),
            ClientOptions {
                page_size: 7,
                max_in_flight,
                ..Default::default()
            },
        );
        let mut ids = Vec::new();
        let n = c
            .read_all("sys_user", &params, |p| {
                ids.extend(p.iter().map(|r| r.value("sys_id").unwrap()))
            })
            .await
            .unwrap();
        assert_eq!(ids, readable, "max_in_flight {max_in_flight}");
        assert_eq!(n, readable.len() as u64);
    }
    // X-Total-Count counts the rows the query matches before ACLs; the first page is empty.
    let first_page = client(&r)
        .list("sys_user", &ListParams::default().limit(7))
        .await
        .unwrap();
    assert!(first_page.records.is_empty(), "{:?}", first_page.records);
    assert_eq!(first_page.total, Some(all.len() as u64));
}

#[tokio::test]
async fn whole_table_reads_under_another_writer_skip_and_repeat_no_row() {
    let r = sim(300).await;
    for max_in_flight in [1, 8] {
        let c = client_with(
            &r,
            admin(&r),
            ClientOptions {
                page_size: 20,
                max_in_flight,
                ..Default::default()
            },
        );
        let params = ListParams::default().fields(&["sys_id"]);
        let mut before = Vec::new();
        c.read_all("sys_user", &params, |p| {
            before.extend(p.iter().map(|r| r.value("sys_id").unwrap()))
        })
        .await
        .unwrap();
        faults(&r, json!({"other_writer": {"every": 2, "insert": 2, "delete": 3}})).await;
        let mut seen = Vec::new();
        c.read_all("sys_user", &params, |p| {
            seen.extend(p.iter().map(|r| r.value("sys_id").unwrap()))
        })
        .await
        .unwrap();
        let doc: Value = reqwest::get(format!("{}/sim/faults", r.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        faults(&r, json!({"other_writer": null})).await;
        let deleted: std::collections::HashSet<&str> = doc["other_writer"]["deleted"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(!deleted.is_empty(), "the other writer deleted rows: {doc}");
        let missed: Vec<_> = before
            .iter()
            .filter(|id| !deleted.contains(id.as_str()) && !seen.contains(id))
            .collect();
        assert!(missed.is_empty(), "max_in_flight {max_in_flight}: skipped {missed:?}");
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, seen, "in sys_id order, none twice");
    }
}

#[tokio::test]
async fn schema_reads_dictionary_with_inheritance_and_guards_write_queries() {
    let r = sim(1).await;
    let c = client(&r);
    let s = c.schema("sys_user").await.unwrap();
    let user_name = s.field("user_name").unwrap();
    assert_eq!(user_name.max_length, Some(40));
    assert_eq!(
        s.field("department").unwrap().reference.as_deref(),
        Some("cmn_department")
    );
    // sys_domain_path is not a platform field the client adds itself: it comes from walking
    // sys_db_object.super_class to the parent table's dictionary rows.
    assert_eq!(s.parents, vec!["sys_metadata_record".to_owned()]);
    let inherited = s.field("sys_domain_path").unwrap();
    assert_eq!(inherited.defined_on, "sys_metadata_record");
    assert_eq!(user_name.defined_on, "sys_user");
    let typo = ListParams::new(Query::new().and(Cond::eq("user_nmae", "admin")));
    let err = c.list_for_write("sys_user", &typo).await.unwrap_err();
    assert!(
        matches!(err, Error::Query { .. }) && err.to_string().contains("user_nmae"),
        "{err}"
    );
    assert!(matches!(c.schema("no_such_table").await, Err(Error::NoSchema { .. })));
}

#[tokio::test]
async fn batch_writes_with_per_item_results() {
    let r = sim(1).await;
    let c = client(&r);
    let missing = SysId::parse(&"0".repeat(32)).unwrap();
    let ops = vec![
        BatchOp::Create {
            table: "sys_user_group".into(),
            fields: obj(json!({"name": "Batch A"})),
        },
        BatchOp::Create {
            table: "sys_user_group".into(),
            fields: obj(json!({"name": "Batch B"})),
        },
        BatchOp::Update {
            table: "sys_user_group".into(),
            sys_id: missing,
            fields: obj(json!({"name": "x"})),
        },
    ];
    let results = c.batch(&ops).await.unwrap();
    let a = results[0].as_ref().unwrap().as_ref().unwrap().sys_id().unwrap();
    assert!(results[1].is_ok());
    assert!(matches!(results[2], Err(Error::NotFound { .. })), "{:?}", results[2]);
    let del = c
        .batch(&[BatchOp::Delete {
            table: "sys_user_group".into(),
            sys_id: a.clone(),
        }])
        .await
        .unwrap();
    assert!(matches!(del[0], Ok(None)));
    assert!(matches!(
        c.get("sys_user_group", &a, &[]).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn oauth_password_grant_and_refresh_after_expiry() {
    let r = sim(1).await;
    let auth = Auth::OAuth {
        client_id: OAUTH_CLIENT_ID.into(),
        client_secret: Secret::new(OAUTH_CLIENT_SECRET),
        username: r.admin_user.clone(),
        password: Secret::new(r.admin_password.clone()),
    };
    let c = client_with(&r, auth, ClientOptions::default());
    c.list("sys_user", &ListParams::default().limit(1)).await.unwrap();
    r.sim.expire_tokens();
    c.list("sys_user", &ListParams::default().limit(1)).await.unwrap();
    assert!(r.sim.stats()["oauth"].as_u64().unwrap() >= 2);
    let bad = Auth::OAuth {
        client_id: OAUTH_CLIENT_ID.into(),
        client_secret: Secret::new("wrong"),
        username: r.admin_user.clone(),
        password: Secret::new(r.admin_password.clone()),
    };
    let err = client_with(&r, bad, ClientOptions::default())
        .list("sys_user", &ListParams::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OAuth { .. }) && err.is_connection(), "{err:?}");
}

#[tokio::test]
async fn each_injected_fault_gives_its_typed_error_without_retries() {
    let r = sim(1).await;
    let c = client_with(
        &r,
        admin(&r),
        ClientOptions {
            // One attempt, and no throttle waited out: each fault's own error comes back.
            retry: Policy {
                max_attempts: 1,
                throttle_budget: Duration::ZERO,
                ..Policy::default()
            },
            ..Default::default()
        },
    );
    type Check = fn(&Error) -> bool;
    let cases: Vec<(Value, Check)> = vec![
        (json!({"kind": "status", "status": 401}), |e| {
            matches!(e, Error::Unauthorized { .. })
        }),
        (json!({"kind": "status", "status": 403}), |e| {
            matches!(e, Error::Forbidden { detail: Some(_), .. })
        }),
        (json!({"kind": "status", "status": 404}), |e| {
            matches!(e, Error::NotFound { .. })
        }),
        (json!({"kind": "status", "status": 429, "retry_after": "1"}), |e| {
            e.retry_after() == Some(Duration::from_secs(1))
        }),
        (json!({"kind": "status", "status": 429}), |e| {
            matches!(e, Error::RateLimited { retry_after: None, .. })
        }),
        (json!({"kind": "accepted_empty"}), |e| {
            matches!(e, Error::AcceptedEmpty { .. })
        }),
        (json!({"kind": "status", "status": 500}), |e| {
            matches!(e, Error::Server { status: 500, .. })
        }),
        (json!({"kind": "status", "status": 503}), |e| {
            matches!(e, Error::Server { status: 503, .. })
        }),
        (json!({"kind": "html"}), |e| matches!(e, Error::NotServiceNow { .. })),
        (json!({"kind": "truncate"}), |e| matches!(e, Error::Truncated { .. })),
        (json!({"kind": "drop"}), |e| {
            matches!(e, Error::Dropped { .. } | Error::Truncated { .. })
        }),
    ];
    for (fault, check) in cases {
        faults(&r, json!({"next": [fault.clone()]})).await;
        let err = c.list("sys_user", &ListParams::default().limit(1)).await.unwrap_err();
        assert!(check(&err), "{fault}: {err:?}");
        assert!(err.to_string().contains("sys_user") && err.to_string().contains(&r.url));
        assert!(!err.to_string().contains(&r.admin_password));
        c.list("sys_user", &ListParams::default().limit(1)).await.unwrap();
    }
}

#[tokio::test]
async fn transient_faults_are_retried_to_success() {
    let r = sim(1).await;
    let c = client(&r);
    let next = json!([
        {"kind": "status", "status": 429, "retry_after": "1"},
        {"kind": "status", "status": 429},
        {"kind": "accepted_empty"},
        {"kind": "status", "status": 500},
    ]);
    faults(&r, json!({"next": next})).await;
    let started = std::time::Instant::now();
    c.list("sys_user", &ListParams::default().limit(1)).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After was honoured");
    faults(
        &r,
        json!({"next": [{"kind": "truncate"}, {"kind": "drop"}, {"kind": "status", "status": 502}]}),
    )
    .await;
    let page = c.read_all("sys_user", &ListParams::default(), |_| {}).await.unwrap();
    assert!(page > 0);
    faults(
        &r,
        json!({"next": [{"kind": "status", "status": 429, "reset_in_secs": 0}]}),
    )
    .await;
    c.list("sys_user", &ListParams::default().limit(1)).await.unwrap();
}

#[tokio::test]
async fn hibernating_instance_is_named() {
    let r = sim(1).await;
    faults(&r, json!({"hibernating": true})).await;
    let err = client(&r).list("sys_user", &ListParams::default()).await.unwrap_err();
    assert!(
        matches!(err, Error::Hibernating { .. }) && err.is_connection(),
        "{err:?}"
    );
}

#[tokio::test]
async fn in_flight_requests_stay_under_the_ceiling() {
    let r = sim(1).await;
    faults(&r, json!({"latency_ms": 20})).await;
    let c = client_with(
        &r,
        admin(&r),
        ClientOptions {
            max_in_flight: 3,
            ..Default::default()
        },
    );
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.list("sys_user", &ListParams::default().limit(1)).await.map(|_| ()) })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let peak = r.sim.stats()["peak_in_flight"].as_u64().unwrap();
    assert!((1..=3).contains(&peak), "peak {peak}");
}

fn outcome_of(steps: &[Step], id: &str) -> Outcome {
    steps.iter().find(|s| s.id == id).unwrap().outcome
}

fn failed(steps: &[Step]) -> Option<&Step> {
    steps.iter().find(|s| s.outcome == Outcome::Fail)
}

async fn run_check(r: &Running, auth: Auth) -> Vec<Step> {
    check::test_connection(
        &Instance::parse(&r.url, false).unwrap(),
        &auth,
        &ClientOptions::default(),
    )
    .await
}

#[tokio::test]
async fn test_connection_happy_path_leaves_no_trace() {
    let r = sim(3).await;
    let c = client(&r);
    let before = c.list("sys_user", &ListParams::default().limit(1)).await.unwrap().total;
    let steps = run_check(&r, admin(&r)).await;
    assert!(failed(&steps).is_none(), "{steps:#?}");
    assert_eq!(outcome_of(&steps, "tls"), Outcome::Skipped);
    assert_eq!(outcome_of(&steps, "table_access"), Outcome::Pass);
    assert_eq!(
        c.list("sys_user", &ListParams::default().limit(1)).await.unwrap().total,
        before
    );
    let q = ListParams::new(Query::new().and(Cond::starts_with("name", "nowsync connection test")));
    assert!(c.list("sys_user_group", &q).await.unwrap().records.is_empty());
}

#[tokio::test]
async fn test_connection_failing_steps() {
    let r = sim(1).await;
    let bad = Auth::Basic {
        username: r.admin_user.clone(),
        password: Secret::new("wrong"),
    };
    let steps = run_check(&r, bad).await;
    let f = failed(&steps).unwrap();
    assert_eq!(
        (f.id, f.error_code.as_deref()),
        ("credentials", Some("ServiceNowCredentialsInvalid"))
    );
    assert!(f.connection_failure && !f.message.contains("wrong"));

    let reader = Auth::Basic {
        username: READER_USER.into(),
        password: Secret::new(READER_PASSWORD),
    };
    let f = run_check(&r, reader).await;
    let f = failed(&f).unwrap();
    assert_eq!(f.id, "admin_role", "{}", f.message);
    assert!(
        f.message
            .contains(&format!("'{READER_USER}' does not have the admin role")),
        "{}",
        f.message
    );

    faults(&r, json!({"hibernating": true})).await;
    let steps = run_check(&r, admin(&r)).await;
    let f = failed(&steps).unwrap();
    assert_eq!(f.id, "instance");
    assert!(
        f.message.contains("hibernating") && f.message.contains("developer.servicenow.com"),
        "{}",
        f.message
    );
    assert_eq!(outcome_of(&steps, "admin_role"), Outcome::Skipped);

    let url = r.url.clone();
    drop(r);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let steps = check::test_connection(
        &Instance::parse(&url, false).unwrap(),
        &Auth::Basic {
            username: "admin".into(),
            password: Secret::new("x"),
        },
        &ClientOptions::default(),
    )
    .await;
    let f = failed(&steps).unwrap();
    assert_eq!(
        (f.id, f.error_code.as_deref()),
        ("tcp", Some("ServiceNowInstanceInvalid")),
        "{}",
        f.message
    );
}

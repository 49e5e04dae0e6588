//! Lists, paging, members, assignments, managers, deleted users, tokens and throttling.

use std::collections::HashSet;

use nowsync::graph::Error;
use nowsync::sim::graph::Faults;
use reqwest::Method;
use serde_json::json;

use super::{client, start};

#[tokio::test]
async fn users_come_page_by_page_with_select_and_top_999() {
    let r = start(2100, 10, |_| {}).await;
    let c = client(&r);
    let mut pager = c.users();
    let mut sizes = Vec::new();
    let mut ids = HashSet::new();
    while let Some(page) = pager.next_page().await.unwrap() {
        sizes.push(page.len());
        for u in page {
            assert!(
                u.user_principal_name.is_some() && u.account_enabled.is_some(),
                "$select honoured"
            );
            ids.insert(u.id);
        }
    }
    assert_eq!(sizes, vec![999, 999, 102]);
    assert_eq!(ids.len(), 2100);
    let stats = r.sim.stats();
    assert_eq!(stats.by_endpoint["GET users"], 3);
    assert_eq!(stats.token, 1, "the token is cached");
}

#[tokio::test]
async fn assigned_scope_matches_the_generated_tenant() {
    let r = start(300, 30, |_| {}).await;
    let c = client(&r);
    let sp = c.service_principal().await.unwrap();
    assert_eq!(sp.id, r.service_principal_id);
    let scope = c.assigned_scope().await.unwrap();
    let t = r.sim.tenant();
    assert_eq!(scope.assignments.len(), t.assignments.len());
    assert!(scope.ignored.iter().any(|a| a.principal_type == "ServicePrincipal"));
    let enabled: HashSet<String> = c
        .users()
        .all()
        .await
        .unwrap()
        .into_iter()
        .filter(|u| u.account_enabled == Some(true))
        .map(|u| u.id)
        .collect();
    let got: HashSet<&str> = scope
        .user_ids()
        .into_iter()
        .filter(|id| enabled.contains(*id))
        .collect();
    assert_eq!(got, t.in_scope_user_ids());
    let direct = t
        .assignments
        .iter()
        .find(|a| a.principal_type == nowsync::sim::tenant::PrincipalType::User)
        .unwrap();
    assert!(scope.roles(&direct.principal_id).contains(direct.app_role_id.as_str()));
}

#[tokio::test]
async fn managers_deleted_users_and_missing_objects() {
    let r = start(200, 10, |_| {}).await;
    let c = client(&r);
    let t = r.sim.tenant();
    let with = t.users.iter().find(|u| u.manager_id.is_some()).unwrap();
    let without = t.users.iter().find(|u| u.manager_id.is_none()).unwrap();
    let m = c.manager(&with.id).await.unwrap().unwrap();
    assert_eq!(Some(m.id.clone()), with.manager_id.clone());
    assert!(m.is_user());
    assert_eq!(c.manager(&without.id).await.unwrap(), None);

    assert!(c.deleted_users().all().await.unwrap().is_empty());
    c.request(Method::DELETE, &format!("/users/{}", with.id), None)
        .await
        .unwrap();
    let deleted = c.deleted_users().all().await.unwrap();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].id, with.id);
    assert!(deleted[0].deleted_date_time.is_some());

    let err = c
        .request(Method::GET, "/groups/00000000-0000-0000-0000-00000000abcd", None)
        .await
        .unwrap_err();
    let g = err.graph().unwrap();
    assert_eq!((g.status, g.code.as_str()), (404, "Request_ResourceNotFound"));
    assert!(g.request_id.is_some() && err.to_string().contains("request-id"));
    assert!(!err.is_transient());
}

#[tokio::test]
async fn a_throttling_storm_and_server_errors_are_survived() {
    let r = start(500, 10, |_| {}).await;
    let c = client(&r);
    r.sim.set_faults(Faults {
        throttle_next: 6,
        retry_after: Some("0.05".into()),
        ..Faults::default()
    });
    assert_eq!(c.users().all().await.unwrap().len(), 500);
    r.sim.set_faults(Faults {
        unavailable_next: 2,
        gateway_timeout_next: 2,
        retry_after: Some("0".into()),
        ..Faults::default()
    });
    assert_eq!(c.groups().all().await.unwrap().len(), 10);
    let s = r.sim.stats();
    assert_eq!((s.throttled_429, s.unavailable_5xx), (6, 4));

    // A long storm spends no attempt: it is waited out (issue 16: it pauses, never aborts).
    r.sim.set_faults(Faults {
        throttle_next: 100,
        retry_after: Some("0".into()),
        ..Faults::default()
    });
    assert_eq!(c.users().all().await.unwrap().len(), 500);
    assert_eq!(r.sim.stats().throttled_429, 106);

    // A wait beyond the throttle budget (5 s here) surfaces, transient and with its request-id.
    r.sim.set_faults(Faults {
        throttle_next: 1,
        retry_after: Some("60".into()),
        ..Faults::default()
    });
    let err = c.users().all().await.unwrap_err();
    assert!(err.is_transient() && err.request_id().is_some());
    assert_eq!(err.graph().unwrap().status, 429);
}

#[tokio::test]
async fn an_expired_token_is_replaced_once() {
    let r = start(200, 5, |_| {}).await;
    let c = client(&r);
    c.users().all().await.unwrap();
    r.sim.set_faults(Faults {
        expire_access_tokens: true,
        ..Faults::default()
    });
    c.groups().all().await.unwrap();
    let s = r.sim.stats();
    assert_eq!((s.token, s.unauthorized_401), (2, 1));
}

#[tokio::test]
async fn the_token_is_refreshed_ahead_of_expiry() {
    let r = start(200, 5, |o| o.token_lifetime = std::time::Duration::from_secs(1)).await;
    let c = client(&r);
    c.groups().all().await.unwrap();
    c.groups().all().await.unwrap();
    assert_eq!(r.sim.stats().token, 1, "cached while fresh");
    // Refreshed at half the lifetime when the lifetime is shorter than the skew.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    c.groups().all().await.unwrap();
    let s = r.sim.stats();
    assert_eq!((s.token, s.unauthorized_401), (2, 0));
}

#[tokio::test]
async fn the_simulator_checks_queries_like_graph() {
    let r = start(200, 5, |_| {}).await;
    let c = client(&r);
    let bad_top = c.request(Method::GET, "/users?$top=1000", None).await.unwrap_err();
    assert!(bad_top.graph().unwrap().message.contains("between 1 and 999"));
    let advanced = c
        .request(Method::GET, "/users?$filter=endswith(mail,'.com')", None)
        .await
        .unwrap_err();
    assert_eq!(advanced.graph().unwrap().code, "Request_UnsupportedQuery");
    let v = c.request(
        Method::GET,
        "/users?$filter=accountEnabled eq false&$select=id,accountEnabled",
        None,
    );
    let v = v.await.unwrap().unwrap();
    assert!(
        v["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["accountEnabled"] == json!(false))
    );
    assert!(
        v["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("#users(id,accountEnabled)")
    );
    // The quirks msgraph-sdk relies on: a doubled slash and the alternate key.
    let app_id = r.sim.tenant().service_principal.app_id.clone();
    let sp = c
        .request(Method::GET, &format!("//servicePrincipals(appId='{app_id}')"), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sp["id"], json!(r.service_principal_id));
    let err = c.request(Method::GET, "/users/delta?$top=5", None).await.unwrap_err();
    assert!(matches!(err, Error::Graph(g) if g.status == 400));
}

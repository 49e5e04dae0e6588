//! The Graph simulator's real-tenant quirks over the wire (spec graph.md §14): Microsoft 365
//! groups in the recycle bin, restores that `$select` delta rounds leave out, delta's refused
//! `$select` properties, the tenant's identity, throttling without `Retry-After`, and a token
//! expiring mid-cycle.

use base64::Engine;
use nowsync::sim::graph::{Faults, Running};
use serde_json::{Value, json};

use super::start;

struct Wire {
    http: reqwest::Client,
    token: String,
    base: String,
}

impl Wire {
    async fn new(r: &Running) -> Wire {
        let http = reqwest::Client::new();
        let token: Value = http
            .post(format!("{}/{}/oauth2/v2.0/token", r.authority_url, r.tenant_id))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", r.client_id.as_str()),
                ("client_secret", r.client_secret.as_str()),
                ("scope", "https://graph.microsoft.com/.default"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Wire {
            http,
            token: token["access_token"].as_str().unwrap().to_owned(),
            base: r.graph_url.clone(),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str) -> reqwest::Response {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .send()
            .await
            .unwrap()
    }

    async fn get(&self, path: &str) -> Value {
        self.send(reqwest::Method::GET, path).await.json().await.unwrap()
    }

    /// A whole delta round: its items and the next deltaLink.
    async fn round(&self, first: &str) -> (Vec<Value>, String) {
        let mut url = first.to_owned();
        let mut items = Vec::new();
        loop {
            let page = self.get(&url).await;
            items.extend(page["value"].as_array().unwrap().iter().cloned());
            match (page["@odata.nextLink"].as_str(), page["@odata.deltaLink"].as_str()) {
                (Some(next), _) => url = next.to_owned(),
                (None, Some(delta)) => return (items, delta.to_owned()),
                _ => panic!("a delta page without a link: {page}"),
            }
        }
    }
}

fn find<'a>(items: &'a [Value], id: &str) -> Option<&'a Value> {
    items.iter().find(|i| i["id"] == id)
}

async fn faults(r: &Running, faults: Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/sim/faults", r.url))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn a_soft_deleted_microsoft_365_group_is_removed_changed_and_restored_with_its_id() {
    let r = start(200, 20, |o| o.unified_assigned_group = true).await;
    let w = Wire::new(&r).await;
    let id = r.sim.tenant().planted.unified_group.clone();
    let members = r.sim.tenant().groups.iter().find(|g| g.id == id).unwrap().members.len();
    let assigned = format!("/servicePrincipals/{}/appRoleAssignedTo", r.service_principal_id);
    let holds = |doc: &Value| {
        doc["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["principalId"] == id.as_str())
    };
    let (items, link) = w.round("/groups/delta?$select=id,displayName,groupTypes,members").await;
    assert_eq!(find(&items, &id).unwrap()["groupTypes"], json!(["Unified"]));
    assert!(holds(&w.get(&assigned).await));

    assert_eq!(
        w.send(reqwest::Method::DELETE, &format!("/groups/{id}")).await.status(),
        204
    );
    let (items, link) = w.round(&link).await;
    assert_eq!(
        find(&items, &id),
        Some(&json!({"id": id, "@removed": {"reason": "changed"}}))
    );
    let bin = w.get("/directory/deletedItems/microsoft.graph.group").await;
    assert_eq!(bin["value"][0]["id"], id.as_str());
    assert!(bin["value"][0]["deletedDateTime"].is_string());
    assert!(
        !holds(&w.get(&assigned).await),
        "a deleted group's assignment is hidden"
    );

    let restored = w
        .send(reqwest::Method::POST, &format!("/directory/deletedItems/{id}/restore"))
        .await;
    assert_eq!(restored.status(), 200);
    let (items, _) = w.round(&link).await;
    let back = find(&items, &id).unwrap();
    assert!(back.get("@removed").is_none(), "{back}");
    assert_eq!(back["members@delta"].as_array().unwrap().len(), members);
    assert!(holds(&w.get(&assigned).await));
    assert_eq!(
        w.get("/directory/deletedItems/microsoft.graph.group").await["value"],
        json!([])
    );

    // A security group is deleted for good.
    let security = r
        .sim
        .tenant()
        .groups
        .iter()
        .find(|g| g.group_types.is_empty())
        .unwrap()
        .id
        .clone();
    w.send(reqwest::Method::DELETE, &format!("/groups/{security}")).await;
    let status = w
        .send(
            reqwest::Method::POST,
            &format!("/directory/deletedItems/{security}/restore"),
        )
        .await
        .status();
    assert_eq!(status, 404);
}

async fn restore_round(omit: bool) -> Option<Value> {
    let r = start(200, 10, |o| o.faults.omit_restored_with_select = omit).await;
    let w = Wire::new(&r).await;
    let id = r.sim.tenant().users[5].id.clone();
    let (_, link) = w
        .round("/users/delta?$select=id,userPrincipalName,accountEnabled")
        .await;
    w.send(reqwest::Method::DELETE, &format!("/users/{id}")).await;
    let (items, link) = w.round(&link).await;
    assert_eq!(
        find(&items, &id),
        Some(&json!({"id": id, "@removed": {"reason": "changed"}}))
    );
    w.send(reqwest::Method::POST, &format!("/directory/deletedItems/{id}/restore"))
        .await;
    let (items, _) = w.round(&link).await;
    find(&items, &id).cloned()
}

#[tokio::test]
async fn a_restored_user_is_left_out_of_select_rounds_when_switched_on() {
    assert!(restore_round(false).await.is_some(), "by default a restore is reported");
    assert_eq!(restore_round(true).await, None, "real Graph's quirk");
}

#[tokio::test]
async fn delta_refuses_some_select_properties() {
    let r = start(50, 5, |_| {}).await;
    let w = Wire::new(&r).await;
    let resp = w
        .send(reqwest::Method::GET, "/users/delta?$select=id,birthday,signInActivity")
        .await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "BadRequest");
    assert_eq!(
        body["error"]["message"],
        "Invalid request for delta query: for this entity set, $expand/$select is not supported for the following properties: birthday,signInActivity"
    );
}

#[tokio::test]
async fn the_organization_and_the_token_name_the_tenant_and_principal() {
    let r = start(50, 5, |_| {}).await;
    let w = Wire::new(&r).await;
    let org = w.get("/organization").await;
    assert_eq!(org["value"][0]["id"], r.tenant_id.as_str());
    let domains = org["value"][0]["verifiedDomains"].as_array().unwrap();
    assert!(
        domains
            .iter()
            .any(|d| d["isDefault"] == true && d["name"] == r.sim.tenant().domain.as_str())
    );
    let payload = w.token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["tid"], r.tenant_id.as_str());
    assert_eq!(claims["appid"], r.client_id.as_str());
    assert_eq!(claims["oid"], r.sim.tenant().client_service_principal_id.as_str());
    assert_eq!(claims["idtyp"], "app");
}

#[tokio::test]
async fn throttling_without_retry_after_and_a_token_expiring_mid_cycle() {
    let r = start(50, 5, |_| {}).await;
    let w = Wire::new(&r).await;
    faults(&r, json!({"throttle_next": 1, "omit_retry_after": true})).await;
    let resp = w.send(reqwest::Method::GET, "/users").await;
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().get("retry-after").is_none());
    faults(&r, json!({"expire_access_tokens_after": 2})).await;
    for _ in 0..2 {
        assert_eq!(w.send(reqwest::Method::GET, "/users?$top=1").await.status(), 200);
    }
    let resp = w.send(reqwest::Method::GET, "/users?$top=1").await;
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    let state: Faults = reqwest::get(format!("{}/sim/faults", r.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state.expire_access_tokens_after, None, "one expiry, then off");
}

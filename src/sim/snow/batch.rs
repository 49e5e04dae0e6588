//! Batch API, `POST /api/now/v1/batch` (spec §2): base64 sub-request bodies in, base64
//! sub-responses out with numeric `status_code`, `status_text`, `headers` and `execution_time`
//! (ms). Items run one after another inside the single semaphore slot the batch holds, each
//! costing `latency`; items not started within the 30-s batch quota are listed in
//! `unserviced_requests`.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Value, json};

use super::State;
use super::faults::Phase;
use super::reply::Reply;
use super::table_api::{self, Call, Route};

/// The REST Batch request-timeout quota rule.
pub const BUDGET: Duration = Duration::from_secs(30);

#[derive(Deserialize)]
struct Header {
    name: String,
    value: String,
}

#[derive(Deserialize)]
struct Item {
    id: Value,
    method: String,
    url: String,
    #[serde(default)]
    headers: Vec<Header>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    exclude_response_headers: bool,
}

#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    batch_request_id: Value,
    #[serde(default)]
    rest_requests: Vec<Item>,
}

fn id_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn reason(status: u16) -> &'static str {
    axum::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// The fault phase of a batch request: that of its most writing item (see `faults`); an
/// unreadable body is a read (it will be refused with 400 anyway).
pub fn phase(body: &[u8]) -> Phase {
    let Ok(request) = serde_json::from_slice::<Request>(body) else {
        return Phase::Read;
    };
    Phase::of_all(request.rest_requests.iter().map(|item| {
        let path = item.url.split_once('?').map_or(item.url.as_str(), |(p, _)| p);
        match table_api::route(path) {
            Route::Table { table, .. } => Phase::of(&item.method, table),
            _ => Phase::Read,
        }
    }))
}

pub async fn run(state: &State, outer: &Call<'_>, latency: Duration) -> Reply {
    run_within(state, outer, latency, BUDGET).await
}

async fn run_within(state: &State, outer: &Call<'_>, latency: Duration, budget: Duration) -> Reply {
    let request: Request = match serde_json::from_slice(outer.body) {
        Ok(r) => r,
        Err(e) => return Reply::error(400, "Exception while reading request", Some(&e.to_string())),
    };
    let started = Instant::now();
    let mut serviced = Vec::new();
    let mut unserviced = Vec::new();
    for item in &request.rest_requests {
        if started.elapsed() >= budget {
            unserviced.push(id_string(&item.id));
            continue;
        }
        let item_start = Instant::now();
        tokio::time::sleep(latency).await;
        let reply = run_item(state, outer, item);
        let headers: Vec<Value> = if item.exclude_response_headers {
            Vec::new()
        } else {
            reply
                .headers
                .iter()
                .map(|(k, v)| json!({"name": k, "value": v}))
                .collect()
        };
        serviced.push(json!({
            "id": id_string(&item.id),
            "status_code": reply.status,
            "status_text": reason(reply.status),
            "headers": headers,
            "body": STANDARD.encode(&reply.body),
            "execution_time": item_start.elapsed().as_millis() as u64,
        }));
    }
    Reply::json(
        200,
        &json!({
            "batch_request_id": id_string(&request.batch_request_id),
            "serviced_requests": serviced,
            "unserviced_requests": unserviced,
        }),
    )
}

fn run_item(state: &State, outer: &Call, item: &Item) -> Reply {
    let body = match item
        .body
        .as_deref()
        .filter(|b| !b.is_empty())
        .map(|b| STANDARD.decode(b.trim()))
    {
        Some(Ok(b)) => b,
        Some(Err(_)) => return Reply::error(400, "Exception while reading request", Some("Body is not valid base64")),
        None => Vec::new(),
    };
    let (path, query) = item.url.split_once('?').unwrap_or((item.url.as_str(), ""));
    let table = match table_api::route(path) {
        Route::Table { table, .. } | Route::Stats { table } => table,
        _ => return Reply::bad_uri(),
    };
    let no_body = item
        .headers
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case("x-no-response-body") && h.value == "true");
    state.stats.request(&item.method, table);
    let call = Call {
        method: &item.method,
        path,
        query,
        host: outer.host,
        body: &body,
        caller: outer.caller,
        no_response_body: no_body,
    };
    table_api::handle(state, &call)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::snow::auth::Principal;
    use crate::sim::snow::{Options, Sim};

    fn call<'a>(body: &'a [u8], caller: &'a Principal) -> Call<'a> {
        Call {
            method: "POST",
            path: "/api/now/v1/batch",
            query: "",
            host: "h",
            body,
            caller,
            no_response_body: false,
        }
    }

    #[tokio::test]
    async fn items_past_the_budget_are_unserviced() {
        let sim = Sim::new(Options {
            snow_users: 0,
            ..Options::default()
        });
        let caller = Principal {
            sys_id: String::new(),
            user_name: "admin".into(),
            admin: true,
        };
        let body = serde_json::to_vec(&json!({"batch_request_id": 7, "rest_requests": [
            {"id": "1", "method": "GET", "url": "/api/now/table/sys_user_role"},
            {"id": "2", "method": "GET", "url": "/api/now/table/sys_user_role"},
        ]}))
        .unwrap();
        let reply = run_within(&sim.state, &call(&body, &caller), Duration::ZERO, Duration::ZERO).await;
        let doc: Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(doc["unserviced_requests"], json!(["1", "2"]));
        assert_eq!(doc["batch_request_id"], "7");
        let reply = run_within(&sim.state, &call(&body, &caller), Duration::ZERO, BUDGET).await;
        let doc: Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(doc["serviced_requests"].as_array().unwrap().len(), 2);
        let bad = run_within(&sim.state, &call(b"{", &caller), Duration::ZERO, BUDGET).await;
        assert_eq!(bad.status, 400);
    }

    #[tokio::test]
    async fn bodies_round_trip_as_base64() {
        let sim = Sim::new(Options {
            snow_users: 0,
            ..Options::default()
        });
        let caller = Principal {
            sys_id: String::new(),
            user_name: "admin".into(),
            admin: true,
        };
        let payload = STANDARD.encode(br#"{"name":"Ops"}"#);
        let body = serde_json::to_vec(&json!({"batch_request_id": "b", "rest_requests": [
            {"id": "x", "method": "POST", "url": "/api/now/v2/table/cmn_department?sysparm_fields=name", "body": payload},
            {"id": "y", "method": "GET", "url": "/api/nowhere"},
        ]}))
        .unwrap();
        let reply = run(&sim.state, &call(&body, &caller), Duration::ZERO).await;
        let doc: Value = serde_json::from_slice(&reply.body).unwrap();
        let items = doc["serviced_requests"].as_array().unwrap();
        let decoded = STANDARD.decode(items[0]["body"].as_str().unwrap()).unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&decoded).unwrap(),
            json!({"result": {"name": "Ops"}})
        );
        assert!(
            items[0]["headers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|h| h["name"] == "Location")
        );
        assert_eq!(items[1]["status_code"], 400);
    }
}

//! The control routes under `/sim/` (no auth, never counted) and the router.
//!
//! - `GET /sim/stats`, `POST /sim/stats/reset`: see `stats`.
//! - `GET /sim/accounts`: `[{"user_name","password","roles":[…]}, …, {"oauth_client_id","oauth_client_secret"}]`.
//! - `GET /sim/faults`: the switches in force and the queued one-shot faults (below).
//! - `POST /sim/faults` with any subset of `{"hibernating","fault_rate","latency_ms",
//!   "rate_limit_per_hour" (number or null),"quota_max_rows" (number or null),"refuse_basic",
//!   "rates":[{"phase","rate","kind",…}…] (replaces),"next":[{"kind",…,"phase"?}…] (appends)}`.
//!   `"refusals":[…]` (replaces; see `refusals`), `"four_byte_as_question"` (bool),
//!   `"acl_hidden":[{"table","query"}…]` (replaces; rows no caller reads, see `acl`).
//!   Fault kinds and phases: see `faults`; `"other_writer"` (object or null): see `writers`.
//!   Answers as GET.
//! - `POST /sim/faults/clear`: back to the start options, no queued faults.

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State as AxState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::acl::Hidden;
use super::faults::{Queued, Rate};
use super::refusals::Refusal;
use super::writers::OtherWriter;
use super::{OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, Sim, front};

pub fn router(sim: Sim) -> Router {
    Router::new()
        .route("/sim/stats", get(stats))
        .route("/sim/stats/reset", post(reset))
        .route("/sim/accounts", get(accounts))
        .route("/sim/faults", get(faults).post(set_faults))
        .route("/sim/faults/clear", post(clear_faults))
        .fallback(front::handle)
        .with_state(sim)
}

async fn stats(AxState(sim): AxState<Sim>) -> Json<Value> {
    Json(sim.state.stats.json())
}

async fn reset(AxState(sim): AxState<Sim>) -> Json<Value> {
    sim.state.stats.reset();
    Json(sim.state.stats.json())
}

async fn accounts(AxState(sim): AxState<Sim>) -> Json<Value> {
    let mut out: Vec<Value> = sim
        .state
        .accounts
        .iter()
        .map(|a| json!({"user_name": a.user_name, "password": a.password, "roles": a.roles}))
        .collect();
    out.push(json!({"oauth_client_id": OAUTH_CLIENT_ID, "oauth_client_secret": OAUTH_CLIENT_SECRET}));
    Json(Value::Array(out))
}

fn faults_doc(sim: &Sim) -> Value {
    let o = sim.state.options();
    json!({
        "hibernating": o.hibernating,
        "fault_rate": o.fault_rate,
        "latency_ms": o.latency.as_millis() as u64,
        "rate_limit_per_hour": o.rate_limit_per_hour,
        "quota_max_rows": o.quota_max_rows,
        "refuse_basic": o.refuse_basic,
        "rates": o.fault_rates,
        "refusals": o.refusals,
        "four_byte_as_question": o.four_byte_as_question,
        "acl_hidden": o.acl_hidden,
        "next": sim.state.faults.pending(),
        "other_writer": writers(sim).json(),
        "queue_length": sim.state.limits.queued(),
        "semaphore": o.semaphore,
        "queue": o.queue,
    })
}

async fn faults(AxState(sim): AxState<Sim>) -> Json<Value> {
    Json(faults_doc(&sim))
}

fn bad(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": message}))).into_response()
}

async fn set_faults(AxState(sim): AxState<Sim>, body: axum::body::Bytes) -> Response {
    let Ok(Value::Object(update)) = serde_json::from_slice::<Value>(&body) else {
        return bad("expected a JSON object".into());
    };
    let next: Vec<Queued> = match parse(&update, "next") {
        Ok(n) => n.unwrap_or_default(),
        Err(e) => return bad(e),
    };
    let rates: Option<Vec<Rate>> = match parse(&update, "rates") {
        Ok(r) => r,
        Err(e) => return bad(e),
    };
    let rate = match nullable_number(&update, "rate_limit_per_hour") {
        Ok(r) => r.map(|r| r.and_then(|n| u32::try_from(n).ok())),
        Err(e) => return bad(e),
    };
    let quota = match nullable_number(&update, "quota_max_rows") {
        Ok(q) => q.map(|q| q.and_then(|n| usize::try_from(n).ok())),
        Err(e) => return bad(e),
    };
    let other_writer: Option<Option<OtherWriter>> = match parse(&update, "other_writer") {
        Ok(w) => w,
        Err(e) => return bad(e),
    };
    let refusals: Option<Vec<Refusal>> = match parse(&update, "refusals") {
        Ok(r) => r,
        Err(e) => return bad(e),
    };
    if let Some(problem) = refusals.iter().flatten().find_map(Refusal::problem) {
        return bad(format!("refusals: {problem}"));
    }
    let hidden: Option<Vec<Hidden>> = match parse(&update, "acl_hidden") {
        Ok(h) => h,
        Err(e) => return bad(e),
    };
    let four_byte = update.get("four_byte_as_question").and_then(Value::as_bool);
    let hibernating = update.get("hibernating").and_then(Value::as_bool);
    let fault_rate = update.get("fault_rate").and_then(Value::as_f64);
    let latency = update.get("latency_ms").and_then(Value::as_u64);
    let refuse_basic = update.get("refuse_basic").and_then(Value::as_bool);
    sim.state.update_options(|o| {
        if let Some(h) = hibernating {
            o.hibernating = h;
        }
        if let Some(f) = fault_rate {
            o.fault_rate = f.clamp(0.0, 1.0);
        }
        if let Some(ms) = latency {
            o.latency = Duration::from_millis(ms);
        }
        if let Some(r) = rate {
            o.rate_limit_per_hour = r;
        }
        if let Some(b) = refuse_basic {
            o.refuse_basic = b;
        }
        if let Some(q) = quota {
            o.quota_max_rows = q;
        }
        if let Some(r) = rates {
            o.fault_rates = r;
        }
        if let Some(r) = refusals {
            o.refusals = r;
        }
        if let Some(f) = four_byte {
            o.four_byte_as_question = f;
        }
        if let Some(h) = hidden {
            o.acl_hidden = h;
        }
    });
    if rate.is_some() {
        sim.state.limits.reset_rate();
    }
    if let Some(w) = other_writer {
        writers(&sim).set(w);
    }
    sim.state.faults.push(next);
    Json(faults_doc(&sim)).into_response()
}

fn writers(sim: &Sim) -> std::sync::MutexGuard<'_, super::writers::Writers> {
    sim.state.writers.lock().unwrap_or_else(|e| e.into_inner())
}

/// `key` of the update decoded as `T`, if present.
fn parse<T: serde::de::DeserializeOwned>(
    update: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<T>, String> {
    update
        .get(key)
        .map(|v| serde_json::from_value(v.clone()))
        .transpose()
        .map_err(|e| format!("{key}: {e}"))
}

/// `key` as absent (`None`), `null` (`Some(None)`) or a number (`Some(Some(n))`).
fn nullable_number(update: &serde_json::Map<String, Value>, key: &str) -> Result<Option<Option<u64>>, String> {
    match update.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(v) => v
            .as_u64()
            .map(|n| Some(Some(n)))
            .ok_or_else(|| format!("{key}: expected a number or null")),
    }
}

async fn clear_faults(AxState(sim): AxState<Sim>) -> Json<Value> {
    let base = sim.state.base.clone();
    sim.state.update_options(|o| *o = base);
    sim.state.faults.clear();
    sim.state.limits.reset_rate();
    writers(&sim).set(None);
    Json(faults_doc(&sim))
}

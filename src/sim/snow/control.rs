//! The control routes under `/sim/` (no auth, never counted) and the router.
//!
//! - `GET /sim/stats`, `POST /sim/stats/reset`: see `stats`.
//! - `GET /sim/accounts`: `[{"user_name","password","roles":[…]}, …, {"oauth_client_id","oauth_client_secret"}]`.
//! - `GET /sim/faults`: `{"hibernating","fault_rate","latency_ms","rate_limit_per_hour","next":[…],"queue_length","in_flight_limit"}`.
//! - `POST /sim/faults` with any subset of `{"hibernating","fault_rate","latency_ms",
//!   "rate_limit_per_hour" (number or null),"next":[fault…]}`; `next` appends. Answers as GET.
//! - `POST /sim/faults/clear`: back to the start options, no queued faults.

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State as AxState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::faults::Fault;
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
        "next": sim.state.faults.pending(),
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
    let next: Vec<Fault> = match update
        .get("next")
        .map(|v| serde_json::from_value(v.clone()))
        .transpose()
    {
        Ok(n) => n.unwrap_or_default(),
        Err(e) => return bad(format!("next: {e}")),
    };
    let rate = match update.get("rate_limit_per_hour") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) => Some(Some(n)),
            None => return bad("rate_limit_per_hour: expected a number or null".into()),
        },
    };
    let hibernating = update.get("hibernating").and_then(Value::as_bool);
    let fault_rate = update.get("fault_rate").and_then(Value::as_f64);
    let latency = update.get("latency_ms").and_then(Value::as_u64);
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
    });
    if rate.is_some() {
        sim.state.limits.reset_rate();
    }
    sim.state.faults.push(next);
    Json(faults_doc(&sim)).into_response()
}

async fn clear_faults(AxState(sim): AxState<Sim>) -> Json<Value> {
    let base = sim.state.base.clone();
    sim.state.update_options(|o| *o = base);
    sim.state.faults.clear();
    sim.state.limits.reset_rate();
    Json(faults_doc(&sim))
}

//! Fault injection, by phase and kind (issue 17's fault matrix).
//!
//! A request belongs to one *phase*: `read` (GET/HEAD of any table, the aggregate stats API),
//! `membership` (a write to `sys_user_grmember`) or `write` (any other write). A Batch request
//! takes the phase of its items: `membership` if one writes `sys_user_grmember`, else `write` if
//! one writes, else `read`. OAuth token requests and `/sim/*` are never faulted.
//!
//! Three sources, tried in this order for each Table/Batch API request:
//! - one-shot faults queued by `POST /sim/faults` (`next`), each with an optional `phase`
//!   (default `any`): the first queued fault whose phase covers the request is taken;
//! - the legacy `fault_rate` (any phase; half 500s, half connections dropped before acting);
//! - persistent `rates`: `{phase, rate, kind, …}`, each drawn independently, first hit wins.
//!
//! Kinds: `status` (any status, optional `retry_after` and `reset_in_secs`), `drop` (connection
//! closed before the server acts), `drop_after` (the server acts — a write is stored — then the
//! connection is closed without an answer: the fault that breeds duplicates), `truncate` (the
//! real answer cut in the middle), `gateway_after` (the server acts — a write is stored — then
//! the gateway in front of it answers `status`, 502 or 504, in its stead: servicenow.md §4.3,
//! the transaction runs on after the load balancer gave up), `accepted_empty` (202, empty
//! body), `html` (an HTML page with
//! status 200), `quota_cancelled` (the transaction quota cancelled the read while it ran: 200 with
//! a partial `result`, spec §13 #1; on a request that is no list read it answers as
//! `quota_queued`), `quota_queued` (cancelled while still queued: 500, nothing done).

use std::collections::VecDeque;
use std::sync::Mutex;

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::limits::RATE_RULE_SYS_ID;
use super::reply::Reply;

/// The part of a cycle a request belongs to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    #[default]
    Any,
    Read,
    Write,
    Membership,
}

impl Phase {
    /// Whether a fault meant for `self` applies to a request of phase `request`.
    pub fn covers(self, request: Phase) -> bool {
        self == Phase::Any || self == request
    }

    /// The phase of one Table API operation.
    pub fn of(method: &str, table: &str) -> Phase {
        match method.to_ascii_uppercase().as_str() {
            "GET" | "HEAD" => Phase::Read,
            _ if table == "sys_user_grmember" => Phase::Membership,
            _ => Phase::Write,
        }
    }

    /// The phase of a batch of operations: the "most writing" of its items.
    pub fn of_all(items: impl IntoIterator<Item = Phase>) -> Phase {
        items.into_iter().fold(Phase::Read, |acc, p| match (acc, p) {
            (Phase::Membership, _) | (_, Phase::Membership) => Phase::Membership,
            (Phase::Write, _) | (_, Phase::Write) => Phase::Write,
            _ => Phase::Read,
        })
    }

    fn is_any(&self) -> bool {
        *self == Phase::Any
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    Status {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reset_in_secs: Option<u64>,
    },
    Drop,
    DropAfter,
    GatewayAfter {
        status: u16,
    },
    Truncate,
    AcceptedEmpty,
    Html,
    QuotaCancelled,
    QuotaQueued,
}

impl Fault {
    /// The kind's name, as `/sim/faults` spells it and `/sim/stats` counts it.
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Status { .. } => "status",
            Fault::Drop => "drop",
            Fault::DropAfter => "drop_after",
            Fault::GatewayAfter { .. } => "gateway_after",
            Fault::Truncate => "truncate",
            Fault::AcceptedEmpty => "accepted_empty",
            Fault::Html => "html",
            Fault::QuotaCancelled => "quota_cancelled",
            Fault::QuotaQueued => "quota_queued",
        }
    }

    fn server_error() -> Fault {
        Fault::Status {
            status: 500,
            retry_after: None,
            reset_in_secs: None,
        }
    }
}

/// A one-shot fault waiting for the next request of its phase.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Queued {
    #[serde(default, skip_serializing_if = "Phase::is_any")]
    pub phase: Phase,
    #[serde(flatten)]
    pub fault: Fault,
}

/// A persistent fault: each request of `phase` gets `fault` with probability `rate`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    #[serde(default)]
    pub phase: Phase,
    pub rate: f64,
    #[serde(flatten)]
    pub fault: Fault,
}

#[derive(Default)]
pub struct Faults {
    next: Mutex<VecDeque<Queued>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Faults {
    pub fn push(&self, faults: Vec<Queued>) {
        lock(&self.next).extend(faults);
    }

    pub fn clear(&self) {
        lock(&self.next).clear();
    }

    pub fn pending(&self) -> Vec<Queued> {
        lock(&self.next).iter().cloned().collect()
    }

    /// The fault for a request of `phase`: the first queued one that covers it, else one drawn
    /// at the legacy `rate` (500 or drop), else one drawn from `rates`.
    pub fn take(&self, phase: Phase, rate: f64, rates: &[Rate]) -> Option<Fault> {
        {
            let mut next = lock(&self.next);
            if let Some(i) = next.iter().position(|q| q.phase.covers(phase)) {
                return next.remove(i).map(|q| q.fault);
            }
        }
        let mut rng = rand::rng();
        if rate > 0.0 && rng.random::<f64>() < rate {
            return Some(if rng.random::<bool>() {
                Fault::server_error()
            } else {
                Fault::Drop
            });
        }
        rates
            .iter()
            .filter(|r| r.phase.covers(phase) && r.rate > 0.0)
            .find(|r| rng.random::<f64>() < r.rate)
            .map(|r| r.fault.clone())
    }
}

/// The answer a fault gives instead of running the request; `None` for the kinds that need the
/// request to run first (`drop_after`, `gateway_after`, `truncate`, `quota_cancelled`).
pub fn replace(fault: &Fault) -> Option<Reply> {
    match fault {
        Fault::Status {
            status,
            retry_after,
            reset_in_secs,
        } => Some(status_reply(*status, retry_after, *reset_in_secs)),
        Fault::Drop => Some(Reply::dropped()),
        Fault::AcceptedEmpty => Some(Reply::empty(202)),
        Fault::Html => Some(Reply::raw(
            200,
            "text/html;charset=UTF-8",
            b"<html><head><title>Login</title></head><body><p>Please sign in.</p></body></html>".to_vec(),
        )),
        Fault::QuotaQueued => Some(super::quota::queued()),
        Fault::DropAfter | Fault::GatewayAfter { .. } | Fault::Truncate | Fault::QuotaCancelled => None,
    }
}

/// Applies a fault that needed the real answer to it.
pub fn after(fault: &Fault, reply: Reply) -> Reply {
    match fault {
        Fault::DropAfter => Reply::dropped(),
        Fault::GatewayAfter { status } => status_reply(*status, &None, None),
        Fault::Truncate => truncate(reply),
        Fault::QuotaCancelled => super::quota::cancel_half(reply),
        _ => reply,
    }
}

/// Cuts a reply's body in the middle (a quota-cancelled transaction whose stream broke off).
pub fn truncate(mut reply: Reply) -> Reply {
    let half = reply.body.len() / 2;
    reply.body.truncate(half);
    reply
}

fn status_reply(status: u16, retry_after: &Option<String>, reset_in_secs: Option<u64>) -> Reply {
    let mut reply = match status {
        401 => Reply::unauthenticated(),
        404 => Reply::not_found(),
        403 => Reply::error(
            403,
            "Operation Failed",
            Some("ACL Exception Update Failed due to security constraints"),
        ),
        429 => Reply::error(
            429,
            "Rate limit exceeded",
            Some("Rate limit of 100 requests per hour for Table API exceeded"),
        ),
        400 => Reply::error(400, "Bad Request", None),
        502 => Reply::error(502, "Bad Gateway", None),
        504 => Reply::error(504, "Gateway Timeout", None),
        503 => Reply::error(
            503,
            "Service Unavailable",
            Some("The instance is temporarily unavailable"),
        ),
        s => Reply::error(
            s,
            "Internal server error",
            Some("Transaction cancelled: maximum execution time exceeded"),
        ),
    };
    if let Some(after) = retry_after {
        reply = reply.header("Retry-After", after.clone());
    }
    if let Some(secs) = reset_in_secs {
        let reset = chrono::Utc::now().timestamp().max(0) as u64 + secs;
        reply = reply
            .header("X-RateLimit-Reset", reset.to_string())
            .header("X-RateLimit-Rule", RATE_RULE_SYS_ID);
    }
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_json_shapes_round_trip() {
        let faults: Vec<Queued> = serde_json::from_str(
            r#"[{"kind":"status","status":429,"retry_after":"2","reset_in_secs":5},{"kind":"drop"},
                {"kind":"truncate"},{"kind":"accepted_empty"},{"kind":"html","phase":"read"},
                {"kind":"drop_after","phase":"membership"},{"kind":"quota_queued","phase":"write"}]"#,
        )
        .unwrap();
        assert_eq!(faults.len(), 7);
        assert_eq!(faults[4].phase, Phase::Read);
        assert_eq!(faults[5].fault, Fault::DropAfter);
        let r = replace(&faults[0].fault).unwrap();
        assert_eq!(r.status, 429);
        assert!(r.headers.iter().any(|(k, v)| k == "Retry-After" && v == "2"));
        assert!(r.headers.iter().any(|(k, _)| k == "X-RateLimit-Reset"));
        assert!(replace(&faults[1].fault).unwrap().drop);
        assert!(replace(&faults[2].fault).is_none());
        assert_eq!(replace(&faults[3].fault).unwrap().status, 202);
        assert_eq!(
            replace(&faults[4].fault).unwrap().content_type(),
            Some("text/html;charset=UTF-8")
        );
        assert!(replace(&faults[5].fault).is_none());
        assert_eq!(replace(&faults[6].fault).unwrap().status, 500);
        let back = serde_json::to_value(&faults[5]).unwrap();
        assert_eq!(back, serde_json::json!({"phase": "membership", "kind": "drop_after"}));
        let rate: Rate = serde_json::from_str(r#"{"phase":"write","rate":0.5,"kind":"status","status":503}"#).unwrap();
        assert_eq!(rate.phase, Phase::Write);
    }

    #[test]
    fn queued_faults_apply_in_order_to_their_phase() {
        let f = Faults::default();
        let q = |phase, fault| Queued { phase, fault };
        f.push(vec![
            q(Phase::Write, Fault::DropAfter),
            q(Phase::Any, Fault::Drop),
            q(Phase::Read, Fault::Html),
        ]);
        assert_eq!(f.take(Phase::Read, 0.0, &[]), Some(Fault::Drop));
        assert_eq!(f.take(Phase::Read, 0.0, &[]), Some(Fault::Html));
        assert_eq!(f.take(Phase::Read, 0.0, &[]), None);
        assert_eq!(f.take(Phase::Membership, 0.0, &[]), None);
        assert_eq!(f.take(Phase::Write, 0.0, &[]), Some(Fault::DropAfter));
        assert!(f.take(Phase::Read, 1.0, &[]).is_some());
        let rates = [Rate {
            phase: Phase::Membership,
            rate: 1.0,
            fault: Fault::AcceptedEmpty,
        }];
        assert_eq!(f.take(Phase::Write, 0.0, &rates), None);
        assert_eq!(f.take(Phase::Membership, 0.0, &rates), Some(Fault::AcceptedEmpty));
    }

    #[test]
    fn phases_of_operations_and_batches() {
        assert_eq!(Phase::of("get", "sys_user_grmember"), Phase::Read);
        assert_eq!(Phase::of("POST", "sys_user_grmember"), Phase::Membership);
        assert_eq!(Phase::of("PATCH", "sys_user"), Phase::Write);
        assert_eq!(Phase::of_all([Phase::Read, Phase::Write]), Phase::Write);
        assert_eq!(
            Phase::of_all([Phase::Membership, Phase::Write, Phase::Read]),
            Phase::Membership
        );
        assert_eq!(Phase::of_all([]), Phase::Read);
    }
}

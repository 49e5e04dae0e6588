//! Fault injection: one-shot faults queued by `POST /sim/faults` (`next`), applied in order to
//! the next Table/Batch API requests, and the random `fault_rate` (half 500s, half dropped
//! connections).
//!
//! A fault that replaces the answer (`status`, `drop`, `accepted_empty`, `html`) stops the
//! request before it runs; `truncate` runs it and cuts the JSON body in the middle.

use std::collections::VecDeque;
use std::sync::Mutex;

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::limits::RATE_RULE_SYS_ID;
use super::reply::Reply;

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
    Truncate,
    AcceptedEmpty,
    Html,
}

#[derive(Default)]
pub struct Faults {
    next: Mutex<VecDeque<Fault>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Faults {
    pub fn push(&self, faults: Vec<Fault>) {
        lock(&self.next).extend(faults);
    }

    pub fn clear(&self) {
        lock(&self.next).clear();
    }

    pub fn pending(&self) -> Vec<Fault> {
        lock(&self.next).iter().cloned().collect()
    }

    /// The fault for this request: the next queued one, else a random one at `rate`.
    pub fn take(&self, rate: f64) -> Option<Fault> {
        if let Some(f) = lock(&self.next).pop_front() {
            return Some(f);
        }
        let mut rng = rand::rng();
        if rate > 0.0 && rng.random::<f64>() < rate {
            return Some(if rng.random::<bool>() {
                Fault::Status {
                    status: 500,
                    retry_after: None,
                    reset_in_secs: None,
                }
            } else {
                Fault::Drop
            });
        }
        None
    }
}

/// The answer a replacing fault gives; `None` for `truncate`, which needs the real answer.
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
        Fault::Truncate => None,
    }
}

/// Cuts a reply's body in the middle (a quota-cancelled transaction).
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
        let faults: Vec<Fault> = serde_json::from_str(
            r#"[{"kind":"status","status":429,"retry_after":"2","reset_in_secs":5},{"kind":"drop"},
                {"kind":"truncate"},{"kind":"accepted_empty"},{"kind":"html"}]"#,
        )
        .unwrap();
        assert_eq!(faults.len(), 5);
        let r = replace(&faults[0]).unwrap();
        assert_eq!(r.status, 429);
        assert!(r.headers.iter().any(|(k, v)| k == "Retry-After" && v == "2"));
        assert!(r.headers.iter().any(|(k, _)| k == "X-RateLimit-Reset"));
        assert!(replace(&faults[1]).unwrap().drop);
        assert!(replace(&faults[2]).is_none());
        assert_eq!(replace(&faults[3]).unwrap().status, 202);
        assert_eq!(
            replace(&faults[4]).unwrap().content_type(),
            Some("text/html;charset=UTF-8")
        );
    }

    #[test]
    fn queued_faults_apply_in_order_then_none() {
        let f = Faults::default();
        f.push(vec![Fault::Drop, Fault::Html]);
        assert_eq!(f.take(0.0), Some(Fault::Drop));
        assert_eq!(f.take(0.0), Some(Fault::Html));
        assert_eq!(f.take(0.0), None);
        assert!(f.take(1.0).is_some());
    }
}

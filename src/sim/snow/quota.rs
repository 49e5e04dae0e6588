//! The transaction quota (spec §4.3, §13 #1): a REST transaction that runs past its quota rule
//! (60 s for the Table API) is cancelled.
//!
//! Cancelled while it ran, a list read answers **HTTP 200** with the rows streamed so far and the
//! error appended, in this order (KB1297438, KB0866547; a recorded body ends
//! `…}],"error":{"detail":"… Check logs for error trace or enable glide.rest.debug property to
//! verify REST request processing","message":"Transaction cancelled: maximum execution time
//! exceeded"},"status":"failure"}`). Cancelled while still queued, it answers 500 and does
//! nothing. Switches: `quota_max_rows` (a page of more rows is cancelled after that many),
//! and the one-shot faults `quota_cancelled` / `quota_queued` (see `faults`).

use serde_json::Value;

use super::reply::{JSON, Reply};

pub const MESSAGE: &str = "Transaction cancelled: maximum execution time exceeded";
const DETAIL: &str = "Transaction cancelled: maximum execution time exceeded Check logs for error trace or enable \
glide.rest.debug property to verify REST request processing";

/// Cancelled while queued: 500, nothing was done.
pub fn queued() -> Reply {
    Reply::error(500, MESSAGE, Some(DETAIL))
}

/// The rows of a list read's answer, if it is one.
fn rows(reply: &Reply) -> Option<Vec<Value>> {
    if reply.status != 200 || reply.body.is_empty() {
        return None;
    }
    match serde_json::from_slice::<Value>(&reply.body)
        .ok()?
        .get_mut("result")?
        .take()
    {
        Value::Array(rows) => Some(rows),
        _ => None,
    }
}

/// The body of a cancelled read that had produced `rows`: `result` first, then the error, as
/// the instance streams it (field order matters to streaming parsers).
fn partial_body(rows: &[Value]) -> Vec<u8> {
    let rows = serde_json::to_string(rows).unwrap_or_else(|_| "[]".to_owned());
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    format!(
        r#"{{"result":{rows},"error":{{"detail":{},"message":{}}},"status":"failure"}}"#,
        quote(DETAIL),
        quote(MESSAGE)
    )
    .into_bytes()
}

fn with_rows(mut reply: Reply, rows: &[Value]) -> Reply {
    reply.body = partial_body(rows);
    reply.headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
    reply.header("Content-Type", JSON)
}

/// The one-shot `quota_cancelled`: a list read keeps its first half; anything else is
/// answered as cancelled while queued.
pub fn cancel_half(reply: Reply) -> Reply {
    match rows(&reply) {
        Some(rows) => {
            let keep = rows.len() / 2;
            with_rows(reply, &rows[..keep])
        }
        None => queued(),
    }
}

/// `quota_max_rows`: a list read of more than `max` rows is cancelled after `max` of them.
pub fn cancel_over(reply: Reply, max: usize) -> Reply {
    match rows(&reply) {
        Some(rows) if rows.len() > max => with_rows(reply, &rows[..max]),
        _ => reply,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_cancelled_read_keeps_result_first_then_the_error() {
        let full = Reply::json(
            200,
            &json!({"result": [{"a": "1"}, {"a": "2"}, {"a": "3"}, {"a": "4"}]}),
        )
        .header("X-Total-Count", "4");
        let cut = cancel_half(full.clone());
        assert_eq!(cut.status, 200);
        let text = String::from_utf8(cut.body.clone()).unwrap();
        assert!(
            text.starts_with(r#"{"result":[{"a":"1"},{"a":"2"}],"error":{"detail":"#),
            "{text}"
        );
        assert!(text.ends_with(r#""status":"failure"}"#), "{text}");
        let doc: Value = serde_json::from_slice(&cut.body).unwrap();
        assert_eq!(doc["error"]["message"], MESSAGE);
        assert!(cut.headers.iter().any(|(k, v)| k == "X-Total-Count" && v == "4"));
        assert_eq!(
            cancel_over(full.clone(), 3).body,
            partial_body(&[json!({"a": "1"}), json!({"a": "2"}), json!({"a": "3"})])
        );
        assert_eq!(cancel_over(full.clone(), 4).body, full.body);
        let write = Reply::json(201, &json!({"result": {"a": "1"}}));
        assert_eq!(cancel_half(write).status, 500);
    }
}

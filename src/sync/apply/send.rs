//! One write on the wire, what the instance kept otherwise than sent, and the Entra-style code
//! of a failure.

use serde_json::{Map, Value};

use super::request::Request;
use crate::servicenow::{self, Error};
use crate::store::{Kept, kept_digest};
use crate::sync::outcome::FailureCode;

/// Entra-style code for a ServiceNow failure. A 403 is told apart by the instance's words
/// (servicenow.md §13 #2; as instances word them: "Data Policy Exception: … mandatory: …",
/// "… was aborted by Business Rule '…'", "Unique Key violation detected by database", "ACL
/// Exception Insert Failed due to security constraints").
pub(in crate::sync) fn error_code(e: &Error) -> FailureCode {
    match e.status() {
        Some(401) => FailureCode::ServiceNowUnauthorized,
        Some(403) => refusal_code(e),
        Some(404) => FailureCode::InvalidAnchor,
        Some(429) => FailureCode::ServiceNowThrottled,
        Some(400) => FailureCode::ServiceNowBadRequest,
        Some(s) if s >= 500 => FailureCode::ServiceNowServerError,
        _ if e.retry_next_cycle() => FailureCode::ServiceNowTransientError,
        _ => FailureCode::ServiceNowError,
    }
}

/// The code of a 403, from what the instance said.
fn refusal_code(e: &Error) -> FailureCode {
    let text = e.to_string().to_ascii_lowercase();
    if text.contains("data policy exception") {
        FailureCode::ServiceNowDataPolicy
    } else if text.contains("aborted by business rule") {
        FailureCode::ServiceNowBusinessRule
    } else if text.contains("unique key violation") {
        FailureCode::DuplicateTargetEntries
    } else if text.contains("acl exception") {
        FailureCode::ServiceNowAclDenied
    } else {
        FailureCode::ServiceNowForbidden
    }
}

/// Sends one write; the row's sys_id and what the instance kept otherwise than sent.
pub(super) async fn send(client: servicenow::Client, r: Request) -> Result<(Option<String>, Vec<Kept>), Error> {
    let stored = match (r.method, &r.sys_id) {
        ("POST", _) => client.create(&r.table, &r.body).await?,
        ("PATCH", Some(id)) => client.update(&r.table, id, &r.body).await?,
        (_, Some(id)) => return client.delete(&r.table, id).await.map(|()| (None, Vec::new())),
        (_, None) => return Ok((None, Vec::new())),
    };
    let Some(sys_id) = stored.sys_id().map(|s| s.to_string()) else {
        return Ok((None, Vec::new()));
    };
    Ok((sys_id.clone().into(), kept(&sys_id, &r.body, &stored)))
}

/// The fields the instance stored otherwise than they were sent (servicenow.md §13 #6: 4-byte
/// characters as '?' on MariaDB-backed instances, strings cut to the field's length, choice
/// values canonicalised), remembered so the next comparison does not write them again.
fn kept(sys_id: &str, sent: &Map<String, Value>, stored: &servicenow::Record) -> Vec<Kept> {
    sent.iter()
        .filter_map(|(field, v)| {
            let sent = v.as_str()?;
            let kept = stored.value(field)?;
            (kept != sent).then(|| Kept {
                sys_id: sys_id.to_owned(),
                field: field.clone(),
                sent: kept_digest(field, sent),
                kept: kept_digest(field, &kept),
            })
        })
        .collect()
}

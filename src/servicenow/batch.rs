//! The Batch API (`POST /api/now/v1/batch`, spec §2): several Table API writes in one request,
//! with one result per item.
//!
//! Sub-request bodies travel base64-encoded both ways; each serviced item has its own status,
//! classified exactly like a standalone response. Items the instance did not get to before its
//! 30-s batch quota are listed in `unserviced_requests`: they are sent again in a new batch, up
//! to `retry.max_attempts` rounds, and reported as [`Error::Unserviced`] if still left over.
//! A batch runs its items one after another on the instance (no parallelism), so keep batches
//! small enough to finish in 30 s.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Map, Value, json};

use super::client::{Client, table_path};
use super::error::Error;
use super::query::check_table;
use super::record::Record;
use super::response;
use super::transport::{Request, unix_now};
use crate::model::SysId;

/// The operation of one batch item.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchOp {
    Create {
        table: String,
        fields: Map<String, Value>,
    },
    Update {
        table: String,
        sys_id: SysId,
        fields: Map<String, Value>,
    },
    Delete {
        table: String,
        sys_id: SysId,
    },
}

impl BatchOp {
    fn method(&self) -> &'static str {
        match self {
            BatchOp::Create { .. } => "POST",
            BatchOp::Update { .. } => "PATCH",
            BatchOp::Delete { .. } => "DELETE",
        }
    }

    fn table(&self) -> &str {
        match self {
            BatchOp::Create { table, .. } | BatchOp::Update { table, .. } | BatchOp::Delete { table, .. } => table,
        }
    }

    fn url(&self) -> String {
        match self {
            BatchOp::Create { table, .. } => format!("{}?sysparm_exclude_reference_link=true", table_path(table, None)),
            BatchOp::Update { table, sys_id, .. } => {
                format!(
                    "{}?sysparm_exclude_reference_link=true",
                    table_path(table, Some(sys_id))
                )
            }
            BatchOp::Delete { table, sys_id } => table_path(table, Some(sys_id)),
        }
    }

    fn body(&self) -> Option<&Map<String, Value>> {
        match self {
            BatchOp::Create { fields, .. } | BatchOp::Update { fields, .. } => Some(fields),
            BatchOp::Delete { .. } => None,
        }
    }
}

/// The outcome of one item, in the order the items were given. `Ok(None)` for a delete.
pub type BatchResult = Result<Option<Record>, Error>;

impl Client {
    /// Sends `ops` as one batch (plus follow-up batches for unserviced items) and returns one
    /// result per op, in order. An `Err` of the whole call means no item result is known (the
    /// batch request itself failed).
    pub async fn batch(&self, ops: &[BatchOp]) -> Result<Vec<BatchResult>, Error> {
        for op in ops {
            check_table(op.table()).map_err(|e| self.query_error(op.method(), op.table(), e))?;
        }
        let mut results: Vec<Option<BatchResult>> = ops.iter().map(|_| None).collect();
        let mut pending: Vec<usize> = (0..ops.len()).collect();
        let rounds = self.inner.options.retry.max_attempts.max(1);
        for _ in 0..rounds {
            if pending.is_empty() {
                break;
            }
            pending = self.batch_round(ops, &pending, &mut results).await?;
        }
        for i in pending {
            results[i] = Some(Err(Error::Unserviced {
                ctx: self.ctx(ops[i].method(), Some(ops[i].table())),
            }));
        }
        Ok(results
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                r.unwrap_or_else(|| {
                    let ctx = self.ctx(ops[i].method(), Some(ops[i].table()));
                    Err(Error::Decode {
                        ctx,
                        detail: "the batch answer has no result for this item".into(),
                    })
                })
            })
            .collect())
    }

    /// One batch request for the items `pending`; returns the indices left unserviced.
    async fn batch_round(
        &self,
        ops: &[BatchOp],
        pending: &[usize],
        results: &mut [Option<BatchResult>],
    ) -> Result<Vec<usize>, Error> {
        let items: Vec<Value> = pending
            .iter()
            .map(|&i| {
                let op = &ops[i];
                let mut item = json!({
                    "id": i.to_string(),
                    "method": op.method(),
                    "url": op.url(),
                    "headers": [
                        {"name": "Accept", "value": "application/json"},
                        {"name": "Content-Type", "value": "application/json"}
                    ],
                    "exclude_response_headers": false,
                });
                if let Some(body) = op.body() {
                    item["body"] = Value::String(B64.encode(Value::Object(body.clone()).to_string()));
                }
                item
            })
            .collect();
        let body = json!({"batch_request_id": "1", "rest_requests": items})
            .to_string()
            .into_bytes();
        let req = Request {
            method: Method::POST,
            table: Some("batch".to_owned()),
            path: "/api/now/v1/batch".to_owned(),
            query: Vec::new(),
            body: Some(body),
            want_result: false,
        };
        let resp = self.send(&req).await?;
        let ctx = self.ctx("POST", Some("batch"));
        let answer = resp.body.unwrap_or_default();
        let Some(serviced) = answer.get("serviced_requests").and_then(Value::as_array) else {
            return Err(Error::Decode {
                ctx,
                detail: "no \"serviced_requests\" in the batch answer".into(),
            });
        };
        for item in serviced {
            let Some(i) = item_index(item).filter(|i| pending.contains(i)) else {
                continue;
            };
            results[i] = Some(self.item_result(&ops[i], item));
        }
        let unserviced: Vec<usize> = match answer.get("unserviced_requests").and_then(Value::as_array) {
            Some(ids) => ids
                .iter()
                .filter_map(item_index)
                .filter(|i| pending.contains(i))
                .collect(),
            None => Vec::new(),
        };
        Ok(pending
            .iter()
            .copied()
            .filter(|i| unserviced.contains(i) || results[*i].is_none())
            .collect())
    }

    fn item_result(&self, op: &BatchOp, item: &Value) -> BatchResult {
        let ctx = self.ctx(op.method(), Some(op.table()));
        let status = item.get("status_code").and_then(Value::as_u64).unwrap_or(0) as u16;
        let mut headers = HeaderMap::new();
        for h in item.get("headers").and_then(Value::as_array).into_iter().flatten() {
            let (Some(n), Some(v)) = (
                h.get("name").and_then(Value::as_str),
                h.get("value").and_then(Value::as_str),
            ) else {
                continue;
            };
            if let (Ok(n), Ok(v)) = (n.parse::<reqwest::header::HeaderName>(), v.parse()) {
                headers.insert(n, v);
            }
        }
        if !headers.contains_key(reqwest::header::CONTENT_TYPE) {
            headers.insert(
                reqwest::header::CONTENT_TYPE,
                reqwest::header::HeaderValue::from_static("application/json"),
            );
        }
        let raw = item.get("body").and_then(Value::as_str).unwrap_or("");
        let body = B64.decode(raw.trim()).map_err(|e| Error::Decode {
            ctx: ctx.clone(),
            detail: format!("item body is not base64: {e}"),
        })?;
        let status = if status == 0 { 500 } else { status };
        let v = response::classify(ctx.clone(), status, &headers, &body, true, unix_now())?;
        match v.and_then(|mut v| v.get_mut("result").map(Value::take)) {
            Some(Value::Object(m)) => Ok(Some(Record(m))),
            None if matches!(op, BatchOp::Delete { .. }) => Ok(None),
            _ if matches!(op, BatchOp::Delete { .. }) => Ok(None),
            _ => Err(Error::Decode {
                ctx,
                detail: "\"result\" is not a record".into(),
            }),
        }
    }
}

/// Our item ids are the indices of the ops; the instance echoes them as strings.
fn item_index(v: &Value) -> Option<usize> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64().map(|n| n as usize),
        Value::Object(o) => o.get("id").and_then(item_index),
        _ => None,
    }
}

//! The shared Table API client: one per instance, cheap to clone (an `Arc` inside).
//!
//! Owns the HTTP client (no cookie jar, no redirects, a timeout), the in-flight limit (found
//! by itself below `max_in_flight`: `net::limiter`), authentication, retries and the per-client
//! schema cache. Sending is in `transport`.
//!
//! Why no cookies: requests that share a session are serialised by the instance and answered
//! 202-empty when more than ~10 queue (spec §3.1). Why no redirects: a hibernating or
//! SSO-fronted instance redirects to an HTML page; following it would hide what happened (and
//! could carry credentials elsewhere), so a 3xx is reported as "not a ServiceNow answer".
//! Paths are versioned (`/api/now/v2/table/...`) so an empty list is `200 []` on every instance.

use std::sync::Arc;

use reqwest::Method;
use serde_json::{Map, Value};

use super::error::{Context, Error};
use super::list::{DisplayValue, ListParams, Page};
use super::query::{QueryError, check_field, check_table};
use super::record::Record;
use super::transport::{Inner, Request, header_str};
use super::{Auth, ClientOptions, Instance};
use crate::model::SysId;

/// A shared client for one instance. Clones share the connection pool, the in-flight limit,
/// the pause, the token and the schema cache.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("instance", &self.inner.instance.base_url())
            .finish_non_exhaustive()
    }
}

/// The longest URL nowsync sends. Servicenow.md §1.7: an instance answers a very long URL with
/// an HTML 400 ("Request header is too large"); "keep URLs < ~2 KB" (ANS switches to a tiny
/// URL above 2048 characters).
pub const MAX_URL: usize = 2048;

/// What a whole-list read adds to a query: `^sys_id>` and a sys_id (keyset paging) or a key
/// range's two bounds, their `^` joints, and a `sysparm_offset` when it steps over a page ACLs
/// emptied, all encoded.
const READ_ROOM: usize = 120;

impl Client {
    /// Builds the client. Fails only when the HTTP stack cannot be set up.
    pub fn new(instance: Instance, auth: Auth, options: ClientOptions) -> Result<Client, Error> {
        Ok(Client {
            inner: Arc::new(Inner::new(instance, &auth, options)?),
        })
    }

    pub fn instance(&self) -> &Instance {
        &self.inner.instance
    }

    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// How many requests the client lets be in flight now: what it has found the instance
    /// serves at once, at most `max_in_flight`.
    pub fn in_flight_limit(&self) -> usize {
        self.inner.in_flight_limit()
    }

    /// One page of `table` (GET list). A page the instance's transaction quota cancelled
    /// while it ran (a partial result, servicenow.md §13 #1) is never used: it is asked for
    /// once more. (Cancelled while queued is a 500, retried by the retry policy.)
    pub async fn list(&self, table: &str, params: &ListParams) -> Result<Page, Error> {
        match self.list_page(table, params).await {
            Err(e @ Error::Cancelled { .. }) => {
                tracing::warn!(%table, "{e}");
                self.list_page(table, params).await
            }
            other => other,
        }
    }

    /// One page of `table`, as answered: a cancelled page is an error ([`Client::read_all`]
    /// asks for it again smaller).
    pub(super) async fn list_page(&self, table: &str, params: &ListParams) -> Result<Page, Error> {
        let req = self.list_request(table, params)?;
        let mut resp = self.send(&req).await?;
        let ctx = self.ctx("GET", Some(table));
        let records = match resp.body.as_mut().and_then(|v| v.get_mut("result")).map(Value::take) {
            Some(Value::Array(rows)) => rows
                .into_iter()
                .map(|r| to_record(&ctx, r))
                .collect::<Result<Vec<_>, _>>()?,
            _ => {
                return Err(Error::Decode {
                    ctx,
                    detail: "\"result\" is not a list".into(),
                });
            }
        };
        let total = header_str(&resp.headers, "x-total-count").and_then(|v| v.trim().parse().ok());
        let next = header_str(&resp.headers, "link").and_then(|l| super::paging::link_rel(l, "next"));
        Ok(Page { records, total, next })
    }

    /// One record by sys_id. A missing record is [`Error::NotFound`].
    pub async fn get(&self, table: &str, sys_id: &SysId, fields: &[&str]) -> Result<Record, Error> {
        let mut query = vec![("sysparm_exclude_reference_link", "true".to_owned())];
        if !fields.is_empty() {
            for f in fields {
                check_field(f).map_err(|e| self.query_error("GET", table, e))?;
            }
            query.push(("sysparm_fields", fields.join(",")));
        }
        let req = self.table_request(Method::GET, table, Some(sys_id), query, None)?;
        self.one(&req).await
    }

    /// Creates a record (POST, 201) and returns it as stored.
    pub async fn create(&self, table: &str, fields: &Map<String, Value>) -> Result<Record, Error> {
        let body = serde_json::to_vec(fields).unwrap_or_default();
        let query = vec![("sysparm_exclude_reference_link", "true".to_owned())];
        let req = self.table_request(Method::POST, table, None, query, Some(body))?;
        self.one(&req).await
    }

    /// Changes the given fields of a record (PATCH) and returns it as stored.
    pub async fn update(&self, table: &str, sys_id: &SysId, fields: &Map<String, Value>) -> Result<Record, Error> {
        let body = serde_json::to_vec(fields).unwrap_or_default();
        let query = vec![("sysparm_exclude_reference_link", "true".to_owned())];
        let req = self.table_request(Method::PATCH, table, Some(sys_id), query, Some(body))?;
        self.one(&req).await
    }

    /// Deletes a record (DELETE, 204).
    pub async fn delete(&self, table: &str, sys_id: &SysId) -> Result<(), Error> {
        let req = self.table_request(Method::DELETE, table, Some(sys_id), Vec::new(), None)?;
        self.send(&req).await.map(|_| ())
    }

    /// A list whose result drives writes (which rows to update or delete): the query's fields
    /// are checked against the table's schema first, because the instance silently drops
    /// conditions on unknown fields and would match more rows (spec §1.4).
    pub async fn list_for_write(&self, table: &str, params: &ListParams) -> Result<Page, Error> {
        self.validate_query(table, &params.query).await?;
        self.list(table, params).await
    }

    async fn one(&self, req: &Request) -> Result<Record, Error> {
        let mut resp = self.send(req).await?;
        let ctx = self.ctx(req.method.as_str(), req.table.as_deref());
        match resp.body.as_mut().and_then(|v| v.get_mut("result")).map(Value::take) {
            Some(v @ Value::Object(_)) => to_record(&ctx, v),
            _ => Err(Error::Decode {
                ctx,
                detail: "\"result\" is not a record".into(),
            }),
        }
    }

    pub(crate) fn ctx(&self, method: &str, table: Option<&str>) -> Context {
        Context::new(self.inner.instance.to_string(), method, table)
    }

    pub(crate) fn query_error(&self, method: &str, table: &str, source: QueryError) -> Error {
        Error::Query {
            ctx: self.ctx(method, Some(table)),
            source,
        }
    }

    /// The room, in encoded bytes, for the conditions of a whole-list read ([`Client::read_all`])
    /// of `table` with `params` (whose query holds its order terms only): [`MAX_URL`] less the
    /// rest of its URL — the instance, the path, every other parameter, the order terms — and
    /// what the read itself adds (keyset or key-range conditions, an offset). Chunked `IN` lists
    /// are measured against it ([`super::Cond::in_chunks`]), so a chunk is as large as the URL
    /// allows and no larger (review R8).
    pub fn query_room(&self, table: &str, params: &ListParams) -> usize {
        let Ok(req) = self.list_request(table, params) else {
            return 0;
        };
        let pairs: usize = req
            .query
            .iter()
            .map(|(k, v)| k.len() + 2 + super::query::encoded_len(v))
            .sum();
        let rest = self.inner.instance.url(&req.path).len() + pairs + READ_ROOM;
        MAX_URL.saturating_sub(rest)
    }

    pub(crate) fn list_request(&self, table: &str, p: &ListParams) -> Result<Request, Error> {
        let q = p.query.encode().map_err(|e| self.query_error("GET", table, e))?;
        let limit = p.limit.unwrap_or(self.inner.options.page_size).clamp(1, 10_000);
        let mut query = vec![("sysparm_query", q), ("sysparm_limit", limit.to_string())];
        if p.offset > 0 {
            query.push(("sysparm_offset", p.offset.to_string()));
        }
        if !p.fields.is_empty() {
            for f in &p.fields {
                check_field(f).map_err(|e| self.query_error("GET", table, e))?;
            }
            query.push(("sysparm_fields", p.fields.join(",")));
        }
        let dv = match p.display_value {
            DisplayValue::False => "false",
            DisplayValue::True => "true",
            DisplayValue::All => "all",
        };
        query.push(("sysparm_display_value", dv.to_owned()));
        query.push(("sysparm_exclude_reference_link", p.exclude_reference_link.to_string()));
        if p.no_count {
            query.push(("sysparm_no_count", "true".to_owned()));
        }
        self.table_request(Method::GET, table, None, query, None)
    }

    pub(crate) fn table_request(
        &self,
        method: Method,
        table: &str,
        sys_id: Option<&SysId>,
        query: Vec<(&'static str, String)>,
        body: Option<Vec<u8>>,
    ) -> Result<Request, Error> {
        check_table(table).map_err(|e| self.query_error(method.as_str(), table, e))?;
        let path = table_path(table, sys_id);
        Ok(Request {
            method,
            table: Some(table.to_owned()),
            path,
            query,
            body,
            want_result: true,
        })
    }
}

/// `/api/now/v2/table/{table}[/{sys_id}]`, each segment through the one encoder (`net::encode`).
pub(crate) fn table_path(table: &str, sys_id: Option<&SysId>) -> String {
    let table = crate::net::encode::segment(table);
    match sys_id {
        Some(id) => format!("/api/now/v2/table/{table}/{}", crate::net::encode::segment(id.as_str())),
        None => format!("/api/now/v2/table/{table}"),
    }
}

fn to_record(ctx: &Context, v: Value) -> Result<Record, Error> {
    match v {
        Value::Object(m) => Ok(Record(m)),
        _ => Err(Error::Decode {
            ctx: ctx.clone(),
            detail: "a row is not a JSON object".into(),
        }),
    }
}

//! The shared Table API client: one per instance, cheap to clone (an `Arc` inside).
//!
//! Owns the HTTP client (no cookie jar, no redirects, a timeout), the in-flight ceiling (a
//! semaphore, default 8: above the instance's 4 API_INT slots so they never idle, far below the
//! 54 that overflow its queue — DESIGN "performance model"), authentication, retries and the
//! per-client schema cache.
//!
//! Why no cookies: requests that share a session are serialised by the instance and answered
//! 202-empty when more than ~10 queue (spec §3.1). Why no redirects: a hibernating or
//! SSO-fronted instance redirects to an HTML page; following it would hide what happened (and
//! could carry credentials elsewhere), so a 3xx is reported as "not a ServiceNow answer".
//! Paths are versioned (`/api/now/v2/table/...`) so an empty list is `200 []` on every instance.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap};
use serde_json::{Map, Value};
use tokio::sync::Semaphore;

use super::auth::AuthState;
use super::error::{Context, Error};
use super::list::{DisplayValue, ListParams, Page};
use super::query::{QueryError, check_field, check_table};
use super::record::Record;
use super::response;
use super::schema::TableSchema;
use super::{Auth, ClientOptions, Instance};
use crate::model::SysId;
use crate::net::retry::{self, Pause};

/// A shared client for one instance. Clones share the connection pool, the in-flight ceiling,
/// the token and the schema cache.
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

pub(crate) struct Inner {
    pub(crate) instance: Instance,
    pub(crate) http: reqwest::Client,
    auth: AuthState,
    pub(crate) options: ClientOptions,
    /// Set by a throttle that names a wait: no request is sent while it lasts.
    pause: Pause,
    permits: Semaphore,
    pub(crate) schemas: Mutex<HashMap<String, Arc<TableSchema>>>,
}

/// A response the caller may read: status, headers and the JSON body (none for 204).
pub(crate) struct Response {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Value>,
}

/// A request, described once and sent as many times as retries need.
pub(crate) struct Request {
    pub(crate) method: Method,
    pub(crate) table: Option<String>,
    pub(crate) path: String,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Option<Vec<u8>>,
    /// Table API answers must carry `result`; batch answers need not.
    pub(crate) want_result: bool,
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Client {
    /// Builds the client. Fails only when the HTTP stack cannot be set up.
    pub fn new(instance: Instance, auth: Auth, options: ClientOptions) -> Result<Client, Error> {
        let setup = |detail: String| Error::Setup {
            instance: instance.to_string(),
            detail,
        };
        let http = http_client(&options).map_err(|e| setup(e.to_string()))?;
        let auth = AuthState::new(&auth).map_err(setup)?;
        let permits = Semaphore::new(options.max_in_flight.max(1));
        let inner = Inner {
            instance,
            http,
            auth,
            options,
            pause: Pause::default(),
            permits,
            schemas: Mutex::new(HashMap::new()),
        };
        Ok(Client { inner: Arc::new(inner) })
    }

    pub fn instance(&self) -> &Instance {
        &self.inner.instance
    }

    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// One page of `table` (GET list).
    pub async fn list(&self, table: &str, params: &ListParams) -> Result<Page, Error> {
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
        let path = match sys_id {
            Some(id) => format!("/api/now/v2/table/{table}/{id}"),
            None => format!("/api/now/v2/table/{table}"),
        };
        Ok(Request {
            method,
            table: Some(table.to_owned()),
            path,
            query,
            body,
            want_result: true,
        })
    }

    /// Sends with the in-flight ceiling, retries and throttling (`net::retry`, judged by
    /// [`Error::verdict`]), and one token refresh on a 401 with OAuth.
    pub(crate) async fn send(&self, req: &Request) -> Result<Response, Error> {
        let refreshed = AtomicBool::new(false);
        let ambiguous = AtomicBool::new(false);
        let method = req.method.as_str();
        retry::run(
            &self.inner.options.retry,
            &self.inner.pause,
            || self.attempt(req, &refreshed, &ambiguous),
            |e: &Error| e.verdict(method),
        )
        .await
    }

    /// One attempt: authenticate, send, and refresh an OAuth token once if it was refused.
    async fn attempt(&self, req: &Request, refreshed: &AtomicBool, ambiguous: &AtomicBool) -> Result<Response, Error> {
        let inner = &self.inner;
        loop {
            let auth = inner
                .auth
                .header(&inner.http, &inner.instance, inner.options.timeout)
                .await?;
            match self.send_once(req, auth.clone()).await {
                Err(Error::Unauthorized { .. }) if inner.auth.is_oauth() && !refreshed.swap(true, Ordering::SeqCst) => {
                    inner.auth.invalidate(&auth).await;
                }
                // The record is gone: if an earlier attempt may have run (the answer was
                // lost), that attempt deleted it, and a retried DELETE has succeeded.
                Err(Error::NotFound { .. }) if req.method == Method::DELETE && ambiguous.load(Ordering::SeqCst) => {
                    return Ok(Response {
                        headers: HeaderMap::new(),
                        body: None,
                    });
                }
                Err(e) => {
                    if matches!(
                        e,
                        Error::Dropped { .. } | Error::Truncated { .. } | Error::Timeout { .. }
                    ) {
                        ambiguous.store(true, Ordering::SeqCst);
                    }
                    return Err(e);
                }
                ok => return ok,
            }
        }
    }

    async fn send_once(&self, req: &Request, auth: reqwest::header::HeaderValue) -> Result<Response, Error> {
        let inner = &self.inner;
        let ctx = self.ctx(req.method.as_str(), req.table.as_deref());
        let mut url = url::Url::parse(&inner.instance.url(&req.path)).map_err(|e| Error::Setup {
            instance: inner.instance.to_string(),
            detail: e.to_string(),
        })?;
        if !req.query.is_empty() {
            // Form encoding: `^`→%5E, `=`→%3D, `,`→%2C, `@`→%40, space→`+` (spec §1.4).
            url.query_pairs_mut()
                .extend_pairs(req.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let mut builder = inner
            .http
            .request(req.method.clone(), url)
            .header(ACCEPT, "application/json");
        builder = builder.header(AUTHORIZATION, auth);
        if let Some(body) = &req.body {
            builder = builder.header(CONTENT_TYPE, "application/json").body(body.clone());
        }
        let timeout = inner.options.timeout;
        // The permit covers the exchange only, not backoff waits or a pause.
        inner.pause.wait().await;
        let _permit = inner.permits.acquire().await.map_err(|_| Error::Setup {
            instance: inner.instance.to_string(),
            detail: "the client was shut down".into(),
        })?;
        let resp = builder
            .send()
            .await
            .map_err(|e| response::from_reqwest(ctx.clone(), &e, timeout))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| {
            let mut ctx = ctx.clone();
            ctx.transaction_id = header_str(&headers, super::error::TRANSACTION_ID_HEADER).map(str::to_owned);
            // The headers came; the body did not finish: a cut-off answer (quota cancellation or a
            // dropped connection), unless the clock ran out.
            if e.is_timeout() {
                Error::Timeout { ctx, after: timeout }
            } else {
                Error::Truncated {
                    ctx,
                    detail: e.to_string(),
                }
            }
        })?;
        let body = response::classify(ctx, status, &headers, &body, req.want_result, unix_now())?;
        Ok(Response { headers, body })
    }
}

fn http_client(options: &ClientOptions) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(options.timeout)
        .connect_timeout(response::connect_timeout(options.timeout))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("nowsync/", env!("CARGO_PKG_VERSION")))
        .build()
}

pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
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

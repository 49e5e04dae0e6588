//! Sending one request: the in-flight limit (`net::limiter`), the client-wide pause and retries
//! (`net::retry`, judged by [`Error::verdict`]), authentication with one token refresh, and the
//! classification of the answer (`response`).
//!
//! Invariants: a request holds its place in the limit only while it is on the wire, never
//! during a backoff; its latency, and whether it was throttled, teach the limiter.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap};
use serde_json::Value;

use super::auth::AuthState;
use super::client::Client;
use super::error::{Error, SetupError};
use super::response;
use super::schema::TableSchema;
use super::{Auth, ClientOptions, Instance};
use crate::net::limiter::{Limiter, Outcome};
use crate::net::retry::{self, Pause};

/// Where the in-flight limit starts: one node's API_INT slots (spec §4.2).
const INITIAL_IN_FLIGHT: usize = 4;

pub(crate) struct Inner {
    pub(crate) instance: Instance,
    pub(crate) http: reqwest::Client,
    auth: AuthState,
    pub(crate) options: ClientOptions,
    /// Set by a throttle that names a wait: no request is sent while it lasts.
    pause: Pause,
    limiter: Limiter,
    pub(crate) schemas: Mutex<HashMap<String, Arc<TableSchema>>>,
}

impl Inner {
    pub(crate) fn new(instance: Instance, auth: &Auth, options: ClientOptions) -> Result<Inner, Error> {
        let setup = |source: SetupError| Error::Setup {
            instance: instance.to_string(),
            source,
        };
        let http = http_client(&options).map_err(setup)?;
        let auth = AuthState::new(auth).map_err(|e| setup(e.into()))?;
        let limiter = Limiter::new(INITIAL_IN_FLIGHT, options.max_in_flight);
        Ok(Inner {
            instance,
            http,
            auth,
            options,
            pause: Pause::default(),
            limiter,
            schemas: Mutex::new(HashMap::new()),
        })
    }

    /// The in-flight limit the client has found so far.
    pub(crate) fn in_flight_limit(&self) -> usize {
        self.limiter.limit()
    }
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
    /// The wait of each client-wide pause a 429 with `Retry-After` starts, once per pause (the
    /// engine says it in the console's log pane).
    pub fn throttles(&self) -> tokio::sync::broadcast::Receiver<std::time::Duration> {
        self.inner.pause.subscribe()
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
        let mut url = url::Url::parse(&inner.instance.url(&req.path)).map_err(|e| Error::Setup {
            instance: inner.instance.to_string(),
            source: e.into(),
        })?;
        if !req.query.is_empty() {
            // Form encoding: `^`→%5E, `=`→%3D, `,`→%2C, `@`→%40, space→`+` (spec §1.4).
            url.query_pairs_mut()
                .extend_pairs(req.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let mut builder = inner
            .http
            .request(req.method.clone(), url)
            .header(ACCEPT, "application/json")
            .header(AUTHORIZATION, auth);
        if let Some(body) = &req.body {
            builder = builder.header(CONTENT_TYPE, "application/json").body(body.clone());
        }
        // The place in the limit covers the exchange only, not backoff waits or a pause.
        inner.pause.wait().await;
        let mut permit = inner.limiter.acquire().await;
        inner.pause.wait().await;
        permit.sending();
        let result = self.exchange(req, builder).await;
        if matches!(result, Err(Error::RateLimited { .. })) {
            RATE_LIMITED.fetch_add(1, Ordering::Relaxed);
        }
        permit.finish(limiter_outcome(req, &result));
        result
    }

    async fn exchange(&self, req: &Request, builder: reqwest::RequestBuilder) -> Result<Response, Error> {
        let ctx = self.ctx(req.method.as_str(), req.table.as_deref());
        let timeout = self.inner.options.timeout;
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
        if status == 401 && self.inner.auth.is_basic() && response::refuses_basic(&headers) {
            return Err(Error::BasicRefused {
                ctx: ctx.with_headers(&headers),
            });
        }
        let body = response::classify(ctx, status, &headers, &body, req.want_result, unix_now())?;
        Ok(Response { headers, body })
    }
}

/// 429 answers of ServiceNow in this process, for `nowsync run --metrics`
/// (`nowsync_servicenow_throttled_total`): one engine per `run` process, so it is the engine's.
pub static RATE_LIMITED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// 429 answers so far (see [`RATE_LIMITED`]).
pub fn rate_limited_total() -> u64 {
    RATE_LIMITED.load(Ordering::Relaxed)
}

/// What one exchange teaches the limiter. Any answer of the instance is a latency sample, its
/// verdict on our request included; 429, 202-empty and a timeout say it is overloaded. A batch
/// runs its items one after another (spec §2), so its latency is many requests': no sample.
fn limiter_outcome(req: &Request, result: &Result<Response, Error>) -> Outcome {
    if req.table.as_deref() == Some("batch") {
        return Outcome::Ignored;
    }
    match result {
        Ok(_) => Outcome::Answered,
        Err(Error::RateLimited { .. } | Error::AcceptedEmpty { .. } | Error::Timeout { .. }) => Outcome::Throttled,
        Err(
            Error::BadRequest { .. }
            | Error::Unauthorized { .. }
            | Error::BasicRefused { .. }
            | Error::Forbidden { .. }
            | Error::NotFound { .. }
            | Error::Status { .. }
            | Error::Decode { .. },
        ) => Outcome::Answered,
        Err(_) => Outcome::Ignored,
    }
}

/// The HTTP client: the service's trust, proxy and resolver (`net::http`), a timeout, no
/// cookies, no redirects.
fn http_client(options: &ClientOptions) -> Result<reqwest::Client, SetupError> {
    let builder = options.transport.client_builder()?;
    builder
        .timeout(options.timeout)
        .connect_timeout(response::connect_timeout(options.timeout))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("nowsync/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(SetupError::Client)
}

pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

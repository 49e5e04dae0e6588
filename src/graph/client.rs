//! The Graph client: client-credentials token (cached, refreshed ahead of `expires_in`, dropped
//! and fetched again once on a 401 `InvalidAuthenticationToken`), and requests with retries.
//!
//! Invariants: the secret reaches only the token request; every failed call is logged with its
//! `request-id`; the token lock is never held across a Graph request.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::cloud::Endpoints;
use super::error::{Error, GraphError};
use super::token_error::TokenError;
use crate::config::Entra;
use crate::net::retry::{self, Pause, Policy};
use crate::secrets::Secret;

/// Client behaviour knobs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Attempts after failures, and how long throttling (429, 503) is waited out.
    pub retry: Policy,
    /// Refresh the token this long before it expires (spec §1.5: 5 minutes).
    pub refresh_skew: Duration,
    /// Per-request timeout (none when `None`).
    pub timeout: Option<Duration>,
    /// Send `x-ms-throttle-priority: low`, as background sync should (spec §9.2).
    pub low_priority: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            retry: Policy {
                base: Duration::from_secs(1),
                cap: Duration::from_secs(60),
                ..Policy::default()
            },
            refresh_skew: Duration::from_secs(300),
            timeout: Some(Duration::from_secs(100)),
            low_priority: true,
        }
    }
}

#[derive(Debug, Clone)]
struct CachedToken {
    value: String,
    refresh_at: Instant,
}

struct Inner {
    http: reqwest::Client,
    endpoints: Endpoints,
    tenant_id: String,
    client_id: String,
    service_principal_id: String,
    secret: Secret,
    options: Options,
    token: Mutex<Option<CachedToken>>,
    /// Set by a throttle that names a wait: no request is sent while it lasts.
    pause: Pause,
}

/// A Microsoft Graph client for one tenant and app registration. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("graph::Client")
            .field("graph", &self.inner.endpoints.graph)
            .field("tenant_id", &self.inner.tenant_id)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Builds a client; nothing is sent until the first request.
    pub fn new(settings: &Entra, secret: Secret, options: Options) -> Result<Client, Error> {
        let endpoints = Endpoints::resolve(settings)?;
        let transport =
            crate::net::http::Transport::new(settings.network.ca_file.clone(), settings.network.proxy.clone());
        let mut builder = transport
            .client_builder()
            .map_err(|e| Error::Config(format!("[entra] {e}")))?
            .user_agent(concat!("nowsync/", env!("CARGO_PKG_VERSION")));
        if let Some(t) = options.timeout {
            builder = builder.timeout(t);
        }
        let http = builder
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                endpoints,
                tenant_id: settings.tenant_id.clone(),
                client_id: settings.client_id.clone(),
                service_principal_id: settings.service_principal_id.clone(),
                secret,
                options,
                token: Mutex::new(None),
                pause: Pause::default(),
            }),
        })
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.inner.endpoints
    }

    /// The enterprise app's service principal object id (from the settings).
    pub fn service_principal_id(&self) -> &str {
        &self.inner.service_principal_id
    }

    /// An absolute URL for a path below the versioned Graph base (`/users?$top=1`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.endpoints.graph)
    }

    /// Requests a token now (cached for later calls); for test connection.
    pub async fn sign_in(&self) -> Result<(), Error> {
        *self.inner.token.lock().await = None;
        self.token().await.map(|_| ())
    }

    async fn token(&self) -> Result<String, Error> {
        let mut cached = self.inner.token.lock().await;
        if let Some(t) = cached.as_ref().filter(|t| Instant::now() < t.refresh_at) {
            return Ok(t.value.clone());
        }
        let fresh = self.with_retries(true, || self.fetch_token()).await?;
        let value = fresh.value.clone();
        *cached = Some(fresh);
        Ok(value)
    }

    async fn fetch_token(&self) -> Result<CachedToken, Error> {
        let url = self.inner.endpoints.token_url(&self.inner.tenant_id);
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.inner.client_id.as_str()),
            ("client_secret", self.inner.secret.expose()),
            ("scope", self.inner.endpoints.scope.as_str()),
        ];
        let resp = self
            .inner
            .http
            .post(&url)
            .form(&form)
            .send()
            .await
            .map_err(|source| Error::Network {
                url: url.clone(),
                source,
            })?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(|source| Error::Network {
            url: url.clone(),
            source,
        })?;
        if status != 200 {
            let e = TokenError::from_body(status, &body);
            tracing::warn!(status, code = ?e.code, trace_id = e.trace_id.as_deref().unwrap_or("-"), "token request refused");
            return Err(Error::Token(e));
        }
        #[derive(serde::Deserialize)]
        struct Ok {
            access_token: String,
            expires_in: Option<Value>,
        }
        let ok: Ok = serde_json::from_slice(&body).map_err(|source| Error::Decode {
            url,
            request_id: None,
            source,
        })?;
        // Key on `expires_in`, never assume 3600 (spec §1.3); some proxies send it as a string.
        let secs = match ok.expires_in {
            Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
            Some(Value::String(s)) => s.parse().unwrap_or(0),
            _ => 0,
        };
        let lifetime = Duration::from_secs(secs);
        let skew = self.inner.options.refresh_skew.min(lifetime / 2);
        Ok(CachedToken {
            value: ok.access_token,
            refresh_at: Instant::now() + lifetime - skew,
        })
    }

    /// One Graph request with retries; returns the body and headers of a 2xx answer.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<(bytes::Bytes, reqwest::header::HeaderMap), Error> {
        self.check_host(url)?;
        let idempotent = matches!(method, Method::GET | Method::PUT | Method::DELETE);
        self.with_retries(idempotent, || self.send_once(method.clone(), url, body))
            .await
    }

    /// The bearer token goes to the configured Graph host only: a stored delta or next link
    /// that points elsewhere (state made against another cloud or a re-pointed profile, issue
    /// 12) is refused before anything is sent.
    fn check_host(&self, url: &str) -> Result<(), Error> {
        let graph = &self.inner.endpoints.graph;
        let origin = |u: &str| -> Option<String> {
            let parsed = url::Url::parse(u).ok()?;
            Some(parsed.origin().ascii_serialization())
        };
        match (origin(url), origin(graph)) {
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(&b) => Ok(()),
            _ => Err(Error::Config(format!(
                "refusing to send the access token to {}: it is not on the configured Graph host {graph} (a link stored for another tenant or cloud); `nowsync restart --scope watermark` drops the stored delta links",
                url.split('?').next().unwrap_or(url)
            ))),
        }
    }

    /// The tenant's id as Graph names it (`GET /organization`); `None` when the app may not
    /// read it (it needs Organization.Read.All or Directory.Read.All).
    pub async fn organization_id(&self) -> Result<Option<String>, Error> {
        #[derive(serde::Deserialize)]
        struct Org {
            id: String,
        }
        #[derive(serde::Deserialize)]
        struct Orgs {
            value: Vec<Org>,
        }
        match self.get_json::<Orgs>(&self.url("/organization?$select=id")).await {
            Ok(orgs) => Ok(orgs.value.into_iter().next().map(|o| o.id.to_ascii_lowercase())),
            Err(Error::Graph(g)) if g.status == 403 => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The configured tenant (an id or a domain name).
    pub fn tenant_id(&self) -> &str {
        &self.inner.tenant_id
    }

    async fn with_retries<T, F, Fut>(&self, idempotent: bool, op: F) -> Result<T, Error>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        let inner = &self.inner;
        let attempt = || async {
            inner.pause.wait().await;
            op().await
        };
        retry::run(&inner.options.retry, &inner.pause, attempt, |e: &Error| {
            e.verdict(idempotent)
        })
        .await
    }

    async fn send_once(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<(bytes::Bytes, reqwest::header::HeaderMap), Error> {
        let mut refreshed = false;
        loop {
            let token = self.token().await?;
            let mut req = self.inner.http.request(method.clone(), url).bearer_auth(token);
            if self.inner.options.low_priority {
                req = req.header("x-ms-throttle-priority", "low");
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            let resp = req.send().await.map_err(|source| Error::Network {
                url: url.to_owned(),
                source,
            })?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let bytes = resp.bytes().await.map_err(|source| Error::Network {
                url: url.to_owned(),
                source,
            })?;
            if (200..300).contains(&status) {
                return Ok((bytes, headers));
            }
            let err = GraphError::from_response(method.as_str(), url, status, &headers, &bytes);
            tracing::warn!(
                status,
                code = %err.code,
                request_id = err.request_id.as_deref().unwrap_or("-"),
                "Graph call failed: {} {}", method, url.split('?').next().unwrap_or(url)
            );
            // An expired or revoked token: drop it and try once more with a fresh one (spec §1.5).
            if status == 401 && !refreshed && err.code.eq_ignore_ascii_case("InvalidAuthenticationToken") {
                refreshed = true;
                *self.inner.token.lock().await = None;
                continue;
            }
            return Err(Error::Graph(Box::new(err)));
        }
    }

    /// GET and decode a JSON answer.
    pub async fn get_json<T: DeserializeOwned>(&self, url: &str) -> Result<T, Error> {
        let (bytes, headers) = self.send(Method::GET, url, None).await?;
        serde_json::from_slice(&bytes).map_err(|source| Error::Decode {
            url: url.to_owned(),
            request_id: headers
                .get("request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            source,
        })
    }

    /// Any request below the Graph base (`path` like `/users/{id}`); the JSON answer, if any.
    /// For tools and tests (the engine itself only reads Graph).
    pub async fn request(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Option<Value>, Error> {
        let url = self.url(path);
        let (bytes, headers) = self.send(method, &url, body).await?;
        if bytes.is_empty() {
            return Ok(None);
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| Error::Decode {
                url,
                request_id: headers
                    .get("request-id")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                source,
            })
    }
}

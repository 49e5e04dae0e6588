//! The one error type of the ServiceNow client, and the classification of responses into it.
//!
//! Every error names where it happened ([`Context`]: instance, method, table, and the response's
//! transaction id when the instance sent one) and says what to do. Nothing here ever holds the
//! password, a token or the `Authorization` header: transport errors are kept as text from
//! reqwest, whose messages carry the URL only (credentials travel in headers, never in URLs).
//!
//! Terms: *transient* = worth retrying after a wait ([`Error::is_transient`]); *connection* =
//! the instance cannot be reached or will not let us in at all (exit code 3,
//! [`Error::is_connection`]).

use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::query::QueryError;

/// Header carrying the instance's transaction id. Real instances are not documented to send one
/// (spec §1.6 lists none); we read this name when present so support can find the transaction.
pub const TRANSACTION_ID_HEADER: &str = "x-transaction-id";

/// Where a request went: for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub instance: String,
    pub method: String,
    /// The table, `batch`, or `oauth_token.do`.
    pub table: Option<String>,
    pub transaction_id: Option<String>,
}

impl Context {
    pub fn new(instance: impl Into<String>, method: impl Into<String>, table: Option<&str>) -> Self {
        Context {
            instance: instance.into(),
            method: method.into(),
            table: table.map(str::to_owned),
            transaction_id: None,
        }
    }

    fn with_headers(mut self, headers: &HeaderMap) -> Self {
        self.transaction_id = headers
            .get(TRANSACTION_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        self
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} on {}",
            self.method,
            self.table.as_deref().unwrap_or("/"),
            self.instance
        )?;
        if let Some(t) = &self.transaction_id {
            write!(f, " (transaction {t})")?;
        }
        Ok(())
    }
}

/// Why a ServiceNow request failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "{ctx}: bad request (400): {message}: the instance rejected what nowsync sent; check field values, or report it with the transaction id"
    )]
    BadRequest { ctx: Context, message: String },
    #[error(
        "{ctx}: not authenticated (401): {message}: check the user name and password, and that the account is active, not locked out, and allowed to use web services"
    )]
    Unauthorized { ctx: Context, message: String },
    #[error(
        "{ctx}: OAuth token request refused ({status}: {message}): check the OAuth client id and secret (System OAuth > Application Registry) and the user name and password"
    )]
    OAuth { ctx: Context, status: u16, message: String },
    #[error(
        "{ctx}: forbidden (403): {message}: the account lacks a role or an ACL / business rule refuses it; give the account the admin role or review the rule"
    )]
    Forbidden {
        ctx: Context,
        message: String,
        detail: Option<String>,
    },
    #[error("{ctx}: not found (404): {message}: the record or table does not exist, or an ACL hides it")]
    NotFound { ctx: Context, message: String },
    #[error(
        "{ctx}: rate limited (429): {message}: nowsync waits and retries; if it persists, lower max_in_flight or raise the instance's REST rate limit rule"
    )]
    RateLimited {
        ctx: Context,
        message: String,
        retry_after: Option<Duration>,
    },
    #[error(
        "{ctx}: the instance answered 202 with an empty body (it dropped a queued request): nowsync retries; if it persists, lower max_in_flight"
    )]
    AcceptedEmpty { ctx: Context },
    #[error("{ctx}: server error ({status}): {message}: the instance is failing or overloaded; try again later")]
    Server { ctx: Context, status: u16, message: String },
    #[error("{ctx}: unexpected answer ({status}): {message}")]
    Status { ctx: Context, status: u16, message: String },
    #[error(
        "{ctx}: the developer instance is hibernating: wake it by signing in at developer.servicenow.com, then try again"
    )]
    Hibernating { ctx: Context },
    #[error(
        "{ctx}: the host does not answer as a ServiceNow instance ({what}): Your ServiceNow instance name appears to be invalid; check the instance name or URL"
    )]
    NotServiceNow { ctx: Context, what: String },
    #[error(
        "{ctx}: the response was cut off or is not valid JSON ({detail}): the instance may have cancelled the transaction (60 s quota); nowsync retries"
    )]
    Truncated { ctx: Context, detail: String },
    #[error("{ctx}: the connection dropped before the answer was complete ({detail}): nowsync retries")]
    Dropped { ctx: Context, detail: String },
    #[error(
        "{ctx}: the host name does not resolve ({detail}): check the instance name, and the DNS and proxy settings"
    )]
    Dns { ctx: Context, detail: String },
    #[error("{ctx}: cannot connect ({detail}): check the URL and port, and that no firewall or proxy blocks it")]
    Connect { ctx: Context, detail: String },
    #[error(
        "{ctx}: the TLS handshake failed ({detail}): check the system's CA certificates, or a TLS-intercepting proxy"
    )]
    Tls { ctx: Context, detail: String },
    #[error(
        "{ctx}: no answer within {after:?}: the instance is slow or unreachable; try again later or raise timeout_seconds"
    )]
    Timeout { ctx: Context, after: Duration },
    #[error("{ctx}: the answer is not what the Table API sends ({detail}); report it with the transaction id")]
    Decode { ctx: Context, detail: String },
    #[error(
        "{ctx}: the batch left this request unserviced after every retry (30 s batch quota): send fewer items per batch"
    )]
    Unserviced { ctx: Context },
    #[error("{ctx}: query not sent: {source}")]
    Query {
        ctx: Context,
        #[source]
        source: QueryError,
    },
    #[error(
        "{ctx}: no sys_dictionary rows: the table does not exist, or the account cannot read sys_dictionary (give it the admin role)"
    )]
    NoSchema { ctx: Context },
    #[error("cannot set up the HTTP client for {instance}: {detail}")]
    Setup { instance: String, detail: String },
}

impl Error {
    /// Worth retrying after a wait: 429, 202-empty, 5xx, a dropped connection, a cut-off body,
    /// a timeout, an unserviced batch item.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::RateLimited { .. }
                | Error::AcceptedEmpty { .. }
                | Error::Server { .. }
                | Error::Truncated { .. }
                | Error::Dropped { .. }
                | Error::Timeout { .. }
                | Error::Unserviced { .. }
        )
    }

    /// The instance cannot be reached or refuses us as a whole (exit code 3): DNS, connect, TLS,
    /// timeout, credentials, hibernation, not a ServiceNow instance.
    pub fn is_connection(&self) -> bool {
        matches!(
            self,
            Error::Dns { .. }
                | Error::Connect { .. }
                | Error::Tls { .. }
                | Error::Timeout { .. }
                | Error::Unauthorized { .. }
                | Error::OAuth { .. }
                | Error::Hibernating { .. }
                | Error::NotServiceNow { .. }
        )
    }

    /// How long the instance asked us to wait (429 `Retry-After` / `X-RateLimit-Reset`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    pub fn context(&self) -> Option<&Context> {
        match self {
            Error::Setup { .. } => None,
            Error::BadRequest { ctx, .. }
            | Error::Unauthorized { ctx, .. }
            | Error::OAuth { ctx, .. }
            | Error::Forbidden { ctx, .. }
            | Error::NotFound { ctx, .. }
            | Error::RateLimited { ctx, .. }
            | Error::AcceptedEmpty { ctx }
            | Error::Server { ctx, .. }
            | Error::Status { ctx, .. }
            | Error::Hibernating { ctx }
            | Error::NotServiceNow { ctx, .. }
            | Error::Truncated { ctx, .. }
            | Error::Dropped { ctx, .. }
            | Error::Dns { ctx, .. }
            | Error::Connect { ctx, .. }
            | Error::Tls { ctx, .. }
            | Error::Timeout { ctx, .. }
            | Error::Decode { ctx, .. }
            | Error::Unserviced { ctx }
            | Error::Query { ctx, .. }
            | Error::NoSchema { ctx } => Some(ctx),
        }
    }

    /// The HTTP status behind the error, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::BadRequest { .. } => Some(400),
            Error::Unauthorized { .. } => Some(401),
            Error::Forbidden { .. } => Some(403),
            Error::NotFound { .. } => Some(404),
            Error::RateLimited { .. } => Some(429),
            Error::AcceptedEmpty { .. } => Some(202),
            Error::Server { status, .. } | Error::Status { status, .. } | Error::OAuth { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Classifies a complete response. `Ok(None)` is a success without a body (204); `Ok(Some(v))` a
/// ServiceNow JSON body with `result` (or any JSON for batch / OAuth, when `want_result` is false).
pub fn classify(
    ctx: Context,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    want_result: bool,
    now_unix: u64,
) -> Result<Option<Value>, Error> {
    let ctx = ctx.with_headers(headers);
    let text = String::from_utf8_lossy(body);
    let json_type = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.to_ascii_lowercase().contains("json"));
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    // A hibernating developer instance answers an HTML page, status < 400 (spec §7), possibly
    // behind a redirect: name it whatever the status.
    if parsed.is_none() && is_hibernation(&text) {
        return Err(Error::Hibernating { ctx });
    }
    let sn_error = parsed.as_ref().and_then(|v| v.get("error")).map(error_text);
    let message = || {
        sn_error
            .clone()
            .map(|(m, d)| join(&m, d.as_deref()))
            .unwrap_or_else(|| snippet(&text))
    };
    match status {
        204 => Ok(None),
        202 if body.iter().all(u8::is_ascii_whitespace) => Err(Error::AcceptedEmpty { ctx }),
        200..=299 => match parsed {
            Some(v) if !want_result => Ok(Some(v)),
            Some(v) if v.get("result").is_some() => Ok(Some(v)),
            Some(v) if v.get("error").is_some() => Err(Error::Status {
                ctx,
                status,
                message: message(),
            }),
            Some(_) => Err(Error::NotServiceNow {
                ctx,
                what: format!("JSON without \"result\" (status {status})"),
            }),
            None if json_type || text.trim_start().starts_with(['{', '[']) || body.is_empty() => {
                let detail = match serde_json::from_slice::<Value>(body) {
                    Err(e) => format!("{} bytes: {e}", body.len()),
                    Ok(_) => format!("{} bytes", body.len()),
                };
                Err(Error::Truncated { ctx, detail })
            }
            None => Err(Error::NotServiceNow {
                ctx,
                what: describe_non_json(status, headers, &text),
            }),
        },
        300..=399 => {
            let to = headers
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("?");
            if is_hibernation(to) {
                return Err(Error::Hibernating { ctx });
            }
            Err(Error::NotServiceNow {
                ctx,
                what: format!("status {status}, redirected to {to}"),
            })
        }
        401 => Err(Error::Unauthorized {
            ctx,
            message: message(),
        }),
        429 => Err(Error::RateLimited {
            ctx,
            message: message(),
            retry_after: retry_after(headers, now_unix),
        }),
        500..=599 => Err(Error::Server {
            ctx,
            status,
            message: message(),
        }),
        // Load balancers and proxies answer 4xx in HTML too; only a ServiceNow error body makes
        // these the instance's verdict on our request.
        _ if sn_error.is_none() && status != 400 => Err(Error::NotServiceNow {
            ctx,
            what: describe_non_json(status, headers, &text),
        }),
        400 => Err(Error::BadRequest {
            ctx,
            message: message(),
        }),
        403 => {
            let (message, detail) = sn_error.unwrap_or_default();
            Err(Error::Forbidden {
                ctx,
                message: join(&message, detail.as_deref()),
                detail,
            })
        }
        404 => Err(Error::NotFound {
            ctx,
            message: message(),
        }),
        _ => Err(Error::Status {
            ctx,
            status,
            message: message(),
        }),
    }
}

/// `true` when the body is the hibernation page (spec §7: matches /hibernat/i).
pub fn is_hibernation(text: &str) -> bool {
    text.to_ascii_lowercase().contains("hibernat")
}

fn describe_non_json(status: u16, headers: &HeaderMap, text: &str) -> String {
    let ct = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("no content type");
    format!("status {status}, {ct}: {}", snippet(text))
}

/// `{"message","detail"}` of a ServiceNow error object; `detail` may be null (spec §1.7).
fn error_text(v: &Value) -> (String, Option<String>) {
    let s = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .filter(|s| !s.is_empty())
    };
    match v {
        Value::String(s) => (s.clone(), None),
        _ => (s("message").unwrap_or_else(|| "no message".to_owned()), s("detail")),
    }
}

fn join(message: &str, detail: Option<&str>) -> String {
    match detail {
        Some(d) => format!("{message} ({d})"),
        None => message.to_owned(),
    }
}

/// The start of a body, on one line, for messages.
fn snippet(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        return "empty body".to_owned();
    }
    let cut: String = one_line.chars().take(160).collect();
    if cut.len() < one_line.len() {
        format!("{cut}...")
    } else {
        cut
    }
}

/// The wait a 429 asks for: `Retry-After` (seconds or an HTTP date), else `X-RateLimit-Reset`
/// (a UNIX time, spec §4.1).
pub fn retry_after(headers: &HeaderMap, now_unix: u64) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(v) = get("retry-after") {
        if let Ok(secs) = v.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(when) = httpdate::parse_http_date(v) {
            let at = when
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            return Some(Duration::from_secs(at.saturating_sub(now_unix)));
        }
    }
    let reset = get("x-ratelimit-reset")?.parse::<u64>().ok()?;
    Some(Duration::from_secs(reset.saturating_sub(now_unix)))
}

/// Maps a transport failure. `ctx` names the request; reqwest's text carries no credentials.
pub fn from_reqwest(ctx: Context, e: &reqwest::Error, timeout: Duration) -> Error {
    let chain = chain_text(e);
    let lower = chain.to_ascii_lowercase();
    if e.is_timeout() {
        return Error::Timeout { ctx, after: timeout };
    }
    if e.is_builder() {
        return Error::Setup {
            instance: ctx.instance,
            detail: chain,
        };
    }
    if lower.contains("dns error") || lower.contains("failed to lookup address") {
        return Error::Dns { ctx, detail: chain };
    }
    if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") || lower.contains("ssl") {
        return Error::Tls { ctx, detail: chain };
    }
    if e.is_connect() {
        return Error::Connect { ctx, detail: chain };
    }
    if e.is_body() || e.is_decode() {
        return Error::Truncated { ctx, detail: chain };
    }
    Error::Dropped { ctx, detail: chain }
}

fn chain_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !out.contains(&t) {
            out.push_str(": ");
            out.push_str(&t);
        }
        cur = s.source();
    }
    out
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;

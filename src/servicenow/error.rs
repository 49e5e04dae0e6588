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

use super::query::QueryError;
use crate::net::retry::Verdict;

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

    pub(crate) fn with_headers(mut self, headers: &HeaderMap) -> Self {
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
        "{ctx}: this instance's API access policy does not accept Basic authentication (401 with WWW-Authenticate: Bearer): use OAuth: register nowsync in System OAuth > Application Registry (\"Create an OAuth API endpoint for external clients\"), then set auth = \"oauth\" and oauth_client_id under [servicenow] and store the client secret with `nowsync secrets set servicenow-oauth-client-secret`"
    )]
    BasicRefused { ctx: Context },
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
        "{ctx}: rate limited (429): {message}: nowsync paused and retried for as long as throttle_budget_minutes allows; raise the instance's REST rate limit rule (System Web Services > REST > Rate Limit Rules) or the budget"
    )]
    RateLimited {
        ctx: Context,
        message: String,
        retry_after: Option<Duration>,
    },
    #[error(
        "{ctx}: the instance answered 202 with an empty body (it dropped a queued request): nowsync retried for as long as throttle_budget_minutes allows; if it persists, lower max_in_flight"
    )]
    AcceptedEmpty { ctx: Context },
    #[error("{ctx}: server error ({status}): {message}: the instance is failing or overloaded; try again later")]
    Server { ctx: Context, status: u16, message: String },
    #[error("{ctx}: unexpected answer ({status}): {message}; report it with the transaction id")]
    Status { ctx: Context, status: u16, message: String },
    #[error(
        "{ctx}: the developer instance is hibernating: wake it by signing in at developer.servicenow.com, then try again"
    )]
    Hibernating { ctx: Context },
    /// 413, 414 or 431: a load balancer or the instance refused the request's size before any
    /// ServiceNow code ran (issue 17: a 10 MB user name is not "not an instance").
    #[error(
        "{ctx}: the request is too large ({status} {what}): a value it carries is too long — in a header (the user name, the password, a token) or in the URL (a query naming a long value); shorten that value"
    )]
    TooLarge { ctx: Context, status: u16, what: String },
    #[error(
        "{ctx}: the host does not answer as a ServiceNow instance ({what}): Your ServiceNow instance name appears to be invalid; check the instance name or URL"
    )]
    NotServiceNow { ctx: Context, what: String },
    #[error(
        "{ctx}: the response was cut off or is not valid JSON ({detail}): the instance may have cancelled the transaction (60 s quota); nowsync retries"
    )]
    Truncated { ctx: Context, detail: String },
    #[error(
        "{ctx}: the instance cancelled the read after {rows} rows (HTTP {status}, \"{message}\", its transaction quota): the page is not used; nowsync asks for it again in smaller pages"
    )]
    Cancelled {
        ctx: Context,
        status: u16,
        rows: usize,
        message: String,
    },
    #[error(
        "{ctx}: the instance's transaction quota cancelled the read even in pages of {limit} rows (\"{message}\"): the cycle stopped before writing anything; raise the quota of REST requests (System Definition > Transaction Quota Rules, \"REST Table API request timeout\") or lower page_size under [servicenow]"
    )]
    ReadCancelled { ctx: Context, limit: u32, message: String },
    #[error("{ctx}: the connection dropped before the answer was complete ({detail}): nowsync retries")]
    Dropped { ctx: Context, detail: String },
    #[error(
        "{ctx}: the host name does not resolve ({detail}): check the instance name, and the DNS and proxy settings"
    )]
    Dns { ctx: Context, detail: String },
    #[error("{ctx}: cannot connect ({detail}): check the URL and port, and that no firewall or proxy blocks it")]
    Connect { ctx: Context, detail: String },
    #[error(
        "{ctx}: the TLS handshake failed ({detail}): if a private CA or a TLS-inspecting proxy issued the instance's certificate, name that CA's certificate (PEM) with ca_file under [servicenow]; `nowsync test-connection` shows who issued it"
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
    #[error("cannot set up the HTTP client for {instance}: {source}")]
    Setup {
        instance: String,
        #[source]
        source: SetupError,
    },
}

/// Why a client for an instance could not be made, or a request not built.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The profile's `ca_file` could not be made into a trust.
    #[error(transparent)]
    Trust(#[from] crate::net::tls::TlsError),
    #[error(transparent)]
    Client(reqwest::Error),
    #[error(transparent)]
    UserName(#[from] super::auth::BadUserName),
    #[error("not an OAuth configuration")]
    NotOAuth,
    #[error(transparent)]
    Url(#[from] url::ParseError),
    /// reqwest refused to build a request; its error is only lent to the classifier, so its
    /// text (with its causes) is what is kept.
    #[error("{chain}")]
    Request { chain: String },
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
                | Error::Cancelled { .. }
                | Error::ReadCancelled { .. }
                | Error::Truncated { .. }
                | Error::Dropped { .. }
                | Error::Timeout { .. }
                | Error::Unserviced { .. }
        )
    }

    /// A write that failed this way is sent again in the next cycle rather than held as a
    /// permanent failure: a transient answer, or one that says nothing about the record — an
    /// HTML page (a proxy, a login or maintenance page), a connection that could not be made.
    pub fn retry_next_cycle(&self) -> bool {
        self.is_transient()
            || matches!(
                self,
                Error::NotServiceNow { .. }
                    | Error::Hibernating { .. }
                    | Error::Dns { .. }
                    | Error::Connect { .. }
                    | Error::Tls { .. }
                    | Error::Decode { .. }
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
                | Error::BasicRefused { .. }
                | Error::OAuth { .. }
                | Error::Hibernating { .. }
                | Error::NotServiceNow { .. }
        )
    }

    /// How the retry loop treats this error for a request with `method` (`net::retry`).
    ///
    /// Throttles (429, 202-empty: the instance dropped a queued request, spec §3.1) are retried
    /// whatever the method: the instance did not run the request. A `POST` (create) is retried
    /// after a failure only when the instance surely did not run it (503, unserviced); after a
    /// timeout, a dropped connection, a cut-off body, a 500, or a 502/504 the record may exist,
    /// and a blind retry would create it twice: the caller gets the error, its write intent
    /// stays open, and the next cycle looks the row up by its matching attribute before it
    /// writes (`sync::apply`).
    ///
    /// 502 and 504 come from a gateway in front of the instance (its load balancer, a proxy)
    /// that gave up on the answer, not from the instance: the transaction runs on until its
    /// quota (servicenow.md §4.3: "REST Table API request timeout 60 s", the load balancer's
    /// 5-minute disconnect), so the create may well have been stored (review R6).
    pub fn verdict(&self, method: &str) -> Verdict {
        match self {
            Error::RateLimited { retry_after, .. } => Verdict::Throttled { wait: *retry_after },
            Error::AcceptedEmpty { .. } => Verdict::Throttled { wait: None },
            // The same page would be cancelled again: the pager asks for a smaller one. (A 500
            // "cancelled while queued" is retried as it is: the instance was busy, the page
            // may get through; the pager halves it when the retries do not.)
            Error::Cancelled { .. } | Error::ReadCancelled { .. } => Verdict::Fail,
            _ if !self.is_transient() => Verdict::Fail,
            _ if method != "POST" => Verdict::Retry,
            Error::Unserviced { .. } | Error::Server { status: 503, .. } => Verdict::Retry,
            _ => Verdict::Fail,
        }
    }

    /// Whether the instance cancelled the transaction by its quota (a 200 with a partial
    /// result and an error, or a 500 "Transaction cancelled" when cancelled while queued;
    /// servicenow.md §13 #1): a smaller page may get through.
    pub fn is_quota_cancelled(&self) -> bool {
        match self {
            Error::Cancelled { .. } => true,
            Error::Server { message, .. } => message.to_ascii_lowercase().contains("transaction cancelled"),
            _ => false,
        }
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
            | Error::BasicRefused { ctx }
            | Error::OAuth { ctx, .. }
            | Error::Forbidden { ctx, .. }
            | Error::NotFound { ctx, .. }
            | Error::RateLimited { ctx, .. }
            | Error::AcceptedEmpty { ctx }
            | Error::Server { ctx, .. }
            | Error::Status { ctx, .. }
            | Error::Hibernating { ctx }
            | Error::NotServiceNow { ctx, .. }
            | Error::TooLarge { ctx, .. }
            | Error::Truncated { ctx, .. }
            | Error::Cancelled { ctx, .. }
            | Error::ReadCancelled { ctx, .. }
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
            Error::Unauthorized { .. } | Error::BasicRefused { .. } => Some(401),
            Error::Forbidden { .. } => Some(403),
            Error::NotFound { .. } => Some(404),
            Error::RateLimited { .. } => Some(429),
            Error::AcceptedEmpty { .. } => Some(202),
            Error::Server { status, .. }
            | Error::Status { status, .. }
            | Error::OAuth { status, .. }
            | Error::TooLarge { status, .. }
            | Error::Cancelled { status, .. } => Some(*status),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context::new("https://dev1.service-now.com", "POST", Some("sys_user"))
    }

    #[test]
    fn a_post_is_not_retried_when_it_may_have_run() {
        let dropped = Error::Dropped {
            ctx: ctx(),
            detail: "reset".into(),
        };
        let server = |status| Error::Server {
            ctx: ctx(),
            status,
            message: String::new(),
        };
        assert_eq!(dropped.verdict("GET"), Verdict::Retry);
        assert_eq!(dropped.verdict("PATCH"), Verdict::Retry);
        assert_eq!(dropped.verdict("POST"), Verdict::Fail);
        assert_eq!(server(503).verdict("POST"), Verdict::Retry);
        assert_eq!(server(500).verdict("POST"), Verdict::Fail);
        // Review R6: a gateway's 502/504 says nothing of whether the instance stored the create.
        assert_eq!(server(502).verdict("POST"), Verdict::Fail);
        assert_eq!(server(504).verdict("POST"), Verdict::Fail);
        assert_eq!(server(502).verdict("PATCH"), Verdict::Retry);
        assert_eq!(server(504).verdict("GET"), Verdict::Retry);
        assert_eq!(server(504).verdict("DELETE"), Verdict::Retry);
        assert_eq!(server(500).verdict("DELETE"), Verdict::Retry);
        assert_eq!(Error::Unserviced { ctx: ctx() }.verdict("POST"), Verdict::Retry);
        let not_found = Error::NotFound {
            ctx: ctx(),
            message: String::new(),
        };
        assert_eq!(not_found.verdict("GET"), Verdict::Fail);
    }

    #[test]
    fn throttles_are_throttles_for_every_method() {
        let limited = Error::RateLimited {
            ctx: ctx(),
            message: String::new(),
            retry_after: Some(Duration::from_secs(7)),
        };
        let wait = Some(Duration::from_secs(7));
        assert_eq!(limited.verdict("POST"), Verdict::Throttled { wait });
        assert_eq!(
            Error::AcceptedEmpty { ctx: ctx() }.verdict("POST"),
            Verdict::Throttled { wait: None }
        );
    }
}

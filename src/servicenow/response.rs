//! Classification of responses and transport failures into [`Error`] (spec §1.7, §7).
//!
//! Rules: a ServiceNow JSON body decides (`{"result":…}` success, `{"error":{message,detail}}`
//! the instance's verdict); an HTML page matching /hibernat/i is a hibernating developer
//! instance whatever the status; other non-JSON answers are "not a ServiceNow instance", except
//! for 401, 429 and 5xx (proxies and load balancers answer those in HTML too), 400 (the
//! instance's own HTML "Request header is too large") and 413/414/431 (a request too large,
//! whoever answered); a JSON body that does not parse is
//! truncated (a quota-cancelled transaction).

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::error::{Context, Error, SetupError};

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
    let body = Body::read(headers, body);
    // A hibernating developer instance answers an HTML page, status < 400 (spec §7), possibly
    // behind a redirect: name it whatever the status.
    if body.parsed.is_none() && is_hibernation(&body.text) {
        return Err(Error::Hibernating { ctx });
    }
    match status {
        204 => Ok(None),
        202 if body.raw.iter().all(u8::is_ascii_whitespace) => Err(Error::AcceptedEmpty { ctx }),
        200..=299 => success(ctx, status, headers, body, want_result),
        300..=399 => redirected(ctx, status, headers),
        _ => failure(ctx, status, headers, body, now_unix),
    }
}

/// A response's body, read once: its text, its JSON if it parses, and ServiceNow's error object.
struct Body<'a> {
    raw: &'a [u8],
    text: std::borrow::Cow<'a, str>,
    /// The `Content-Type` says JSON.
    json_type: bool,
    parsed: Option<Value>,
    /// `{"error":{message,detail}}`'s message and detail.
    sn_error: Option<(String, Option<String>)>,
}

impl<'a> Body<'a> {
    fn read(headers: &HeaderMap, raw: &'a [u8]) -> Self {
        let json_type = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.to_ascii_lowercase().contains("json"));
        let parsed: Option<Value> = serde_json::from_slice(raw).ok();
        let sn_error = parsed.as_ref().and_then(|v| v.get("error")).map(error_text);
        Body {
            raw,
            text: String::from_utf8_lossy(raw),
            json_type,
            parsed,
            sn_error,
        }
    }

    /// ServiceNow's error message with its detail, else the start of the body.
    fn message(&self) -> String {
        self.sn_error
            .as_ref()
            .map(|(m, d)| join(m, d.as_deref()))
            .unwrap_or_else(|| snippet(&self.text))
    }

    /// A body meant as JSON that did not parse: one cut short.
    fn looks_truncated(&self) -> bool {
        self.json_type || self.text.trim_start().starts_with(['{', '[']) || self.raw.is_empty()
    }
}

/// A 2xx: a result, the JSON a batch or OAuth call wants, or why it is neither.
fn success(
    ctx: Context,
    status: u16,
    headers: &HeaderMap,
    body: Body<'_>,
    want_result: bool,
) -> Result<Option<Value>, Error> {
    let message = body.message();
    match body.parsed {
        // A transaction cancelled while it ran (its quota): the rows so far, then the
        // error (servicenow.md §13 #1). Never a result.
        Some(v) if want_result && v.get("result").is_some() && v.get("error").is_some_and(|e| !e.is_null()) => {
            Err(Error::Cancelled {
                ctx,
                status,
                rows: v.get("result").and_then(Value::as_array).map_or(0, Vec::len),
                message,
            })
        }
        Some(v) if !want_result => Ok(Some(v)),
        Some(v) if v.get("result").is_some() => Ok(Some(v)),
        Some(v) if v.get("error").is_some() => Err(Error::Status { ctx, status, message }),
        Some(_) => Err(Error::NotServiceNow {
            ctx,
            what: format!("JSON without \"result\" (status {status})"),
        }),
        None if body.looks_truncated() => {
            let detail = match serde_json::from_slice::<Value>(body.raw) {
                Err(e) => format!("{} bytes: {e}", body.raw.len()),
                Ok(_) => format!("{} bytes", body.raw.len()),
            };
            Err(Error::Truncated { ctx, detail })
        }
        None => Err(Error::NotServiceNow {
            ctx,
            what: describe_non_json(status, headers, &body.text),
        }),
    }
}

/// A 3xx: the hibernation page's address, or not the instance's API answering.
fn redirected(ctx: Context, status: u16, headers: &HeaderMap) -> Result<Option<Value>, Error> {
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

/// A 4xx or 5xx (or any other status): the instance's verdict, or whoever answered in its stead.
fn failure(
    ctx: Context,
    status: u16,
    headers: &HeaderMap,
    body: Body<'_>,
    now_unix: u64,
) -> Result<Option<Value>, Error> {
    let message = body.message();
    Err(match status {
        401 => Error::Unauthorized { ctx, message },
        413 | 414 | 431 => Error::TooLarge {
            ctx,
            status,
            what: match status {
                413 => "Payload Too Large",
                414 => "URI Too Long",
                _ => "Request Header Fields Too Large",
            }
            .to_owned(),
        },
        429 => Error::RateLimited {
            ctx,
            message,
            retry_after: retry_after(headers, now_unix),
        },
        500..=599 => Error::Server { ctx, status, message },
        // Load balancers and proxies answer 4xx in HTML too; only a ServiceNow error body makes
        // these the instance's verdict on our request.
        _ if body.sn_error.is_none() && status != 400 => Error::NotServiceNow {
            ctx,
            what: describe_non_json(status, headers, &body.text),
        },
        400 => Error::BadRequest { ctx, message },
        403 => {
            let (message, detail) = body.sn_error.unwrap_or_default();
            Error::Forbidden {
                ctx,
                message: join(&message, detail.as_deref()),
                detail,
            }
        }
        404 => Error::NotFound { ctx, message },
        _ => Error::Status { ctx, status, message },
    })
}

/// Whether a 401's `WWW-Authenticate` challenges for Bearer only: the instance's REST API access
/// policy does not accept Basic (Washington DC and later; spec §13 #9, whose instances answer
/// `BEARER realm="Service-now"` where a wrong password gets `Basic realm=...`, spec §1.7).
pub fn refuses_basic(headers: &HeaderMap) -> bool {
    let schemes: Vec<String> = headers
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split_whitespace().next())
        .map(str::to_ascii_lowercase)
        .collect();
    schemes.iter().any(|s| s == "bearer") && !schemes.iter().any(|s| s == "basic")
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

/// The wait a 429 asks for: `Retry-After` (parsed in the one place, `net::retry`), else
/// `X-RateLimit-Reset` (a UNIX time, spec §4.1).
pub fn retry_after(headers: &HeaderMap, now_unix: u64) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let now = std::time::UNIX_EPOCH + Duration::from_secs(now_unix);
    if let Some(wait) = get("retry-after").and_then(|v| crate::net::retry::parse_retry_after(v, now)) {
        return Some(wait);
    }
    let reset = get("x-ratelimit-reset")?.parse::<u64>().ok()?;
    Some(Duration::from_secs(reset.saturating_sub(now_unix)))
}

/// Maps a transport failure. `ctx` names the request; reqwest's text carries no credentials.
pub fn from_reqwest(ctx: Context, e: &reqwest::Error, timeout: Duration) -> Error {
    let chain = chain_text(e);
    // Match on the causes only: the top message carries the URL, whose host could contain "tls".
    let lower = std::error::Error::source(e)
        .map(chain_text)
        .unwrap_or_default()
        .to_ascii_lowercase();
    if e.is_timeout() {
        let after = if e.is_connect() {
            connect_timeout(timeout)
        } else {
            timeout
        };
        return Error::Timeout { ctx, after };
    }
    if e.is_builder() {
        return Error::Setup {
            instance: ctx.instance,
            source: SetupError::Request { chain },
        };
    }
    if lower.contains("dns error") || lower.contains("failed to lookup address") {
        return Error::Dns { ctx, detail: chain };
    }
    let tls_words = [
        "certificate",
        "tls",
        "handshake",
        "ssl",
        "corrupt message",
        "peer is incompatible",
        "peer misbehaved",
    ];
    // hyper-util names TCP-level failures "tcp connect error" (refused, unreachable); a connect
    // failure on https:// that is neither that nor DNS happened in the TLS handshake.
    let tcp_level = lower.contains("tcp connect error") || lower.contains("tcp open error");
    let https = ctx.instance.starts_with("https://");
    if let Some(problem) = crate::net::tls::certificate_problem(e) {
        let detail = match problem {
            rustls::CertificateError::UnknownIssuer => {
                "the certificate is not issued by a CA this machine trusts".to_owned()
            }
            other => format!("the certificate was refused: {other:?}"),
        };
        return Error::Tls { ctx, detail };
    }
    if tls_words.iter().any(|w| lower.contains(w)) || (e.is_connect() && https && !tcp_level) {
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

/// How long connecting (TCP and TLS) may take: the request timeout, at most 30 s.
pub fn connect_timeout(timeout: Duration) -> Duration {
    timeout.min(Duration::from_secs(30))
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
#[path = "response_tests.rs"]
mod tests;

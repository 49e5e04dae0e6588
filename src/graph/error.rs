//! Typed errors of the Graph client: sign-in failures (`TokenError`, in `token_error.rs`: Entra's
//! AADSTS code and plain advice, spec §1.4), Graph error envelopes with their `request-id` (spec
//! §10), transport and decoding failures. `is_transient()` says whether trying again later can
//! help.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use super::TokenError;
use crate::net::retry::{Verdict, parse_retry_after};

/// Everything the Graph client can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Settings that cannot work (a bad URL); nothing was sent.
    #[error("{0}")]
    Config(String),
    #[error("could not reach {url}: {source}")]
    Network {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{0}")]
    Token(TokenError),
    #[error("{0}")]
    Graph(Box<GraphError>),
    #[error("the answer from {url} could not be read ({}): {source}", .request_id.as_deref().unwrap_or("no request-id"))]
    Decode {
        url: String,
        request_id: Option<String>,
        #[source]
        source: serde_json::Error,
    },
    /// A delta page carried neither `@odata.nextLink` nor `@odata.deltaLink`. Every page of a
    /// round but the last has a nextLink and the last a deltaLink (graph.md §6.1), so the
    /// answer was cut short: what the round read is not the whole of it.
    #[error(
        "page {page} of the delta round at {url} carried neither @odata.nextLink nor @odata.deltaLink, so the \
         round is incomplete (an answer cut short, or a proxy altering Graph's answers): the cycle stopped before \
         any write and keeps the previous delta token, so the next cycle reads these changes again; if this \
         repeats, check what sits between nowsync and Graph"
    )]
    DeltaPageWithoutLink { url: String, page: u64 },
}

impl Error {
    /// True when the same request may succeed later (throttling, 5xx, timeouts, resets).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Network { source, .. } => source.is_timeout() || source.is_connect() || source.is_request(),
            Error::Token(t) => t.status >= 500 || t.status == 429,
            Error::Graph(g) => matches!(g.status, 429 | 500 | 502 | 503 | 504),
            // An answer cut short: the next cycle asks for the round again.
            Error::DeltaPageWithoutLink { .. } => true,
            Error::Config(_) | Error::Decode { .. } => false,
        }
    }

    /// How the retry loop treats this error (`net::retry`). 429 is a throttle for any method
    /// (the request was not processed, spec §9.1); 503 is one too for requests that may be sent
    /// twice (Graph's 503 is overload and "may carry Retry-After", spec §9.1). Other transient
    /// failures are retried for idempotent requests only.
    pub fn verdict(&self, idempotent: bool) -> Verdict {
        let wait = self.graph().and_then(|g| g.retry_after);
        let status = match self {
            Error::Graph(g) => Some(g.status),
            Error::Token(t) => Some(t.status),
            _ => None,
        };
        match status {
            Some(429) => Verdict::Throttled { wait },
            Some(503) if idempotent => Verdict::Throttled { wait },
            _ if idempotent && self.is_transient() => Verdict::Retry,
            _ => Verdict::Fail,
        }
    }

    /// The `request-id` of the failed Graph call, when Graph answered.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Graph(g) => g.request_id.as_deref(),
            Error::Decode { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The Graph error, when Graph answered with one.
    pub fn graph(&self) -> Option<&GraphError> {
        match self {
            Error::Graph(g) => Some(g),
            _ => None,
        }
    }
}

/// Graph answered with an error envelope (or a bare status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    pub status: u16,
    /// `error.code`, e.g. `Authorization_RequestDenied`; empty when the body had none.
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
    pub client_request_id: Option<String>,
    /// From `Retry-After` (seconds, possibly fractional, or an HTTP date).
    pub retry_after: Option<Duration>,
    /// `Location` (a 410 delta reset points at the initial query).
    pub location: Option<String>,
    pub method: String,
    pub url: String,
}

impl GraphError {
    /// Builds from a response's status, headers and body; the body may be anything.
    pub fn from_response(
        method: &str,
        url: &str,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> Self {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Inner {
            #[serde(rename = "request-id")]
            request_id: Option<String>,
            #[serde(rename = "client-request-id")]
            client_request_id: Option<String>,
        }
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Err {
            code: String,
            message: String,
            #[serde(rename = "innerError", alias = "innererror")]
            inner: Option<Inner>,
        }
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Envelope {
            error: Err,
        }
        let env: Envelope = serde_json::from_slice(body).unwrap_or_default();
        let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let inner = env.error.inner.unwrap_or_default();
        GraphError {
            status,
            code: env.error.code,
            message: env.error.message,
            request_id: header("request-id").or(inner.request_id),
            client_request_id: header("client-request-id").or(inner.client_request_id),
            retry_after: header("retry-after").and_then(|v| parse_retry_after(&v, std::time::SystemTime::now())),
            location: header("location"),
            method: method.to_owned(),
            url: url.to_owned(),
        }
    }

    /// 400/410 `syncStateNotFound`/`resyncRequired`, or any 410: the delta token is no longer
    /// usable and a full round must follow (spec §6.3).
    pub fn is_delta_reset(&self) -> bool {
        self.status == 410
            || (self.status == 400
                && ["syncStateNotFound", "resyncRequired"]
                    .iter()
                    .any(|c| self.code.eq_ignore_ascii_case(c)))
    }

    pub fn is_permission_denied(&self) -> bool {
        self.status == 403
    }

    /// The least Microsoft Graph application permission the refused call needs (specs/graph.md
    /// §§3–7: users and deleted users `User.Read.All`, groups and their members
    /// `GroupMember.Read.All` or `Group.Read.All`, the service principal and its
    /// `appRoleAssignedTo` `Application.Read.All`); `None` for a call the spec names none for.
    pub fn needed_permission(&self) -> Option<&'static str> {
        let path = self.url.split(['?', '#']).next().unwrap_or(&self.url);
        let path = path.split_once("://").map_or(path, |(_, rest)| rest);
        path.split('/').skip(1).find_map(|seg| match seg {
            "users" | "directory" => Some("User.Read.All"),
            "groups" => Some("GroupMember.Read.All (or Group.Read.All)"),
            s if s.starts_with("servicePrincipals") => Some("Application.Read.All"),
            _ => None,
        })
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.url.split('?').next().unwrap_or(&self.url);
        write!(
            f,
            "Graph answered {} {} to {} {path}",
            self.status, self.code, self.method
        )?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request-id {id})")?;
        }
        // A 403 is a permission the app was not granted: which one, and what to do.
        if self.is_permission_denied() {
            match self.needed_permission() {
                Some(p) => write!(
                    f,
                    ". The app lacks the Microsoft Graph application permission {p} this call needs: grant it \
                     with admin consent (App registrations → the app → API permissions → Add a permission → \
                     Microsoft Graph → Application permissions, then Grant admin consent)"
                )?,
                None => f.write_str(
                    ". The app lacks a Microsoft Graph application permission this call needs: grant it with \
                     admin consent (App registrations → the app → API permissions)",
                )?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_read_names_the_permission_its_call_needs() {
        let body = br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}"#;
        for (url, permission) in [
            (
                "https://graph.microsoft.com/v1.0/users/delta?$select=id",
                "User.Read.All",
            ),
            (
                "https://graph.microsoft.com/v1.0/directory/deletedItems/microsoft.graph.user",
                "User.Read.All",
            ),
            (
                "https://graph.microsoft.com/v1.0/groups/g1/members",
                "GroupMember.Read.All",
            ),
            (
                "https://graph.microsoft.com/v1.0/servicePrincipals/sp/appRoleAssignedTo",
                "Application.Read.All",
            ),
        ] {
            let e = GraphError::from_response("GET", url, 403, &Default::default(), body);
            let text = e.to_string();
            assert!(text.contains(permission) && text.contains("admin consent"), "{text}");
        }
        let e = GraphError::from_response(
            "GET",
            "https://graph.microsoft.com/v1.0/organization",
            403,
            &Default::default(),
            body,
        );
        assert_eq!(e.needed_permission(), None);
        assert!(e.to_string().contains("admin consent"));
    }

    #[test]
    fn graph_errors_keep_request_ids() {
        let body = br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{"date":"2021-04-20T17:22:30","request-id":"r1","client-request-id":"c1"}}}"#;
        let e = GraphError::from_response("GET", "http://x/v1.0/users?$top=1", 403, &Default::default(), body);
        assert_eq!(e.code, "Authorization_RequestDenied");
        assert_eq!(e.request_id.as_deref(), Some("r1"));
        assert!(e.to_string().contains("request-id r1") && !e.to_string().contains("$top"));
        assert!(!Error::Graph(Box::new(e.clone())).is_transient());
        let gone = GraphError {
            status: 410,
            ..e.clone()
        };
        assert!(gone.is_delta_reset());
        let expired = GraphError {
            status: 400,
            code: "SyncStateNotFound".into(),
            ..e.clone()
        };
        assert!(expired.is_delta_reset());
        assert!(Error::Graph(Box::new(GraphError { status: 429, ..e })).is_transient());
        // Missing innerError and a non-JSON body are tolerated.
        let e = GraphError::from_response("GET", "u", 504, &Default::default(), b"gateway");
        assert_eq!((e.status, e.code.as_str()), (504, ""));
    }

    #[test]
    fn throttles_and_failures_get_their_verdicts() {
        let e = |status, retry_after| {
            Error::Graph(Box::new(GraphError {
                retry_after,
                ..GraphError::from_response("GET", "u", status, &Default::default(), b"")
            }))
        };
        let wait = Some(Duration::from_millis(2128));
        assert_eq!(e(429, wait).verdict(false), Verdict::Throttled { wait });
        assert_eq!(e(503, None).verdict(true), Verdict::Throttled { wait: None });
        assert_eq!(e(503, None).verdict(false), Verdict::Fail);
        assert_eq!(e(504, None).verdict(true), Verdict::Retry);
        assert_eq!(e(504, None).verdict(false), Verdict::Fail);
        assert_eq!(e(403, None).verdict(true), Verdict::Fail);
        let token = |status| Error::Token(TokenError::from_body(status, b"{}"));
        assert_eq!(token(429).verdict(true), Verdict::Throttled { wait: None });
        assert_eq!(token(401).verdict(true), Verdict::Fail);
    }
}

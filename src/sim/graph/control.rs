//! `/sim/*`: the unauthenticated control surface for tests, never counted in statistics.
//!
//! - `GET /sim/faults` → the active [`Faults`]; `POST /sim/faults` with a [`Faults`] JSON object
//!   (missing fields take their defaults) replaces them and runs its one-shot actions.
//! - `GET /sim/stats` → [`Stats`]; `POST /sim/stats/reset` zeroes them.

use std::collections::BTreeMap;

use axum::http::{HeaderName, Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::reply::Reply;
use super::{Sim, lock};

/// Injected faults. Counters are consumed one per affected request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// The next N Graph requests answer 429 `TooManyRequests` (a throttling storm).
    pub throttle_next: u32,
    /// `Retry-After` on 429/503 replies, verbatim (`"2"`, `"0.05"`); default `"1"`.
    pub retry_after: Option<String>,
    /// Send `Retry-After` as an HTTP date this many seconds ahead instead.
    pub retry_after_http_date_secs: Option<u64>,
    /// The next N Graph requests answer 503 `serviceNotAvailable` (with `Retry-After`).
    pub unavailable_next: u32,
    /// The next N Graph requests answer 504 `UnknownError` (no `Retry-After`).
    pub gateway_timeout_next: u32,
    /// One-shot: every delta token issued so far answers 400 `syncStateNotFound`.
    pub expire_delta_tokens: bool,
    /// The next N delta requests that carry a token answer 410 Gone with a `Location`.
    pub delta_gone_next: u32,
    /// Delta rounds interleave empty pages that still carry a nextLink.
    pub empty_delta_pages: bool,
    /// Overrides `Options::delta_page_size`.
    pub delta_page_size: Option<usize>,
    /// Each delta page repeats its first item (duplicates within a round are legal).
    pub duplicate_delta_items: bool,
    /// A user's changed manager comes apart in a delta round: the new manager's add on the
    /// object, the former manager's removal (`@removed`) in an item of its own (`id` and
    /// `manager@delta` only) after it. Graph promises no order among an object's items and
    /// annotations (graph.md §6.4, §12: "duplicates, out-of-order").
    pub manager_delta_apart: bool,
    /// One-shot: the next delta page that is page N of its round (1: a round's first page)
    /// carries its items but neither `@odata.nextLink` nor `@odata.deltaLink` — an answer cut
    /// short (graph.md §6.1: every page carries one of them).
    pub delta_page_without_link: Option<u64>,
    /// Application permissions to deny (403 `Authorization_RequestDenied` on reads that no
    /// other held permission allows): `User.Read.All`, `GroupMember.Read.All`,
    /// `Group.Read.All` (groups need both denied), `Application.Read.All`.
    pub deny: Vec<String>,
    /// One-shot: every access token issued so far expires now.
    pub expire_access_tokens: bool,
    /// The client secret is expired: the token endpoint answers 401 AADSTS7000222.
    pub secret_expired: bool,
    /// `expires_in` for tokens issued from now on.
    pub token_lifetime_secs: Option<u64>,
    /// Share (0..1) of Graph requests answered at random with 429 or 503 (`nowsync sim
    /// --fault-rate`), with `Retry-After` as configured.
    pub fault_rate: f64,
    /// 429 and 503 replies carry no `Retry-After` (real Graph sometimes omits it, spec §14 #4).
    pub omit_retry_after: bool,
    /// Every access token issued so far expires after this many more Graph requests (a token
    /// expiring mid-cycle); counts down, then the expiry happens once.
    pub expire_access_tokens_after: Option<u32>,
    /// A user restored from the recycle bin is left out of `users/delta` rounds that use
    /// `$select`, as real Graph does (spec §14 #1, microsoft-graph-docs-contrib#6555), unless a
    /// selected property of it changed too.
    pub omit_restored_with_select: bool,
}

/// What the simulator saw. Counts Graph requests only (token requests in `token`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub requests: u64,
    /// By `METHOD endpoint`, e.g. `GET users/delta`, `GET groups/{id}/members`.
    pub by_endpoint: BTreeMap<String, u64>,
    pub token: u64,
    pub throttled_429: u64,
    pub unavailable_5xx: u64,
    pub unauthorized_401: u64,
    pub forbidden_403: u64,
    pub delta_resets: u64,
}

impl Stats {
    pub(super) fn count(&mut self, method: &str, endpoint: &str) {
        self.requests += 1;
        *self.by_endpoint.entry(format!("{method} {endpoint}")).or_default() += 1;
    }
}

pub(super) fn apply_faults(sim: &Sim, mut faults: Faults) {
    if faults.expire_delta_tokens {
        *lock(&sim.inner.delta_epoch) += 1;
        faults.expire_delta_tokens = false;
    }
    if faults.expire_access_tokens {
        let now = std::time::Instant::now();
        lock(&sim.inner.tokens).values_mut().for_each(|exp| *exp = now);
        faults.expire_access_tokens = false;
    }
    *sim.faults() = faults;
}

pub(super) fn handle(sim: &Sim, method: &Method, rest: &[&str], body: &[u8]) -> Reply {
    match (method.clone(), rest) {
        (Method::GET, ["faults"]) => Reply::ok(json!(*sim.faults())),
        (Method::POST, ["faults"]) => {
            match serde_json::from_slice::<Faults>(if body.is_empty() { b"{}" } else { body }) {
                Ok(f) => {
                    apply_faults(sim, f);
                    Reply::ok(json!(*sim.faults()))
                }
                Err(e) => Reply::bad_request(format!("bad faults: {e}")),
            }
        }
        (Method::GET, ["stats"]) => Reply::ok(json!(sim.stats())),
        (Method::POST, ["stats", "reset"]) => {
            *sim.stats_mut() = Stats::default();
            Reply::ok(json!(sim.stats()))
        }
        _ => Reply::error(StatusCode::NOT_FOUND, "UnknownError", "unknown /sim endpoint"),
    }
}

/// The `Retry-After` value of a throttling reply; `None` when the switch omits it.
fn retry_after(f: &Faults) -> Option<String> {
    if f.omit_retry_after {
        return None;
    }
    Some(match f.retry_after_http_date_secs {
        Some(s) => httpdate::fmt_http_date(std::time::SystemTime::now() + std::time::Duration::from_secs(s)),
        None => f.retry_after.clone().unwrap_or_else(|| "1".to_owned()),
    })
}

/// Adds `Retry-After` when there is one.
fn with_retry(reply: Reply, ra: Option<String>) -> Reply {
    match ra {
        Some(v) => reply.header(HeaderName::from_static("retry-after"), v),
        None => reply,
    }
}

/// Counts a Graph request toward `expire_access_tokens_after`: once that many requests went
/// through, every issued token expires before the next one is served.
pub(super) fn count_toward_expiry(sim: &Sim) {
    let expire = {
        let mut f = sim.faults();
        match f.expire_access_tokens_after {
            None => false,
            Some(0) => true,
            Some(n) => {
                f.expire_access_tokens_after = Some(n - 1);
                false
            }
        }
    };
    if expire {
        let now = std::time::Instant::now();
        lock(&sim.inner.tokens).values_mut().for_each(|exp| *exp = now);
        sim.faults().expire_access_tokens_after = None;
    }
}

/// A throttling or availability fault for this request, if one is pending.
pub(super) fn injected_fault(sim: &Sim, _endpoint: &str) -> Option<Reply> {
    let mut f = sim.faults();
    if f.throttle_next > 0 {
        f.throttle_next -= 1;
        let ra = retry_after(&f);
        drop(f);
        sim.stats_mut().throttled_429 += 1;
        let tenant = sim.tenant_id().to_owned();
        let scope = format!("Tenant_Application/ReadWrite/{}/{tenant}", sim.client_id());
        let reply = Reply::error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Please retry again later.",
        )
        .header(HeaderName::from_static("x-ms-throttle-scope"), scope)
        .header(
            HeaderName::from_static("x-ms-throttle-information"),
            "ResourceUnitLimitExceeded",
        );
        return Some(with_retry(reply, ra));
    }
    if f.unavailable_next > 0 {
        f.unavailable_next -= 1;
        let ra = retry_after(&f);
        drop(f);
        sim.stats_mut().unavailable_5xx += 1;
        let reply = Reply::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "serviceNotAvailable",
            "The service is temporarily unavailable.",
        );
        return Some(with_retry(reply, ra));
    }
    if f.fault_rate > 0.0 && rand::random::<f64>() < f.fault_rate {
        let ra = retry_after(&f);
        drop(f);
        let throttle = rand::random::<bool>();
        let mut stats = sim.stats_mut();
        let reply = if throttle {
            stats.throttled_429 += 1;
            Reply::error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "Please retry again later.",
            )
        } else {
            stats.unavailable_5xx += 1;
            Reply::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "serviceNotAvailable",
                "The service is temporarily unavailable.",
            )
        };
        return Some(with_retry(reply, ra));
    }
    if f.gateway_timeout_next > 0 {
        f.gateway_timeout_next -= 1;
        drop(f);
        sim.stats_mut().unavailable_5xx += 1;
        return Some(Reply::error(
            StatusCode::GATEWAY_TIMEOUT,
            "UnknownError",
            "Gateway timeout.",
        ));
    }
    None
}

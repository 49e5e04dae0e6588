//! Retries of both clients, on `backon`: which failures are tried again, how long to wait, and
//! how throttling differs from failure.
//!
//! Two kinds of "try again":
//! - a *failure* (a 5xx, a dropped connection, a cut-off body) spends one of `max_attempts`,
//!   waiting an exponential backoff with jitter between attempts;
//! - a *throttle* (429, ServiceNow's 202-empty, Graph's 503) spends no attempt: the service
//!   was not overloaded by *this* request, it asked everyone to slow down. The wait it names
//!   (`Retry-After`, `X-RateLimit-Reset`) pauses the whole client ([`Pause`]), and the request is
//!   sent again for as long as `throttle_budget` allows, counted from its first throttle. A
//!   throttle that names no wait backs off exponentially, for this request only.
//!
//! Each client says which is which for its own errors ([`Verdict`]); the rule that a request
//! whose outcome is unknown (a POST after a dropped connection) is never blindly sent again is
//! the client's verdict, not ours. Every wait is `tokio::time::sleep`, so tests use paused time.
//!
//! [`parse_retry_after`] is the one parser of `Retry-After` (delta-seconds, fractional as Graph
//! sends them, or an HTTP-date; RFC 9110 §10.2.3).

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use backon::{ExponentialBuilder, Retryable};
use tokio::time::Instant;

/// How a client judges one failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Final: return the error.
    Fail,
    /// A failure worth another attempt after a backoff.
    Retry,
    /// The service throttled us; `wait` is what it asked for, if it said.
    Throttled { wait: Option<Duration> },
}

/// Attempts and waits. `Default` is what production uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Attempts per request for failures, the first included.
    pub max_attempts: u32,
    /// The first failure backoff; it doubles per attempt, with jitter up to as much again.
    pub base: Duration,
    /// The longest failure backoff.
    pub cap: Duration,
    /// How long a throttled request keeps being retried, from its first throttle.
    pub throttle_budget: Duration,
    /// The first wait after a throttle that named none; doubles up to `throttle_cap`.
    pub throttle_base: Duration,
    pub throttle_cap: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_attempts: 5,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            throttle_budget: Duration::from_secs(15 * 60),
            throttle_base: Duration::from_millis(250),
            throttle_cap: Duration::from_secs(30),
        }
    }
}

/// A client-wide pause: while it lasts, no request of the client is sent. Set when the service
/// names a wait (`Retry-After`), so the whole client honours it, not just the request that got it.
/// Each pause that starts (none was running) is announced once to [`Pause::subscribe`]rs with
/// its wait, however many requests it holds: the engine tells the admin.
#[derive(Debug)]
pub struct Pause {
    until: Mutex<Option<Instant>>,
    started: tokio::sync::broadcast::Sender<Duration>,
}

impl Default for Pause {
    fn default() -> Self {
        Self {
            until: Mutex::new(None),
            started: tokio::sync::broadcast::channel(16).0,
        }
    }
}

impl Pause {
    /// Pauses until at least `now + wait` (a shorter pause never cuts a longer one).
    pub fn extend(&self, wait: Duration) {
        let now = Instant::now();
        let at = now + wait;
        let mut until = self.until.lock().unwrap_or_else(|e| e.into_inner());
        if until.is_none_or(|u| u <= now) {
            // Nobody listening is fine: the log file has the wait too.
            let _ = self.started.send(wait);
        }
        if until.is_none_or(|u| u < at) {
            *until = Some(at);
        }
    }

    /// The waits of the pauses that start from now on, one message per pause.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Duration> {
        self.started.subscribe()
    }

    /// What is left of the pause.
    pub fn remaining(&self) -> Duration {
        let until = *self.until.lock().unwrap_or_else(|e| e.into_inner());
        until.map_or(Duration::ZERO, |u| u.saturating_duration_since(Instant::now()))
    }

    /// Waits out the pause, including extensions made while waiting.
    pub async fn wait(&self) {
        loop {
            let left = self.remaining();
            if left.is_zero() {
                return;
            }
            tokio::time::sleep(left).await;
        }
    }
}

/// Runs `op` until it succeeds or fails for good under `policy`. `op` is called once per attempt
/// and should wait for `pause` itself before it takes a connection slot (see the clients).
pub async fn run<T, E, F, Fut>(policy: &Policy, pause: &Pause, op: F, verdict: impl Fn(&E) -> Verdict) -> Result<T, E>
where
    E: std::fmt::Display,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let failures = ExponentialBuilder::default()
        .with_min_delay(policy.base)
        .with_max_delay(policy.cap)
        .with_max_times(policy.max_attempts.saturating_sub(1) as usize)
        .with_jitter();
    let throttles = ExponentialBuilder::default()
        .with_min_delay(policy.throttle_base)
        .with_max_delay(policy.throttle_cap)
        .without_max_times()
        .with_jitter();
    let first_throttle: Mutex<Option<Instant>> = Mutex::new(None);
    let attempt = || {
        (&op)
            .retry(failures)
            .sleep(tokio::time::sleep)
            .when(|e| verdict(e) == Verdict::Retry)
            .notify(|e, wait| tracing::debug!(?wait, error = %e, "retrying after a failure"))
    };
    attempt
        .retry(throttles)
        .sleep(tokio::time::sleep)
        .when(|e| matches!(verdict(e), Verdict::Throttled { .. }))
        .adjust(|e, backoff| {
            let Verdict::Throttled { wait } = verdict(e) else {
                return None;
            };
            let since = *first_throttle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get_or_insert_with(Instant::now);
            // A named wait pauses the whole client; this request then waits with everyone.
            if let Some(w) = wait {
                pause.extend(w);
            }
            let own = if wait.is_some() { Duration::ZERO } else { backoff? };
            let resume = pause.remaining().max(own);
            if since.elapsed() + resume > policy.throttle_budget {
                tracing::warn!(error = %e, ?resume, budget = ?policy.throttle_budget, "throttled past the budget: giving up");
                return None;
            }
            Some(own)
        })
        .notify(|e, wait| tracing::info!(?wait, paused = ?pause.remaining(), error = %e, "throttled: waiting"))
        .await
}

/// `Retry-After` as a wait from `now`: delta-seconds (fractions accepted, as in Graph's own
/// sample "2.128"; Graph spec §9.1) or an HTTP-date (a date in the past is no wait). Anything
/// else, negative or not finite, is `None`. At most a day: a header must not stall us for ever.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(
        at.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(Duration::from_secs(86_400)),
    )
}

#[cfg(test)]
#[path = "retry_tests.rs"]
mod tests;

//! Retries: which failures are retried, and how long to wait before the next attempt.
//!
//! Transient errors ([`Error::is_transient`]) are retried up to `max_attempts` in all, waiting
//! what a 429 asks for (`Retry-After` / `X-RateLimit-Reset`, spec §4.1) or else an exponential
//! backoff with jitter. Waits use `tokio::time::sleep`, so tests can run under
//! `tokio::time::pause()`; the base and caps are in [`Backoff`] so transport tests can make them
//! tiny.
//!
//! Invariant: a `POST` (create) is only retried when the instance surely did not run it (429,
//! 202-empty, 502/503/504, unserviced): after a timeout, a dropped connection or a cut-off body
//! the record may exist, and a blind retry would create it twice. The caller gets the error and
//! can look before it writes again.

use std::future::Future;
use std::time::Duration;

use rand::Rng;

use super::error::Error;

/// Backoff settings. `Default` is what production uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first wait; doubled per attempt.
    pub base: Duration,
    /// The longest computed wait.
    pub cap: Duration,
    /// The longest wait the instance may ask for; a 429 asking for more is returned as is.
    pub max_wait: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            max_wait: Duration::from_secs(15 * 60),
        }
    }
}

impl Backoff {
    /// The wait before attempt `attempt + 1` (attempts count from 1), or `None` when the
    /// instance asked for longer than `max_wait`.
    pub fn delay(&self, err: &Error, attempt: u32) -> Option<Duration> {
        if let Some(asked) = err.retry_after() {
            return (asked <= self.max_wait).then_some(asked);
        }
        let exp = self.base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let full = exp.min(self.cap);
        // "Equal jitter": half fixed, half random, so parallel workers spread out but still wait.
        let half = full / 2;
        let jitter = rand::rng().random_range(0..=half.as_micros().min(u128::from(u64::MAX)) as u64);
        Some(half + Duration::from_micros(jitter))
    }
}

/// Whether `err` may be retried for a request with this method.
pub fn retryable(err: &Error, method: &str) -> bool {
    if !err.is_transient() {
        return false;
    }
    if method != "POST" {
        return true;
    }
    match err {
        Error::RateLimited { .. } | Error::AcceptedEmpty { .. } | Error::Unserviced { .. } => true,
        Error::Server { status, .. } => matches!(status, 502..=504),
        _ => false,
    }
}

/// Runs `op` until it succeeds, fails for good, or `max_attempts` are used.
pub async fn with_retries<T, F, Fut>(backoff: &Backoff, max_attempts: u32, method: &str, mut op: F) -> Result<T, Error>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let max_attempts = max_attempts.max(1);
    let mut attempt = 1;
    loop {
        match op(attempt).await {
            Ok(v) => return Ok(v),
            Err(e) if attempt < max_attempts && retryable(&e, method) => match backoff.delay(&e, attempt) {
                Some(wait) => {
                    tracing::debug!(attempt, ?wait, error = %e, "retrying ServiceNow request");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                None => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::servicenow::error::Context;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn ctx() -> Context {
        Context::new("https://dev1.service-now.com", "GET", Some("sys_user"))
    }

    fn server() -> Error {
        Error::Server {
            ctx: ctx(),
            status: 503,
            message: "busy".into(),
        }
    }

    #[test]
    fn exponential_with_jitter_and_cap() {
        let b = Backoff::default();
        for attempt in 1..=10 {
            let full = (b.base * (1 << (attempt - 1))).min(b.cap);
            let d = b.delay(&server(), attempt).unwrap();
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?} vs {full:?}");
        }
    }

    #[test]
    fn honours_retry_after_up_to_max_wait() {
        let b = Backoff::default();
        let rl = |s| Error::RateLimited {
            ctx: ctx(),
            message: "x".into(),
            retry_after: Some(Duration::from_secs(s)),
        };
        assert_eq!(b.delay(&rl(7), 1), Some(Duration::from_secs(7)));
        assert_eq!(b.delay(&rl(3600), 1), None);
    }

    #[test]
    fn post_is_not_retried_when_it_may_have_run() {
        let dropped = Error::Dropped {
            ctx: ctx(),
            detail: "reset".into(),
        };
        assert!(retryable(&dropped, "GET"));
        assert!(retryable(&dropped, "PATCH"));
        assert!(!retryable(&dropped, "POST"));
        assert!(retryable(&Error::AcceptedEmpty { ctx: ctx() }, "POST"));
        assert!(retryable(&server(), "POST"));
        assert!(!retryable(
            &Error::Server {
                ctx: ctx(),
                status: 500,
                message: String::new()
            },
            "POST"
        ));
        assert!(!retryable(
            &Error::NotFound {
                ctx: ctx(),
                message: String::new()
            },
            "GET"
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn retries_then_succeeds_in_paused_time() {
        let calls = AtomicU32::new(0);
        let started = tokio::time::Instant::now();
        let got = with_retries(&Backoff::default(), 5, "GET", |_| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move { if n < 3 { Err(server()) } else { Ok(n) } }
        })
        .await
        .unwrap();
        assert_eq!(got, 3);
        // 3 waits of at least 0.25 s, 0.5 s, 1 s: virtual time moved, no real sleep happened.
        assert!(started.elapsed() >= Duration::from_millis(1750));
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_max_attempts_and_on_permanent_errors() {
        let calls = AtomicU32::new(0);
        let r: Result<(), _> = with_retries(&Backoff::default(), 4, "GET", |_| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(server()) }
        })
        .await;
        assert!(matches!(r, Err(Error::Server { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 4);

        calls.store(0, Ordering::SeqCst);
        let r: Result<(), _> = with_retries(&Backoff::default(), 4, "GET", |_| {
            calls.fetch_add(1, Ordering::SeqCst);
            async {
                Err(Error::Unauthorized {
                    ctx: ctx(),
                    message: "no".into(),
                })
            }
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}

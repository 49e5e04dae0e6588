//! Retrying transient failures: 429 honours `Retry-After` (seconds, possibly fractional as in
//! Graph's own sample, or an HTTP date, spec §9.1); 500/502/503/504 and connection failures back
//! off exponentially with jitter. Attempts are bounded, throttling more generously than errors
//! because Graph asks clients to keep waiting while 429 persists.

use std::future::Future;
use std::time::{Duration, SystemTime};

use rand::Rng;

use super::Error;

/// How many times and how long to wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total for 5xx and connection failures.
    pub max_attempts: u32,
    /// Attempts in total while Graph keeps answering 429.
    pub max_throttled_attempts: u32,
    /// First backoff step; doubles per attempt.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// A `Retry-After` above this is cut to it (a misbehaving proxy must not stall a cycle).
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            max_throttled_attempts: 12,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

/// `Retry-After` as a duration: delta-seconds (fractions accepted) or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}

impl RetryPolicy {
    /// Exponential backoff for attempt `n` (0-based), with "equal jitter": half fixed, half random.
    pub fn backoff(&self, n: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(n.min(20)))
            .min(self.max_delay);
        let half = exp / 2;
        half + half.mul_f64(rand::rng().random_range(0.0..=1.0))
    }

    /// The wait before retrying after `err`, or None when it must not be retried.
    /// `throttled`/`other` count earlier retries of each kind.
    pub fn delay(&self, err: &Error, throttled: u32, other: u32, idempotent: bool) -> Option<Duration> {
        if let Error::Graph(g) = err
            && g.status == 429
        {
            // Throttled requests were not processed, so even a POST may be sent again.
            if throttled + 1 >= self.max_throttled_attempts {
                return None;
            }
            return Some(match g.retry_after {
                Some(ra) => ra.min(self.max_retry_after),
                None => self.backoff(throttled),
            });
        }
        if !idempotent || !err.is_transient() || other + 1 >= self.max_attempts {
            return None;
        }
        let after = err
            .graph()
            .and_then(|g| g.retry_after)
            .map(|ra| ra.min(self.max_retry_after));
        Some(after.unwrap_or_else(|| self.backoff(other)))
    }

    /// Runs `op` until it succeeds, fails for good, or attempts run out.
    pub async fn run<T, F, Fut>(&self, idempotent: bool, mut op: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let (mut throttled, mut other) = (0u32, 0u32);
        loop {
            let err = match op().await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            let Some(wait) = self.delay(&err, throttled, other, idempotent) else {
                return Err(err);
            };
            tracing::warn!(
                request_id = err.request_id().unwrap_or("-"),
                wait_ms = wait.as_millis() as u64,
                "transient Graph failure, retrying: {err}"
            );
            if matches!(&err, Error::Graph(g) if g.status == 429) {
                throttled += 1;
            } else {
                other += 1;
            }
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::GraphError;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn graph(status: u16, retry_after: Option<Duration>) -> Error {
        Error::Graph(Box::new(GraphError {
            status,
            code: "TooManyRequests".into(),
            message: String::new(),
            request_id: Some("r".into()),
            client_request_id: None,
            retry_after,
            location: None,
            method: "GET".into(),
            url: "u".into(),
        }))
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("2.128"), Some(Duration::from_millis(2128)));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("soon"), None);
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        let d = parse_retry_after(&later).unwrap();
        assert!(d > Duration::from_secs(28) && d <= Duration::from_secs(30), "{d:?}");
        let past = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&past), Some(Duration::ZERO));
    }

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let p = RetryPolicy::default();
        for n in 0..10 {
            let d = p.backoff(n);
            let exp = (Duration::from_secs(1) * 2u32.pow(n)).min(p.max_delay);
            assert!(d >= exp / 2 && d <= exp, "{n}: {d:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttling_storm_is_waited_out_by_retry_after() {
        let p = RetryPolicy::default();
        let calls = AtomicU32::new(0);
        let start = tokio::time::Instant::now();
        let out = p
            .run(true, || async {
                match calls.fetch_add(1, Ordering::SeqCst) {
                    0..=5 => Err(graph(429, Some(Duration::from_secs(10)))),
                    _ => Ok(7),
                }
            })
            .await;
        assert_eq!(out.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 7);
        assert_eq!(start.elapsed().as_secs(), 60, "six waits of Retry-After: 10");
    }

    #[tokio::test(start_paused = true)]
    async fn server_errors_back_off_then_give_up() {
        let p = RetryPolicy::default();
        let calls = AtomicU32::new(0);
        let start = tokio::time::Instant::now();
        let out: Result<(), Error> = p
            .run(true, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(graph(503, None))
            })
            .await;
        assert!(matches!(out, Err(Error::Graph(g)) if g.status == 503));
        assert_eq!(calls.load(Ordering::SeqCst), p.max_attempts);
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(7500) && waited <= Duration::from_secs(15),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn permanent_errors_and_non_idempotent_5xx_are_not_retried() {
        let p = RetryPolicy::default();
        for (status, idempotent) in [(403, true), (404, true), (400, true), (503, false)] {
            let calls = AtomicU32::new(0);
            let _ = p
                .run(idempotent, || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Err::<(), _>(graph(status, None))
                })
                .await;
            assert_eq!(calls.load(Ordering::SeqCst), 1, "{status}");
        }
    }
}

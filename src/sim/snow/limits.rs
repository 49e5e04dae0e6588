//! The performance model (DESIGN.md, spec §4): the API_INT semaphore with a bounded wait queue,
//! and an hourly per-user rate-limit rule.
//!
//! A request first tries to take a slot; if none is free it waits in the queue unless
//! `queue` requests already wait, in which case it is refused with 429 at once. Latency is
//! spent holding the slot. The rate-limit window is the clock hour; `X-RateLimit-Reset` is the
//! next hour boundary.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::reply::Reply;
use super::stats::Stats;

/// sys_id of the simulated `sys_rate_limit_rules` row.
pub const RATE_RULE_SYS_ID: &str = "4e1c8a5fdb2a1010a1b2c3d4e5f60718";

pub struct Limits {
    sem: Arc<Semaphore>,
    queue: usize,
    waiting: Arc<AtomicUsize>,
    running: Arc<AtomicU64>,
    rate: Mutex<HashMap<String, (u64, u32)>>,
}

/// Holds a semaphore slot; releasing happens on drop.
pub struct Slot {
    _permit: OwnedSemaphorePermit,
    running: Arc<AtomicU64>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.running.fetch_sub(1, Ordering::SeqCst);
    }
}

struct Waiting(Arc<AtomicUsize>);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Limits {
    pub fn new(slots: usize, queue: usize) -> Limits {
        Limits {
            sem: Arc::new(Semaphore::new(slots.max(1))),
            queue,
            waiting: Arc::new(AtomicUsize::new(0)),
            running: Arc::new(AtomicU64::new(0)),
            rate: Mutex::new(HashMap::new()),
        }
    }

    pub fn queued(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Takes a slot, waiting in the queue if needed; `None` when the queue is full.
    pub async fn admit(&self, stats: &Stats) -> Option<Slot> {
        let permit = match self.sem.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
                    self.waiting.fetch_sub(1, Ordering::SeqCst);
                    stats.rejected();
                    return None;
                }
                let _waiting = Waiting(self.waiting.clone());
                self.sem.clone().acquire_owned().await.ok()?
            }
        };
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        stats.in_flight(now);
        Some(Slot {
            _permit: permit,
            running: self.running.clone(),
        })
    }

    /// Applies an hourly rule of `limit` requests for `user`: the headers to add, or the 429.
    pub fn rate(&self, user: &str, limit: u32) -> Result<Vec<(String, String)>, Reply> {
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        let window = now / 3600;
        let reset = (window + 1) * 3600;
        let headers = vec![
            ("X-RateLimit-Limit".to_owned(), limit.to_string()),
            ("X-RateLimit-Reset".to_owned(), reset.to_string()),
            ("X-RateLimit-Rule".to_owned(), RATE_RULE_SYS_ID.to_owned()),
        ];
        let mut rate = self.rate.lock().unwrap_or_else(|e| e.into_inner());
        let entry = rate.entry(user.to_lowercase()).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        if entry.1 >= limit {
            let detail = format!("Rate limit of {limit} requests per hour for Table API exceeded");
            let mut reply = Reply::error(429, "Rate limit exceeded", Some(&detail));
            reply.headers.extend(headers);
            return Err(reply.header("Retry-After", (reset - now).max(1).to_string()));
        }
        entry.1 += 1;
        Ok(headers)
    }

    /// Forgets rate-limit counts (a changed rule resets them, as on an instance).
    pub fn reset_rate(&self) {
        self.rate.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_rule_denies_after_limit_with_headers() {
        let limits = Limits::new(4, 50);
        assert!(limits.rate("admin", 2).is_ok());
        let headers = limits.rate("ADMIN", 2).unwrap();
        assert!(headers.iter().any(|(k, v)| k == "X-RateLimit-Limit" && v == "2"));
        let denied = limits.rate("admin", 2).unwrap_err();
        assert_eq!(denied.status, 429);
        assert!(denied.headers.iter().any(|(k, _)| k == "Retry-After"));
        assert!(limits.rate("other", 2).is_ok());
    }

    #[tokio::test]
    async fn full_queue_refuses() {
        let limits = Limits::new(1, 0);
        let stats = Stats::default();
        let held = limits.admit(&stats).await;
        assert!(held.is_some());
        assert!(limits.admit(&stats).await.is_none());
        assert_eq!(stats.json()["rejected_429"], 1);
    }
}

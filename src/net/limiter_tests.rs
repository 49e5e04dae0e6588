use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::*;

const L: Duration = Duration::from_millis(20);

/// One round trip of `limit` requests sent together, answered after `rtt`.
async fn round(l: &Limiter, rtt: Duration) {
    let mut permits = Vec::new();
    for _ in 0..l.limit() {
        permits.push(l.acquire().await);
    }
    tokio::time::advance(rtt).await;
    for p in permits {
        p.finish(Outcome::Answered);
    }
}

#[tokio::test(start_paused = true)]
async fn grows_while_latency_stays_at_its_floor_up_to_the_cap() {
    let l = Limiter::new(4, 12);
    assert_eq!(l.limit(), 4);
    for want in 5..=12 {
        round(&l, L).await;
        assert_eq!(l.limit(), want);
    }
    round(&l, L).await;
    assert_eq!(l.limit(), 12, "never above max_in_flight");
    assert_eq!(l.floor(), Some(L));
}

#[tokio::test(start_paused = true)]
async fn shrinks_when_latency_rises() {
    let l = Limiter::new(4, 64);
    for _ in 0..8 {
        round(&l, L).await;
    }
    assert_eq!(l.limit(), 12);
    // Latency triples: with 12 in flight, 8 of them are waiting at the service.
    let mut seen = Vec::new();
    for _ in 0..10 {
        round(&l, 3 * L).await;
        seen.push(l.limit());
    }
    assert_eq!(&seen[..3], &[11, 10, 9]);
    // It settles where at most BETA requests wait: limit × (1 − 1/3) ≤ 4.
    assert!((5..=6).contains(&l.limit()), "{seen:?}");
}

#[tokio::test(start_paused = true)]
async fn a_throttle_cuts_the_limit_once_per_burst() {
    let l = Limiter::new(10, 64);
    let burst: Vec<_> = futures_util::future::join_all((0..10).map(|_| l.acquire())).await;
    tokio::time::advance(L).await;
    for p in burst {
        // Ten 429s of requests sent under the old limit: one cut.
        p.finish(Outcome::Throttled);
    }
    assert_eq!(l.limit(), 7);
    let p = l.acquire().await;
    p.finish(Outcome::Throttled);
    assert_eq!(l.limit(), 4, "a throttle of a request sent after the cut cuts again");
    for _ in 0..5 {
        let p = l.acquire().await;
        p.finish(Outcome::Throttled);
    }
    assert_eq!(l.limit(), 1, "never below one");
}

#[tokio::test(start_paused = true)]
async fn an_unfilled_limit_does_not_grow() {
    let l = Limiter::new(4, 64);
    for _ in 0..40 {
        let p = l.acquire().await;
        tokio::time::advance(L).await;
        p.finish(Outcome::Answered);
    }
    assert_eq!(l.limit(), 4, "one request at a time says nothing about capacity");
}

#[tokio::test(start_paused = true)]
async fn waiters_get_places_as_they_free_up() {
    let l = Arc::new(Limiter::new(2, 2));
    let a = l.acquire().await;
    let b = l.acquire().await;
    let l2 = l.clone();
    let third = tokio::spawn(async move {
        let p = l2.acquire().await;
        p.finish(Outcome::Ignored);
    });
    tokio::time::advance(L).await;
    assert!(!third.is_finished());
    drop(a);
    third.await.unwrap();
    b.finish(Outcome::Ignored);
}

/// A service with `slots` workers and room for `queue` waiting requests (one more is refused
/// with 429), spending `latency` per request: DESIGN.md's performance model.
struct Service {
    slots: tokio::sync::Semaphore,
    waiting: AtomicUsize,
    queue: usize,
    latency_ms: AtomicU64,
    refused: AtomicUsize,
    /// The client's own share of each request's latency (the network, HTTP), outside the slot.
    wire: Duration,
}

impl Service {
    fn new(slots: usize, queue: usize) -> Service {
        Service {
            slots: tokio::sync::Semaphore::new(slots),
            waiting: AtomicUsize::new(0),
            queue,
            latency_ms: AtomicU64::new(20),
            refused: AtomicUsize::new(0),
            wire: Duration::ZERO,
        }
    }

    /// As an instance across a network: `wire` more on every request's latency.
    fn with_wire(slots: usize, queue: usize, wire: Duration) -> Service {
        Service {
            wire,
            ..Service::new(slots, queue)
        }
    }

    async fn call(&self) -> Outcome {
        tokio::time::sleep(self.wire).await;
        let slot = match self.slots.try_acquire() {
            Ok(s) => s,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
                    self.waiting.fetch_sub(1, Ordering::SeqCst);
                    self.refused.fetch_add(1, Ordering::SeqCst);
                    return Outcome::Throttled;
                }
                let s = self.slots.acquire().await;
                self.waiting.fetch_sub(1, Ordering::SeqCst);
                match s {
                    Ok(s) => s,
                    Err(_) => return Outcome::Ignored,
                }
            }
        };
        tokio::time::sleep(Duration::from_millis(self.latency_ms.load(Ordering::SeqCst))).await;
        drop(slot);
        Outcome::Answered
    }
}

/// 64 workers send `requests` requests through the limiter to the service; a client round
/// trip of 1 ms separates a worker's requests.
async fn drive(l: &Limiter, service: &Service, requests: usize) {
    let left = AtomicUsize::new(requests);
    let worker = || async {
        while left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            let p = l.acquire().await;
            let outcome = service.call().await;
            p.finish(outcome);
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    futures_util::future::join_all((0..64).map(|_| worker())).await;
}

#[tokio::test(start_paused = true)]
async fn finds_the_services_slots_and_keeps_a_short_queue_there() {
    for slots in [2, 4, 16] {
        let l = Limiter::new(4, 64);
        let service = Service::new(slots, 50);
        drive(&l, &service, 4000).await;
        let limit = l.limit();
        assert!(
            limit > slots && limit <= slots + BETA as usize + 1,
            "S={slots}: limit {limit}"
        );
        assert_eq!(service.refused.load(Ordering::SeqCst), 0, "S={slots}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_full_queue_is_found_by_its_429s_and_left_alone() {
    let l = Limiter::new(4, 64);
    let service = Service::new(1, 2);
    drive(&l, &service, 2000).await;
    let refused = service.refused.load(Ordering::SeqCst);
    assert!(l.limit() <= 3, "limit {}", l.limit());
    // A few probes of the edge, not a storm: under 2 % of requests refused.
    assert!(refused < 40, "{refused} refused");
}

#[tokio::test(start_paused = true)]
async fn a_service_that_became_slower_for_everyone_is_measured_again() {
    let l = Limiter::new(4, 64);
    let service = Service::new(8, 50);
    drive(&l, &service, 3000).await;
    assert_eq!(l.floor().map(|f| f.as_millis()), Some(20));
    // Twice as slow, with no queue of ours: the probe finds the new floor, and the limit
    // comes back to the slots.
    service.latency_ms.store(40, Ordering::SeqCst);
    drive(&l, &service, 12_000).await;
    assert_eq!(l.floor().map(|f| f.as_millis()), Some(40));
    assert!(l.limit() > 8, "limit {}", l.limit());
}

/// Like [`drive`], for `how_long` of simulated time, and as the client does on a 429 with
/// `Retry-After: 1` (the simulator's full queue, `servicenow::transport`): nothing is sent for
/// a second, and a request that waited out the pause holding its place is timed from its
/// sending. Returns the requests answered.
async fn drive_for(l: &Limiter, service: &Service, how_long: Duration) -> usize {
    let end = Instant::now() + how_long;
    let answered = AtomicUsize::new(0);
    let paused_until = std::sync::Mutex::new(Instant::now());
    let pause_over = || async {
        let until = *paused_until.lock().unwrap();
        tokio::time::sleep_until(until).await;
    };
    let worker = || async {
        while Instant::now() < end {
            pause_over().await;
            let mut p = l.acquire().await;
            pause_over().await;
            p.sending();
            let outcome = service.call().await;
            match outcome {
                Outcome::Answered => {
                    answered.fetch_add(1, Ordering::SeqCst);
                }
                Outcome::Throttled => {
                    *paused_until.lock().unwrap() = Instant::now() + Duration::from_secs(1);
                }
                Outcome::Ignored => {}
            }
            p.finish(outcome);
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    futures_util::future::join_all((0..64).map(|_| worker())).await;
    answered.into_inner()
}

#[tokio::test(start_paused = true)]
async fn a_steady_storm_is_probed_a_few_times_a_minute_not_every_few_seconds() {
    // One slot and a queue of two: a fourth request in flight is refused. After each 429's
    // second of pause the service is idle and answers fast, which reads as room to grow: without
    // the edge remembered, the limit climbed to the fourth again at once (67 refused here).
    let l = Limiter::new(4, 64);
    let service = Service::with_wire(1, 2, Duration::from_millis(1));
    let answered = drive_for(&l, &service, Duration::from_secs(60)).await;
    let refused = service.refused.load(Ordering::SeqCst);
    assert!(refused <= 6, "{refused} refused in 60 s");
    // Held at the edge the throttles showed, the slot stays busy: 3,000 requests of 20 ms fit,
    // less a second's pause for each 429.
    assert!(answered >= 2_600, "{answered} answered");
    assert_eq!(l.limit(), 3);
    // A steady minute later, fewer still: the probes of the edge have backed off.
    drive_for(&l, &service, Duration::from_secs(60)).await;
    let more = service.refused.load(Ordering::SeqCst) - refused;
    assert!(more <= 2, "{more} refused in the second minute");
}

#[tokio::test(start_paused = true)]
async fn a_service_that_gained_capacity_after_a_storm_is_still_found() {
    let l = Limiter::new(4, 64);
    let service = Service::with_wire(1, 2, Duration::from_millis(1));
    drive_for(&l, &service, Duration::from_secs(60)).await;
    assert_eq!(l.limit(), 3);
    // Fifteen more slots (a scaled-out instance): a probe above the old edge succeeds and the
    // limit climbs to the new slots, with its short queue there.
    service.slots.add_permits(15);
    let refused = service.refused.load(Ordering::SeqCst);
    drive_for(&l, &service, Duration::from_secs(60)).await;
    assert!((16..=19).contains(&l.limit()), "limit {}", l.limit());
    let more = service.refused.load(Ordering::SeqCst) - refused;
    assert!(more <= 4, "{more} refused");
}

use std::sync::atomic::{AtomicU32, Ordering};

use super::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum E {
    Busy,
    Denied,
    Throttled(Option<u64>),
}

impl std::fmt::Display for E {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

fn verdict(e: &E) -> Verdict {
    match e {
        E::Busy => Verdict::Retry,
        E::Denied => Verdict::Fail,
        E::Throttled(s) => Verdict::Throttled {
            wait: s.map(Duration::from_secs),
        },
    }
}

/// Answers the scripted errors in order, then `Ok(calls)`.
async fn scripted(policy: &Policy, pause: &Pause, script: &[E]) -> (Result<u32, E>, u32) {
    let calls = AtomicU32::new(0);
    let out = run(
        policy,
        pause,
        || async {
            pause.wait().await;
            let n = calls.fetch_add(1, Ordering::SeqCst);
            match script.get(n as usize) {
                Some(e) => Err(*e),
                None => Ok(n),
            }
        },
        verdict,
    )
    .await;
    (out, calls.load(Ordering::SeqCst))
}

#[tokio::test(start_paused = true)]
async fn failures_back_off_exponentially_then_give_up() {
    let p = Policy::default();
    let start = Instant::now();
    let (out, calls) = scripted(&p, &Pause::default(), &[E::Busy; 10]).await;
    assert_eq!(out, Err(E::Busy));
    assert_eq!(calls, p.max_attempts);
    // Four waits from 0.5 s doubling, each with up to as much again of jitter: 7.5 s to 15 s.
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(7500) && waited < Duration::from_secs(15),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn final_errors_are_not_retried() {
    let (out, calls) = scripted(&Policy::default(), &Pause::default(), &[E::Denied, E::Busy]).await;
    assert_eq!((out, calls), (Err(E::Denied), 1));
}

#[tokio::test(start_paused = true)]
async fn throttles_spend_no_attempt_and_pause_for_the_named_wait() {
    let p = Policy::default();
    let pause = Pause::default();
    let start = Instant::now();
    // Twenty throttles of 10 s each, then a success: far more than max_attempts, no failure.
    let script = [E::Throttled(Some(10)); 20];
    let (out, calls) = scripted(&p, &pause, &script).await;
    assert_eq!(out, Ok(20));
    assert_eq!(calls, 21);
    assert_eq!(start.elapsed().as_secs(), 200, "twenty pauses of Retry-After: 10");
}

#[tokio::test(start_paused = true)]
async fn a_named_wait_pauses_every_request_of_the_client() {
    let p = Policy::default();
    let pause = Pause::default();
    let start = Instant::now();
    let throttled = scripted(&p, &pause, &[E::Throttled(Some(30))]);
    let other = async {
        // Sent a moment after the throttle arrived: it waits for the same pause.
        tokio::time::sleep(Duration::from_millis(1)).await;
        pause.wait().await;
        start.elapsed()
    };
    let ((out, _), other_sent) = tokio::join!(throttled, other);
    assert_eq!(out, Ok(1));
    assert_eq!(other_sent.as_secs(), 30);
}

#[tokio::test(start_paused = true)]
async fn throttles_without_a_wait_back_off_and_failures_between_them_are_retried() {
    let p = Policy::default();
    let script = [E::Throttled(None), E::Busy, E::Throttled(None), E::Busy, E::Busy];
    let (out, calls) = scripted(&p, &Pause::default(), &script).await;
    assert_eq!((out, calls), (Ok(5), 6));
}

#[tokio::test(start_paused = true)]
async fn throttling_past_the_budget_returns_the_throttle() {
    let p = Policy {
        throttle_budget: Duration::from_secs(60),
        ..Policy::default()
    };
    let start = Instant::now();
    let (out, calls) = scripted(&p, &Pause::default(), &[E::Throttled(Some(25)); 10]).await;
    assert_eq!(out, Err(E::Throttled(Some(25))));
    // Waits of 25 s at 0 and 25; a third would end at 75 s, past the 60-s budget.
    assert_eq!(calls, 3);
    assert_eq!(start.elapsed().as_secs(), 50);
    // A wait longer than the whole budget is not waited at all.
    let start = Instant::now();
    let (out, calls) = scripted(&p, &Pause::default(), &[E::Throttled(Some(3600))]).await;
    assert_eq!((out, calls), (Err(E::Throttled(Some(3600))), 1));
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[test]
fn retry_after_forms() {
    let now = SystemTime::now();
    assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
    assert_eq!(parse_retry_after(" 2.128 ", now), Some(Duration::from_millis(2128)));
    assert_eq!(parse_retry_after("-1", now), None);
    assert_eq!(parse_retry_after("NaN", now), None);
    assert_eq!(parse_retry_after("soon", now), None);
    assert_eq!(parse_retry_after("999999999", now), Some(Duration::from_secs(86_400)));
    let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
    let d = parse_retry_after(&later, now).unwrap();
    assert!(d > Duration::from_secs(28) && d <= Duration::from_secs(30), "{d:?}");
    let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
    assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
    assert_eq!(
        parse_retry_after(
            "Wed, 21 Oct 2015 07:28:00 GMT",
            httpdate::parse_http_date("Wed, 21 Oct 2015 07:27:00 GMT").unwrap()
        ),
        Some(Duration::from_secs(60))
    );
}

/// Acceptance F10: a pause is announced once when it starts, not for each request it holds or
/// each throttle that extends it; the next pause, after it ended, is announced again.
#[tokio::test(start_paused = true)]
async fn a_pause_is_announced_once_when_it_starts() {
    let pause = Pause::default();
    let mut started = pause.subscribe();
    pause.extend(Duration::from_secs(5));
    pause.extend(Duration::from_secs(5));
    pause.extend(Duration::from_secs(2));
    assert_eq!(started.try_recv().ok(), Some(Duration::from_secs(5)));
    assert!(started.try_recv().is_err(), "one pause, one message");
    pause.wait().await;
    pause.extend(Duration::from_secs(3));
    assert_eq!(started.try_recv().ok(), Some(Duration::from_secs(3)));
}

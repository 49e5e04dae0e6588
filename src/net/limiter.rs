//! An adaptive in-flight limit: how many requests the service serves at once, found from
//! latency and throttling, never configured (issue 16, DESIGN.md "The performance model").
//!
//! The rule is TCP Vegas's, as Netflix's concurrency-limits `VegasLimit` applies it to
//! requests: while latency stays at its floor the service has idle capacity and the limit grows;
//! when latency rises, requests are queueing at the service and the limit shrinks; a throttle
//! (429, a dropped queued request) cuts it at once. Per window of about one round trip (as many
//! samples as the limit), with `floor` the lowest latency seen and `rtt` the window's mean:
//!
//! ```text
//! queue = limit × (1 − floor / rtt)      the requests waiting at the service, estimated
//! queue < ALPHA  → limit + 1             (unless we did not even fill the limit)
//! queue > BETA   → limit − 1
//! a throttle     → limit × DECREASE      (once per burst: only for requests sent after the last cut)
//! ```
//!
//! A throttle is remembered (TCP's `ssthresh`, Gradient2's smoothed limit): the in-flight count
//! the refused request was sent at is the service's edge, and the limit grows to it again only
//! as a probe, `PROBE_EDGE_FIRST` after the cut, each probe that is refused again waiting twice
//! as long (up to `PROBE_EDGE_MOST`). So a steady storm (a short queue at the service) costs a
//! few 429s a minute, not one every few seconds, and a probe that is served (the service gained
//! capacity, or the throttle was someone else's burst) forgets the edge: growth is free again.
//!
//! A few requests waiting at the service are wanted: a slot freed there is taken at once
//! instead of idling for a client round trip. The floor is measured again every
//! `PROBE_EVERY` (the service may have become slower for everyone): for one round trip the limit
//! is halved, which empties our queue there, and the lowest latency of that round trip becomes
//! the floor (BBR's "probe RTT").
//!
//! The limit starts at `initial` and stays within 1..=`cap` (`max_in_flight`). All time is
//! `tokio::time`, so tests drive it with paused time.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// Below this many requests queued at the service, the limit grows.
const ALPHA: f64 = 2.0;
/// Above this many, it shrinks.
const BETA: f64 = 4.0;
/// The cut on a throttle.
const DECREASE: f64 = 0.7;
/// How often the latency floor is measured again.
const PROBE_EVERY: Duration = Duration::from_secs(30);
/// A probe that gathers no samples for this long is abandoned (the client went quiet).
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long after a throttle the limit may first grow to the throttled level again.
const PROBE_EDGE_FIRST: Duration = Duration::from_secs(5);
/// The longest wait between probes of an edge that keeps throttling.
const PROBE_EDGE_MOST: Duration = Duration::from_secs(40);

/// The limiter of one client. Share it by reference (the client holds it in its `Arc`).
#[derive(Debug)]
pub struct Limiter {
    cap: usize,
    state: Mutex<State>,
    freed: Notify,
}

#[derive(Debug)]
struct State {
    limit: f64,
    in_flight: usize,
    floor: Option<Duration>,
    window: Window,
    /// Throttles of requests sent before this instant were already answered by a cut.
    last_cut: Option<Instant>,
    probe: Option<Probe>,
    last_probe: Instant,
    /// Where the service last throttled us, while that is believed.
    edge: Option<Edge>,
}

/// The in-flight count a throttled request was sent at.
#[derive(Debug, Clone, Copy)]
struct Edge {
    level: usize,
    /// Before this, the limit stays below `level`.
    probe_at: Instant,
    /// The wait that led to `probe_at`; doubled if the probe is refused again.
    wait: Duration,
}

#[derive(Debug, Default)]
struct Window {
    samples: u32,
    total: Duration,
    /// The most requests in flight when one of this window's was sent.
    busiest: usize,
    /// Requests sent at or above the remembered edge, and answered.
    at_edge: u32,
}

#[derive(Debug)]
struct Probe {
    /// The limit to return to.
    saved: f64,
    started: Instant,
    lowest: Option<Duration>,
    samples: u32,
}

/// How one request ended, for the limiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The service answered (whatever it said): its latency is a sample.
    Answered,
    /// The service throttled us (429, a dropped queued request, a timeout under load).
    Throttled,
    /// Tells nothing about capacity (a dropped connection, a batch whose latency is many
    /// requests'): no sample.
    Ignored,
}

/// One request's place in the limit; given back with [`Permit::finish`] (or on drop, as
/// [`Outcome::Ignored`]).
#[derive(Debug)]
pub struct Permit<'a> {
    limiter: &'a Limiter,
    sent: Instant,
    in_flight: usize,
    finished: bool,
}

impl Limiter {
    /// A limiter starting at `initial` requests in flight, never above `cap`.
    pub fn new(initial: usize, cap: usize) -> Limiter {
        let cap = cap.max(1);
        Limiter {
            cap,
            state: Mutex::new(State {
                limit: initial.clamp(1, cap) as f64,
                in_flight: 0,
                floor: None,
                window: Window::default(),
                last_cut: None,
                probe: None,
                last_probe: Instant::now(),
                edge: None,
            }),
            freed: Notify::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current limit (whole requests).
    pub fn limit(&self) -> usize {
        self.state().limit as usize
    }

    /// The lowest latency seen (or measured by the last probe).
    pub fn floor(&self) -> Option<Duration> {
        self.state().floor
    }

    /// Waits for a place under the limit.
    pub async fn acquire(&self) -> Permit<'_> {
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            {
                let mut s = self.state();
                if s.in_flight < (s.limit as usize).max(1) {
                    s.in_flight += 1;
                    return Permit {
                        limiter: self,
                        sent: Instant::now(),
                        in_flight: s.in_flight,
                        finished: false,
                    };
                }
            }
            freed.await;
        }
    }

    fn release(&self, sent: Instant, in_flight: usize, outcome: Outcome) {
        let grew = {
            let mut s = self.state();
            s.in_flight = s.in_flight.saturating_sub(1);
            let before = s.limit as usize;
            match outcome {
                Outcome::Answered => s.answered(sent.elapsed(), sent, in_flight, self.cap),
                Outcome::Throttled => s.throttled(sent, in_flight),
                Outcome::Ignored => {}
            }
            (s.limit as usize).saturating_sub(before)
        };
        // One place freed, plus any the limit gained.
        for _ in 0..=grew {
            self.freed.notify_one();
        }
    }
}

impl State {
    fn answered(&mut self, rtt: Duration, sent: Instant, in_flight: usize, cap: usize) {
        if self.floor.is_none_or(|f| rtt < f) {
            self.floor = Some(rtt);
        }
        if self.probe.is_some() {
            self.probe_sample(rtt, sent, in_flight);
            return;
        }
        let w = &mut self.window;
        w.samples += 1;
        w.total += rtt;
        // A request sent before the last cut shows the old limit, not this window's.
        if self.last_cut.is_none_or(|cut| sent >= cut) {
            w.busiest = w.busiest.max(in_flight);
            if self.edge.is_some_and(|e| in_flight >= e.level) {
                w.at_edge += 1;
            }
        }
        if f64::from(w.samples) < self.limit.floor() {
            return;
        }
        let window = std::mem::take(&mut self.window);
        let (Some(floor), mean) = (self.floor, window.total / window.samples.max(1)) else {
            return;
        };
        let queue = self.limit * (1.0 - floor.as_secs_f64() / mean.as_secs_f64().max(1e-9));
        // Growth needs evidence: a window that never filled the limit says nothing about more.
        let filled = window.busiest + 1 >= self.limit as usize;
        // A round trip's worth of requests served at the remembered edge (one lucky request
        // is not: its neighbour's answer was on its way back): the throttle is history.
        if self.edge.is_some_and(|e| window.at_edge as usize >= e.level) {
            self.edge = None;
        }
        if queue < ALPHA && filled {
            let grown = (self.limit + 1.0).min(cap as f64);
            let held = self
                .edge
                .is_some_and(|e| grown as usize >= e.level && Instant::now() < e.probe_at);
            if !held {
                self.limit = grown;
            }
        } else if queue > BETA {
            self.limit = (self.limit - 1.0).max(1.0);
        }
        if self.last_probe.elapsed() >= PROBE_EVERY && filled {
            self.probe = Some(Probe {
                saved: self.limit,
                started: Instant::now(),
                lowest: None,
                samples: 0,
            });
            self.limit = (self.limit / 2.0).floor().max(1.0);
        }
    }

    /// A probe counts requests sent after it began under the halved limit; once it has as many
    /// as that limit, their lowest latency is the floor and the saved limit returns.
    fn probe_sample(&mut self, rtt: Duration, sent: Instant, in_flight: usize) {
        let limit = self.limit;
        let Some(p) = self.probe.as_mut() else { return };
        if sent >= p.started && in_flight as f64 <= limit {
            p.lowest = Some(p.lowest.map_or(rtt, |l| l.min(rtt)));
            p.samples += 1;
        }
        let done = f64::from(p.samples) >= limit.max(2.0);
        if done || p.started.elapsed() > PROBE_TIMEOUT {
            if done {
                self.floor = p.lowest;
            }
            self.limit = p.saved;
            self.probe = None;
            self.last_probe = Instant::now();
            self.window = Window::default();
        }
    }

    /// Cuts the limit and remembers the edge: `in_flight` is what the refused request was sent
    /// at. A throttle while an edge is remembered (its probe refused) doubles the wait.
    fn throttled(&mut self, sent: Instant, in_flight: usize) {
        if self.last_cut.is_some_and(|cut| sent < cut) {
            return;
        }
        let now = Instant::now();
        self.last_cut = Some(now);
        let wait = self
            .edge
            .map_or(PROBE_EDGE_FIRST, |e| (e.wait * 2).min(PROBE_EDGE_MOST));
        self.edge = Some(Edge {
            level: in_flight.max(1),
            probe_at: now + wait,
            wait,
        });
        if let Some(p) = self.probe.as_mut() {
            p.saved = (p.saved * DECREASE).max(1.0);
        }
        self.limit = (self.limit * DECREASE).max(1.0);
        self.window = Window::default();
    }
}

impl Permit<'_> {
    /// Marks the moment the request really leaves (after a pause it waited out while holding
    /// its place): latency is measured from here.
    pub fn sending(&mut self) {
        self.sent = Instant::now();
    }

    /// Gives the place back with what happened.
    pub fn finish(mut self, outcome: Outcome) {
        self.finished = true;
        self.limiter.release(self.sent, self.in_flight, outcome);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.limiter.release(self.sent, self.in_flight, Outcome::Ignored);
        }
    }
}

#[cfg(test)]
#[path = "limiter_tests.rs"]
mod tests;

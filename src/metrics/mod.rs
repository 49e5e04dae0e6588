//! `nowsync run --metrics ADDR`: Prometheus text at `GET /metrics` (DESIGN.md: every name
//! starts with `nowsync_`), through `prometheus-client` (never hand-formatted), fed by the
//! engine's events like any other consumer.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tokio::sync::broadcast::error::RecvError;

use crate::sync::outcome::Status;
use crate::sync::{CycleKind, Port, SyncEvent};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CycleLabels {
    /// initial | incremental | dry_run
    kind: String,
    /// success | object_failures | stopped | error
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ObjectLabels {
    action: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

/// The metrics of one engine.
pub struct Metrics {
    registry: Registry,
    cycles: Family<CycleLabels, Counter>,
    objects: Family<ObjectLabels, Counter>,
    failures: Family<CodeLabels, Counter>,
    duration: Histogram,
    writes: Counter,
    throttled: Counter,
    quarantined: Gauge,
    last_success: Gauge,
    /// The kind of the cycle running, from its `CycleStarted`.
    kind: Option<(i64, CycleKind)>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("nowsync");
        let m = Metrics {
            cycles: Family::default(),
            objects: Family::default(),
            failures: Family::default(),
            duration: Histogram::new(exponential_buckets(0.5, 2.0, 14)),
            writes: Counter::default(),
            throttled: Counter::default(),
            quarantined: Gauge::default(),
            last_success: Gauge::default(),
            kind: None,
            registry: Registry::default(),
        };
        registry.register("cycles", "Provisioning cycles by kind and outcome", m.cycles.clone());
        registry.register("objects", "Objects acted on, by action and status", m.objects.clone());
        registry.register("failures", "Failed objects by error code", m.failures.clone());
        registry.register(
            "cycle_duration_seconds",
            "Duration of the apply phase of a cycle",
            m.duration.clone(),
        );
        registry.register("servicenow_writes", "Writes sent to ServiceNow", m.writes.clone());
        registry.register("servicenow_throttled", "429 answers of ServiceNow", m.throttled.clone());
        registry.register(
            "quarantined",
            "1 while the profile is quarantined",
            m.quarantined.clone(),
        );
        registry.register(
            "last_successful_cycle_timestamp_seconds",
            "Unix time of the end of the last real cycle that ran to its end",
            m.last_success.clone(),
        );
        Metrics { registry, ..m }
    }

    /// Counts what the event says.
    pub fn record(&mut self, event: &SyncEvent) {
        match event {
            SyncEvent::CycleStarted { cycle_id, kind, .. } => self.kind = Some((*cycle_id, *kind)),
            SyncEvent::ObjectDone { result, .. } if result.status != Status::Skipped => {
                self.objects
                    .get_or_create(&ObjectLabels {
                        action: result.action.to_string(),
                        status: result.status.to_string(),
                    })
                    .inc();
                if let Some(code) = &result.error_code {
                    self.failures
                        .get_or_create(&CodeLabels { code: code.to_string() })
                        .inc();
                }
            }
            SyncEvent::CycleFinished {
                cycle_id,
                dry_run,
                stats,
            } => {
                self.cycle(*cycle_id, *dry_run, stats.outcome());
                if !dry_run {
                    self.duration.observe(stats.duration_ms as f64 / 1000.0);
                    self.writes.inc_by(stats.writes);
                    // A cycle the admin stopped did not run to its end.
                    if stats.stopped.is_none() {
                        self.last_success.set(chrono::Utc::now().timestamp());
                    }
                }
            }
            SyncEvent::Error {
                cycle_id: Some(cycle_id),
                ..
            } => self.cycle(*cycle_id, false, "error"),
            SyncEvent::Quarantine { reason, .. } => {
                self.quarantined.set(i64::from(reason.is_some()));
            }
            _ => {}
        }
    }

    fn cycle(&mut self, cycle_id: i64, dry_run: bool, outcome: &str) {
        let kind = match self.kind {
            _ if dry_run => "dry_run",
            Some((id, kind)) if id == cycle_id => kind.as_str(),
            _ => "unknown",
        };
        self.cycles
            .get_or_create(&CycleLabels {
                kind: kind.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// The text exposition (OpenMetrics text, which Prometheus reads).
    pub fn encode(&mut self) -> String {
        // 429s are counted by the ServiceNow client for the process; bring the counter level.
        let total = crate::servicenow::rate_limited_total();
        self.throttled.inc_by(total.saturating_sub(self.throttled.get()));
        let mut text = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot serve metrics on {addr}: {source}; choose another --metrics address")]
pub struct MetricsError {
    addr: SocketAddr,
    #[source]
    source: std::io::Error,
}

/// Serves `GET /metrics` on `addr` for the engine behind `port`; returns the bound address.
pub async fn serve(addr: SocketAddr, port: &Port) -> Result<SocketAddr, MetricsError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| MetricsError { addr, source })?;
    let bound = listener.local_addr().map_err(|source| MetricsError { addr, source })?;
    let metrics = Arc::new(Mutex::new(Metrics::new()));
    let mut events = port.subscribe();
    let feed = Arc::clone(&metrics);
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Ok(mut m) = feed.lock() {
                        m.record(&event);
                    }
                }
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break,
            }
        }
    });
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let metrics = Arc::clone(&metrics);
            async move {
                let text = metrics.lock().map(|mut m| m.encode()).unwrap_or_default();
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    text,
                )
            }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::CycleStats;

    /// Metrics that saw one initial cycle start and finish with `stats`.
    fn initial_cycle(stats: CycleStats) -> Metrics {
        let mut m = Metrics::new();
        m.record(&SyncEvent::CycleStarted {
            cycle_id: 1,
            kind: CycleKind::Initial,
            dry_run: false,
            totals: Default::default(),
        });
        m.record(&SyncEvent::CycleFinished {
            cycle_id: 1,
            dry_run: false,
            stats,
        });
        m
    }

    #[test]
    fn every_name_is_prefixed_and_a_cycle_is_counted_by_kind_and_outcome() {
        let mut m = initial_cycle(CycleStats {
            writes: 7,
            duration_ms: 1500,
            ..CycleStats::default()
        });
        let text = m.encode();
        assert!(
            text.contains(r#"nowsync_cycles_total{kind="initial",outcome="success"} 1"#),
            "{text}"
        );
        assert!(text.contains("nowsync_servicenow_writes_total 7"), "{text}");
        for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
            assert!(line.starts_with("nowsync_"), "{line}");
        }
    }

    #[test]
    fn a_stopped_cycle_is_counted_stopped_and_is_no_success() {
        let mut m = initial_cycle(CycleStats {
            writes: 465,
            failed: 3,
            stopped: Some(crate::sync::Stopped {
                phase: crate::sync::StopPhase::Applying,
                done: 465,
                total: 1436,
            }),
            ..CycleStats::default()
        });
        let text = m.encode();
        assert!(
            text.contains(r#"nowsync_cycles_total{kind="initial",outcome="stopped"} 1"#),
            "{text}"
        );
        assert!(
            text.contains("nowsync_last_successful_cycle_timestamp_seconds 0"),
            "{text}"
        );
        let at = crate::sync::Stopped {
            phase: crate::sync::StopPhase::Applying,
            done: 465,
            total: 1436,
        };
        assert_eq!(at.to_string(), "stopped after 465 of 1,436 operations");
    }
}

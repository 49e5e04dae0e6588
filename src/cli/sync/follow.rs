//! Following one cycle through the engine's events: progress on stderr, one line per object
//! acted on (or one JSON document), and the exit code the cycle earns.

use std::io::IsTerminal;

use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::engine_gone;
use super::print::{print_plan, result_line, summary};
use crate::cli::out::{self, Lines};
use crate::cli::{Exit, ExitOf};
use crate::sync::outcome::Status;
use crate::sync::{CycleStats, ObjectResult, Plan, SyncEvent};

/// What [`follow`] keeps while a cycle runs.
struct Follow {
    dry_run: bool,
    json: bool,
    /// A progress bar on stderr (a terminal, and not `--json`).
    bar: bool,
    /// Kept for `--json` only.
    results: Vec<ObjectResult>,
    plan: Option<std::sync::Arc<Plan>>,
    full_cycle: Option<String>,
    quarantined: bool,
}

/// Consumes events until the cycle ends; returns its exit code.
pub(in crate::cli) async fn follow(
    rx: &mut tokio::sync::broadcast::Receiver<SyncEvent>,
    dry_run: bool,
    json: bool,
) -> Exit {
    let mut f = Follow {
        dry_run,
        json,
        bar: std::io::stderr().is_terminal() && !json,
        results: Vec::new(),
        plan: None,
        full_cycle: None,
        quarantined: false,
    };
    loop {
        let event = match rx.recv().await {
            Ok(e) => e,
            // A slow terminal missed some progress: carry on.
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return engine_gone(),
        };
        if let Some(exit) = f.on(event) {
            return exit;
        }
    }
}

impl Follow {
    /// Prints what the event says; the exit code once the cycle is over.
    fn on(&mut self, event: SyncEvent) -> Option<Exit> {
        match event {
            SyncEvent::FullCycle { reason, .. } => {
                out::eprint_line(&format!("note: {reason}"));
                self.full_cycle = Some(reason);
            }
            SyncEvent::PlanReady { plan: p, .. } => {
                if self.dry_run && !self.json {
                    print_plan(&p);
                }
                self.plan = Some(p);
            }
            SyncEvent::Progress { done, total, .. } if self.bar => progress(done, total),
            SyncEvent::ObjectDone { result, .. } => {
                if !self.json && result.status != Status::Skipped {
                    let mut line = Lines::new();
                    line.push(result_line(&result));
                    line.print();
                }
                if self.json {
                    self.results.push(result);
                }
            }
            SyncEvent::CycleFinished { cycle_id, stats, .. } => return Some(self.finished(cycle_id, &stats)),
            SyncEvent::Quarantine {
                reason, next_attempt, ..
            } => {
                self.quarantined = reason.is_some();
                if !self.json {
                    match reason {
                        Some(r) => out::eprint_line(&format!(
                            "quarantined: {r}; next scheduled attempt {} (nowsync status)",
                            next_attempt.as_deref().unwrap_or("-")
                        )),
                        None => eprintln!("quarantine ended"),
                    }
                }
            }
            SyncEvent::Error { kind, message, .. } => {
                if self.bar {
                    eprintln!();
                }
                out::eprint_line(&format!("error: {message}"));
                return Some(kind.exit());
            }
            _ => {}
        }
        None
    }

    /// The cycle's summary (or JSON document) and exit code.
    fn finished(&mut self, cycle_id: i64, stats: &CycleStats) -> Exit {
        if self.bar {
            eprintln!();
        }
        let plan = self.plan.as_ref();
        if self.json {
            let ops = plan
                .filter(|_| self.dry_run)
                .map(|p| serde_json::to_value(&p.ops).unwrap_or_default());
            let doc = json!({
                "cycle_id": cycle_id,
                "dry_run": self.dry_run,
                "kind": plan.map(|p| p.kind),
                "full_cycle_reason": self.full_cycle,
                "counts": plan.map(|p| &p.counts),
                "stats": stats,
                "plan": ops,
                "results": self.results,
            });
            out::json(&doc);
        } else if !self.dry_run {
            out::print_raw(&format!("{}\n", summary(cycle_id, plan.map(|p| p.kind), stats)));
        }
        let failed = if self.dry_run {
            plan.map_or(0, |p| p.counts.error)
        } else {
            stats.failed
        };
        // Quarantined or stopped by the deletion threshold: 4, which wins over 1.
        if self.quarantined {
            Exit::Stopped
        } else if failed > 0 {
            Exit::ObjectFailures
        } else {
            Exit::Success
        }
    }
}

/// The progress bar on stderr.
fn progress(done: u64, total: u64) {
    let width = 30usize;
    let filled = if total == 0 {
        width
    } else {
        (done as usize * width) / total as usize
    };
    eprint!(
        "\r[{}{}] {done}/{total}",
        "=".repeat(filled),
        " ".repeat(width - filled.min(width))
    );
}

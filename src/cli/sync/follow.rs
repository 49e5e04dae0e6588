//! Following one cycle through the engine's events: progress on stderr, one line per object
//! acted on (or one JSON document), and the exit code the cycle earns.

use std::io::IsTerminal;

use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::engine_gone;
use super::print::{dry_run_summary, print_plan, result_line, summary};
use crate::cli::out::{self, Lines};
use crate::cli::spool::Spool;
use crate::cli::{Exit, ExitOf};
use crate::sync::outcome::Status;
use crate::sync::{CycleStats, Plan, SyncEvent};

/// What [`follow`] keeps while a cycle runs.
pub(in crate::cli) struct Follow {
    dry_run: bool,
    json: bool,
    /// A progress bar on stderr (a terminal, and not `--json`).
    bar: bool,
    /// `--json`: the results so far, on disk (`cli::spool`), not in memory.
    results: Option<Spool>,
    plan: Option<std::sync::Arc<Plan>>,
    full_cycle: Option<String>,
    quarantined: bool,
    /// The quarantine ended during the cycle: said after what the cycle applied (acceptance:
    /// allow-deletes said "quarantine ended" before it applied anything).
    ended: bool,
}

impl Follow {
    /// `json`: where `--json` spools the results (the data dir); `None` without `--json`.
    pub(in crate::cli) fn new(dry_run: bool, json: Option<&std::path::Path>) -> Result<Follow, Exit> {
        let results = match json {
            Some(dir) => Some(Spool::new(dir).map_err(|e| {
                out::eprint_line(&format!(
                    "error: cannot create a temporary file in {} for --json's results: {e}; check the data dir's free space and permissions",
                    dir.display()
                ));
                Exit::Usage
            })?),
            None => None,
        };
        Ok(Follow {
            dry_run,
            json: json.is_some(),
            bar: std::io::stderr().is_terminal() && json.is_none(),
            results,
            plan: None,
            full_cycle: None,
            quarantined: false,
            ended: false,
        })
    }
}

/// Consumes events until the cycle ends; returns its exit code. Without `--json`.
pub(in crate::cli) async fn follow(rx: &mut tokio::sync::broadcast::Receiver<SyncEvent>, dry_run: bool) -> Exit {
    match Follow::new(dry_run, None) {
        Ok(mut f) => follow_with(rx, &mut f).await,
        Err(exit) => exit,
    }
}

/// Prints what `rx` still holds once the engine has ended: the end of a cycle a stop cut short
/// (its last objects and its summary, which says where it stopped).
pub(in crate::cli) fn drain(rx: &mut tokio::sync::broadcast::Receiver<SyncEvent>) {
    use tokio::sync::broadcast::error::TryRecvError;
    let Ok(mut f) = Follow::new(false, None) else { return };
    f.bar = false;
    loop {
        match rx.try_recv() {
            Ok(event) => {
                let _ = f.on(event);
            }
            Err(TryRecvError::Lagged(_)) => {}
            Err(TryRecvError::Empty | TryRecvError::Closed) => break,
        }
    }
}

/// Consumes events into `f` until the cycle ends; returns its exit code.
pub(in crate::cli) async fn follow_with(rx: &mut tokio::sync::broadcast::Receiver<SyncEvent>, f: &mut Follow) -> Exit {
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
    pub(in crate::cli) fn on(&mut self, event: SyncEvent) -> Option<Exit> {
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
                if let Some(spool) = &mut self.results {
                    spool.push(&result);
                }
            }
            // A dry run asked for by another (a console attached to `run`) is not this
            // follower's cycle: one line naming it a dry run, no cycle number (issue 14).
            SyncEvent::CycleFinished { dry_run: true, .. } if !self.dry_run => return Some(self.foreign_dry_run()),
            SyncEvent::CycleFinished { cycle_id, stats, .. } => return Some(self.finished(cycle_id, &stats)),
            SyncEvent::Quarantine {
                reason, next_attempt, ..
            } => {
                self.quarantined = reason.is_some();
                self.ended = reason.is_none();
                if let (Some(r), false) = (reason, self.json) {
                    out::eprint_line(&format!(
                        "quarantined: {r}; next scheduled attempt {} (nowsync status)",
                        next_attempt.as_deref().unwrap_or("-")
                    ));
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

    /// A dry run someone else asked for ended: its line (not with `--json`, whose document is
    /// this follower's cycle); it earns no exit code of its own.
    fn foreign_dry_run(&mut self) -> Exit {
        if self.bar {
            eprintln!();
        }
        if let Some(plan) = self.plan.take()
            && !self.json
        {
            out::print_raw(&format!("{}\n", dry_run_summary(&plan)));
        }
        Exit::Success
    }

    /// The cycle's summary (or JSON document) and exit code.
    fn finished(&mut self, cycle_id: i64, stats: &CycleStats) -> Exit {
        if self.bar {
            eprintln!();
        }
        let plan = self.plan.as_ref();
        if let Some(spool) = self.results.take() {
            let ops = plan
                .filter(|_| self.dry_run)
                .map(|p| serde_json::to_value(crate::sync::op::OpsSeq(p)).unwrap_or_default());
            let head = json!({
                "cycle_id": cycle_id,
                "dry_run": self.dry_run,
                "kind": plan.map(|p| p.kind),
                "full_cycle_reason": self.full_cycle,
                "counts": plan.map(|p| &p.counts),
                "plan": ops,
            });
            let head = match head {
                serde_json::Value::Object(m) => m,
                _ => serde_json::Map::new(),
            };
            let stats = serde_json::to_value(stats).unwrap_or_default();
            let written = spool.finish(head, &stats, &mut std::io::stdout().lock());
            // A closed pipe (`| head`) is not an error of ours.
            if let Err(e) = written
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                eprintln!("error: cannot write the JSON document: {e}");
            }
        } else if !self.dry_run {
            out::print_raw(&format!("{}\n", summary(cycle_id, plan.map(|p| p.kind), stats)));
            if let Some(line) = quarantine_after(cycle_id, plan.map(|p| p.kind), stats, self.ended) {
                out::print_raw(&format!("{line}\n"));
            }
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

/// What became of the quarantine, said after the cycle's summary: ended, or — allow-deletes
/// that did not apply every held change — why it goes on.
fn quarantine_after(
    cycle_id: i64,
    kind: Option<crate::sync::CycleKind>,
    stats: &CycleStats,
    ended: bool,
) -> Option<String> {
    if ended {
        return Some("quarantine ended: nothing is held by the deletion threshold any more".to_owned());
    }
    if kind != Some(crate::sync::CycleKind::AllowDeletes) {
        return None;
    }
    let why = match (stats.failed, stats.stopped) {
        (_, Some(s)) => format!("it {s}"),
        (0, None) => return None,
        (n, None) => format!("{n} of the held changes failed (nowsync logs --cycle {cycle_id} --status failure)"),
    };
    Some(format!(
        "the quarantine goes on and the held set stays: {why}; nowsync allow-deletes applies it again"
    ))
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::Follow;
    use crate::cli::Exit;
    use crate::sync::{CycleKind, CycleStats, Plan, SyncEvent};

    #[test]
    fn the_quarantine_s_end_is_said_after_what_was_applied_or_why_it_goes_on() {
        use super::quarantine_after;
        let allow = Some(CycleKind::AllowDeletes);
        let mut f = Follow::new(false, None).unwrap();
        let ended = SyncEvent::Quarantine {
            cycle_id: Some(9),
            reason: None,
            next_attempt: None,
        };
        assert!(f.on(ended).is_none());
        assert!(f.ended, "kept for after the summary");
        let done = CycleStats::default();
        assert_eq!(
            quarantine_after(9, allow, &done, true).as_deref(),
            Some("quarantine ended: nothing is held by the deletion threshold any more")
        );
        let failed = CycleStats {
            failed: 3,
            ..CycleStats::default()
        };
        assert_eq!(
            quarantine_after(9, allow, &failed, false).as_deref(),
            Some(
                "the quarantine goes on and the held set stays: 3 of the held changes failed (nowsync logs --cycle 9 --status failure); nowsync allow-deletes applies it again"
            )
        );
        assert_eq!(quarantine_after(9, Some(CycleKind::Incremental), &failed, false), None);
        assert_eq!(quarantine_after(9, allow, &done, false), None);
    }

    #[test]
    fn a_dry_run_seen_by_run_ends_as_a_dry_run_not_as_its_cycle() {
        let mut f = Follow::new(false, None).unwrap();
        let mut plan = Plan::new(4, CycleKind::Incremental, Vec::new());
        plan.counts.error = 2;
        let plan_ready = SyncEvent::PlanReady {
            cycle_id: 3,
            plan: Arc::new(plan),
        };
        assert!(f.on(plan_ready).is_none());
        let finished = SyncEvent::CycleFinished {
            cycle_id: 3,
            dry_run: true,
            stats: CycleStats::default(),
        };
        // Its planned errors are not `run`'s failures, and the plan is not kept for the cycle.
        assert_eq!(f.on(finished), Some(Exit::Success));
        assert!(f.plan.is_none());
    }
}

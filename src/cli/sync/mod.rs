//! `nowsync sync --once [--dry-run] [--json]` and `nowsync run`: the engine, headless.
//!
//! Both go through `sync::Handle` like the console. `sync --once` runs one cycle whatever
//! `enabled` says; `run` runs cycles on the interval while `enabled`, until SIGINT/SIGTERM,
//! which let the writes in flight finish. Output: a progress bar on stderr when it is a
//! terminal; on stdout, one line per object that was acted on (plain) or one JSON document.
//! Exit codes (DESIGN.md): object failures 1, configuration 2, connection/auth 3.

use std::io::IsTerminal;

use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::out::{self, Lines};
use super::{Exit, ExitOf};
use crate::config::ResolvedProfile;
use crate::sync::outcome::Status;
use crate::sync::{self, Command, Credentials, CycleStats, Handle, ObjectResult, OpKind, Plan, SkipReason, SyncEvent};

fn start(
    profile: &ResolvedProfile,
    credentials: Credentials,
    data_dir: &std::path::Path,
    scheduled: bool,
) -> Result<Handle, Exit> {
    let mut options = sync::Options::new(data_dir);
    options.scheduled = scheduled;
    Handle::start(profile, credentials, options).map_err(|e| super::fail(&e))
}

/// One planned op as lines of raw values (sanitised when printed, `out::Lines`).
fn op_lines(op: &sync::Op) -> Lines {
    let mut lines = Lines::new();
    let changes = match &op.kind {
        OpKind::Create { fields } => fields,
        OpKind::Update { diff } | OpKind::Disable { diff } => diff,
        _ => &Vec::new(),
    };
    let mut head = format!(
        "{:<13} {:<10} {}",
        op.kind.action(),
        op.object_type.as_str(),
        op.source_name
    );
    if let Some(t) = &op.target_id {
        head.push_str(&format!(" [{t}]"));
    }
    match &op.kind {
        OpKind::Skip { reason } => head.push_str(&format!(" ({reason})")),
        OpKind::SetReference { attribute, source_id } => head.push_str(&format!(" {attribute} -> {source_id}")),
        _ => {}
    }
    lines.push(head);
    for c in changes {
        lines.push(format!(
            "    {}: {} -> {}",
            c.attribute,
            c.old_text().unwrap_or("(empty)"),
            c.new_text().unwrap_or("(empty)")
        ));
    }
    match &op.kind {
        OpKind::Error(f) => {
            lines.push(format!("    {}: {}", f.code, f.reason));
            lines.push(format!("    fix: {}", f.recommended_action));
        }
        OpKind::CreateReference { table, field, value } => {
            lines.push(format!("    {table}.{field}: (none) -> {value}"));
        }
        _ => {}
    }
    lines
}

fn in_sync(op: &sync::Op) -> bool {
    matches!(
        &op.kind,
        OpKind::Skip {
            reason: SkipReason::InSync
        }
    )
}

fn print_plan(plan: &Plan) {
    let c = &plan.counts;
    let mut lines = Lines::new();
    lines.push(format!(
        "plan {} ({:?}): create {}, update {}, disable {}, delete {}, add member {}, remove member {}, set reference {}, skip {}, error {}; writes {}",
        plan.id,
        plan.kind,
        c.create,
        c.update,
        c.disable,
        c.delete,
        c.add_member,
        c.remove_member,
        c.set_reference,
        c.skip,
        c.error,
        c.writes()
    ));
    for op in plan.ops.iter().filter(|o| !in_sync(o)) {
        lines.extend(op_lines(op));
    }
    lines.print();
}

fn result_line(r: &ObjectResult) -> String {
    let mut line = format!(
        "{:<8} {:<13} {:<10} {}",
        r.status,
        r.action,
        r.object_type.as_str(),
        r.source_name
    );
    if let Some(code) = &r.error_code {
        line.push_str(&format!(" {code}: {}", r.reason));
    }
    line
}

fn summary(cycle_id: i64, s: &CycleStats) -> String {
    format!(
        "cycle {cycle_id}: created {}, updated {}, disabled {}, deleted {}, members added {}, removed {}, skipped {}, failed {}, staged deletions {}; {} writes in {:.1} s",
        s.created,
        s.updated,
        s.disabled,
        s.deleted,
        s.members_added,
        s.members_removed,
        s.skipped,
        s.failed,
        s.staged_deletes,
        s.writes,
        s.duration_ms as f64 / 1000.0
    )
}

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
pub(super) async fn follow(rx: &mut tokio::sync::broadcast::Receiver<SyncEvent>, dry_run: bool, json: bool) -> Exit {
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
            out::print_raw(&format!("{}\n", summary(cycle_id, stats)));
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

/// The engine's events ended before the cycle did (the engine task is gone): fits none of
/// DESIGN.md's codes; 2, since it needs a person (see `cli::exit`).
pub(super) fn engine_gone() -> Exit {
    eprintln!("error: the engine stopped before the cycle ended; the log file in the data dir's logs/ says why");
    Exit::Usage
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

/// `sync --once`.
pub async fn once(
    profile: &ResolvedProfile,
    credentials: Credentials,
    data_dir: &std::path::Path,
    dry_run: bool,
    json: bool,
) -> Exit {
    let handle = match start(profile, credentials, data_dir, false) {
        Ok(h) => h,
        Err(e) => return e,
    };
    let mut rx = handle.subscribe();
    handle.send(if dry_run { Command::DryRun } else { Command::RunNow });
    let exit = tokio::select! {
        exit = follow(&mut rx, dry_run, json) => exit,
        () = shutdown_signal() => {
            handle.send(Command::Stop);
            eprintln!("stopping: finishing the writes in flight");
            follow(&mut rx, dry_run, json).await
        }
    };
    handle.shutdown().await;
    // Quarantined (now, or still, e.g. a cycle that failed on rejected credentials): 4 wins.
    let quarantined = crate::store::Store::open_read_only(data_dir, &profile.name)
        .and_then(|s| s.map_or(Ok(None), |s| s.quarantine()))
        .is_ok_and(|q| q.is_some());
    if quarantined { exit.max(Exit::Stopped) } else { exit }
}

/// `run`: cycles on the interval while `enabled`, until SIGINT/SIGTERM (or a client's
/// `stop`), serving the engine's door on `DATA_DIR/<profile>.sock` all the while, also while
/// provisioning is off (idle, attachable). SIGHUP re-reads the configuration (`systemctl
/// reload`).
pub async fn run(
    profile: &ResolvedProfile,
    credentials: Credentials,
    data_dir: &std::path::Path,
    config_file: &std::path::Path,
    metrics: Option<std::net::SocketAddr>,
) -> Exit {
    let handle = match start(profile, credentials, data_dir, true) {
        Ok(h) => h,
        Err(e) => return e,
    };
    if let Some(addr) = metrics {
        match crate::metrics::serve(addr, &handle.port()).await {
            Ok(bound) => eprintln!("metrics on http://{bound}/metrics"),
            Err(e) => {
                handle.shutdown().await;
                super::report_error(&e);
                return Exit::Usage;
            }
        }
    }
    let reload = reloader(config_file, &profile.name);
    let door = match crate::door::Door::serve(
        handle.port(),
        data_dir,
        &profile.name,
        crate::door::started_by(false),
        Some(reload.clone()),
    ) {
        Ok(door) => door,
        Err(e) => {
            handle.shutdown().await;
            super::report_error(&e);
            return Exit::Usage;
        }
    };
    if !profile.provisioning.enabled {
        eprintln!(
            "provisioning is off for profile '{}' (provisioning.enabled = false): idle, serving {}; cycles start when it is turned on (then `systemctl reload` or SIGHUP) or on `nowsync attach`'s run now",
            profile.name,
            door.path().display()
        );
    }
    let port = handle.port();
    let mut hangups = hangups();
    let mut rx = handle.subscribe();
    let mut worst = Exit::Success;
    loop {
        tokio::select! {
            exit = follow(&mut rx, false, false) => {
                // A failed cycle is retried on the next interval; remember the worst outcome.
                worst = worst.max(exit);
            }
            () = next_hangup(&mut hangups) => {
                match tokio::task::spawn_blocking({ let reload = reload.clone(); move || reload() }).await {
                    Ok(Ok(profile)) => {
                        port.log(sync::LogLevel::Info, "SIGHUP: configuration reloaded".to_owned());
                        handle.send(Command::Reload(Box::new(profile)));
                    }
                    Ok(Err(message)) => {
                        port.log(sync::LogLevel::Error, format!("SIGHUP: reload refused, the running configuration stays: {message}"));
                        out::eprint_line(&format!("error: reload refused, the running configuration stays: {message}"));
                    }
                    Err(e) => eprintln!("error: reload failed: {e}"),
                }
            }
            () = port.stopped() => {
                eprintln!("the engine was stopped through its socket");
                break;
            }
            () = shutdown_signal() => {
                eprintln!("stopping: finishing the writes in flight");
                break;
            }
        }
    }
    handle.shutdown().await;
    drop(door);
    worst
}

/// `--metrics ADDR`: a port alone is loopback's; another host than loopback only with
/// `--metrics-allow-remote` (the metrics name the instance's failures and counts).
pub fn metrics_addr(text: &str, allow_remote: bool) -> Result<std::net::SocketAddr, String> {
    let addr = match text.parse::<u16>() {
        Ok(port) => std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Err(_) => text.parse::<std::net::SocketAddr>().map_err(|_| {
            format!("--metrics {text:?}: expected a port (9464) or an address with a port (127.0.0.1:9464, [::1]:9464)")
        })?,
    };
    if !addr.ip().is_loopback() && !allow_remote {
        return Err(format!(
            "--metrics {addr} is not a loopback address: add --metrics-allow-remote to serve metrics to other hosts"
        ));
    }
    Ok(addr)
}

/// Re-reads the profile from the configuration file, as saved.
fn reloader(config_file: &std::path::Path, name: &str) -> crate::door::Reload {
    let config_file = config_file.to_owned();
    let name = name.to_owned();
    std::sync::Arc::new(move || {
        let config = crate::config::Config::load(&config_file).map_err(|e| e.to_string())?;
        config.resolve(&name).map_err(|e| e.to_string())
    })
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = ();

fn hangups() -> Hangups {
    #[cfg(unix)]
    {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok()
    }
}

async fn next_hangup(hangups: &mut Hangups) {
    #[cfg(unix)]
    if let Some(signal) = hangups {
        signal.recv().await;
        return;
    }
    let _ = hangups;
    std::future::pending::<()>().await;
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn metrics_listen_on_loopback_unless_told() {
        assert_eq!(
            super::metrics_addr("9464", false).unwrap().to_string(),
            "127.0.0.1:9464"
        );
        assert_eq!(super::metrics_addr("[::1]:9", false).unwrap().to_string(), "[::1]:9");
        let refused = super::metrics_addr("0.0.0.0:9464", false).unwrap_err();
        assert!(refused.contains("--metrics-allow-remote"), "{refused}");
        assert!(super::metrics_addr("0.0.0.0:9464", true).is_ok());
        assert!(
            super::metrics_addr("localhost", false)
                .unwrap_err()
                .contains("expected a port")
        );
    }
}

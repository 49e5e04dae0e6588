//! `nowsync sync --once [--dry-run] [--json]` and `nowsync run`: the engine, headless.
//!
//! Both go through `sync::Handle` like the console. `sync --once` runs one cycle whatever
//! `enabled` says; `run` runs cycles on the interval while `enabled`, until SIGINT/SIGTERM,
//! which let the writes in flight finish. Output: a progress bar on stderr when it is a
//! terminal; on stdout, one line per object that was acted on (plain) or one JSON document.
//! Exit codes (DESIGN.md): object failures 1, configuration 2, connection/auth 3.

mod follow;
mod print;
mod service;

pub(in crate::cli) use follow::Follow;
pub(super) use follow::follow;
use follow::follow_with;
pub use service::{metrics_addr, run};

use super::Exit;
use crate::config::ResolvedProfile;
use crate::sync::{self, Command, Credentials, Handle};

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

/// The engine's events ended before the cycle did (the engine task is gone): fits none of
/// DESIGN.md's codes; 2, since it needs a person (see `cli::exit`).
pub(in crate::cli) fn engine_gone() -> Exit {
    eprintln!("error: the engine stopped before the cycle ended; the log file in the data dir's logs/ says why");
    Exit::Usage
}

/// `sync --once`.
pub async fn once(
    profile: &ResolvedProfile,
    credentials: Credentials,
    data_dir: &std::path::Path,
    dry_run: bool,
    reconcile: bool,
    json: bool,
) -> Exit {
    let handle = match start(profile, credentials, data_dir, false) {
        Ok(h) => h,
        Err(e) => return e,
    };
    let mut f = match Follow::new(dry_run, json.then_some(data_dir)) {
        Ok(f) => f,
        Err(exit) => {
            handle.shutdown().await;
            return exit;
        }
    };
    let mut rx = handle.subscribe();
    handle.send(match (reconcile, dry_run) {
        (true, dry_run) => Command::Reconcile { dry_run },
        (false, true) => Command::DryRun,
        (false, false) => Command::RunNow,
    });
    let exit = tokio::select! {
        exit = follow_with(&mut rx, &mut f) => exit,
        () = shutdown_signal() => {
            handle.send(Command::Stop);
            eprintln!("stopping: finishing the writes in flight");
            follow_with(&mut rx, &mut f).await
        }
    };
    handle.shutdown().await;
    with_quarantine(exit, data_dir, &profile.name)
}

/// A cycle's exit code, 4 when the job is quarantined (now, or still, e.g. a cycle that failed
/// on rejected credentials): 4 wins.
pub(in crate::cli) fn with_quarantine(exit: Exit, data_dir: &std::path::Path, profile: &str) -> Exit {
    let quarantined = crate::store::Store::open_read_only(data_dir, profile)
        .and_then(|s| s.map_or(Ok(None), |s| s.quarantine()))
        .is_ok_and(|q| q.is_some());
    if quarantined { exit.max(Exit::Stopped) } else { exit }
}

/// SIGINT or SIGTERM: the writes in flight finish, then the command ends.
pub(super) async fn shutdown_signal() {
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

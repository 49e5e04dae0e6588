//! `nowsync run`: the engine as a service, with its door, metrics and SIGHUP reloads.

use super::follow::{drain, follow};
use super::{shutdown_signal, start};
use crate::cli::Exit;
use crate::cli::out;
use crate::config::ResolvedProfile;
use crate::sync::{self, Command, Credentials};

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
    started_by: &str,
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
                crate::cli::report_error(&e);
                return Exit::Usage;
            }
        }
    }
    let reload = reloader(config_file, &profile.name);
    let door = match crate::door::Door::serve(handle.port(), data_dir, &profile.name, started_by, Some(reload.clone()))
    {
        Ok(door) => door,
        Err(e) => {
            handle.shutdown().await;
            crate::cli::report_error(&e);
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
    let last = outcomes(handle.subscribe());
    loop {
        tokio::select! {
            // Each cycle's lines and summary (its outcome is kept by `outcomes`).
            _ = follow(&mut rx, false) => {}
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
    // A cycle the stop cut short ended while the engine shut down: its summary says so.
    drain(&mut rx);
    drop(door);
    // Quarantined (the job stopped cycling by itself): 4 wins, as for `sync --once`.
    let quarantined = crate::store::Store::open_read_only(data_dir, &profile.name)
        .and_then(|s| s.map_or(Ok(None), |s| s.quarantine()))
        .is_ok_and(|q| q.is_some());
    if quarantined { Exit::Stopped } else { *last.borrow() }
}

/// The exit code the cycles so far earn `run`, kept from the engine's events.
fn outcomes(mut events: tokio::sync::broadcast::Receiver<sync::SyncEvent>) -> tokio::sync::watch::Receiver<Exit> {
    use tokio::sync::broadcast::error::RecvError;
    let (tx, rx) = tokio::sync::watch::channel(Exit::Success);
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Some(exit) = outcome(&event) {
                        let _ = tx.send(exit);
                    }
                }
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break,
            }
        }
    });
    rx
}

/// What an event makes of `run`'s exit code: an asked-for stop (SIGINT, SIGTERM, a client's
/// `stop`) is clean, so `run` ends 0 unless its last real cycle failed as a whole (that
/// error's code: 2, 3). Objects failing in a cycle that ran are the provisioning log's
/// business (`nowsync logs`, `status`, the metrics), not a failed service; a dry run or a
/// refused command is no cycle of the service's.
fn outcome(event: &sync::SyncEvent) -> Option<Exit> {
    use crate::cli::ExitOf;
    match event {
        sync::SyncEvent::CycleFinished { dry_run: false, .. } => Some(Exit::Success),
        sync::SyncEvent::Error {
            cycle_id: Some(_),
            kind,
            ..
        } => Some(kind.exit()),
        _ => None,
    }
}

/// A `--metrics` value refused.
#[derive(Debug, thiserror::Error)]
pub enum MetricsAddrError {
    #[error("--metrics {text:?}: expected a port (9464) or an address with a port (127.0.0.1:9464, [::1]:9464)")]
    NotAnAddress {
        text: String,
        #[source]
        source: std::net::AddrParseError,
    },
    #[error("--metrics {addr} is not a loopback address: add --metrics-allow-remote to serve metrics to other hosts")]
    NotLoopback { addr: std::net::SocketAddr },
}

/// `--metrics ADDR`: a port alone is loopback's; another host than loopback only with
/// `--metrics-allow-remote` (the metrics name the instance's failures and counts).
pub fn metrics_addr(text: &str, allow_remote: bool) -> Result<std::net::SocketAddr, MetricsAddrError> {
    let addr = match text.parse::<u16>() {
        Ok(port) => std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Err(_) => text
            .parse::<std::net::SocketAddr>()
            .map_err(|source| MetricsAddrError::NotAnAddress {
                text: text.to_owned(),
                source,
            })?,
    };
    if !addr.ip().is_loopback() && !allow_remote {
        return Err(MetricsAddrError::NotLoopback { addr });
    }
    Ok(addr)
}

/// Re-reads the profile from the configuration file, as saved.
fn reloader(config_file: &std::path::Path, name: &str) -> crate::door::Reload {
    let config_file = config_file.to_owned();
    let name = name.to_owned();
    std::sync::Arc::new(move || crate::config::Config::load(&config_file)?.resolve(&name))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_asked_for_is_clean_unless_the_last_cycle_failed() {
        let finished = |dry_run, failed| sync::SyncEvent::CycleFinished {
            cycle_id: 3,
            dry_run,
            stats: sync::CycleStats {
                failed,
                ..Default::default()
            },
        };
        assert_eq!(outcome(&finished(false, 12)), Some(Exit::Success), "objects failing");
        assert_eq!(outcome(&finished(true, 0)), None, "a dry run is no cycle");
        let failed = |cycle_id| sync::SyncEvent::Error {
            cycle_id,
            kind: sync::ErrorKind::Connection,
            message: "refused".into(),
        };
        assert_eq!(outcome(&failed(Some(4))), Some(Exit::Connection));
        assert_eq!(outcome(&failed(None)), None, "a refused command is no cycle");
    }

    #[test]
    fn metrics_listen_on_loopback_unless_told() {
        assert_eq!(
            super::metrics_addr("9464", false).unwrap().to_string(),
            "127.0.0.1:9464"
        );
        assert_eq!(super::metrics_addr("[::1]:9", false).unwrap().to_string(), "[::1]:9");
        let refused = super::metrics_addr("0.0.0.0:9464", false).unwrap_err().to_string();
        assert!(refused.contains("--metrics-allow-remote"), "{refused}");
        assert!(super::metrics_addr("0.0.0.0:9464", true).is_ok());
        assert!(
            super::metrics_addr("localhost", false)
                .unwrap_err()
                .to_string()
                .contains("expected a port")
        );
    }
}

//! `nowsync run`: the engine as a service, with its door, metrics and SIGHUP reloads.

use super::follow::follow;
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
    let mut worst = Exit::Success;
    loop {
        tokio::select! {
            exit = follow(&mut rx, false) => {
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

#[cfg(test)]
mod tests {
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

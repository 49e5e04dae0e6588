//! `nowsync sim`: the ServiceNow simulator in the foreground, announced by one JSON line.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use crate::sim::snow;

use super::Exit;

/// The simulator's flags (DESIGN.md "Simulators").
#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// Address of the ServiceNow simulator (port 0: a free port)
    #[arg(long, default_value = "127.0.0.1:0")]
    pub snow_addr: SocketAddr,
    /// Users that already exist in ServiceNow before the first cycle
    #[arg(long, default_value_t = 20)]
    pub snow_users: usize,
    /// Seed of the generated data: the same seed gives the same data
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Server time per request, spent inside a semaphore slot
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Integration semaphore slots (API_INT threads per node)
    #[arg(long, default_value_t = 4)]
    pub semaphore: usize,
    /// Requests that may wait for a slot; more are refused with 429
    #[arg(long, default_value_t = 50)]
    pub queue: usize,
    /// Share of requests answered with a random 500 or a dropped connection (0 to 1)
    #[arg(long, default_value_t = 0.0)]
    pub fault_rate: f64,
    /// An hourly rate-limit rule for every user (X-RateLimit-* headers, 429 beyond it)
    #[arg(long)]
    pub rate_limit_per_hour: Option<u32>,
    /// Answer every request with the hibernating-instance page
    #[arg(long)]
    pub hibernate: bool,
    /// Reject strings longer than the dictionary's max length instead of cutting them
    #[arg(long)]
    pub reject_too_long: bool,
}

/// Errors of `nowsync sim`.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("--fault-rate {0} is out of range: give a share from 0 to 1, e.g. 0.05")]
    FaultRate(f64),
    #[error("--semaphore must be at least 1")]
    Semaphore,
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the simulator stopped: {0}")]
    Serve(#[source] std::io::Error),
}

impl SimError {
    pub fn exit(&self) -> Exit {
        match self {
            SimError::FaultRate(_) | SimError::Semaphore => Exit::Usage,
            SimError::Bind { .. } | SimError::Serve(_) => Exit::Connection,
        }
    }
}

/// Runs the simulator until SIGINT or SIGTERM.
pub async fn run(args: SimArgs) -> Result<(), SimError> {
    if !(0.0..=1.0).contains(&args.fault_rate) {
        return Err(SimError::FaultRate(args.fault_rate));
    }
    if args.semaphore == 0 {
        return Err(SimError::Semaphore);
    }
    let options = snow::Options {
        seed: args.seed,
        snow_users: args.snow_users,
        latency: Duration::from_millis(args.latency_ms),
        semaphore: args.semaphore,
        queue: args.queue,
        fault_rate: args.fault_rate,
        rate_limit_per_hour: args.rate_limit_per_hour,
        hibernating: args.hibernate,
        reject_too_long: args.reject_too_long,
        ..snow::Options::default()
    };
    let listener = tokio::net::TcpListener::bind(args.snow_addr)
        .await
        .map_err(|source| SimError::Bind {
            addr: args.snow_addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(SimError::Serve)?;
    let url = format!("http://{addr}");
    let ready = serde_json::json!({
        "servicenow_url": url,
        "servicenow_user": options.admin_user,
        "servicenow_password": options.admin_password,
        "stats_url": format!("{url}/sim/stats"),
    });
    let sim = snow::Sim::new(options);
    // The ready line is the contract with whoever started us: one line, flushed at once.
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{ready}");
    let _ = stdout.flush();
    drop(stdout);
    tracing::info!(%url, "ServiceNow simulator listening");
    snow::serve(listener, sim, shutdown_signal())
        .await
        .map_err(SimError::Serve)
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

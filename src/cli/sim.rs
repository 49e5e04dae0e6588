//! `nowsync sim`: the ServiceNow and Graph simulators in the foreground, serving one generated
//! world, announced by one JSON line.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use crate::sim::{graph, snow, world};

use super::Exit;

/// The simulator's flags (DESIGN.md "Simulators").
#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// Address of the ServiceNow simulator (port 0: a free port)
    #[arg(long, default_value = "127.0.0.1:0")]
    pub snow_addr: SocketAddr,
    /// Address of the Graph simulator (port 0: a free port)
    #[arg(long, default_value = "127.0.0.1:0")]
    pub graph_addr: SocketAddr,
    /// Users of the generated Entra tenant
    #[arg(long, default_value_t = 200)]
    pub users: usize,
    /// Groups of the generated Entra tenant
    #[arg(long, default_value_t = 30)]
    pub groups: usize,
    /// Users that already exist in ServiceNow before the first cycle, derived from the tenant
    #[arg(long, default_value_t = 20)]
    pub snow_users: usize,
    /// Seed of the generated tenant: the same seed gives the same world
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
    /// Require OAuth: a REST API access policy that refuses Basic authentication (401 with
    /// WWW-Authenticate: BEARER)
    #[arg(long)]
    pub require_oauth: bool,
    /// Serve ServiceNow over HTTPS, with a certificate (for 127.0.0.1 and localhost) from a CA
    /// made at start, whose certificate is written to FILE (PEM) and named in the ready line
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<std::path::PathBuf>,
    /// Multi-Provider SSO on the instance: absent (plugin not installed), empty (no identity
    /// provider), matching (NameID matched on user_name), mismatched (matched on email)
    #[arg(long, value_enum, default_value_t = SsoSetup::Absent)]
    pub sso: SsoSetup,
    /// Store 4-byte characters (emoji) as '?', as a MariaDB-backed instance does
    #[arg(long)]
    pub mariadb: bool,
}

/// `--sso`: the instance's Multi-Provider SSO setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SsoSetup {
    Absent,
    Empty,
    Matching,
    Mismatched,
}

impl From<SsoSetup> for snow::Sso {
    fn from(s: SsoSetup) -> snow::Sso {
        match s {
            SsoSetup::Absent => snow::Sso::Absent,
            SsoSetup::Empty => snow::Sso::Empty,
            SsoSetup::Matching => snow::Sso::Matching,
            SsoSetup::Mismatched => snow::Sso::Mismatched,
        }
    }
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
    #[error("cannot serve HTTPS: {0}")]
    Tls(#[from] crate::sim::tls::TlsSimError),
    #[error("cannot write the test CA's certificate to {path}: {source}")]
    CaFile {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not seed the ServiceNow simulator from the tenant: {0}")]
    Seed(#[from] snow::InsertError),
}

impl SimError {
    pub fn exit_code(&self) -> Exit {
        match self {
            SimError::FaultRate(_) | SimError::Semaphore => Exit::Usage,
            SimError::Bind { .. } | SimError::Serve(_) | SimError::Tls(_) => Exit::Connection,
            SimError::CaFile { .. } => Exit::Usage,
            SimError::Seed(_) => Exit::Usage,
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
    let options = world::Options {
        snow: snow::Options {
            seed: args.seed,
            snow_users: args.snow_users,
            latency: Duration::from_millis(args.latency_ms),
            semaphore: args.semaphore,
            queue: args.queue,
            fault_rate: args.fault_rate,
            rate_limit_per_hour: args.rate_limit_per_hour,
            hibernating: args.hibernate,
            reject_too_long: args.reject_too_long,
            refuse_basic: args.require_oauth,
            sso: args.sso.into(),
            four_byte_as_question: args.mariadb,
            ..snow::Options::default()
        },
        graph: graph::Options {
            users: args.users,
            groups: args.groups,
            seed: args.seed,
            faults: graph::Faults {
                fault_rate: args.fault_rate,
                ..graph::Faults::default()
            },
            ..graph::Options::default()
        },
    };
    // Generating a large tenant takes a moment: keep it off the runtime's workers.
    let (snow_sim, graph_sim) = tokio::task::spawn_blocking(move || world::build(options))
        .await
        .map_err(|e| SimError::Serve(std::io::Error::other(e)))??;
    let bind = |addr: SocketAddr| async move {
        tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| SimError::Bind { addr, source })
    };
    let snow_listener = bind(args.snow_addr).await?;
    let graph_listener = bind(args.graph_addr).await?;
    let tls = match &args.tls_ca {
        Some(path) => Some(test_ca(path)?),
        None => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let snow_url = format!("{scheme}://{}", snow_listener.local_addr().map_err(SimError::Serve)?);
    let graph_url = format!("http://{}", graph_listener.local_addr().map_err(SimError::Serve)?);
    let mut ready = world::ready_line(&snow_url, &snow_sim, &graph_url, &graph_sim);
    if let Some(path) = &args.tls_ca {
        ready["servicenow_ca_file"] = serde_json::json!(path.display().to_string());
    }
    // The ready line is the contract with whoever started us: one line, flushed at once.
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{ready}");
    let _ = stdout.flush();
    drop(stdout);
    tracing::info!(%snow_url, %graph_url, "simulators listening");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let snow_task = match tls {
        Some(tls) => tokio::spawn(snow::serve_tls(snow_listener, snow_sim, tls, stopped(stop_rx.clone()))),
        None => tokio::spawn(snow::serve(snow_listener, snow_sim, stopped(stop_rx.clone()))),
    };
    let graph_task = tokio::spawn(graph::serve(graph_listener, graph_sim, stopped(stop_rx)));
    shutdown_signal().await;
    let _ = stop_tx.send(true);
    for task in [snow_task, graph_task] {
        task.await
            .map_err(|e| SimError::Serve(std::io::Error::other(e)))?
            .map_err(SimError::Serve)?;
    }
    Ok(())
}

/// A CA made now, its certificate written to `path`, and a server configuration it signed for
/// the loopback names.
fn test_ca(path: &std::path::Path) -> Result<std::sync::Arc<rustls::ServerConfig>, SimError> {
    let ca = crate::sim::tls::TestCa::new("nowsync sim test CA")?;
    std::fs::write(path, ca.pem()).map_err(|source| SimError::CaFile {
        path: path.to_owned(),
        source,
    })?;
    Ok(ca.server(&["127.0.0.1", "localhost"], false)?)
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

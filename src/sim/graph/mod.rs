//! The Microsoft Graph simulator: the token endpoint (`/{tenant}/oauth2/v2.0/token`), the
//! authority's OpenID metadata, and the Graph v1.0 read and write surface nowsync uses, serving
//! a generated [`Tenant`] (spec graph.md §12.2, DESIGN.md "Simulators").
//!
//! One origin serves both the authority and Graph: `authority_url` = origin, `graph_url` =
//! origin + `/v1.0`. `/sim/*` is the unauthenticated control surface for tests (faults, stats);
//! it is never counted. State lives behind `std::sync::Mutex`es that are never held across an
//! `.await`.

mod assign;
mod auth;
mod control;
mod deleted;
mod delta;
mod filter;
mod query;
mod read;
mod reply;
mod route;
mod store;
mod write;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub use control::{Faults, Stats};

use crate::sim::tenant::Tenant;

/// How the simulator is built: the tenant and its behaviour knobs.
#[derive(Debug, Clone)]
pub struct Options {
    pub users: usize,
    pub groups: usize,
    pub seed: u64,
    /// `expires_in` of issued tokens (Graph: 3599).
    pub token_lifetime: Duration,
    /// Objects per delta page (real Graph chooses and varies it).
    pub delta_page_size: usize,
    /// `members@delta` entries per page before a large group is split across pages.
    pub delta_members_per_page: usize,
    /// Delta tokens older than this answer 400 `syncStateNotFound` (identity: 7 days).
    pub delta_token_ttl: Duration,
    /// Soft-deleted users are purged after this (Entra: 30 days), reported as `@removed` deleted.
    pub deleted_retention: Duration,
    /// Faults active from the start; `POST /sim/faults` replaces them.
    pub faults: Faults,
    /// The first assigned security group with user members is a Microsoft 365 group
    /// (`groupTypes: ["Unified"]`, still security-enabled), so deleting it soft-deletes it
    /// (`tenant.planted.unified_group`).
    pub unified_assigned_group: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            users: 200,
            groups: 30,
            seed: 1,
            token_lifetime: Duration::from_secs(3599),
            delta_page_size: 100,
            delta_members_per_page: 1000,
            delta_token_ttl: Duration::from_secs(7 * 86_400),
            deleted_retention: Duration::from_secs(30 * 86_400),
            faults: Faults::default(),
            unified_assigned_group: false,
        }
    }
}

struct Inner {
    options: Options,
    tenant: Tenant,
    store: Mutex<store::Store>,
    faults: Mutex<Faults>,
    stats: Mutex<Stats>,
    /// Issued access tokens and when each expires.
    tokens: Mutex<HashMap<String, Instant>>,
    /// Delta tokens issued before the current epoch are expired (`POST /sim/faults`).
    delta_epoch: Mutex<u64>,
}

/// A simulator instance; cheap to clone, shared by all connections.
#[derive(Clone)]
pub struct Sim {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock cannot leave these plain maps half-updated in a way that
    // matters to a test simulator, so recover from poisoning instead of propagating it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Sim {
    /// Generates the tenant and the simulator's state.
    pub fn new(options: Options) -> Sim {
        let tenant = Tenant::generate(options.seed, options.users, options.groups);
        Self::with_tenant(tenant, options)
    }

    /// A simulator serving a given tenant (`options.users/groups/seed` are ignored).
    pub fn with_tenant(mut tenant: Tenant, options: Options) -> Sim {
        if options.unified_assigned_group {
            tenant.make_assigned_group_unified();
        }
        let store = store::Store::from_tenant(&tenant);
        Sim {
            inner: Arc::new(Inner {
                faults: Mutex::new(options.faults.clone()),
                options,
                tenant,
                store: Mutex::new(store),
                stats: Mutex::new(Stats::default()),
                tokens: Mutex::new(HashMap::new()),
                delta_epoch: Mutex::new(0),
            }),
        }
    }

    /// The tenant as generated (later writes are not reflected here).
    pub fn tenant(&self) -> &Tenant {
        &self.inner.tenant
    }

    pub fn tenant_id(&self) -> &str {
        &self.inner.tenant.tenant_id
    }

    pub fn client_id(&self) -> &str {
        &self.inner.tenant.client_id
    }

    pub fn client_secret(&self) -> &str {
        &self.inner.tenant.client_secret
    }

    /// The enterprise app whose assignments define "assigned" scope.
    pub fn service_principal_id(&self) -> &str {
        &self.inner.tenant.service_principal.id
    }

    /// The Graph fields of `nowsync sim`'s ready line for a simulator served at `origin`
    /// (`http://127.0.0.1:PORT`): `graph_url` (origin + `/v1.0`), `authority_url` (origin),
    /// `tenant_id`, `client_id`, `client_secret`, `service_principal_id`.
    pub fn ready_fields(&self, origin: &str) -> serde_json::Map<String, serde_json::Value> {
        let v = serde_json::json!({
            "graph_url": format!("{origin}/v1.0"), "authority_url": origin, "tenant_id": self.tenant_id(),
            "client_id": self.client_id(), "client_secret": self.client_secret(),
            "service_principal_id": self.service_principal_id(),
        });
        v.as_object().cloned().unwrap_or_default()
    }

    /// Replaces the active faults (as `POST /sim/faults` does).
    pub fn set_faults(&self, faults: Faults) {
        control::apply_faults(self, faults);
    }

    pub fn stats(&self) -> Stats {
        lock(&self.inner.stats).clone()
    }

    fn store(&self) -> MutexGuard<'_, store::Store> {
        lock(&self.inner.store)
    }

    fn faults(&self) -> MutexGuard<'_, Faults> {
        lock(&self.inner.faults)
    }

    fn stats_mut(&self) -> MutexGuard<'_, Stats> {
        lock(&self.inner.stats)
    }
}

/// Serves the simulator on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    sim: Sim,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = axum::Router::new().fallback(route::handle).with_state(sim);
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// A simulator running on a background task, and what a client needs to reach it.
pub struct Running {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// `url` + `/v1.0`.
    pub graph_url: String,
    /// The login host: the same origin.
    pub authority_url: String,
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
    pub service_principal_id: String,
    pub sim: Sim,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Running {
    /// The Graph fields of `nowsync sim`'s ready line (DESIGN.md "Simulators").
    pub fn ready_fields(&self) -> serde_json::Map<String, serde_json::Value> {
        self.sim.ready_fields(&self.url)
    }

    /// Stops serving (also done on drop).
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Generates the tenant, binds `127.0.0.1:0` and serves on a spawned task.
pub async fn spawn(options: Options) -> std::io::Result<Running> {
    spawn_sim(Sim::new(options), "127.0.0.1:0").await
}

/// Serves an existing simulator on `addr` (e.g. `127.0.0.1:0`) on a spawned task.
pub async fn spawn_sim(sim: Sim, addr: &str) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let url = format!("http://{}", listener.local_addr()?);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let serving = sim.clone();
    tokio::spawn(async move {
        if let Err(e) = serve(listener, serving, async {
            let _ = rx.await;
        })
        .await
        {
            tracing::error!("graph simulator stopped: {e}");
        }
    });
    Ok(Running {
        graph_url: format!("{url}/v1.0"),
        authority_url: url.clone(),
        url,
        tenant_id: sim.tenant_id().to_owned(),
        client_id: sim.client_id().to_owned(),
        client_secret: sim.client_secret().to_owned(),
        service_principal_id: sim.service_principal_id().to_owned(),
        sim,
        shutdown: Some(tx),
    })
}

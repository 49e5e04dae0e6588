//! The ServiceNow instance simulator: an HTTP server that a real ServiceNow client (pysnow, the
//! nowsync client) cannot tell from an instance at the wire (spec `servicenow.md` §10).
//!
//! Owns: the in-memory tables and their seed, the Table/Batch/OAuth/aggregate-stats APIs, the
//! performance model (semaphore slots, bounded queue, latency inside a slot, hourly rate rule),
//! fault injection, hibernation, and the unauthenticated, uncounted control routes under
//! `/sim/` (`stats`, `accounts`, `faults`).
//!
//! Served with hyper directly (not `axum::serve`) so a handler can drop a connection without
//! answering: a response carrying [`reply::DropConnection`] turns into a service error, and
//! hyper closes the socket without writing anything.

mod acl;
mod auth;
mod batch;
mod control;
mod eval;
mod extended;
mod faults;
mod front;
mod limits;
mod options;
mod query;
mod quota;
mod refusals;
mod render;
mod reply;
mod roles;
mod schema;
mod seed;
mod stats;
mod store;
mod table_api;
mod tables;
#[cfg(test)]
mod test_support;
mod values;
mod writers;
mod writes;

use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

pub use acl::Hidden;
pub use auth::{OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET};
pub use extended::{Sso, USER_CLASSES};
pub use faults::{Fault, Phase, Queued, Rate};
pub use options::{Collision, Options};
pub use refusals::{Kind as RefusalKind, Operation as RefusalOperation, Refusal};
pub use seed::ADMIN_SYS_ID;
pub use seed::{Account, READER_PASSWORD, READER_USER};

/// Shared state behind a [`Sim`].
struct State {
    store: RwLock<store::Store>,
    base: Options,
    current: Mutex<Options>,
    accounts: Vec<seed::Account>,
    auth: auth::Auth,
    stats: stats::Stats,
    faults: faults::Faults,
    limits: limits::Limits,
    writers: Mutex<writers::Writers>,
}

impl State {
    fn read_store(&self) -> RwLockReadGuard<'_, store::Store> {
        self.store.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_store(&self) -> RwLockWriteGuard<'_, store::Store> {
        self.store.write().unwrap_or_else(|e| e.into_inner())
    }

    fn options(&self) -> Options {
        self.current.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn update_options(&self, f: impl FnOnce(&mut Options)) {
        f(&mut self.current.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// A simulated instance; cheap to clone (shared state).
#[derive(Clone)]
pub struct Sim {
    state: Arc<State>,
}

impl Sim {
    /// Builds and seeds an instance. An empty `admin_password` is replaced by a random one.
    pub fn new(mut options: Options) -> Sim {
        if options.admin_password.is_empty() {
            options.admin_password = options::random_password();
        }
        let instance_id = options.instance_id.take().unwrap_or_else(values::new_sys_id);
        options.instance_id = Some(instance_id.clone());
        let mut store = store::Store::with_plugins(options.sso != Sso::Absent);
        let accounts = seed::seed(
            &mut store,
            options.seed,
            options.snow_users,
            &options.admin_user,
            &options.admin_password,
        );
        let extras = seed::Extras {
            seed: options.seed,
            instance_id: &instance_id,
            instance_name: &options.instance_name,
            sso: options.sso,
        };
        seed::extend(&mut store, &extras);
        let auth = auth::Auth::default();
        for a in &accounts {
            auth.set_password(&a.user_name, &a.password);
        }
        let state = State {
            store: RwLock::new(store),
            limits: limits::Limits::new(options.semaphore, options.queue),
            current: Mutex::new(options.clone()),
            base: options,
            accounts,
            auth,
            stats: stats::Stats::default(),
            faults: faults::Faults::default(),
            writers: Mutex::new(writers::Writers::default()),
        };
        Sim { state: Arc::new(state) }
    }

    /// The options in force now (faults set through `/sim/faults` included).
    pub fn options(&self) -> Options {
        self.state.options()
    }

    /// The `instance_id` system property of this instance.
    pub fn instance_id(&self) -> String {
        self.state.base.instance_id.clone().unwrap_or_default()
    }

    /// The seeded logins: the admin (role `admin`) first, then `snow.reader` (role `itil`).
    pub fn accounts(&self) -> Vec<Account> {
        self.state.accounts.clone()
    }

    /// The `/sim/stats` document.
    pub fn stats(&self) -> serde_json::Value {
        self.state.stats.json()
    }

    /// Inserts a row as the admin would through the Table API (same defaults, truncation and
    /// role bookkeeping), for planting data that must match another simulator's. Returns the
    /// new sys_id; `fields` is a JSON object of field names to values.
    pub fn insert(&self, table: &str, fields: &serde_json::Value) -> Result<String, InsertError> {
        let refused = |status: u16, body: Vec<u8>| InsertError {
            table: table.to_owned(),
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
        };
        let admin = self.state.options().admin_user;
        let caller = auth::principal(&self.state.read_store(), &admin).ok_or_else(|| refused(401, Vec::new()))?;
        let body = serde_json::to_vec(fields).unwrap_or_default();
        if self.state.read_store().table(table).is_none() {
            return Err(refused(400, format!("Invalid table {table}").into_bytes()));
        }
        let call = table_api::Call {
            method: "POST",
            path: "",
            query: "",
            host: "localhost",
            body: &body,
            caller: &caller,
            no_response_body: true,
        };
        writes::write(&self.state, &call, table, None).map_err(|r| refused(r.status, r.body))
    }

    /// The sys_id of the row of `table` whose display value (`name`) is `name`, ignoring case.
    pub fn find_by_name(&self, table: &str, name: &str) -> Option<String> {
        self.state.read_store().table(table)?.find_by_display(name)
    }

    /// Makes every issued OAuth access token expired, to exercise refresh.
    pub fn expire_tokens(&self) {
        self.state.auth.expire_tokens();
    }
}

/// [`Sim::insert`] refused a row; `status` and `body` are what the Table API would answer.
#[derive(Debug, thiserror::Error)]
#[error("the simulator refused a {table} row: HTTP {status}: {body}")]
pub struct InsertError {
    pub table: String,
    pub status: u16,
    pub body: String,
}

#[derive(Debug)]
struct DropError;

impl std::fmt::Display for DropError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DropError {}

/// Serves `sim` on `listener` until `shutdown` resolves; open connections are closed then.
pub async fn serve(
    listener: TcpListener,
    sim: Sim,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, sim, None, shutdown).await
}

/// As [`serve`], over HTTPS with `tls` (a self-hosted instance with its own CA: `sim::tls`).
pub async fn serve_tls(
    listener: TcpListener,
    sim: Sim,
    tls: Arc<rustls::ServerConfig>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, sim, Some(tokio_rustls::TlsAcceptor::from(tls)), shutdown).await
}

async fn serve_with(
    listener: TcpListener,
    sim: Sim,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = control::router(sim);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                // A failed accept (e.g. too many open files) must not end the server.
                Err(_) => continue,
            },
        };
        while connections.try_join_next().is_some() {}
        let router = router.clone();
        let tls = tls.clone();
        connections.spawn(async move {
            match tls {
                // A client that gives up on our certificate ends its handshake: nothing to serve.
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(stream).await {
                        serve_connection(stream, router).await;
                    }
                }
                None => serve_connection(stream, router).await,
            }
        });
    }
    connections.shutdown().await;
    Ok(())
}

async fn serve_connection<S>(stream: S, router: axum::Router)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use hyper_util::rt::TokioIo;
    use tower::ServiceExt;

    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let router = router.clone();
        async move {
            let resp = match router.oneshot(req.map(axum::body::Body::new)).await {
                Ok(resp) => resp,
                Err(never) => match never {},
            };
            if resp.extensions().get::<reply::DropConnection>().is_some() {
                return Err(DropError);
            }
            Ok(resp)
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// A simulator serving on loopback; dropping it shuts the server down.
pub struct Running {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub url: String,
    pub admin_user: String,
    pub admin_password: String,
    pub sim: Sim,
    _shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds 127.0.0.1:0 and serves a new simulator in a task (tests, `nowsync sim`).
pub async fn spawn(options: Options) -> std::io::Result<Running> {
    spawn_sim(Sim::new(options)).await
}

/// Binds 127.0.0.1:0 and serves an already built simulator (one planted with other rows).
pub async fn spawn_sim(sim: Sim) -> std::io::Result<Running> {
    spawn_on(sim, None).await
}

/// As [`spawn_sim`], over HTTPS with `tls`; `url` is `https://127.0.0.1:PORT` (the certificate
/// names whatever `tls` was made for: reach it by that name through a resolver or a proxy).
pub async fn spawn_tls(sim: Sim, tls: Arc<rustls::ServerConfig>) -> std::io::Result<Running> {
    spawn_on(sim, Some(tls)).await
}

async fn spawn_on(sim: Sim, tls: Option<Arc<rustls::ServerConfig>>) -> std::io::Result<Running> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{}", listener.local_addr()?);
    let current = sim.options();
    let (tx, rx) = oneshot::channel::<()>();
    let shutdown = async move {
        let _ = rx.await;
    };
    let task = match tls {
        Some(tls) => tokio::spawn(serve_tls(listener, sim.clone(), tls, shutdown)),
        None => tokio::spawn(serve(listener, sim.clone(), shutdown)),
    };
    Ok(Running {
        url,
        admin_user: current.admin_user,
        admin_password: current.admin_password,
        sim,
        _shutdown: tx,
        task,
    })
}

//! The engine's side of the socket: [`Door::serve`] binds `DATA_DIR/<profile>.sock`, keeps the
//! backlog and the replay from the engine's events, checks each peer's uid, and serves each
//! client on a task of its own (`session.rs`).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::UnixListener;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;
use tokio_util::codec::LengthDelimitedCodec;
use tokio_util::sync::CancellationToken;

use super::backlog::{self, Backlog};
use super::proto::{self, EngineInfo};
use super::replay::Tracker;
use crate::config::{ConfigError, ResolvedProfile};
use crate::sync::{LogLevel, Port, SyncEvent};

/// How the engine re-reads its profile for `reload` (the configuration file as saved).
pub type Reload = Arc<dyn Fn() -> Result<ResolvedProfile, ConfigError> + Send + Sync>;

/// A peer the engine does not serve.
#[derive(Debug, thiserror::Error)]
pub enum PeerRefused {
    #[error("refused: this engine serves only its own user (uid {ours}); the client runs as uid {peer}")]
    OtherUser { peer: u32, ours: u32 },
    #[error("refused: the client's credentials could not be read: {0}")]
    Credentials(#[source] std::io::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum DoorError {
    #[error(
        "cannot serve the engine's socket {}: {source}; the data dir must be yours and writable (a path of at most about 100 bytes)",
        path.display()
    )]
    Bind {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Dir(#[from] crate::config::DirError),
}

/// The socket being served; removed when dropped.
pub struct Door {
    path: PathBuf,
    info: EngineInfo,
    accept: JoinHandle<()>,
    feeder: JoinHandle<()>,
    /// Cancelled when the door is dropped: each client's task ends its connection, so an
    /// attached console learns the engine has gone at once (its event stream would otherwise
    /// stay open, the port keeping the channel alive).
    closing: CancellationToken,
}

pub(super) struct Shared {
    pub(super) port: Port,
    pub(super) backlog: Mutex<Backlog>,
    pub(super) info: EngineInfo,
    pub(super) reload: Option<Reload>,
    pub(super) our_uid: u32,
    /// The running cycle, the last plan and where it stands, the next scheduled cycle: sent to
    /// a client after the backlog so a console attaching shows what the engine's own does.
    pub(super) replay: Mutex<Tracker>,
    /// The engine's request ids of clients' questions: apart from any a console in this
    /// process uses (its own ids stay below 2^60), unique across clients.
    pub(super) next_request: AtomicU64,
    pub(super) closing: CancellationToken,
}

/// The first request id the socket gives a client's question.
pub(super) const FIRST_REQUEST: u64 = 1 << 60;

/// The `SO_PEERCRED` rule: only the engine's own user may attach (root included: another uid
/// is refused even when it could read the socket).
pub fn peer_allowed(peer_uid: u32, our_uid: u32) -> Result<(), PeerRefused> {
    if peer_uid == our_uid {
        Ok(())
    } else {
        Err(PeerRefused::OtherUser {
            peer: peer_uid,
            ours: our_uid,
        })
    }
}

impl Door {
    /// Serves `port` on `DATA_DIR/<profile>.sock`. Call with the engine started (it holds the
    /// profile lock, so a socket file found there is a dead engine's and is replaced).
    pub fn serve(
        port: Port,
        data_dir: &Path,
        profile: &str,
        started_by: &str,
        reload: Option<Reload>,
    ) -> Result<Door, DoorError> {
        crate::config::ensure_private_dir(data_dir)?;
        let path = super::socket_path(data_dir, profile);
        let bind_error = |source| DoorError::Bind {
            path: path.clone(),
            source,
        };
        match std::fs::remove_file(&path) {
            Ok(()) => tracing::info!(socket = %path.display(), "replaced a dead engine's socket"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(bind_error(e)),
        }
        let listener = UnixListener::bind(&path).map_err(bind_error)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(bind_error)?;
        // The socket is ours: its owner is this process's effective uid, which a peer must share.
        let our_uid = std::fs::metadata(&path).map_err(bind_error)?.uid();
        let info = EngineInfo {
            profile: profile.to_owned(),
            pid: std::process::id(),
            since: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            started_by: started_by.to_owned(),
            socket: path.display().to_string(),
        };
        let closing = CancellationToken::new();
        let shared = Arc::new(Shared {
            closing: closing.clone(),
            backlog: Mutex::new(Backlog::new(backlog::LINES)),
            info: info.clone(),
            reload,
            our_uid,
            port,
            next_request: AtomicU64::new(FIRST_REQUEST),
            replay: Mutex::new(Tracker::default()),
        });
        // Subscribed first, then the schedule said before now: nothing falls in between.
        let events = shared.port.subscribe();
        if let Ok(mut replay) = shared.replay.lock() {
            replay.see(&SyncEvent::NextRun {
                at: shared.port.next_run(),
            });
            replay.see(&SyncEvent::Paused {
                paused: shared.port.paused(),
            });
        }
        let feeder = tokio::spawn(feed(Arc::clone(&shared), events));
        let accept = tokio::spawn(accept(listener, shared));
        tracing::info!(socket = %path.display(), "serving the engine's socket");
        Ok(Door {
            path,
            info,
            accept,
            feeder,
            closing,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn info(&self) -> &EngineInfo {
        &self.info
    }
}

impl Drop for Door {
    fn drop(&mut self) {
        self.accept.abort();
        self.feeder.abort();
        self.closing.cancel();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Keeps the backlog from every event the engine sends.
async fn feed(shared: Arc<Shared>, mut events: tokio::sync::broadcast::Receiver<crate::sync::SyncEvent>) {
    loop {
        let line = match events.recv().await {
            Ok(event) => {
                if let Ok(mut replay) = shared.replay.lock() {
                    replay.see(&event);
                }
                backlog::line_of(&event)
            }
            Err(RecvError::Lagged(n)) => Some((LogLevel::Warn, format!("{n} events were missed by the log backlog"))),
            Err(RecvError::Closed) => break,
        };
        if let (Some((level, text)), Ok(mut backlog)) = (line, shared.backlog.lock()) {
            backlog.push(level, text);
        }
    }
}

async fn accept(listener: UnixListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(super::session::connection(stream, Arc::clone(&shared)));
            }
            Err(e) => {
                // Out of file descriptors and the like: wait, never spin.
                tracing::warn!(error = %e, "accepting on the engine's socket");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

pub(super) fn codec() -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .max_frame_length(proto::MAX_FRAME)
        .new_codec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_engines_own_uid_may_attach() {
        assert!(peer_allowed(1000, 1000).is_ok());
        let refused = peer_allowed(0, 1000).unwrap_err().to_string();
        assert!(refused.contains("uid 1000") && refused.contains("uid 0"), "{refused}");
        assert!(peer_allowed(1001, 1000).is_err());
    }
}

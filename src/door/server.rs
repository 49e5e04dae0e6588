//! The engine's side of the socket: [`Door::serve`] binds `DATA_DIR/<profile>.sock`, keeps the
//! backlog from the engine's events, and serves each client on a task of its own.

use std::collections::HashMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;
use tokio_util::codec::{Framed, LengthDelimitedCodec};

use super::backlog::{self, Backlog};
use super::proto::{self, ClientFrame, EngineInfo, ServerFrame, WireCommand};
use super::replay::Tracker;
use crate::config::ResolvedProfile;
use crate::sync::{Answer, Command, LogLevel, Port, SyncEvent};

/// How the engine re-reads its profile for `reload` (the configuration file as saved).
pub type Reload = Arc<dyn Fn() -> Result<ResolvedProfile, String> + Send + Sync>;

/// A hello must come this soon after connecting.
const HELLO_WITHIN: Duration = Duration::from_secs(10);

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
}

struct Shared {
    port: Port,
    backlog: Mutex<Backlog>,
    info: EngineInfo,
    reload: Option<Reload>,
    our_uid: u32,
    /// The running cycle, the last plan and where it stands, the next scheduled cycle: sent to
    /// a client after the backlog so a console attaching shows what the engine's own does.
    replay: Mutex<Tracker>,
    /// The engine's request ids of clients' questions: apart from any a console in this
    /// process uses (its own ids stay below 2^60), unique across clients.
    next_request: AtomicU64,
}

/// The first request id the socket gives a client's question.
const FIRST_REQUEST: u64 = 1 << 60;

/// The `SO_PEERCRED` rule: only the engine's own user may attach (root included: another uid
/// is refused even when it could read the socket).
pub fn peer_allowed(peer_uid: u32, our_uid: u32) -> Result<(), String> {
    if peer_uid == our_uid {
        Ok(())
    } else {
        Err(format!(
            "refused: this engine serves only its own user (uid {our_uid}); the client runs as uid {peer_uid}"
        ))
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
        let shared = Arc::new(Shared {
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
        }
        let feeder = tokio::spawn(feed(Arc::clone(&shared), events));
        let accept = tokio::spawn(accept(listener, shared));
        tracing::info!(socket = %path.display(), "serving the engine's socket");
        Ok(Door {
            path,
            info,
            accept,
            feeder,
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
                tokio::spawn(connection(stream, Arc::clone(&shared)));
            }
            Err(e) => {
                // Out of file descriptors and the like: wait, never spin.
                tracing::warn!(error = %e, "accepting on the engine's socket");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

type Conn = Framed<UnixStream, LengthDelimitedCodec>;

pub(super) fn codec() -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .max_frame_length(proto::MAX_FRAME)
        .new_codec()
}

async fn send(conn: &mut Conn, frame: &ServerFrame) -> bool {
    match serde_json::to_vec(frame) {
        Ok(bytes) => conn.send(Bytes::from(bytes)).await.is_ok(),
        Err(e) => {
            tracing::warn!(error = %e, "a frame for the socket did not serialise");
            true
        }
    }
}

fn error(id: Option<u64>, message: String) -> ServerFrame {
    ServerFrame::Error { id, message }
}

/// The event as this client receives it: an answer only to its own question, under the
/// client's request id; one that cannot travel says so.
fn for_client(event: SyncEvent, asked: &mut HashMap<u64, u64>) -> Option<SyncEvent> {
    let SyncEvent::Answer { request, answer } = event else {
        return Some(event);
    };
    let request = asked.remove(&request)?;
    let answer = match serde_json::to_value(&answer) {
        Ok(_) => answer,
        Err(_) => Answer::Failed("this answer is not served over the engine's socket".to_owned()),
    };
    Some(SyncEvent::Answer { request, answer })
}

/// One client: the peer check, the hello, the welcome and backlog, then its commands and every
/// event until it leaves. Nothing a client sends can end the engine but `stop`.
async fn connection(stream: UnixStream, shared: Arc<Shared>) {
    let peer = stream.peer_cred().map(|c| c.uid());
    let mut conn = Framed::new(stream, codec());
    let checked = match peer {
        Ok(uid) => peer_allowed(uid, shared.our_uid),
        Err(e) => Err(format!("refused: the client's credentials could not be read: {e}")),
    };
    if let Err(message) = checked {
        tracing::warn!("{message}");
        send(&mut conn, &error(None, message)).await;
        return;
    }
    let Some(who) = hello(&mut conn).await else { return };
    let mut events = shared.port.subscribe();
    let lines: Vec<_> = match shared.backlog.lock() {
        Ok(b) => b.lines().cloned().collect(),
        Err(_) => Vec::new(),
    };
    let welcome = ServerFrame::Welcome {
        version: proto::VERSION,
        engine: shared.info.clone(),
        state: shared.port.state(),
    };
    if !send(&mut conn, &welcome).await || !send_backlog(&mut conn, lines).await {
        return;
    }
    let replay = shared.replay.lock().map(|r| r.replay()).unwrap_or_default();
    if !send(&mut conn, &ServerFrame::Replay { replay }).await {
        return;
    }
    tracing::info!("{who} attached");
    // This client's questions: the engine's request id → the client's.
    let mut asked = HashMap::new();
    loop {
        tokio::select! {
            frame = conn.next() => match frame {
                Some(Ok(bytes)) => {
                    let reply = on_frame(&shared, &who, &bytes, &mut asked).await;
                    if !send(&mut conn, &reply).await {
                        break;
                    }
                }
                // Gone (a closed terminal, a dropped SSH connection) or a broken frame.
                Some(Err(_)) | None => break,
            },
            event = events.recv() => {
                let frame = match event {
                    Ok(event) => for_client(event, &mut asked).map(|event| ServerFrame::Event { event }),
                    Err(RecvError::Lagged(n)) => Some(ServerFrame::Event {
                        event: SyncEvent::Log { level: LogLevel::Warn, message: format!("{n} events were missed (a slow client)") },
                    }),
                    Err(RecvError::Closed) => break,
                };
                if let Some(frame) = frame && !send(&mut conn, &frame).await {
                    break;
                }
            }
        }
    }
    tracing::info!("{who} left");
}

/// The first frame must be a hello of our version: the client's name for the log.
async fn hello(conn: &mut Conn) -> Option<String> {
    let first = match tokio::time::timeout(HELLO_WITHIN, conn.next()).await {
        Ok(Some(Ok(bytes))) => bytes,
        _ => return None,
    };
    match serde_json::from_slice::<ClientFrame>(&first) {
        Ok(ClientFrame::Hello { version, client, pid }) if version == proto::VERSION => {
            let client: String = client.chars().filter(|c| !c.is_control()).take(40).collect();
            Some(match pid {
                Some(pid) => format!("{client} (pid {pid})"),
                None => client,
            })
        }
        Ok(ClientFrame::Hello { version, .. }) => {
            let message = format!(
                "protocol version {version} is not served: this engine ({}) speaks version {}; use the same nowsync version as the engine",
                env!("CARGO_PKG_VERSION"),
                proto::VERSION
            );
            send(conn, &error(None, message)).await;
            None
        }
        Ok(_) | Err(_) => {
            let message = "the first frame must be a hello: {\"type\":\"hello\",\"version\":1,\"client\":\"...\"}";
            send(conn, &error(None, message.to_owned())).await;
            None
        }
    }
}

async fn send_backlog(conn: &mut Conn, lines: Vec<super::backlog::Line>) -> bool {
    let mut chunks: Vec<Vec<_>> = lines.chunks(proto::BACKLOG_CHUNK).map(<[_]>::to_vec).collect();
    if chunks.is_empty() {
        chunks.push(Vec::new());
    }
    let last = chunks.len() - 1;
    for (i, lines) in chunks.into_iter().enumerate() {
        if !send(conn, &ServerFrame::Backlog { lines, more: i < last }).await {
            return false;
        }
    }
    true
}

/// A frame after the hello: a command is queued (and acknowledged) or refused; anything else
/// gets an error naming what was not understood.
async fn on_frame(shared: &Shared, who: &str, bytes: &[u8], asked: &mut HashMap<u64, u64>) -> ServerFrame {
    let (id, command) = match serde_json::from_slice::<ClientFrame>(bytes) {
        Ok(ClientFrame::Command { id, command }) => (id, command),
        Ok(ClientFrame::Hello { .. }) => return error(None, "hello was said already".to_owned()),
        Err(e) => {
            return error(
                None,
                format!(
                    "message not understood (ignored): {e}; this engine speaks protocol version {}",
                    proto::VERSION
                ),
            );
        }
    };
    let words = command.words();
    let command = match command {
        WireCommand::Reload => match reload(shared).await {
            Ok(profile) => Command::Reload(Box::new(profile)),
            Err(message) => {
                shared.port.log(LogLevel::Error, format!("reload refused: {message}"));
                return error(Some(id), message);
            }
        },
        WireCommand::Query { mut query } => {
            let Some(request) = query.request_mut() else {
                return error(
                    Some(id),
                    format!(
                        "{} is not served over the engine's socket (`nowsync test-connection`, `nowsync provision` are)",
                        crate::sync::describe(&query)
                    ),
                );
            };
            let ours = shared.next_request.fetch_add(1, Ordering::Relaxed);
            asked.insert(ours, *request);
            *request = ours;
            query
        }
        other => match other.command() {
            Some(command) => command,
            None => return error(Some(id), "not served".to_owned()),
        },
    };
    // Actions are everybody's business; questions are the asker's.
    if !command.is_query() || matches!(command, Command::CreateReference { .. }) {
        shared.port.log(LogLevel::Info, format!("{who} asked: {words}"));
    }
    if shared.port.send(command) {
        ServerFrame::Ack { id }
    } else {
        error(Some(id), "the engine has stopped".to_owned())
    }
}

async fn reload(shared: &Shared) -> Result<ResolvedProfile, String> {
    let Some(reload) = shared.reload.clone() else {
        return Err("this engine cannot reload its configuration".to_owned());
    };
    tokio::task::spawn_blocking(move || reload())
        .await
        .map_err(|e| format!("reading the configuration failed: {e}"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_engines_own_uid_may_attach() {
        assert_eq!(peer_allowed(1000, 1000), Ok(()));
        let refused = peer_allowed(0, 1000).unwrap_err();
        assert!(refused.contains("uid 1000") && refused.contains("uid 0"), "{refused}");
        assert!(peer_allowed(1001, 1000).is_err());
    }
}

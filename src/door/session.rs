//! One client of the engine's socket, on a task of its own: the peer check, the hello, the
//! welcome, backlog and replay, then its commands and every event until it leaves. Nothing a
//! client sends can end the engine but `stop`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::net::UnixStream;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::codec::{Framed, LengthDelimitedCodec};

use super::proto::{self, ClientFrame, ServerFrame};
use super::server::{PeerRefused, Shared, codec, peer_allowed};
use crate::config::{ConfigError, ResolvedProfile};
use crate::sync::{Answer, AnswerError, Command, LogLevel, SyncEvent};

/// A hello must come this soon after connecting.
const HELLO_WITHIN: Duration = Duration::from_secs(10);

/// Why a client's `reload` was not done.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("this engine cannot reload its configuration")]
    NotServed,
    #[error("{0}")]
    Config(#[source] ConfigError),
    #[error("reading the configuration failed: {0}")]
    Task(#[source] tokio::task::JoinError),
}

type Conn = Framed<UnixStream, LengthDelimitedCodec>;

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
        Err(_) => Answer::Failed(AnswerError::not_served(
            "this answer is not served over the engine's socket",
        )),
    };
    Some(SyncEvent::Answer { request, answer })
}

/// One client: the peer check, the hello, the welcome, backlog and replay, then its commands
/// and every event until it leaves.
pub(super) async fn connection(stream: UnixStream, shared: Arc<Shared>) {
    let peer = stream.peer_cred().map(|c| c.uid());
    let mut conn = Framed::new(stream, codec());
    let checked = match peer {
        Ok(uid) => peer_allowed(uid, shared.our_uid),
        Err(e) => Err(PeerRefused::Credentials(e)),
    };
    if let Err(refused) = checked {
        tracing::warn!("{refused}");
        send(&mut conn, &error(None, refused.to_string())).await;
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
            // The door dropped (the engine stopped or restarts): the client sees the end.
            () = shared.closing.cancelled() => break,
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
            let message = format!(
                "the first frame must be a hello: {{\"type\":\"hello\",\"version\":{},\"client\":\"...\"}}",
                proto::VERSION
            );
            send(conn, &error(None, message)).await;
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
        Ok(ClientFrame::Reload { id }) => match reload(shared).await {
            Ok(profile) => (id, Command::Reload(Box::new(profile))),
            Err(e) => {
                shared.port.log(LogLevel::Error, format!("reload refused: {e}"));
                return error(Some(id), e.to_string());
            }
        },
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
    let words = proto::words(&command);
    if matches!(command, Command::TestConnection { .. }) {
        return error(
            Some(id),
            format!(
                "{} is not served over the engine's socket (`nowsync test-connection` is)",
                crate::sync::describe(&command)
            ),
        );
    }
    let mut command = command;
    // A question is answered under an engine-unique id, given back as the asker's own.
    if let Some(request) = command.request_mut() {
        let ours = shared.next_request.fetch_add(1, Ordering::Relaxed);
        asked.insert(ours, *request);
        *request = ours;
    }
    // Actions are everybody's business; questions are the asker's (a write asked as a
    // question is an action).
    if !command.is_query()
        || matches!(
            command,
            Command::CreateReference { .. } | Command::Provision { dry_run: false, .. }
        )
    {
        shared.port.log(LogLevel::Info, format!("{who} asked: {words}"));
    }
    if shared.port.send(command) {
        ServerFrame::Ack { id }
    } else {
        error(Some(id), "the engine has stopped".to_owned())
    }
}

async fn reload(shared: &Shared) -> Result<ResolvedProfile, ReloadError> {
    let Some(reload) = shared.reload.clone() else {
        return Err(ReloadError::NotServed);
    };
    tokio::task::spawn_blocking(move || reload())
        .await
        .map_err(ReloadError::Task)?
        .map_err(ReloadError::Config)
}

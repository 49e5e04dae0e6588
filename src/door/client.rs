//! The client's side of the socket: [`Client::attach`] (the console, tests) and [`probe`]
//! (`nowsync status`: is an engine serving, and who).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::net::UnixStream;
use tokio_util::codec::{Framed, LengthDelimitedCodec};

use super::backlog::Line;
use super::proto::{self, ClientFrame, EngineInfo, ServerFrame};
use super::replay::Replay;
use crate::sync::{Command, EngineState};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("no engine serves {} ({source}); start one with `nowsync run` (or the systemd unit)", path.display())]
    NotServing {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the engine's socket {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the engine refused: {0}")]
    Refused(String),
    #[error("the engine's socket said something this nowsync does not understand: {0}")]
    Protocol(String),
    #[error("the engine closed the connection (it stopped or restarted)")]
    Closed,
}

/// What the engine said when the client attached.
#[derive(Debug, Clone)]
pub struct Attached {
    pub engine: EngineInfo,
    pub state: EngineState,
    /// The log backlog, oldest first.
    pub backlog: Vec<Line>,
    /// The running cycle, the last plan and where it stands, the next scheduled cycle.
    pub replay: Replay,
}

/// A connection to a running engine.
pub struct Client {
    conn: Framed<UnixStream, LengthDelimitedCodec>,
    path: PathBuf,
    next_id: u64,
}

impl Client {
    /// Connects, says hello as `client`, and reads the welcome and the backlog.
    pub async fn attach(path: &Path, client: &str) -> Result<(Client, Attached), ClientError> {
        let stream = UnixStream::connect(path)
            .await
            .map_err(|source| ClientError::NotServing {
                path: path.to_owned(),
                source,
            })?;
        let mut this = Client {
            conn: Framed::new(stream, super::server::codec()),
            path: path.to_owned(),
            next_id: 1,
        };
        this.send(&ClientFrame::Hello {
            version: proto::VERSION,
            client: client.to_owned(),
            pid: Some(std::process::id()),
        })
        .await?;
        let (engine, state) = match this.next().await? {
            ServerFrame::Welcome { engine, state, .. } => (engine, state),
            ServerFrame::Error { message, .. } => return Err(ClientError::Refused(message)),
            other => return Err(ClientError::Protocol(format!("expected a welcome, got {other:?}"))),
        };
        let mut backlog = Vec::new();
        loop {
            match this.next().await? {
                ServerFrame::Backlog { lines, more } => {
                    backlog.extend(lines);
                    if !more {
                        break;
                    }
                }
                other => return Err(ClientError::Protocol(format!("expected the backlog, got {other:?}"))),
            }
        }
        let replay = match this.next().await? {
            ServerFrame::Replay { replay } => replay,
            other => return Err(ClientError::Protocol(format!("expected the replay, got {other:?}"))),
        };
        Ok((
            this,
            Attached {
                engine,
                state,
                backlog,
                replay,
            },
        ))
    }

    /// Sends a command; its id comes back in an `Ack` (or an `Error`) among the events. What
    /// holds a resolved profile does not travel (a protocol error, nothing sent): a reload is
    /// [`Client::reload`].
    pub async fn command(&mut self, command: Command) -> Result<u64, ClientError> {
        let id = self.take_id();
        self.send(&ClientFrame::Command { id, command }).await?;
        Ok(id)
    }

    /// Asks the engine to re-read the configuration file and use the profile as saved from
    /// the next cycle; acknowledged (or refused) as a command is.
    pub async fn reload(&mut self) -> Result<u64, ClientError> {
        let id = self.take_id();
        self.send(&ClientFrame::Reload { id }).await?;
        Ok(id)
    }

    fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Sends bytes as one frame, whatever they are (tests of the engine's side).
    pub async fn send_raw(&mut self, bytes: Vec<u8>) -> Result<(), ClientError> {
        self.conn
            .send(Bytes::from(bytes))
            .await
            .map_err(|source| ClientError::Io {
                path: self.path.clone(),
                source,
            })
    }

    async fn send(&mut self, frame: &ClientFrame) -> Result<(), ClientError> {
        let bytes = serde_json::to_vec(frame).map_err(|e| ClientError::Protocol(e.to_string()))?;
        self.send_raw(bytes).await
    }

    /// The next frame from the engine.
    pub async fn next(&mut self) -> Result<ServerFrame, ClientError> {
        match self.conn.next().await {
            Some(Ok(bytes)) => serde_json::from_slice(&bytes).map_err(|e| ClientError::Protocol(e.to_string())),
            // A frame cut short ("bytes remaining on stream") or a reset is the engine going
            // away mid-frame: the same as a clean close to whoever reads it.
            Some(Err(source)) if gone(&source) => Err(ClientError::Closed),
            Some(Err(source)) => Err(ClientError::Io {
                path: self.path.clone(),
                source,
            }),
            None => Err(ClientError::Closed),
        }
    }
}

/// Whether a read error means the engine went away: the codec's "bytes remaining on stream"
/// (an EOF inside a frame), a reset or a broken pipe.
fn gone(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof};
    matches!(
        e.kind(),
        UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe
    ) || e.to_string() == "bytes remaining on stream"
}

/// Blocking: the engine serving `path`, if one answers a hello within a second (`nowsync
/// status`, which runs without an async runtime). `None` when nothing listens there.
pub fn probe(path: &Path) -> Option<EngineInfo> {
    let mut stream = std::os::unix::net::UnixStream::connect(path).ok()?;
    let limit = Some(Duration::from_secs(1));
    stream.set_read_timeout(limit).ok()?;
    stream.set_write_timeout(limit).ok()?;
    let hello = serde_json::to_vec(&ClientFrame::Hello {
        version: proto::VERSION,
        client: "status".to_owned(),
        pid: Some(std::process::id()),
    })
    .ok()?;
    let len = u32::try_from(hello.len()).ok()?;
    stream.write_all(&len.to_be_bytes()).ok()?;
    stream.write_all(&hello).ok()?;
    let mut head = [0u8; 4];
    stream.read_exact(&mut head).ok()?;
    let len = usize::try_from(u32::from_be_bytes(head)).ok()?;
    if len > proto::MAX_FRAME {
        return None;
    }
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).ok()?;
    match serde_json::from_slice(&body).ok()? {
        ServerFrame::Welcome { engine, .. } => Some(engine),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// Regression (acceptance test): an engine gone mid-frame showed the codec's "the
    /// engine's socket …: bytes remaining on stream".
    #[tokio::test]
    async fn an_engine_gone_mid_frame_reads_as_closed_in_plain_words() {
        let (ours, mut engine) = UnixStream::pair().unwrap();
        let mut client = Client {
            conn: Framed::new(ours, LengthDelimitedCodec::new()),
            path: PathBuf::from("default.sock"),
            next_id: 0,
        };
        // A frame header promising 100 bytes, three of them, and the engine is gone.
        engine.write_all(&[0, 0, 0, 100, b'{', b'"', b'a']).await.unwrap();
        drop(engine);
        let err = client.next().await.unwrap_err();
        assert!(matches!(err, ClientError::Closed), "{err:?}");
        assert_eq!(
            err.to_string(),
            "the engine closed the connection (it stopped or restarted)"
        );
    }
}

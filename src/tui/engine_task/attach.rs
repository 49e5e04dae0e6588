//! The console attached to another process's engine through its socket: the connection's
//! task (commands out, events in, until the engine goes), attaching again to whichever engine
//! serves the profile now, and what a command becomes on the wire.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc::{self, UnboundedSender};

use super::{Context, Engine, EngineSlot, owns, serving};
use crate::door::Client;
use crate::door::proto::ServerFrame;
use crate::sync::{Answer, AnswerError, Command, SyncEvent};
use crate::tui::event::Event;
use crate::tui::log::Level;

/// How long attaching again waits for an engine to serve the socket: one restarting (another
/// console's wizard re-save, `systemctl restart`) serves it again within a few seconds.
const ATTACH_AGAIN_WAIT: Duration = Duration::from_secs(5);

/// What goes to an attached engine: a command as the socket carries it, or a reload (the
/// engine re-reads the configuration file as saved).
#[derive(Debug)]
pub(super) enum Outgoing {
    Command(Command),
    Reload,
}

impl EngineSlot {
    /// Attaches to whichever engine serves the profile's socket now (the one this console was
    /// attached to has gone), waiting a little for one that restarts. Reports with `Attached`,
    /// or `NotAttached` saying why not; the console's own engine is left alone.
    pub fn attach_again(&mut self, ctx: &Context, tx: &UnboundedSender<Event>) {
        if owns(&self.engine) {
            return;
        }
        let slot = Arc::clone(&self.engine);
        let socket = crate::door::socket_path(&ctx.data_dir, &ctx.profile);
        let tx = tx.clone();
        tokio::spawn(async move {
            let waited = tokio::time::timeout(ATTACH_AGAIN_WAIT, async {
                while !serving(&socket).await {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
            .await;
            match waited {
                Ok(()) => attach(&slot, &socket, tx).await,
                Err(_) => {
                    let _ = tx.send(Event::NotAttached(format!(
                        "no engine serves the profile's socket {} now",
                        socket.display()
                    )));
                }
            }
        });
    }
}

/// Attaches through `socket`: the welcome and backlog as `Attached`, then every event, until
/// the engine goes (`Detached`).
pub(super) async fn attach(slot: &Arc<Mutex<Option<Engine>>>, socket: &Path, tx: UnboundedSender<Event>) {
    let (mut client, attached) = match Client::attach(socket, "console").await {
        Ok(c) => c,
        Err(e) => {
            let _ = tx.send(Event::NotAttached(format!(
                "could not attach to the running engine: {e}"
            )));
            return;
        }
    };
    let (commands, mut rx) = mpsc::unbounded_channel();
    if let Ok(mut s) = slot.lock() {
        *s = Some(Engine::Attached(commands));
    }
    let _ = tx.send(Event::Attached(Box::new(attached)));
    let why = loop {
        tokio::select! {
            command = rx.recv() => match command {
                Some(outgoing) => {
                    let sent = match outgoing {
                        Outgoing::Command(command) => client.command(command).await,
                        Outgoing::Reload => client.reload().await,
                    };
                    if let Err(e) = sent {
                        break e.to_string();
                    }
                }
                None => return,
            },
            frame = client.next() => match frame {
                Ok(ServerFrame::Event { event }) => {
                    if tx.send(Event::Sync(event)).is_err() {
                        return;
                    }
                }
                Ok(ServerFrame::Error { message, .. }) => {
                    let _ = tx.send(Event::Note { level: Level::Error, text: format!("the engine refused: {message}") });
                }
                Ok(_) => {}
                Err(e) => break e.to_string(),
            },
        }
    };
    if let Ok(mut s) = slot.lock() {
        *s = None;
    }
    let _ = tx.send(Event::Detached(why));
}

/// A command as it goes to an attached engine; what the socket does not carry is answered here.
pub(super) fn wire(command: Command) -> Result<Outgoing, Box<SyncEvent>> {
    let not_served = |request, what: &str| {
        Box::new(SyncEvent::Answer {
            request,
            answer: Answer::Failed(AnswerError::not_served(format!(
                "{what} needs the engine in this console: this one is attached to the profile's running engine"
            ))),
        })
    };
    Ok(match command {
        // The engine re-reads the file: the profile resolved here does not travel.
        Command::Reload(_) => Outgoing::Reload,
        Command::PreviewPlan { request, .. } => {
            return Err(not_served(request, "showing what an unsaved change would do"));
        }
        Command::TestConnection { request } | Command::Provision { request, .. } => {
            return Err(not_served(request, "this"));
        }
        command => Outgoing::Command(command),
    })
}

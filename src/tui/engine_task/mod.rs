//! The runtime's hold on the engine: the console's own engine, started for the saved profile
//! (credentials from the demo's memory store or the profile's store, never by prompting on the
//! console's terminal) and serving the engine's socket so another console can attach; or the
//! profile's running engine (`nowsync run`, systemd, a console's background engine), attached
//! to through that socket (issue 15). Either way its events come into the console's channel
//! and it takes the console's commands.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc::{self, UnboundedSender};

mod attach;

use super::Context;
use super::error::EngineStartError;
use super::event::Event;
use super::log::Level;
use crate::config::{Config, Profile, ResolvedProfile};
use crate::door::Door;
use crate::secrets::Secrets;
use crate::sync::{Command, Credentials, Handle, Options, Prompt, SyncEvent, read_credentials};
use attach::{Outgoing, attach, wire};

/// The engine the console works with.
enum Engine {
    /// In this process; its socket served while it runs (none for the demo).
    Own { handle: Box<Handle>, _door: Option<Door> },
    /// Another process's, through its socket: commands go to the connection's task.
    Attached(mpsc::UnboundedSender<Outgoing>),
}

/// The engine, once started or attached.
#[derive(Default)]
pub struct EngineSlot {
    engine: Arc<Mutex<Option<Engine>>>,
}

/// How long a background engine the console started may take to serve its socket.
const BACKGROUND_START: Duration = Duration::from_secs(30);

impl EngineSlot {
    /// Attaches to the profile's running engine when one serves its socket; otherwise starts
    /// one: a background `nowsync run` when the profile keeps provisioning in the background
    /// (then attaches to it), else in this console. Reports with `Attached` or `EngineStarted`.
    pub fn start(&mut self, ctx: &Context, tx: &UnboundedSender<Event>) {
        let slot = Arc::clone(&self.engine);
        let tx = tx.clone();
        let config_path = ctx.config_path.clone();
        let data_dir = ctx.data_dir.clone();
        let profile = ctx.profile.clone();
        let memory = ctx.memory_secrets.clone();
        // The demo's engine is its own, on a temporary data dir: it serves no socket.
        let demo = memory.is_some();
        tokio::spawn(async move {
            let socket = crate::door::socket_path(&data_dir, &profile);
            // Re-saved with an engine of its own: the socket is its own door, not one to attach to.
            if !demo && !owns(&slot) && serving(&socket).await {
                return attach(&slot, &socket, tx).await;
            }
            let prepared = tokio::task::spawn_blocking({
                let (config_path, profile) = (config_path.clone(), profile.clone());
                move || prepare(&config_path, &profile, memory.as_deref())
            })
            .await;
            let (resolved, credentials) = match prepared {
                Ok(Ok(p)) => p,
                Ok(Err(e)) => return drop(tx.send(Event::EngineStarted(Err(e)))),
                Err(e) => return drop(tx.send(Event::EngineStarted(Err(e.into())))),
            };
            // A re-save of the wizard starts the engine again (its credentials may have
            // changed): the one running holds the profile's lock, so it stops first.
            let old = slot.lock().ok().and_then(|mut s| s.take());
            if let Some(Engine::Own { handle, _door }) = old {
                // Its door first: dropped after the new door serves, it removes its socket.
                drop(_door);
                handle.shutdown().await;
            }
            if resolved.provisioning.keep_in_background && !demo {
                drop(credentials);
                return background(&slot, &config_path, &data_dir, &profile, tx).await;
            }
            let mut options = Options::new(data_dir.clone());
            options.scheduled = true;
            match Handle::start(&resolved, credentials, options) {
                Ok(handle) => {
                    forward(&handle, tx.clone());
                    // The schedule the engine said before the forwarding subscribed.
                    let at = handle.next_run();
                    let _ = tx.send(Event::Sync(SyncEvent::NextRun { at }));
                    let door = if demo {
                        None
                    } else {
                        serve(&handle, &data_dir, &config_path, &profile, &tx)
                    };
                    if let Ok(mut s) = slot.lock() {
                        *s = Some(Engine::Own {
                            handle: Box::new(handle),
                            _door: door,
                        });
                    }
                    let _ = tx.send(Event::EngineStarted(Ok(())));
                }
                // Another engine took the profile between the look at its socket and now.
                Err(_) if serving(&socket).await => attach(&slot, &socket, tx).await,
                Err(e) => {
                    let _ = tx.send(Event::EngineStarted(Err(e.into())));
                }
            }
        });
    }

    pub fn send(&mut self, command: Command, tx: &UnboundedSender<Event>) {
        let what = super::effect::describe(&command);
        let sent = match self.engine.lock().ok().as_deref() {
            Some(Some(Engine::Own { handle, .. })) => handle.send(command),
            Some(Some(Engine::Attached(commands))) => match wire(command) {
                Ok(outgoing) => commands.send(outgoing).is_ok(),
                Err(answer) => {
                    // Asked of an engine in another process: answered here, saying so.
                    let _ = tx.send(Event::Sync(*answer));
                    true
                }
            },
            _ => false,
        };
        if !sent {
            let _ = tx.send(Event::Note {
                level: Level::Warn,
                text: format!("{what}: no engine is running"),
            });
        }
    }

    /// Hands the engine the profile as saved (mappings, scope, interval from the next cycle):
    /// resolved here for the console's own engine (a profile that does not resolve is said in
    /// the log and not sent); an attached engine re-reads the file itself.
    pub fn reload(&mut self, profile: Profile, tx: &UnboundedSender<Event>) {
        let Ok(engine) = self.engine.lock() else { return };
        match engine.as_ref() {
            Some(Engine::Own { handle, .. }) => match profile.resolve() {
                Ok(resolved) => {
                    handle.send(Command::Reload(Box::new(resolved)));
                }
                Err(e) => {
                    let _ = tx.send(Event::Note {
                        level: Level::Error,
                        text: format!("the engine keeps the profile it has: {e}"),
                    });
                }
            },
            Some(Engine::Attached(commands)) => {
                let _ = commands.send(Outgoing::Reload);
            }
            None => {}
        }
    }

    /// Whether the console's engine is its own (it ends with the console unless handed over).
    pub fn own(&self) -> bool {
        owns(&self.engine)
    }

    /// Leaves the engine: the console's own one stops (it finishes the object in flight,
    /// waiting at most 30 s); an attached one goes on.
    pub async fn shutdown(&mut self) {
        let engine = self.engine.lock().ok().and_then(|mut h| h.take());
        if let Some(Engine::Own { handle, _door }) = engine {
            let _ = tokio::time::timeout(Duration::from_secs(30), handle.shutdown()).await;
        }
    }
}

/// Whether the slot holds the console's own engine.
fn owns(slot: &Mutex<Option<Engine>>) -> bool {
    slot.lock()
        .is_ok_and(|e| matches!(e.as_ref(), Some(Engine::Own { .. })))
}

/// Whether an engine answers on `socket` (the blocking probe, off the runtime's threads).
async fn serving(socket: &Path) -> bool {
    let socket = socket.to_owned();
    tokio::task::spawn_blocking(move || crate::door::client::probe(&socket).is_some())
        .await
        .unwrap_or(false)
}

/// The console's own engine serves its socket, so a second console attaches to it; a reload
/// asked through it re-reads the configuration file as saved.
fn serve(
    handle: &Handle,
    data_dir: &Path,
    config_path: &Path,
    profile: &str,
    tx: &UnboundedSender<Event>,
) -> Option<Door> {
    let reload: crate::door::Reload = {
        let (config_path, profile) = (config_path.to_owned(), profile.to_owned());
        Arc::new(move || Config::load(&config_path)?.resolve(&profile))
    };
    match Door::serve(
        handle.port(),
        data_dir,
        profile,
        crate::door::started_by(true),
        Some(reload),
    ) {
        Ok(door) => Some(door),
        Err(e) => {
            let _ = tx.send(Event::Note {
                level: Level::Warn,
                text: format!("no other console can attach: {e}"),
            });
            None
        }
    }
}

/// Starts `nowsync run` for the profile in a process group of its own (a hang-up of this
/// terminal does not reach it; `run` takes SIGHUP as a reload anyway) and attaches to it.
async fn background(
    slot: &Arc<Mutex<Option<Engine>>>,
    config_path: &Path,
    data_dir: &Path,
    profile: &str,
    tx: UnboundedSender<Event>,
) {
    let socket = crate::door::socket_path(data_dir, profile);
    if let Err(e) = spawn_run(config_path, data_dir, profile) {
        let _ = tx.send(Event::Note {
            level: Level::Error,
            text: format!("the background engine (nowsync run) could not start: {e}"),
        });
        return;
    }
    let waited = tokio::time::timeout(BACKGROUND_START, async {
        while !serving(&socket).await {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    match waited {
        Ok(()) => attach(slot, &socket, tx).await,
        Err(_) => {
            let _ = tx.send(Event::Note {
                level: Level::Error,
                text: format!(
                    "the background engine did not serve {} within {} s: see its log (`nowsync status`, the daily log file)",
                    socket.display(),
                    BACKGROUND_START.as_secs()
                ),
            });
        }
    }
}

/// `nowsync run` for the profile, detached from this terminal: its own process group, no
/// terminal on its standard streams (its log goes to the daily file).
pub fn spawn_run(config_path: &Path, data_dir: &Path, profile: &str) -> std::io::Result<u32> {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe()?;
    let child = std::process::Command::new(exe)
        .arg("--config")
        .arg(config_path)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--profile")
        .arg(profile)
        .arg("run")
        .arg("--started-by-console")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()?;
    Ok(child.id())
}

fn forward(handle: &Handle, tx: UnboundedSender<Event>) {
    let mut events = handle.subscribe();
    tokio::spawn(async move {
        loop {
            let event = match events.recv().await {
                Ok(event) => Event::Sync(event),
                Err(RecvError::Lagged(n)) => Event::Note {
                    level: Level::Warn,
                    text: format!("the console fell behind and missed {n} engine events"),
                },
                Err(RecvError::Closed) => break,
            };
            if tx.send(event).is_err() {
                break;
            }
        }
    });
}

/// The profile, resolved, and its secrets, read without prompting (the console owns the
/// terminal).
fn prepare(
    config_path: &Path,
    profile: &str,
    memory: Option<&Secrets>,
) -> Result<(ResolvedProfile, Credentials), EngineStartError> {
    let config = Config::load(config_path)?;
    let profile = config.resolve(profile)?;
    let sources = &profile.credentials;
    let credentials = match memory {
        Some(secrets) => read_credentials(sources, secrets, Prompt::Never),
        None => read_credentials(sources, &sources.secrets(), Prompt::Never),
    }?;
    Ok((profile, credentials))
}

#[cfg(test)]
mod tests;

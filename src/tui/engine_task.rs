//! The runtime's hold on the engine: starts it for the saved profile (credentials from the
//! demo's memory store or the profile's store, never by prompting on the console's terminal),
//! forwards its events into the console's channel and sends it commands.

use std::path::Path;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc::UnboundedSender;

use super::Context;
use super::error::EngineStartError;
use super::event::Event;
use super::log::Level;
use crate::config::{Config, Profile, ResolvedProfile};
use crate::secrets::Secrets;
use crate::sync::{Credentials, Handle, Options, Prompt, read_credentials};

/// The engine, once started.
#[derive(Default)]
pub struct EngineSlot {
    handle: Arc<Mutex<Option<Handle>>>,
}

impl EngineSlot {
    /// Starts the engine of `ctx.profile` in the background; reports with `EngineStarted`.
    pub fn start(&mut self, ctx: &Context, tx: &UnboundedSender<Event>) {
        let slot = Arc::clone(&self.handle);
        let tx = tx.clone();
        let config_path = ctx.config_path.clone();
        let data_dir = ctx.data_dir.clone();
        let profile = ctx.profile.clone();
        let memory = ctx.memory_secrets.clone();
        tokio::spawn(async move {
            let prepared =
                tokio::task::spawn_blocking(move || prepare(&config_path, &profile, memory.as_deref())).await;
            let (profile, credentials) = match prepared {
                Ok(Ok(p)) => p,
                Ok(Err(e)) => return drop(tx.send(Event::EngineStarted(Err(e)))),
                Err(e) => return drop(tx.send(Event::EngineStarted(Err(e.into())))),
            };
            // A re-save of the wizard starts the engine again (its credentials may have
            // changed): the one running holds the profile's lock, so it stops first.
            let old = slot.lock().ok().and_then(|mut s| s.take());
            if let Some(old) = old {
                old.shutdown().await;
            }
            let mut options = Options::new(data_dir);
            options.scheduled = true;
            match Handle::start(&profile, credentials, options) {
                Ok(handle) => {
                    forward(&handle, tx.clone());
                    if let Ok(mut s) = slot.lock() {
                        *s = Some(handle);
                    }
                    let _ = tx.send(Event::EngineStarted(Ok(())));
                }
                Err(e) => {
                    let _ = tx.send(Event::EngineStarted(Err(e.into())));
                }
            }
        });
    }

    pub fn send(&mut self, command: crate::sync::Command, tx: &UnboundedSender<Event>) {
        let what = super::effect::describe(&command);
        let sent = self
            .handle
            .lock()
            .ok()
            .and_then(|h| h.as_ref().map(|h| h.send(command)))
            .unwrap_or(false);
        if !sent {
            let _ = tx.send(Event::Note {
                level: Level::Warn,
                text: format!("{what}: no engine is running"),
            });
        }
    }

    /// Hands the engine the profile as saved (mappings, scope, interval from the next cycle),
    /// resolved here; a profile that does not resolve is said in the log and not sent.
    pub fn reload(&mut self, profile: Profile, tx: &UnboundedSender<Event>) {
        let resolved = match profile.resolve() {
            Ok(resolved) => resolved,
            Err(e) => {
                let _ = tx.send(Event::Note {
                    level: Level::Error,
                    text: format!("the engine keeps the profile it has: {e}"),
                });
                return;
            }
        };
        if let Ok(h) = self.handle.lock()
            && let Some(h) = h.as_ref()
        {
            h.send(crate::sync::Command::Reload(Box::new(resolved)));
        }
    }

    /// Stops the engine (it finishes the object in flight), waiting at most 30 s.
    pub async fn shutdown(&mut self) {
        let handle = self.handle.lock().ok().and_then(|mut h| h.take());
        if let Some(handle) = handle {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(30), handle.shutdown()).await;
        }
    }
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

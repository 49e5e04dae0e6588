//! The engine task: owns the clients, the store and the profile lock; runs cycles on command
//! and on schedule; answers the console's queries.

use std::sync::Arc;

use tokio::sync::{broadcast, mpsc, watch};

use super::event::{EngineState, ErrorKind, SyncEvent};
use super::handle::{Command, Options};
use super::types::Plan;
use super::{Credentials, StartError};
use crate::config::Profile;

pub(super) struct Engine {
    profile: Profile,
    events: broadcast::Sender<SyncEvent>,
    state: watch::Sender<EngineState>,
    last_plan: watch::Sender<Option<Arc<Plan>>>,
}

impl Engine {
    pub(super) fn open(
        profile: &Profile,
        _credentials: Credentials,
        _options: &Options,
        events: broadcast::Sender<SyncEvent>,
        state: watch::Sender<EngineState>,
        last_plan: watch::Sender<Option<Arc<Plan>>>,
    ) -> Result<Engine, StartError> {
        Ok(Engine {
            profile: profile.clone(),
            events,
            state,
            last_plan,
        })
    }

    pub(super) async fn run(self, mut commands: mpsc::UnboundedReceiver<Command>) {
        while let Some(command) = commands.recv().await {
            match command {
                Command::Stop => break,
                _ => {
                    let _ = self.events.send(SyncEvent::Error {
                        cycle_id: None,
                        kind: ErrorKind::Other,
                        message: format!("profile '{}': the engine is not built yet", self.profile.name),
                    });
                }
            }
        }
        let _ = self.last_plan.send(None);
        let _ = self.state.send(EngineState::Stopped);
    }
}

//! The runtime's hold on the engine: starts it for the saved profile, forwards its events into
//! the console's channel and sends it commands.

use tokio::sync::mpsc::UnboundedSender;

use super::Context;
use super::engine::EngineCommand;
use super::event::Event;

/// The engine, once started.
#[derive(Default)]
pub struct EngineSlot {
    started: bool,
}

impl EngineSlot {
    pub fn start(&mut self, _ctx: &Context, tx: &UnboundedSender<Event>) {
        self.started = false;
        let _ = tx.send(Event::EngineStarted(Err(
            "the sync engine is not part of this build yet".to_owned(),
        )));
    }

    pub fn send(&mut self, command: EngineCommand, tx: &UnboundedSender<Event>) {
        let _ = tx.send(Event::Log {
            level: super::log::Level::Warn,
            text: format!("{command:?}: no engine is running"),
        });
    }

    pub async fn shutdown(&mut self) {}
}

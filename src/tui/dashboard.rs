//! The dashboard's state: what the engine said last (status, cycle, progress, counts, last
//! summary, statistics to date), the plan of the last dry run and the objects' results.

use crossterm::event::KeyEvent;

use super::app::{Overlay, Screen};
use super::effect::Effect;
use super::engine::EngineEvent;
use super::log::LogBuffer;

/// A key's meaning on the records and plan screens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {}

/// What the dashboard knows.
#[derive(Debug, Default)]
pub struct Dashboard {
    pub engine_started: bool,
}

impl Dashboard {
    pub fn in_text_field(&self, _screen: Screen) -> bool {
        false
    }

    pub fn cycle_running(&self) -> bool {
        false
    }

    pub fn paused(&self) -> bool {
        false
    }

    pub fn action_for(&self, _screen: Screen, _key: KeyEvent) -> Option<super::app::Action> {
        None
    }

    pub fn update(&mut self, action: Action) -> Option<Overlay> {
        match action {}
    }

    pub fn on_sync(&mut self, event: EngineEvent, _log: &mut LogBuffer) -> Vec<Effect> {
        match event {}
    }
}

//! `Event`: everything that reaches the console from outside `update()`: the terminal's keys
//! and resizes, signals, the runtime's reports on effects, the engine's `SyncEvent`s and log
//! lines.

use crossterm::event::KeyEvent;

use super::log::Level;
use super::screens::wizard::StoreStatus;
use crate::model::check::Step;

/// The configuration file and the profile's mapping file as saved now: what the settings,
/// mappings and scope screens show unless they hold edits.
#[derive(Debug, Clone)]
pub struct ConfigNow {
    pub profile: crate::config::Profile,
    /// The configuration file's text.
    pub text: String,
    /// The mapping file's text (the built-in mappings' when the profile names none), or why it
    /// could not be read.
    pub mappings: Result<String, String>,
}

/// The mapping file as a mappings save wrote it.
#[derive(Debug, Clone)]
pub struct MappingsWritten {
    /// The mapping file's text as written.
    pub text: String,
    /// Another console had saved the file since this screen read it: the screen's edits were
    /// written over its save (`text` holds both).
    pub merged: bool,
    /// The configuration file's new text, when it had to name the mapping file.
    pub config: Option<String>,
}

/// Which side a connection test was about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    ServiceNow,
    Entra,
}

/// Terminal to app, runtime to app, engine to app.
#[derive(Debug)]
pub enum Event {
    Key(KeyEvent),
    Resize(u16, u16),
    /// Once a second, for clocks and rates; redraws only when a screen shows one.
    Tick,
    /// SIGHUP, SIGTERM or SIGINT from outside: leave now (the engine finishes its object).
    Signal(&'static str),
    StoreProbed(StoreStatus),
    TestDone {
        side: Side,
        steps: Vec<Step>,
    },
    /// The wizard's save: what was done and the file as written, or what was and was not.
    Saved(Result<(String, crate::config::edit::Saved), super::error::SaveError>),
    /// The engine could not start (or started in this console: `Ok`).
    EngineStarted(Result<(), super::error::EngineStartError>),
    /// Attached to the profile's running engine through its socket: who it is, its state and
    /// its log backlog.
    Attached(Box<crate::door::Attached>),
    /// The attached engine went away (stopped, or its socket closed): why.
    Detached(String),
    /// No engine could be attached to (none serves the profile's socket, or it refused): why.
    NotAttached(String),
    Sync(crate::sync::SyncEvent),
    /// The console's own report for the log pane (an export written, the engine's events
    /// missed): never the engine's facts, which come only as `Sync` through `log::line_of`.
    Note {
        level: Level,
        text: String,
    },
    /// The settings were written (and the engine reloaded), or not.
    SettingsSaved(Result<crate::config::edit::Saved, crate::config::edit::EditError>),
    /// The mapping file was written (with the configuration file's new text when it changed
    /// too) and the engine reloaded, or not.
    MappingsSaved(Result<MappingsWritten, super::error::MappingsNotSaved>),
    /// The configuration file and the profile's mapping file as saved now (read on entering
    /// the settings screen and after every reload of the engine), or why not.
    ConfigRead(Result<Box<ConfigNow>, crate::config::ConfigError>),
    /// An Entra schema JSON was read and converted, or not.
    SchemaImported(Result<crate::mapping::model::Imported, super::error::FileError>),
    /// The cycle history and totals to date, read from the state store.
    History(Result<super::screens::dashboard::history::History, super::screens::dashboard::history::HistoryError>),
    /// The provisioning log's records, read from the state store (oldest first).
    Records(Result<Vec<crate::store::LogRecord>, crate::store::StoreError>),
}

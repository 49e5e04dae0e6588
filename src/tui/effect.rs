//! Work that `update()` asks the runtime to do: it never awaits, blocks or touches the network
//! itself. Each effect ends, some time later, in an [`super::event::Event`] that reports it.

use std::path::PathBuf;

use super::screens::wizard::FieldError;
use crate::config::Entra;
use crate::config::edit::Edit;
use crate::mapping::model::raw::RawMappingFile;
use crate::secrets::{Secret, SecretName, StoreChoice};
use crate::servicenow::{Auth, Instance};

/// The ServiceNow side of a connection test, or why it cannot run.
pub type SnowTarget = Result<(Instance, Auth), FieldError>;
/// The Entra side of a connection test, or why it cannot run.
pub type EntraTarget = Result<(Entra, Secret), FieldError>;

/// What the console asks of the runtime.
pub enum Effect {
    /// Opens the store `choice` names and reports whether it can be written.
    ProbeStore(StoreChoice),
    /// Runs both sides of test connection; each reports when done.
    TestConnection(Box<TestRequest>),
    /// Stores the secrets, then writes the configuration text.
    Save(Box<SaveRequest>),
    /// Starts (or restarts) the engine for the saved profile.
    StartEngine,
    /// The engine takes the profile as saved: the own engine's `Command::Reload`, or the
    /// engine attached to re-reads the file (the door's `reload`).
    Reload(Box<crate::config::Profile>),
    /// Attaches to the engine serving the profile's socket now (the one this console was
    /// attached to has gone).
    Attach,
    /// A command for the engine.
    Engine(crate::sync::Command),
    /// Reads the provisioning log's records from the state store.
    LoadRecords,
    /// Reads the cycle history and the totals to date from the state store.
    LoadHistory,
    /// Writes records to a file in the data dir (`json` or `csv`).
    Export {
        csv: bool,
        records: Vec<crate::store::LogRecord>,
    },
    /// Makes `edits` to `profile`'s tables of the configuration file at `path`
    /// (`config::edit`), then reloads the engine with the profile as written.
    SaveSettings {
        path: PathBuf,
        profile: String,
        edits: Vec<Edit>,
    },
    /// Writes the mapping file `text` as an Entra schema JSON in the data dir.
    ExportSchema(String),
    /// Writes the mapping file (and the configuration file naming it), then reloads the engine.
    SaveMappings(Box<SaveMappings>),
    /// Reads an Entra schema JSON file and converts it to the mapping file format.
    ImportSchema(PathBuf),
    /// Reads the configuration file and the profile's mapping file as saved now (another
    /// console or an editor may have saved them): `Event::ConfigRead`.
    ReadConfig,
    /// Leave the console.
    Quit,
}

/// The mappings screen's save.
pub struct SaveMappings {
    /// The mapping file, written 0600 (`config::edit::write_mappings`).
    pub path: PathBuf,
    pub text: String,
    /// The file as the screen last read or saved it, and the working copy (`text`): when the
    /// file on disk is no longer `base` (another console saved it), only the edits from `base`
    /// to `ours` are written over it (`runtime::mappings_save`).
    pub base: RawMappingFile,
    pub ours: RawMappingFile,
    /// The configuration file's edit naming the mapping file, when the profile named none.
    pub config: Option<ConfigEdit>,
    /// The profile as the engine reloads it (its mappings path resolved).
    pub profile: Box<crate::config::Profile>,
}

/// Edits of one profile's tables of a configuration file.
#[derive(Debug, Clone)]
pub struct ConfigEdit {
    pub path: PathBuf,
    pub profile: String,
    pub edits: Vec<Edit>,
}

/// Both sides of a connection test.
pub struct TestRequest {
    pub servicenow: SnowTarget,
    pub entra: EntraTarget,
}

/// The wizard's final step: secrets to the store, then its keys of the configuration file.
pub struct SaveRequest {
    pub config_path: PathBuf,
    pub profile: String,
    pub edits: Vec<Edit>,
    pub store: StoreChoice,
    pub secrets: Vec<(SecretName, Secret)>,
}

/// What the status line says when `command` is sent.
pub fn describe(command: &crate::sync::Command) -> &'static str {
    crate::sync::describe(command)
}

impl std::fmt::Debug for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Effect::ProbeStore(_) => "ProbeStore",
            Effect::TestConnection(_) => "TestConnection",
            Effect::Save(_) => "Save",
            Effect::StartEngine => "StartEngine",
            Effect::Attach => "Attach",
            Effect::Engine(_) => "Engine",
            Effect::LoadRecords => "LoadRecords",
            Effect::LoadHistory => "LoadHistory",
            Effect::Export { .. } => "Export",
            Effect::ExportSchema(_) => "ExportSchema",
            Effect::SaveSettings { .. } => "SaveSettings",
            Effect::SaveMappings(_) => "SaveMappings",
            Effect::ImportSchema(_) => "ImportSchema",
            Effect::ReadConfig => "ReadConfig",
            Effect::Reload(_) => "Reload",
            Effect::Quit => "Quit",
        };
        f.write_str(name)
    }
}

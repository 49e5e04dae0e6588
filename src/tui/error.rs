//! The console's typed errors, kept with their sources until they are shown: why the engine did
//! not start, why the wizard's save did not (fully) happen, why a file was not read or written.

use std::path::PathBuf;

use crate::config::edit::EditError;
use crate::config::{ConfigError, DirError};
use crate::secrets::{SecretError, SecretName};

/// The engine of the saved profile could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineStartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Start(#[from] crate::sync::StartError),
    #[error("reading the profile's secrets stopped: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// The wizard's save did not (fully) happen; `done` says what was done before it stopped.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("could not store {name}: {source} ({done})")]
    Secret {
        name: SecretName,
        done: String,
        #[source]
        source: SecretError,
    },
    #[error("{source} ({done})")]
    Config {
        done: String,
        #[source]
        source: Box<EditError>,
    },
}

/// A file the console reads or writes (schema import, exports) could not be.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Schema(#[from] crate::mapping::model::SchemaError),
    #[error(transparent)]
    Load(#[from] crate::mapping::model::MappingFileError),
    #[error("the mapping file does not parse: {0}")]
    Mappings(#[from] toml::de::Error),
    #[error("cannot encode: {0}")]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Write(#[from] DirError),
}

/// A mappings save was not written.
#[derive(Debug, thiserror::Error)]
pub enum MappingsNotSaved {
    #[error(transparent)]
    Edit(#[from] EditError),
    /// Another console saved the file since this screen read it, changing what this screen's
    /// edits change too; `theirs` is the file as it is now.
    #[error(
        "the mapping file changed since this screen read it (another console saved it), and it changed {} too",
        conflicts.join(", ")
    )]
    Conflict { conflicts: Vec<String>, theirs: String },
    /// Another console saved the file since, and its changes with this screen's edits do not load.
    #[error(
        "the mapping file changed since this screen read it (another console saved it), and its changes with your edits would not load: {}",
        problems.join("; ")
    )]
    Unmergeable { problems: Vec<String>, theirs: String },
}

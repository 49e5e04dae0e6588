//! Where configuration and data live, and creating them private (0700 dirs, 0600 files).

use std::io::Write;
use std::path::{Path, PathBuf};

/// The config file and data dir in use.
#[derive(Debug, Clone)]
pub struct Dirs {
    pub config_file: PathBuf,
    /// True when the config path came from the platform default, not `--config`.
    pub config_is_default: bool,
    pub data_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum DirError {
    #[error("cannot tell where this platform keeps configuration (no home directory?): pass --config and --data-dir")]
    NoHome,
    #[error("cannot create the private directory {path}: {source}")]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Dirs {
    /// Resolves the paths from the flags, `NOWSYNC_DATA_DIR` and the platform defaults.
    pub fn resolve(config: Option<PathBuf>, data_dir: Option<PathBuf>) -> Result<Self, DirError> {
        let project = directories::ProjectDirs::from("", "", "nowsync");
        let (config_file, config_is_default) = match config {
            Some(p) => (p, false),
            None => (
                project
                    .as_ref()
                    .ok_or(DirError::NoHome)?
                    .config_dir()
                    .join("config.toml"),
                true,
            ),
        };
        let data_dir = match data_dir {
            Some(p) => p,
            None => project.as_ref().ok_or(DirError::NoHome)?.data_dir().to_path_buf(),
        };
        Ok(Self {
            config_file,
            config_is_default,
            data_dir,
        })
    }
}

/// Creates `path` (and missing parents) with mode 0700.
pub fn ensure_private_dir(path: &Path) -> Result<(), DirError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path).map_err(|source| DirError::Create {
        path: path.to_owned(),
        source,
    })
}

/// Writes `contents` to `path` with mode 0600, creating its directory private.
pub fn write_private_file(path: &Path, contents: &[u8]) -> Result<(), DirError> {
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        ensure_private_dir(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let err = |source| DirError::Write {
        path: path.to_owned(),
        source,
    };
    let mut file = options.open(path).map_err(err)?;
    file.write_all(contents).map_err(err)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn creates_private_dir_and_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        ensure_private_dir(&dir).unwrap();
        assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
        let file = tmp.path().join("c/config.toml");
        write_private_file(&file, b"x").unwrap();
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(
            std::fs::metadata(tmp.path().join("c")).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }
}

//! Logging to a daily-rolling file in the data dir (`logs/nowsync.log.YYYY-MM-DD`), level from
//! `NOWSYNC_LOG` (default `info`). Nothing is written to stdout.
//!
//! The files are created 0600 (tracing-appender's own roller would leave them to the umask), and
//! written through tracing-appender's non-blocking worker so that logging never stalls a request.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::prelude::*;

use crate::config::{DirError, ensure_private_dir};

/// Starts file logging under `data_dir/logs`. Keep the guard alive until exit so that buffered
/// lines are flushed.
pub fn init(data_dir: &Path) -> Result<WorkerGuard, DirError> {
    let dir = data_dir.join("logs");
    ensure_private_dir(&dir)?;
    Ok(start(dir))
}

/// Like [`init`] for the commands that only read (`logs`, `links`, `status`): logs only when
/// the log dir already exists, and creates nothing (they work on a read-only data dir; a line
/// that cannot be written is dropped by the writer, never an error of the command).
pub fn init_existing(data_dir: &Path) -> Option<WorkerGuard> {
    let dir = data_dir.join("logs");
    dir.is_dir().then(|| start(dir))
}

fn start(dir: PathBuf) -> WorkerGuard {
    let (writer, guard) = tracing_appender::non_blocking(DailyFile::new(dir));
    let filter = EnvFilter::try_from_env("NOWSYNC_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // A second init (tests calling commands in-process) keeps the first subscriber. The
    // console's log pane is fed by the engine's events (`SyncEvent::Log`), not from here.
    let file = tracing_subscriber::fmt::layer().with_writer(writer).with_ansi(false);
    let _ = tracing_subscriber::registry().with(filter).with(file).try_init();
    guard
}

/// A log file per UTC day, opened for append with mode 0600.
struct DailyFile {
    dir: PathBuf,
    open: Option<(NaiveDate, File)>,
}

impl DailyFile {
    fn new(dir: PathBuf) -> Self {
        Self { dir, open: None }
    }

    fn file(&mut self) -> io::Result<&mut File> {
        let today = Utc::now().date_naive();
        if self.open.as_ref().is_none_or(|(day, _)| *day != today) {
            let path = self.dir.join(format!("nowsync.log.{}", today.format("%Y-%m-%d")));
            self.open = Some((today, open_private_append(&path)?));
        }
        match &mut self.open {
            Some((_, file)) => Ok(file),
            None => Err(io::Error::other("log file not open")),
        }
    }
}

impl Write for DailyFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file()?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.open {
            Some((_, file)) => file.flush(),
            None => Ok(()),
        }
    }
}

fn open_private_append(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn log_files_are_private_and_appended() {
        let tmp = tempfile::tempdir().unwrap();
        let mut log = DailyFile::new(tmp.path().to_owned());
        log.write_all(b"one\n").unwrap();
        let mut log = DailyFile::new(tmp.path().to_owned());
        log.write_all(b"two\n").unwrap();
        log.flush().unwrap();
        let files: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().collect();
        assert_eq!(files.len(), 1);
        let path = files[0].path();
        assert!(
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("nowsync.log.20")
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\ntwo\n");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

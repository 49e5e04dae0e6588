//! Logging to a daily-rolling file in the data dir (`logs/nowsync.log.YYYY-MM-DD`), level from
//! `NOWSYNC_LOG` (default `info`). Nothing is written to stdout. Under systemd (stderr is the
//! journal stream that `JOURNAL_STREAM` names, systemd.exec(5)) the lines go to stderr instead,
//! without timestamps of our own: the journal stamps them.
//!
//! The files are created 0600 (tracing-appender's own roller would leave them to the umask), and
//! written through tracing-appender's non-blocking worker so that logging never stalls a request.
//! Files older than the configuration's `log_retention_days` (the largest of its profiles: the
//! files are shared) are removed once it is known ([`Logging::keep_days`]) and at each new day.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{NaiveDate, Utc};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::prelude::*;

use crate::config::{DirError, ensure_private_dir};

/// File logging while it lives: keep it until exit so that buffered lines are flushed.
pub struct Logging {
    _guard: WorkerGuard,
    dir: PathBuf,
    keep_days: Arc<AtomicU32>,
}

impl Logging {
    /// Keeps the daily files of the last `days` days (today's included) and removes older
    /// ones, now and at each new day.
    pub fn keep_days(&self, days: u32) {
        self.keep_days.store(days, Ordering::Relaxed);
        prune(&self.dir, days, Utc::now().date_naive());
    }
}

/// Starts file logging under `data_dir/logs` (the journal under systemd).
pub fn init(data_dir: &Path) -> Result<Logging, DirError> {
    let dir = data_dir.join("logs");
    if to_journal() {
        return Ok(start_journal(dir));
    }
    ensure_private_dir(&dir)?;
    Ok(start(dir))
}

/// Whether stderr is the journal's stream: `JOURNAL_STREAM` is `<device>:<inode>` of it. A
/// process that merely inherited the variable (a shell started from a service) has another
/// stderr and logs to its file.
fn to_journal() -> bool {
    let Ok(stream) = std::env::var("JOURNAL_STREAM") else {
        return false;
    };
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self/fd/2").is_ok_and(|m| is_stream(&stream, m.dev(), m.ino()))
    }
    #[cfg(not(target_os = "linux"))]
    {
        !stream.is_empty()
    }
}

fn is_stream(journal_stream: &str, dev: u64, ino: u64) -> bool {
    journal_stream
        .split_once(':')
        .is_some_and(|(d, i)| d.parse() == Ok(dev) && i.parse() == Ok(ino))
}

/// Lines to stderr for the journal: no time, no colours.
fn start_journal(dir: PathBuf) -> Logging {
    let (writer, guard) = tracing_appender::non_blocking(io::stderr());
    let filter = EnvFilter::try_from_env("NOWSYNC_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false)
        .without_time();
    let _ = tracing_subscriber::registry().with(filter).with(layer).try_init();
    Logging {
        _guard: guard,
        dir,
        keep_days: Arc::new(AtomicU32::new(0)),
    }
}

/// Like [`init`] for the commands that only read (`logs`, `links`, `status`): logs only when
/// the log dir already exists, and creates nothing (they work on a read-only data dir; a line
/// that cannot be written is dropped by the writer, never an error of the command).
pub fn init_existing(data_dir: &Path) -> Option<Logging> {
    let dir = data_dir.join("logs");
    dir.is_dir().then(|| start(dir))
}

fn start(dir: PathBuf) -> Logging {
    let keep_days = Arc::new(AtomicU32::new(0));
    let file = DailyFile {
        dir: dir.clone(),
        open: None,
        keep_days: keep_days.clone(),
    };
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = EnvFilter::try_from_env("NOWSYNC_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // A second init (tests calling commands in-process) keeps the first subscriber. The
    // console's log pane is fed by the engine's events (`SyncEvent::Log`), not from here.
    let file = tracing_subscriber::fmt::layer().with_writer(writer).with_ansi(false);
    let _ = tracing_subscriber::registry().with(filter).with(file).try_init();
    Logging {
        _guard: guard,
        dir,
        keep_days,
    }
}

/// Removes `nowsync.log.YYYY-MM-DD` files dated `days` or more days before `today` (0: keep
/// all, the retention is not known yet). Other files are left alone.
fn prune(dir: &Path, days: u32, today: NaiveDate) {
    if days == 0 {
        return;
    }
    let Some(oldest_kept) = today.checked_sub_days(chrono::Days::new(u64::from(days) - 1)) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let date = name
            .to_str()
            .and_then(|n| n.strip_prefix("nowsync.log."))
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        if date.is_some_and(|d| d < oldest_kept) {
            // A file another process removed first, or one we may not remove: nothing to do.
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A log file per UTC day, opened for append with mode 0600.
struct DailyFile {
    dir: PathBuf,
    open: Option<(NaiveDate, File)>,
    /// `log_retention_days`, once known (0 before).
    keep_days: Arc<AtomicU32>,
}

impl DailyFile {
    #[cfg(test)]
    fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            open: None,
            keep_days: Arc::new(AtomicU32::new(0)),
        }
    }

    fn file(&mut self) -> io::Result<&mut File> {
        let today = Utc::now().date_naive();
        if self.open.as_ref().is_none_or(|(day, _)| *day != today) {
            prune(&self.dir, self.keep_days.load(Ordering::Relaxed), today);
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
    fn the_journal_stream_is_matched_by_device_and_inode() {
        assert!(is_stream("8:12345", 8, 12345));
        assert!(!is_stream("8:12345", 8, 12346));
        assert!(!is_stream("8:12345", 9, 12345));
        assert!(!is_stream("garbage", 8, 12345));
        assert!(!is_stream("", 8, 12345));
    }

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

    /// Issue 17, defect 8: daily files older than `log_retention_days` are removed; newer
    /// ones and other files stay.
    #[test]
    fn files_older_than_the_retention_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let names = [
            "nowsync.log.2025-01-01",
            "nowsync.log.2025-01-22",
            "nowsync.log.2025-01-23",
            "nowsync.log.2025-01-31",
            "nowsync.log.garbage",
            "notes.txt",
        ];
        for n in names {
            std::fs::write(tmp.path().join(n), "x").unwrap();
        }
        let today = NaiveDate::from_ymd_opt(2025, 1, 31).unwrap();
        prune(tmp.path(), 0, today);
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), names.len());
        prune(tmp.path(), 9, today);
        let mut left: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "notes.txt",
                "nowsync.log.2025-01-23",
                "nowsync.log.2025-01-31",
                "nowsync.log.garbage"
            ]
        );
    }
}

//! Logging to a daily-rolling file in the data dir, level from `NOWSYNC_LOG` (default `info`).
//! Nothing is written to stdout.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::prelude::*;

use crate::config::{DirError, ensure_private_dir};

/// Starts file logging under `data_dir/logs`. Keep the guard alive until exit so that buffered
/// lines are flushed.
pub fn init(data_dir: &Path) -> Result<WorkerGuard, DirError> {
    let dir = data_dir.join("logs");
    ensure_private_dir(&dir)?;
    let appender = tracing_appender::rolling::daily(&dir, "nowsync.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env("NOWSYNC_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // A second init (tests calling commands in-process) keeps the first subscriber.
    // The console's log pane gets the same lines while a console is attached.
    let file = tracing_subscriber::fmt::layer().with_writer(writer).with_ansi(false);
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(file)
        .with(crate::tui::log_layer::PaneLayer)
        .try_init();
    Ok(guard)
}

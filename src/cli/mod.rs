//! The headless commands: glue between the library modules and the terminal.
//!
//! Invariant: stdout carries command output only; diagnostics go to the log file in the data
//! dir (and errors to stderr). Exit codes are DESIGN.md's: see [`Exit`].

pub mod follow;
pub mod links;
pub mod logging;
pub mod logs;
pub mod mapping;
pub mod notify;
pub mod ops;
pub mod out;
pub mod provision;
pub mod secrets;
pub mod sim;
pub mod sync;
pub mod test_connection;

/// Process exit codes (DESIGN.md "CLI"). When several apply, the highest wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    Success = 0,
    /// A cycle ran but some objects failed.
    ObjectFailures = 1,
    /// Usage or configuration error.
    Usage = 2,
    /// Connection or authentication failure.
    Connection = 3,
    /// Quarantined, or stopped by the deletion threshold.
    Stopped = 4,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// Writes an error and its chain of causes to stderr.
pub fn report_error(err: &(dyn std::error::Error + 'static)) {
    let mut text = format!("error: {err}");
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Many errors repeat their source's text in their own message; do not print it twice.
        if !text.contains(&cause_text) {
            text.push_str(&format!("\n  caused by: {cause_text}"));
        }
        source = cause.source();
    }
    eprintln!("{text}");
}

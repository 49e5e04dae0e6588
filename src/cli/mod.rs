//! The headless commands: glue between the library modules and the terminal.
//!
//! Invariant: stdout carries command output only; diagnostics go to the log file in the data
//! dir (and errors to stderr). Exit codes are DESIGN.md's: see [`Exit`].

pub mod docs;
mod exit;
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
mod spool;
pub mod sso;
pub mod sync;
pub mod test_connection;

pub use exit::{Exit, ExitOf, fail};

/// Writes an error and its chain of causes to stderr, each line sanitised (an error may quote
/// a value from the directory or an instance's answer).
pub fn report_error(err: &(dyn std::error::Error + 'static)) {
    let mut lines = vec![format!("error: {err}")];
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Many errors repeat their source's text in their own message; do not print it twice.
        if !lines.iter().any(|l| l.contains(&cause_text)) {
            lines.push(format!("  caused by: {cause_text}"));
        }
        source = cause.source();
    }
    for line in lines {
        out::eprint_line(&line);
    }
}

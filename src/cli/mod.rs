//! The headless commands: glue between the library modules and the terminal.
//!
//! Invariant: stdout carries command output only; diagnostics go to the log file in the data
//! dir (and errors to stderr). Exit codes are DESIGN.md's: see [`Exit`].

pub mod docs;
pub mod door;
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

/// The named profile of the configuration file.
pub fn profile_of(dirs: &crate::config::Dirs, name: &str) -> Result<crate::config::Profile, Exit> {
    let config = crate::config::Config::load(&dirs.config_file).map_err(|e| fail(&e))?;
    Ok(config.profile(name).map_err(|e| fail(&e))?.clone())
}

/// The profile resolved for the engine and its secrets (blocking reads before the runtime
/// works).
pub fn engine_profile(
    dirs: &crate::config::Dirs,
    name: &str,
) -> Result<(crate::config::ResolvedProfile, crate::sync::Credentials), Exit> {
    let config = crate::config::Config::load(&dirs.config_file).map_err(|e| fail(&e))?;
    let profile = config.resolve(name).map_err(|e| fail(&e))?;
    let sources = &profile.credentials;
    let credentials = crate::sync::read_credentials(sources, &sources.secrets(), crate::sync::Prompt::OnTerminal)
        .map_err(|e| fail(&e))?;
    Ok((profile, credentials))
}

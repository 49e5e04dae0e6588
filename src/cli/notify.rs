//! `nowsync notify --test`: sends a test message through the profile's `[notification]`
//! settings and says what it did.
//!
//! Exit codes (DESIGN.md): sent → 0; no `[notification]`, no `smtp_host`, a missing
//! `smtp-password` or another configuration problem → 2; the server could not be reached,
//! refused TLS, the login or the recipient → 3.

use clap::Args;

use super::{Exit, report_error};
use crate::config::{Config, Dirs, Profile};
use crate::notify::{Event, Kind, Notifier, NotifyError};
use crate::secrets::{SecretName, Secrets};

#[derive(Debug, Args)]
pub struct NotifyArgs {
    /// Send a test message to the profile's notification address now
    #[arg(long, required = true)]
    pub test: bool,
}

/// Runs `notify` for `profile`. Reads the secret before entering `runtime` (store calls block).
pub fn run(_args: &NotifyArgs, dirs: &Dirs, profile: &str, runtime: &tokio::runtime::Runtime) -> Exit {
    let config = match Config::load(&dirs.config_file) {
        Ok(config) => config,
        Err(e) => return fail(&e, Exit::Usage),
    };
    let profile = match config.profile(profile) {
        Ok(profile) => profile,
        Err(e) => return fail(&e, Exit::Usage),
    };
    let (notifier, login) = match notifier(profile) {
        Ok(found) => found,
        Err(exit) => return exit,
    };
    println!(
        "sending a test message for profile '{}' to {} through {}, {login}",
        profile.name,
        notifier.recipient(),
        notifier.server()
    );
    let event = Event::new(profile.name.clone(), Kind::Test, chrono::Utc::now());
    match runtime.block_on(notifier.send(&event)) {
        Ok(()) => {
            println!(
                "sent: the server accepted the message; check the mailbox of {}",
                notifier.recipient()
            );
            Exit::Success
        }
        Err(e) => {
            let exit = exit_for(&e);
            fail(&e, exit)
        }
    }
}

/// The notifier, and how it logs in, in words: `no login` or `login 'u' (smtp-password from env)`.
fn notifier(profile: &Profile) -> Result<(Notifier, String), Exit> {
    let Some(settings) = &profile.notification else {
        eprintln!(
            "error: profile '{p}' has no notification settings: add [profiles.{p}.notification] with email and smtp_host (see README.md, \"Notification email\")",
            p = profile.name
        );
        return Err(Exit::Usage);
    };
    let (password, login) = match &settings.smtp_user {
        None => (None, "no login".to_owned()),
        Some(user) => {
            let secrets = Secrets::new(&profile.name, profile.secrets.store);
            match secrets.get_or_prompt(SecretName::SmtpPassword) {
                Ok((secret, source)) => {
                    tracing::info!(secret = %SecretName::SmtpPassword, %source, "secret read");
                    (Some(secret), format!("login '{user}' (smtp-password from {source})"))
                }
                Err(e) => return Err(fail(&e, Exit::Usage)),
            }
        }
    };
    match Notifier::new(&profile.name, settings, password) {
        Ok(notifier) => Ok((notifier, login)),
        Err(e) => {
            let exit = exit_for(&e);
            Err(fail(&e, exit))
        }
    }
}

fn exit_for(e: &NotifyError) -> Exit {
    if e.is_config() { Exit::Usage } else { Exit::Connection }
}

fn fail(err: &(dyn std::error::Error + 'static), exit: Exit) -> Exit {
    report_error(err);
    exit
}

//! `nowsync secrets status | set NAME | delete NAME`.
//!
//! The configuration file is read only for the profile's store choice: without a file, or
//! without the profile in it, the defaults apply. `status` never prompts and never prints a
//! value, and exits 0 even when the store cannot be reached (it explains why instead). `set`
//! reads the value from a hidden prompt on a terminal, else from stdin.

use std::io::{IsTerminal, Read, Write};
use std::str::FromStr;

use clap::Subcommand;
use zeroize::Zeroizing;

use super::{Exit, report_error};
use crate::config::{Config, ConfigError, Dirs, ServiceNowAuth, save_store_choice};
use crate::secrets::{Secret, SecretError, SecretName, Secrets, StoreChoice, StoreError, StoreKind, UnknownStore};

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// One line per secret of the profile: name, set or not, and where it comes from. Never
    /// prompts and never prints a value.
    Status,
    /// Store a secret in the profile's store, read from a hidden prompt or from stdin
    Set {
        /// servicenow-password, graph-client-secret, smtp-password or servicenow-oauth-client-secret
        #[arg(value_parser = parse_name)]
        name: SecretName,
        /// Use this store and save the choice in the profile: secret-service, keyutils,
        /// keychain, credential-manager or auto
        #[arg(long, value_name = "STORE", value_parser = parse_store)]
        store: Option<StoreChoice>,
    },
    /// Delete a secret from the profile's store
    Delete {
        #[arg(value_parser = parse_name)]
        name: SecretName,
    },
}

fn parse_name(s: &str) -> Result<SecretName, SecretError> {
    SecretName::from_str(s)
}

fn parse_store(s: &str) -> Result<StoreChoice, UnknownStore> {
    StoreChoice::from_str(s)
}

/// Runs one `secrets` command for `profile`.
pub fn run(command: &SecretsCommand, dirs: &Dirs, profile: &str) -> Exit {
    let settings = match ProfileSettings::load(dirs, profile) {
        Ok(settings) => settings,
        Err(e) => {
            report_error(&e);
            return Exit::Usage;
        }
    };
    let result = match command {
        SecretsCommand::Status => {
            let report = Secrets::new(profile, settings.store).status(&settings.names);
            print!("{report}");
            Ok(Exit::Success)
        }
        SecretsCommand::Set { name, store } => set(dirs, profile, *name, store.unwrap_or(settings.store), *store),
        SecretsCommand::Delete { name } => delete(profile, *name, settings.store),
    };
    result.unwrap_or_else(|e| {
        report_error(&e);
        e.exit()
    })
}

/// What the configuration file says about the profile's secrets.
struct ProfileSettings {
    store: StoreChoice,
    names: Vec<SecretName>,
}

impl ProfileSettings {
    fn load(dirs: &Dirs, profile: &str) -> Result<Self, ConfigError> {
        let mut names = vec![
            SecretName::ServiceNowPassword,
            SecretName::GraphClientSecret,
            SecretName::SmtpPassword,
        ];
        let config = match Config::load(&dirs.config_file) {
            Ok(config) => config,
            Err(ConfigError::NotFound(_)) => {
                return Ok(Self {
                    store: StoreChoice::default(),
                    names,
                });
            }
            Err(e) => return Err(e),
        };
        let Ok(p) = config.profile(profile) else {
            return Ok(Self {
                store: StoreChoice::default(),
                names,
            });
        };
        if p.servicenow
            .as_ref()
            .is_some_and(|s| matches!(s.auth, ServiceNowAuth::OAuth { .. }))
        {
            names.push(SecretName::ServiceNowOAuthClientSecret);
        }
        Ok(Self {
            store: p.secrets.store,
            names,
        })
    }
}

/// A `secrets` command failed.
#[derive(Debug, thiserror::Error)]
enum CommandError {
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot read the secret from stdin: {0}")]
    Stdin(#[source] std::io::Error),
    #[error("the two entries differ: nothing was stored")]
    Mismatch,
    #[error("stdin is empty: pipe the secret in (`nowsync secrets set NAME < file`) or run on a terminal")]
    NoInput,
}

impl CommandError {
    fn exit(&self) -> Exit {
        match self {
            CommandError::Secret(SecretError::Store(_) | SecretError::Unavailable { .. }) => Exit::Connection,
            _ => Exit::Usage,
        }
    }
}

fn set(
    dirs: &Dirs,
    profile: &str,
    name: SecretName,
    choice: StoreChoice,
    chosen_now: Option<StoreChoice>,
) -> Result<Exit, CommandError> {
    let interactive = std::io::stdin().is_terminal();
    let mut secrets = Secrets::new(profile, choice);
    let mut save = chosen_now;
    // Open the store before asking for the value, so nobody types a password for nothing.
    match secrets.writable(name) {
        Ok(_) => {}
        Err(SecretError::Store(StoreError::SecretServiceUnreachable(why))) if interactive && chosen_now.is_none() => {
            eprintln!("{why}\n");
            if !confirm("Keep the secrets of this profile in keyutils instead (cleared on reboot)? [y/N] ") {
                return Err(SecretError::Store(StoreError::SecretServiceUnreachable(why)).into());
            }
            let keyutils = StoreChoice::Store(StoreKind::Keyutils);
            secrets = Secrets::new(profile, keyutils);
            secrets.writable(name)?;
            save = Some(keyutils);
        }
        Err(e) => return Err(e.into()),
    }
    let value = if interactive {
        read_prompt(name, profile)?
    } else {
        read_stdin()?
    };
    let kind = secrets.set(name, &value)?;
    let note = if kind == StoreKind::Keyutils {
        " (cleared on reboot)"
    } else {
        ""
    };
    println!("stored {name} for profile '{profile}' in {kind}{note}");
    if let Some(choice) = save {
        save_store_choice(&dirs.config_file, profile, choice)?;
        println!(
            "saved store = \"{choice}\" for profile '{profile}' in {}",
            dirs.config_file.display()
        );
    }
    if std::env::var_os(name.env_var()).is_some_and(|v| !v.is_empty()) {
        eprintln!(
            "note: {} is set in this environment and is used before the stored value",
            name.env_var()
        );
    }
    Ok(Exit::Success)
}

fn delete(profile: &str, name: SecretName, choice: StoreChoice) -> Result<Exit, CommandError> {
    let secrets = Secrets::new(profile, choice);
    let kind = secrets.writable(name)?.kind();
    if secrets.delete(name)? {
        println!("deleted {name} of profile '{profile}' from {kind}");
    } else {
        println!("{name} of profile '{profile}' was not in {kind}: nothing to delete");
    }
    Ok(Exit::Success)
}

fn confirm(question: &str) -> bool {
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok() && matches!(answer.trim(), "y" | "Y" | "yes")
}

fn read_prompt(name: SecretName, profile: &str) -> Result<Secret, CommandError> {
    let ask = |prompt: String| {
        rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(|source| SecretError::Prompt { name, source })
    };
    let first = ask(format!("{name} for profile '{profile}': "))?;
    let again = ask(format!("{name} again: "))?;
    if *first != *again {
        return Err(CommandError::Mismatch);
    }
    Ok(Secret::new(first.as_str()))
}

/// The whole of stdin, less one trailing newline (as `echo` adds).
fn read_stdin() -> Result<Secret, CommandError> {
    let mut buf = Zeroizing::new(String::new());
    std::io::stdin().read_to_string(&mut buf).map_err(CommandError::Stdin)?;
    let value = buf
        .strip_suffix("\r\n")
        .or_else(|| buf.strip_suffix('\n'))
        .unwrap_or(&buf);
    if value.is_empty() {
        return Err(CommandError::NoInput);
    }
    Ok(Secret::new(value))
}

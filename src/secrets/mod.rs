//! Secrets: the [`Secret`] type that never prints its value, the secret names of a profile, and
//! where a secret comes from.
//!
//! Lookup order for secret `NAME` of profile `P` (see [`Secrets::lookup`]):
//! 1. the environment variable `NOWSYNC_<NAME>` (e.g. `NOWSYNC_SERVICENOW_PASSWORD`);
//! 2. `NOWSYNC_<NAME>_FILE`, a path whose contents are the secret (systemd `LoadCredential`,
//!    container secrets); one trailing newline is dropped;
//! 3. the profile's store ([`StoreChoice`]): macOS Keychain, Windows Credential Manager, the
//!    Linux Secret Service (D-Bus) or the Linux kernel keyutils store. Entries live under
//!    service `nowsync`, account `P/NAME`.
//!
//! Invariants: a secret's value reaches only the request that needs it. It lives in a
//! `secrecy::SecretString`, zeroized on drop; `Debug` and `Display` print `***`; nothing here
//! logs or formats a value, and no error carries one. Every call into an OS store is bounded by
//! [`STORE_TIMEOUT`], so a D-Bus provider that never answers cannot hang a command.

mod env;
mod handle;
mod keyring;
mod store;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};

pub use env::Env;
pub use handle::{Secrets, State, StatusLine, StatusReport, lookup};
pub use keyring::{Reason as UnreachableReason, START_PROVIDER, STORE_TIMEOUT, Unreachable};
pub use store::{MemoryStore, SecretStore, StoreChoice, StoreError, StoreKind, UnknownStore};

/// The keyring service every entry is filed under.
pub const SERVICE: &str = "nowsync";

/// A secret value (password, client secret). Zeroized on drop; prints as `***`.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The value itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The secrets a profile can have (DESIGN.md "Configuration").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecretName {
    ServiceNowPassword,
    GraphClientSecret,
    SmtpPassword,
    /// Only with `auth = "oauth"` in `[servicenow]`.
    ServiceNowOAuthClientSecret,
}

impl SecretName {
    pub const ALL: [SecretName; 4] = [
        SecretName::ServiceNowPassword,
        SecretName::GraphClientSecret,
        SecretName::SmtpPassword,
        SecretName::ServiceNowOAuthClientSecret,
    ];

    /// The name as users type it: `servicenow-password`.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretName::ServiceNowPassword => "servicenow-password",
            SecretName::GraphClientSecret => "graph-client-secret",
            SecretName::SmtpPassword => "smtp-password",
            SecretName::ServiceNowOAuthClientSecret => "servicenow-oauth-client-secret",
        }
    }

    /// The environment variable holding the value: `NOWSYNC_SERVICENOW_PASSWORD`.
    pub fn env_var(self) -> String {
        format!("NOWSYNC_{}", self.as_str().replace('-', "_").to_ascii_uppercase())
    }

    /// The environment variable holding a path to the value: `NOWSYNC_SERVICENOW_PASSWORD_FILE`.
    pub fn file_env_var(self) -> String {
        format!("{}_FILE", self.env_var())
    }

    /// The keyring account of this secret in `profile`: `PROFILE/NAME`.
    pub fn account(self, profile: &str) -> String {
        format!("{profile}/{}", self.as_str())
    }
}

impl fmt::Display for SecretName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SecretName {
    type Err = SecretError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|n| n.as_str() == s)
            .ok_or_else(|| SecretError::UnknownName(s.to_owned()))
    }
}

/// Where a secret was found. `Display` gives the words of `nowsync secrets status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Env,
    File,
    Store(StoreKind),
    Prompt,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Env => f.write_str("env"),
            Source::File => f.write_str("file"),
            Source::Store(kind) => kind.fmt(f),
            Source::Prompt => f.write_str("prompt"),
        }
    }
}

/// A secret could not be had, stored or deleted. Never carries a secret's value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "'{0}' is not a secret name: use servicenow-password, graph-client-secret, smtp-password or servicenow-oauth-client-secret"
    )]
    UnknownName(String),
    #[error(
        "secret '{name}' of profile '{profile}' is not set: run `nowsync --profile {profile} secrets set {name}`, or set the environment variable {env} or {env}_FILE (a path to a file holding it)"
    )]
    Missing {
        name: SecretName,
        profile: String,
        env: String,
    },
    #[error("{var} names the file {path}, which cannot be read: {source}; fix the path or unset {var}")]
    File {
        var: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{var} names the file {path}, which is empty: put the secret in it or unset {var}")]
    EmptyFile { var: String, path: PathBuf },
    #[error("secret '{name}' cannot be empty")]
    Empty { name: SecretName },
    #[error(
        "profile '{profile}' keeps its secrets in the environment (store = \"env\"): set {env} or {env}_FILE instead, or choose an OS store with `nowsync secrets set {name} --store STORE`"
    )]
    EnvOnly {
        name: SecretName,
        profile: String,
        env: String,
    },
    #[error("could not read secret '{name}' from the terminal: {source}")]
    Prompt {
        name: SecretName,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "secret '{name}' of profile '{profile}' is not in the environment ({env} or {env}_FILE), and the profile's store cannot be read: {source}"
    )]
    Unavailable {
        name: SecretName,
        profile: String,
        env: String,
        #[source]
        source: StoreError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints_its_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s}"), "***");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn names_map_to_env_vars_and_accounts() {
        let cases = [
            (SecretName::ServiceNowPassword, "NOWSYNC_SERVICENOW_PASSWORD"),
            (SecretName::GraphClientSecret, "NOWSYNC_GRAPH_CLIENT_SECRET"),
            (SecretName::SmtpPassword, "NOWSYNC_SMTP_PASSWORD"),
            (
                SecretName::ServiceNowOAuthClientSecret,
                "NOWSYNC_SERVICENOW_OAUTH_CLIENT_SECRET",
            ),
        ];
        for (name, env) in cases {
            assert_eq!(name.env_var(), env);
            assert_eq!(name.file_env_var(), format!("{env}_FILE"));
            assert_eq!(name.as_str().parse::<SecretName>().ok(), Some(name));
        }
        assert_eq!(SecretName::SmtpPassword.account("prod"), "prod/smtp-password");
        let err = "password".parse::<SecretName>().unwrap_err().to_string();
        assert!(err.contains("'password' is not a secret name"), "{err}");
    }

    #[test]
    fn source_words_are_the_status_words() {
        let words: Vec<String> = [
            Source::Env,
            Source::File,
            Source::Store(StoreKind::Keychain),
            Source::Store(StoreKind::CredentialManager),
            Source::Store(StoreKind::SecretService),
            Source::Store(StoreKind::Keyutils),
            Source::Store(StoreKind::Memory),
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            words,
            [
                "env",
                "file",
                "keychain",
                "credential-manager",
                "secret-service",
                "keyutils",
                "memory"
            ]
        );
    }
}

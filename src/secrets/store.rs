//! The [`SecretStore`] trait, the kinds of store, the profile's [`StoreChoice`], and the
//! in-memory store (for `nowsync demo` and tests).
//!
//! Terms: an *account* is `PROFILE/NAME`; every store files it under service `nowsync`.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

use secrecy::{ExposeSecret, SecretString};

use super::Secret;
use super::keyring::Unreachable;

/// Where secrets are kept, behind one interface. Implementations bound every OS call in time.
pub trait SecretStore: Send + Sync {
    fn kind(&self) -> StoreKind;
    /// The value of `account`, or `None` when the store has no such entry.
    fn get(&self, account: &str) -> Result<Option<Secret>, StoreError>;
    /// Whether `account` has an entry, without reading its value where the store allows it.
    fn contains(&self, account: &str) -> Result<bool, StoreError>;
    fn set(&self, account: &str, value: &Secret) -> Result<(), StoreError>;
    /// Deletes `account`; `false` when there was nothing to delete.
    fn delete(&self, account: &str) -> Result<bool, StoreError>;
}

/// A kind of store. `Display` gives the words of `nowsync secrets status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// macOS Keychain.
    Keychain,
    /// Windows Credential Manager.
    CredentialManager,
    /// The freedesktop Secret Service over D-Bus (GNOME Keyring, KWallet, KeePassXC).
    SecretService,
    /// The Linux kernel key retention service; cleared on reboot.
    Keyutils,
    /// Process memory; gone at exit.
    Memory,
}

impl StoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Keychain => "keychain",
            StoreKind::CredentialManager => "credential-manager",
            StoreKind::SecretService => "secret-service",
            StoreKind::Keyutils => "keyutils",
            StoreKind::Memory => "memory",
        }
    }

    /// The operating system the store exists on, for messages.
    fn platform(self) -> &'static str {
        match self {
            StoreKind::Keychain => "macOS",
            StoreKind::CredentialManager => "Windows",
            StoreKind::SecretService | StoreKind::Keyutils => "Linux",
            StoreKind::Memory => "any system",
        }
    }
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[profiles.P.secrets] store = ...`: which store a profile keeps its secrets in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StoreChoice {
    /// The platform's keyring: Keychain, Credential Manager, or the Secret Service on Linux.
    #[default]
    Auto,
    Store(StoreKind),
    /// No OS store: secrets come only from `NOWSYNC_<NAME>` / `NOWSYNC_<NAME>_FILE` (headless).
    Env,
}

impl StoreChoice {
    /// The words accepted in the configuration file and by `--store`.
    pub const WORDS: &'static str = "auto, secret-service, keyutils, keychain, credential-manager or env";

    pub fn as_str(self) -> &'static str {
        match self {
            StoreChoice::Auto => "auto",
            StoreChoice::Store(kind) => kind.as_str(),
            StoreChoice::Env => "env",
        }
    }

    /// The store `auto` means on this platform.
    pub fn platform_default() -> StoreKind {
        if cfg!(target_os = "macos") {
            StoreKind::Keychain
        } else if cfg!(target_os = "windows") {
            StoreKind::CredentialManager
        } else {
            StoreKind::SecretService
        }
    }

    /// The store this choice opens, or `None` for `env`.
    pub fn kind(self) -> Option<StoreKind> {
        match self {
            StoreChoice::Auto => Some(Self::platform_default()),
            StoreChoice::Store(kind) => Some(kind),
            StoreChoice::Env => None,
        }
    }
}

impl fmt::Display for StoreChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that is not a [`StoreChoice`]; the message lists the valid ones.
#[derive(Debug, thiserror::Error)]
#[error("'{0}' is not a secret store: expected {words}", words = StoreChoice::WORDS)]
pub struct UnknownStore(pub String);

impl FromStr for StoreChoice {
    type Err = UnknownStore;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "auto" => StoreChoice::Auto,
            "env" => StoreChoice::Env,
            "secret-service" => StoreChoice::Store(StoreKind::SecretService),
            "keyutils" => StoreChoice::Store(StoreKind::Keyutils),
            "keychain" => StoreChoice::Store(StoreKind::Keychain),
            "credential-manager" => StoreChoice::Store(StoreKind::CredentialManager),
            other => return Err(UnknownStore(other.to_owned())),
        })
    }
}

/// A store could not be opened or used. Never carries a secret's value.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    SecretServiceUnreachable(Unreachable),
    #[error(
        "the {kind} store exists only on {platform}: set [profiles.PROFILE.secrets] store = \"auto\" or pass --store {default}",
        platform = kind.platform(),
        default = StoreChoice::platform_default()
    )]
    Unsupported { kind: StoreKind },
    #[error(
        "the {kind} store did not answer within {seconds} s (a locked keyring waiting for an unlock prompt?): unlock it, or use NOWSYNC_<NAME> / NOWSYNC_<NAME>_FILE"
    )]
    Timeout { kind: StoreKind, seconds: u64 },
    #[error(
        "the {kind} store refused access ({detail}): {hint}",
        hint = access_hint(*kind)
    )]
    Denied { kind: StoreKind, detail: String },
    #[error("the {kind} store failed: {source}")]
    Platform {
        kind: StoreKind,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

fn access_hint(kind: StoreKind) -> &'static str {
    match kind {
        StoreKind::Keyutils => {
            "this process has no session keyring of its own (no pam_keyinit login, e.g. a service or `su`): run nowsync under `keyctl session - nowsync ...`, or use NOWSYNC_<NAME> / NOWSYNC_<NAME>_FILE"
        }
        StoreKind::SecretService => {
            "the keyring is locked: unlock it (`echo -n PASSWORD | gnome-keyring-daemon --unlock --replace`), or use NOWSYNC_<NAME> / NOWSYNC_<NAME>_FILE"
        }
        _ => "unlock the keyring or allow nowsync to use it",
    }
}

/// Secrets in process memory, zeroized when replaced, deleted or dropped.
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, SecretString>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, SecretString>> {
        // A panic while holding the lock cannot leave the map half-written: take it as it is.
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.entries().keys()).finish()
    }
}

impl SecretStore for MemoryStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Memory
    }

    fn get(&self, account: &str) -> Result<Option<Secret>, StoreError> {
        Ok(self.entries().get(account).map(|s| Secret::new(s.expose_secret())))
    }

    fn contains(&self, account: &str) -> Result<bool, StoreError> {
        Ok(self.entries().contains_key(account))
    }

    fn set(&self, account: &str, value: &Secret) -> Result<(), StoreError> {
        self.entries()
            .insert(account.to_owned(), SecretString::from(value.expose()));
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<bool, StoreError> {
        Ok(self.entries().remove(account).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_round_trip() {
        let store = MemoryStore::new();
        assert_eq!(store.get("p/servicenow-password").unwrap(), None);
        assert!(!store.contains("p/servicenow-password").unwrap());
        store.set("p/servicenow-password", &Secret::new("one")).unwrap();
        store.set("p/servicenow-password", &Secret::new("two")).unwrap();
        assert_eq!(
            store
                .get("p/servicenow-password")
                .unwrap()
                .map(|s| s.expose().to_owned()),
            Some("two".to_owned())
        );
        assert!(store.contains("p/servicenow-password").unwrap());
        assert!(!store.contains("q/servicenow-password").unwrap());
        assert!(store.delete("p/servicenow-password").unwrap());
        assert!(!store.delete("p/servicenow-password").unwrap());
        assert!(!format!("{store:?}").contains("two"));
    }

    #[test]
    fn store_words_round_trip() {
        for word in [
            "auto",
            "env",
            "secret-service",
            "keyutils",
            "keychain",
            "credential-manager",
        ] {
            assert_eq!(word.parse::<StoreChoice>().unwrap().as_str(), word);
        }
        let err = "vault".parse::<StoreChoice>().unwrap_err().to_string();
        assert_eq!(
            err,
            "'vault' is not a secret store: expected auto, secret-service, keyutils, keychain, credential-manager or env"
        );
        assert_eq!(StoreChoice::Env.kind(), None);
    }
}

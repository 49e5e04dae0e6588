//! The OS stores, through `keyring-core` and one store crate per platform: macOS Keychain,
//! Windows Credential Manager, and on Linux the Secret Service (pure-Rust zbus, no libdbus) and
//! the kernel keyutils store.
//!
//! Invariants: every call runs on its own thread and is abandoned after [`STORE_TIMEOUT`]: a
//! D-Bus provider waiting for an unlock prompt nobody can see must not hang a command. Errors
//! are rebuilt without the raw bytes some `keyring_core::Error` variants carry, so no secret
//! can reach a message or a `Debug` print.

use std::fmt;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use keyring_core::{CredentialStore, Entry};

use super::store::{SecretStore, StoreError, StoreKind};
use super::{SERVICE, Secret};

/// How long one call into an OS store may take.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(5);

/// An OS store reached through `keyring-core`.
pub(super) struct KeyringStore {
    kind: StoreKind,
    store: Arc<CredentialStore>,
}

/// Opens the OS store of `kind` on this platform; `Memory` is not an OS store.
pub(super) fn open(kind: StoreKind) -> Result<KeyringStore, StoreError> {
    let store: Arc<CredentialStore> = match kind {
        #[cfg(target_os = "linux")]
        StoreKind::SecretService => match bounded(kind, zbus_secret_service_keyring_store::Store::new) {
            Ok(store) => store,
            Err(Outcome::Failed(err)) => return Err(StoreError::SecretServiceUnreachable(Unreachable::from(&err))),
            Err(Outcome::TimedOut) => {
                return Err(StoreError::SecretServiceUnreachable(Unreachable {
                    reason: Reason::NoAnswer,
                }));
            }
        },
        #[cfg(target_os = "linux")]
        StoreKind::Keyutils => linux_keyutils_keyring_store::Store::new().map_err(|e| platform(kind, e))?,
        #[cfg(target_os = "macos")]
        StoreKind::Keychain => apple_native_keyring_store::keychain::Store::new().map_err(|e| platform(kind, e))?,
        #[cfg(target_os = "windows")]
        StoreKind::CredentialManager => windows_native_keyring_store::Store::new().map_err(|e| platform(kind, e))?,
        _ => return Err(StoreError::Unsupported { kind }),
    };
    Ok(KeyringStore { kind, store })
}

/// Why a bounded call produced no value.
enum Outcome {
    Failed(keyring_core::Error),
    TimedOut,
}

/// Runs `f` on its own thread and waits at most [`STORE_TIMEOUT`] for it. A thread that does
/// not finish is left behind; it holds no lock of ours and dies with the process.
fn bounded<T: Send + 'static>(
    kind: StoreKind,
    f: impl FnOnce() -> keyring_core::Result<T> + Send + 'static,
) -> Result<T, Outcome> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name(format!("nowsync-{kind}"))
        .spawn(move || {
            let _ = tx.send(f());
        });
    if let Err(e) = spawned {
        return Err(Outcome::Failed(keyring_core::Error::PlatformFailure(Box::new(e))));
    }
    match rx.recv_timeout(STORE_TIMEOUT) {
        Ok(result) => result.map_err(Outcome::Failed),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(Outcome::TimedOut),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(Outcome::Failed(keyring_core::Error::PlatformFailure(
            "the keyring call stopped without an answer".into(),
        ))),
    }
}

/// A store error as we report it: no raw secret bytes, a hint on what to do.
fn platform(kind: StoreKind, err: keyring_core::Error) -> StoreError {
    use keyring_core::Error as E;
    match err {
        E::NoStorageAccess(source) => StoreError::Denied {
            kind,
            detail: source.to_string(),
        },
        E::PlatformFailure(source) | E::BadDataFormat(_, source) => StoreError::Platform { kind, source },
        E::BadEncoding(_) => StoreError::Platform {
            kind,
            source: "the stored value is not UTF-8 text: set it again with `nowsync secrets set NAME`".into(),
        },
        other => StoreError::Platform {
            kind,
            source: other.to_string().into(),
        },
    }
}

impl KeyringStore {
    /// Runs one entry operation for `account`, bounded in time. `Ok(None)`: no such entry.
    fn call<T: Send + 'static>(
        &self,
        account: &str,
        op: impl FnOnce(&Entry) -> keyring_core::Result<T> + Send + 'static,
    ) -> Result<Option<T>, StoreError> {
        let store = Arc::clone(&self.store);
        let account = account.to_owned();
        let result = bounded(self.kind, move || {
            let entry = Entry::new_in_store(&store, SERVICE, &account)?;
            op(&entry)
        });
        match result {
            Ok(value) => Ok(Some(value)),
            Err(Outcome::Failed(keyring_core::Error::NoEntry)) => Ok(None),
            Err(Outcome::Failed(err)) => Err(platform(self.kind, err)),
            Err(Outcome::TimedOut) => Err(StoreError::Timeout {
                kind: self.kind,
                seconds: STORE_TIMEOUT.as_secs(),
            }),
        }
    }
}

impl SecretStore for KeyringStore {
    fn kind(&self) -> StoreKind {
        self.kind
    }

    fn get(&self, account: &str) -> Result<Option<Secret>, StoreError> {
        self.call(account, |e| e.get_password().map(Secret::new))
    }

    fn contains(&self, account: &str) -> Result<bool, StoreError> {
        // get_credential finds the entry without decrypting or reading its value.
        Ok(self.call(account, |e| e.get_credential().map(|_| ()))?.is_some())
    }

    fn set(&self, account: &str, value: &Secret) -> Result<(), StoreError> {
        let value = value.clone();
        self.call(account, move |e| e.set_password(value.expose()))?;
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<bool, StoreError> {
        Ok(self.call(account, |e| e.delete_credential())?.is_some())
    }
}

/// The Secret Service cannot be used; `Display` says why and offers the ways out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreachable {
    pub reason: Reason,
}

/// Why the Secret Service is unreachable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// `DBUS_SESSION_BUS_ADDRESS` is not set and there is no user bus: the usual SSH case.
    NoBusAddress,
    /// A bus address is set but nothing answers there.
    BusNotAnswering {
        detail: String,
    },
    /// The bus answers, but no provider owns `org.freedesktop.secrets`.
    NoProvider,
    /// Nothing answered within [`STORE_TIMEOUT`].
    NoAnswer,
    Other {
        detail: String,
    },
}

impl From<&keyring_core::Error> for Unreachable {
    fn from(err: &keyring_core::Error) -> Self {
        let mut detail = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            detail.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        // zbus reports a missing provider as D-Bus's ServiceUnknown error; connection failures
        // (no socket, refused) come before any method call.
        let reason = if detail.contains("ServiceUnknown") || detail.contains("org.freedesktop.secrets") {
            Reason::NoProvider
        } else if detail.contains("MethodError") {
            Reason::Other { detail }
        } else if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none_or(|v| v.is_empty()) {
            Reason::NoBusAddress
        } else {
            Reason::BusNotAnswering { detail }
        };
        Unreachable { reason }
    }
}

/// The one-line command that starts a provider for the current shell.
pub const START_PROVIDER: &str = "eval $(dbus-launch --sh-syntax); echo -n 'KEYRING-PASSWORD' | gnome-keyring-daemon --unlock --components=secrets --daemonize";

impl fmt::Display for Unreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the Secret Service (the desktop keyring, over D-Bus) is not reachable: ")?;
        match &self.reason {
            Reason::NoBusAddress => f.write_str(
                "there is no session bus (DBUS_SESSION_BUS_ADDRESS is not set and XDG_RUNTIME_DIR has no bus); this is usual over SSH",
            )?,
            Reason::BusNotAnswering { detail } => {
                write!(f, "the session bus in DBUS_SESSION_BUS_ADDRESS does not answer ({detail})")?
            }
            Reason::NoProvider => f.write_str(
                "the session bus answers, but no Secret Service provider (gnome-keyring, KWallet, KeePassXC) runs on it",
            )?,
            Reason::NoAnswer => write!(f, "it did not answer within {} s", STORE_TIMEOUT.as_secs())?,
            Reason::Other { detail } => f.write_str(detail)?,
        }
        write!(
            f,
            ".\nWays out:\n\
             \x20 - keyutils, the Linux kernel keyring: always there, but cleared on reboot. Choose it for this profile \
             (saved in the configuration file): nowsync secrets set NAME --store keyutils\n\
             \x20 - start a provider in this shell, then run nowsync again: {START_PROVIDER}\n\
             \x20 - headless (systemd, cron, containers): set NOWSYNC_<NAME>, or NOWSYNC_<NAME>_FILE to a file holding \
             the secret (e.g. from systemd LoadCredential=), and put store = \"env\" under [profiles.PROFILE.secrets]"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_provider_is_told_apart() {
        let err = keyring_core::Error::PlatformFailure(
            "zbus error: org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files".into(),
        );
        assert_eq!(Unreachable::from(&err).reason, Reason::NoProvider);
    }

    #[test]
    fn explanation_offers_every_way_out() {
        let text = Unreachable {
            reason: Reason::NoBusAddress,
        }
        .to_string();
        for want in [
            "DBUS_SESSION_BUS_ADDRESS is not set",
            "keyutils",
            "cleared on reboot",
            "--store keyutils",
            "gnome-keyring-daemon --unlock",
            "NOWSYNC_<NAME>_FILE",
            "store = \"env\"",
        ] {
            assert!(text.contains(want), "missing {want:?} in:\n{text}");
        }
    }

    #[test]
    fn bad_encoding_never_carries_the_bytes() {
        let err = platform(
            StoreKind::Keyutils,
            keyring_core::Error::BadEncoding(b"hunter2\xff".to_vec()),
        );
        assert!(!format!("{err:?}").contains("104, 117, 110"), "{err:?}");
        assert!(err.to_string().contains("not UTF-8"));
    }
}

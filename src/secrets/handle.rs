//! [`Secrets`]: one profile's secrets, looked up in order (env, file, store), set, deleted and
//! reported by `nowsync secrets status`.
//!
//! Invariants: the store is opened only when a lookup gets past the environment, so a
//! headless run with `NOWSYNC_<NAME>` set never touches D-Bus. `status` never prompts and never
//! reads a value. Nothing is stored unless [`Secrets::set`] is called.

use std::fmt;
use std::io::IsTerminal;
use std::sync::{Arc, OnceLock};

use super::env::{env_source, from_env};
use super::keyring;
use super::store::{MemoryStore, SecretStore, StoreChoice, StoreError, StoreKind};
use super::{Env, Secret, SecretError, SecretName, Source};

/// The secrets of one profile.
pub struct Secrets {
    profile: String,
    choice: StoreChoice,
    env: Env,
    interactive: bool,
    store: OnceLock<Arc<dyn SecretStore>>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets")
            .field("profile", &self.profile)
            .field("choice", &self.choice)
            .field("env", &self.env)
            .finish_non_exhaustive()
    }
}

/// Looks `name` up for `profile`: `NOWSYNC_<NAME>`, then `NOWSYNC_<NAME>_FILE`, then the store.
/// `Ok(None)`: set nowhere.
pub fn lookup(profile: &str, name: SecretName, store: &StoreChoice) -> Result<Option<(Secret, Source)>, SecretError> {
    Secrets::new(profile, *store).lookup(name)
}

impl Secrets {
    /// The secrets of `profile`, kept in the store `choice` names, read from the process
    /// environment; prompts are allowed when stdin is a terminal.
    pub fn new(profile: &str, choice: StoreChoice) -> Self {
        Self {
            profile: profile.to_owned(),
            choice,
            env: Env::Process,
            interactive: std::io::stdin().is_terminal(),
            store: OnceLock::new(),
        }
    }

    /// The secrets of `profile` in a store already open (the in-memory store of `demo`, tests).
    pub fn with_store(profile: &str, store: Arc<dyn SecretStore>) -> Self {
        let secrets = Self::new(profile, StoreChoice::Store(store.kind()));
        let _ = secrets.store.set(store);
        secrets
    }

    /// The secrets of `profile` in a fresh in-memory store.
    pub fn in_memory(profile: &str) -> Self {
        Self::with_store(profile, Arc::new(MemoryStore::new()))
    }

    /// Reads `env` instead of the process environment.
    pub fn with_env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }

    /// Whether [`Secrets::get_or_prompt`] may ask on the terminal.
    pub fn with_interactive(mut self, interactive: bool) -> Self {
        self.interactive = interactive;
        self
    }

    pub fn profile(&self) -> &str {
        &self.profile
    }

    pub fn choice(&self) -> StoreChoice {
        self.choice
    }

    /// The profile's store, opened on first use; `None` when the profile uses `store = "env"`.
    pub fn store(&self) -> Result<Option<Arc<dyn SecretStore>>, StoreError> {
        let Some(kind) = self.choice.kind() else {
            return Ok(None);
        };
        if let Some(store) = self.store.get() {
            return Ok(Some(Arc::clone(store)));
        }
        let opened: Arc<dyn SecretStore> = match kind {
            StoreKind::Memory => Arc::new(MemoryStore::new()),
            kind => Arc::new(keyring::open(kind)?),
        };
        Ok(Some(Arc::clone(self.store.get_or_init(|| opened))))
    }

    /// The secret and where it came from: `NOWSYNC_<NAME>`, then `NOWSYNC_<NAME>_FILE`, then
    /// the store. `Ok(None)`: set nowhere.
    pub fn lookup(&self, name: SecretName) -> Result<Option<(Secret, Source)>, SecretError> {
        if let Some(found) = from_env(&self.env, name)? {
            tracing::debug!(secret = %name, profile = %self.profile, source = %found.1, "secret found");
            return Ok(Some(found));
        }
        let Some(store) = self.store()? else {
            return Ok(None);
        };
        let found = store.get(&name.account(&self.profile))?;
        let found = found.map(|s| (s, Source::Store(store.kind())));
        if let Some((_, source)) = &found {
            tracing::debug!(secret = %name, profile = %self.profile, %source, "secret found");
        }
        Ok(found)
    }

    /// The secret, else (on a terminal) a hidden prompt for it. A prompted value is not stored.
    ///
    /// Blocks for up to [`super::STORE_TIMEOUT`] per store call: from async code, call it
    /// before starting the work or inside `spawn_blocking`.
    ///
    /// When the store cannot be reached, a terminal user is told why and asked; without a
    /// terminal the store's error is returned, with its ways out.
    pub fn get_or_prompt(&self, name: SecretName) -> Result<(Secret, Source), SecretError> {
        match self.lookup(name) {
            Ok(Some(found)) => return Ok(found),
            Ok(None) if !self.interactive => return Err(self.missing(name)),
            Ok(None) => {}
            Err(SecretError::Store(e)) if self.interactive => eprintln!("note: {e}\n"),
            // Without a terminal the caller needs the variable to set as much as the store's
            // reason: name both.
            Err(SecretError::Store(source)) => {
                return Err(SecretError::Unavailable {
                    name,
                    profile: self.profile.clone(),
                    env: name.env_var(),
                    source,
                });
            }
            Err(e) => return Err(e),
        }
        let prompt = format!("{name} for profile '{}' (not stored): ", self.profile);
        prompt_hidden(name, &self.profile, &prompt).map(|s| (s, Source::Prompt))
    }

    /// Stores `value` in the profile's store and says which store that was.
    pub fn set(&self, name: SecretName, value: &Secret) -> Result<StoreKind, SecretError> {
        if value.expose().is_empty() {
            return Err(SecretError::Empty { name });
        }
        let store = self.writable(name)?;
        store.set(&name.account(&self.profile), value)?;
        Ok(store.kind())
    }

    /// Deletes the secret from the profile's store; `false` when it held none.
    pub fn delete(&self, name: SecretName) -> Result<bool, SecretError> {
        let store = self.writable(name)?;
        Ok(store.delete(&name.account(&self.profile))?)
    }

    /// The store `set` and `delete` of `name` would use: an error for `store = "env"` (with the
    /// ways out) or a store that cannot be opened.
    pub fn writable(&self, name: SecretName) -> Result<Arc<dyn SecretStore>, SecretError> {
        self.store()?.ok_or_else(|| self.env_only(name))
    }

    /// Where each of `names` is set, without prompting and without reading any value.
    pub fn status(&self, names: &[SecretName]) -> StatusReport {
        let mut problem = None;
        let store = match self.store() {
            Ok(store) => store,
            Err(e) => {
                problem = Some(e);
                None
            }
        };
        let fallback = match self.choice.kind() {
            Some(kind) => Source::Store(kind),
            None => Source::Env,
        };
        let mut lines = Vec::new();
        for &name in names {
            let (state, source) = if let Some(source) = env_source(&self.env, name) {
                (State::Set, source)
            } else if let Some(store) = store.as_ref().filter(|_| problem.is_none()) {
                // After one failure (a timeout, a locked keyring) the store is not asked again:
                // status must stay quick.
                match store.contains(&name.account(&self.profile)) {
                    Ok(true) => (State::Set, fallback),
                    Ok(false) => (State::NotSet, fallback),
                    Err(e) => {
                        problem = Some(e);
                        (State::Unknown, fallback)
                    }
                }
            } else if problem.is_some() {
                (State::Unknown, fallback)
            } else {
                (State::NotSet, fallback)
            };
            lines.push(StatusLine { name, state, source });
        }
        StatusReport {
            profile: self.profile.clone(),
            choice: self.choice,
            lines,
            problem,
        }
    }

    fn missing(&self, name: SecretName) -> SecretError {
        SecretError::Missing {
            name,
            profile: self.profile.clone(),
            env: name.env_var(),
        }
    }

    fn env_only(&self, name: SecretName) -> SecretError {
        SecretError::EnvOnly {
            name,
            profile: self.profile.clone(),
            env: name.env_var(),
        }
    }
}

/// Asks for `name` on the terminal with echo off. Not a terminal: [`SecretError::Missing`].
pub(super) fn prompt_hidden(name: SecretName, profile: &str, prompt: &str) -> Result<Secret, SecretError> {
    if !std::io::stdin().is_terminal() {
        return Err(SecretError::Missing {
            name,
            profile: profile.to_owned(),
            env: name.env_var(),
        });
    }
    let value = rpassword::prompt_password(prompt).map_err(|source| SecretError::Prompt { name, source })?;
    let value = Secret::new(value);
    if value.expose().is_empty() {
        return Err(SecretError::Empty { name });
    }
    Ok(value)
}

/// Whether a secret is set, as `status` can tell without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Set,
    NotSet,
    /// The store could not be asked.
    Unknown,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            State::Set => "set",
            State::NotSet => "not set",
            State::Unknown => "unknown",
        })
    }
}

/// One line of `nowsync secrets status`. For a secret that is not set, `source` is where it
/// would be looked for last: the profile's store, or `env`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    pub name: SecretName,
    pub state: State,
    pub source: Source,
}

/// What `nowsync secrets status` prints: a header, one line per secret, and the store's
/// problem with its ways out, if any.
#[derive(Debug)]
pub struct StatusReport {
    pub profile: String,
    pub choice: StoreChoice,
    pub lines: Vec<StatusLine>,
    pub problem: Option<StoreError>,
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "profile '{}', store: {}", self.profile, self.choice)?;
        if self.choice == StoreChoice::Auto {
            write!(f, " ({})", StoreChoice::platform_default())?;
        }
        writeln!(f)?;
        for line in &self.lines {
            writeln!(f, "{:<32} {:<8} {}", line.name.as_str(), line.state, line.source)?;
        }
        if let Some(problem) = &self.problem {
            writeln!(f, "\n{problem}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

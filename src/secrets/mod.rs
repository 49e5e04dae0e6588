//! Secrets: the [`Secret`] wrapper that never prints its value, and where a secret comes from.
//!
//! Invariant: a secret's value reaches only the request that needs it. `Debug` and `Display`
//! print `***`; nothing here logs.
//! The OS keyring stores arrive with the credentials work; today a secret comes from its
//! environment variable or, on a terminal, a hidden prompt.

use std::fmt;
use std::io::IsTerminal;

/// A secret value (password, client secret). Prints as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

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

/// Where a secret was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Env,
    Prompt,
}

/// A secret could not be had.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("secret '{name}' is not set: set the environment variable {env}, or run on a terminal to be asked for it")]
    Missing { name: String, env: String },
    #[error("could not read secret '{name}' from the terminal: {source}")]
    Prompt {
        name: String,
        #[source]
        source: std::io::Error,
    },
}

/// Reads a secret from its environment variable, else asks on the terminal with echo off.
///
/// `name` is the secret's name (`servicenow-password`); `env` its variable
/// (`NOWSYNC_SERVICENOW_PASSWORD`); `prompt` what the terminal shows.
pub fn from_env_or_prompt(name: &str, env: &str, prompt: &str) -> Result<(Secret, Source), SecretError> {
    if let Ok(value) = std::env::var(env)
        && !value.is_empty()
    {
        return Ok((Secret::new(value), Source::Env));
    }
    if !std::io::stdin().is_terminal() {
        return Err(SecretError::Missing {
            name: name.to_owned(),
            env: env.to_owned(),
        });
    }
    let value = rpassword::prompt_password(prompt).map_err(|source| SecretError::Prompt {
        name: name.to_owned(),
        source,
    })?;
    Ok((Secret::new(value), Source::Prompt))
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
}

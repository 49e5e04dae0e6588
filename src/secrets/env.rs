//! The first steps of a lookup: `NOWSYNC_<NAME>`, then the file named by
//! `NOWSYNC_<NAME>_FILE`, then a systemd credential: the file `<name>` (e.g.
//! `servicenow-password`) in `$CREDENTIALS_DIRECTORY`, which `LoadCredential=` fills
//! (systemd.exec(5), "Credentials").
//!
//! The environment is a value ([`Env`]), not a global: tests pass a map, so they never race on
//! the process environment.

use std::collections::HashMap;
use std::path::PathBuf;

use super::{Secret, SecretError, SecretName, Source};

/// The environment a lookup reads: the process's, or a fixed map (tests).
#[derive(Clone, Default)]
pub enum Env {
    #[default]
    Process,
    Map(HashMap<String, String>),
}

impl Env {
    pub fn process() -> Self {
        Env::Process
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Env::Map(pairs.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
    }

    /// The variable's value; unset, empty and non-UTF-8 all count as absent.
    pub fn get(&self, key: &str) -> Option<String> {
        let value = match self {
            Env::Process => std::env::var(key).ok(),
            Env::Map(map) => map.get(key).cloned(),
        };
        value.filter(|v| !v.is_empty())
    }
}

// Values may be secrets: Debug shows the variable names only.
impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Env::Process => f.write_str("Env::Process"),
            Env::Map(map) => f.debug_set().entries(map.keys()).finish(),
        }
    }
}

/// Where the environment would supply `name` from, without reading any value: for `status`.
pub(super) fn env_source(env: &Env, name: SecretName) -> Option<Source> {
    if env.get(&name.env_var()).is_some() {
        Some(Source::Env)
    } else if env.get(&name.file_env_var()).is_some() || credential_path(env, name).is_some() {
        Some(Source::File)
    } else {
        None
    }
}

/// `$CREDENTIALS_DIRECTORY/<name>` when systemd passed that credential (a unit may pass only
/// some of a profile's secrets: an absent file is not an error).
fn credential_path(env: &Env, name: SecretName) -> Option<PathBuf> {
    let path = PathBuf::from(env.get("CREDENTIALS_DIRECTORY")?).join(name.as_str());
    path.is_file().then_some(path)
}

/// The secret from `NOWSYNC_<NAME>` or the file `NOWSYNC_<NAME>_FILE` names, if either is set.
///
/// A `_FILE` variable that names an unreadable or empty file is an error, not a fall-through:
/// the admin asked for that file.
pub(super) fn from_env(env: &Env, name: SecretName) -> Result<Option<(Secret, Source)>, SecretError> {
    if let Some(value) = env.get(&name.env_var()) {
        return Ok(Some((Secret::new(value), Source::Env)));
    }
    let (var, path) = match env.get(&name.file_env_var()).map(PathBuf::from) {
        Some(path) => (name.file_env_var(), path),
        None => match credential_path(env, name) {
            Some(path) => ("CREDENTIALS_DIRECTORY".to_owned(), path),
            None => return Ok(None),
        },
    };
    let mut value = match std::fs::read_to_string(&path) {
        Ok(value) => value,
        Err(source) => return Err(SecretError::File { var, path, source }),
    };
    // Files written by `echo` or editors end with one newline that is not part of the secret.
    if value.ends_with('\n') {
        value.pop();
        if value.ends_with('\r') {
            value.pop();
        }
    }
    if value.is_empty() {
        return Err(SecretError::EmptyFile { var, path });
    }
    Ok(Some((Secret::new(value), Source::File)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: SecretName = SecretName::ServiceNowPassword;

    #[test]
    fn env_var_wins_over_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "from-file\n").unwrap();
        let path = file.to_str().unwrap();
        let env = Env::from_pairs([
            ("NOWSYNC_SERVICENOW_PASSWORD", "from-env"),
            ("NOWSYNC_SERVICENOW_PASSWORD_FILE", path),
        ]);
        let (secret, source) = from_env(&env, NAME).unwrap().unwrap();
        assert_eq!((secret.expose(), source), ("from-env", Source::Env));
        assert_eq!(env_source(&env, NAME), Some(Source::Env));
    }

    #[test]
    fn file_trims_exactly_one_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("a\n", "a"),
            ("a\r\n", "a"),
            ("a\n\n", "a\n"),
            ("a", "a"),
            (" a b ", " a b "),
        ];
        for (contents, want) in cases {
            let file = dir.path().join("pw");
            std::fs::write(&file, contents).unwrap();
            let env = Env::from_pairs([("NOWSYNC_SERVICENOW_PASSWORD_FILE", file.to_str().unwrap())]);
            let (secret, source) = from_env(&env, NAME).unwrap().unwrap();
            assert_eq!((secret.expose(), source), (want, Source::File), "{contents:?}");
        }
    }

    #[test]
    fn a_systemd_credential_is_read_after_the_variables() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("servicenow-password"), "from-systemd\n").unwrap();
        let creds = dir.path().to_str().unwrap();
        let env = Env::from_pairs([("CREDENTIALS_DIRECTORY", creds)]);
        let (secret, source) = from_env(&env, NAME).unwrap().unwrap();
        assert_eq!((secret.expose(), source), ("from-systemd", Source::File));
        assert_eq!(env_source(&env, NAME), Some(Source::File));
        // A credential the unit does not pass falls through to the store.
        assert!(from_env(&env, SecretName::GraphClientSecret).unwrap().is_none());
        assert_eq!(env_source(&env, SecretName::GraphClientSecret), None);
        // The variables win.
        let env = Env::from_pairs([("CREDENTIALS_DIRECTORY", creds), ("NOWSYNC_SERVICENOW_PASSWORD", "v")]);
        assert_eq!(from_env(&env, NAME).unwrap().unwrap().0.expose(), "v");
    }

    #[test]
    fn empty_env_var_counts_as_unset() {
        let env = Env::from_pairs([("NOWSYNC_SERVICENOW_PASSWORD", "")]);
        assert!(from_env(&env, NAME).unwrap().is_none());
        assert_eq!(env_source(&env, NAME), None);
    }

    #[test]
    fn missing_or_empty_file_is_an_error_naming_the_variable() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let env = Env::from_pairs([("NOWSYNC_GRAPH_CLIENT_SECRET_FILE", missing.to_str().unwrap())]);
        let err = from_env(&env, SecretName::GraphClientSecret).unwrap_err().to_string();
        assert!(err.contains("NOWSYNC_GRAPH_CLIENT_SECRET_FILE names the file"), "{err}");
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        let env = Env::from_pairs([("NOWSYNC_GRAPH_CLIENT_SECRET_FILE", empty.to_str().unwrap())]);
        let err = from_env(&env, SecretName::GraphClientSecret).unwrap_err().to_string();
        assert!(err.contains("which is empty"), "{err}");
    }

    #[test]
    fn debug_shows_names_not_values() {
        let env = Env::from_pairs([("NOWSYNC_SMTP_PASSWORD", "hunter2")]);
        let text = format!("{env:?}");
        assert!(
            text.contains("NOWSYNC_SMTP_PASSWORD") && !text.contains("hunter2"),
            "{text}"
        );
    }
}

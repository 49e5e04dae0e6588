//! The one place a profile's connection credentials are built, from the sources its resolved
//! configuration names ([`CredentialSources`]): for the engine (`sync --once`, `run`, the
//! console), `test-connection` and the console's start alike; the ServiceNow side's `Auth`
//! through [`servicenow_auth`], which the setup wizard's test connection uses too (its
//! secrets come from its fields).

use crate::config::{CredentialSources, ServiceNowAuth};
use crate::secrets::{Secret, SecretError, SecretName, Secrets};
use crate::servicenow::Auth;

/// The secrets of a profile's configured sides, read before anything connects.
#[derive(Clone)]
pub struct Credentials {
    /// `[servicenow]`: Basic, or OAuth with its client secret.
    pub servicenow: Option<Auth>,
    /// `[entra]`: the app's client secret.
    pub graph_client_secret: Option<Secret>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(***)")
    }
}

/// Whether a missing secret may be asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// A hidden prompt when stdin is a terminal (and `secrets` allows it): the headless
    /// commands run by hand.
    OnTerminal,
    /// Never: the console (its terminal is in raw mode) and anything unattended.
    Never,
}

/// Builds the credentials of every side `sources` configures: each secret from the
/// environment, its `_FILE`, the profile's store, else (with [`Prompt::OnTerminal`]) a hidden
/// prompt; a secret set nowhere is an error naming the variable to set. Blocking (store
/// calls): call it before the runtime works, or in `spawn_blocking`.
pub fn read_credentials(
    sources: &CredentialSources,
    secrets: &Secrets,
    prompt: Prompt,
) -> Result<Credentials, SecretError> {
    let get = |name: SecretName| match prompt {
        Prompt::OnTerminal => secrets.get_or_prompt(name).map(|(secret, _)| secret),
        Prompt::Never => secrets
            .lookup(name)?
            .map(|(secret, _)| secret)
            .ok_or_else(|| SecretError::Missing {
                name,
                profile: sources.profile.clone(),
                env: name.env_var(),
            }),
    };
    let servicenow = match &sources.servicenow {
        None => None,
        Some((username, kind)) => Some(servicenow_auth(
            username,
            kind,
            || get(SecretName::ServiceNowPassword),
            || get(SecretName::ServiceNowOAuthClientSecret),
        )?),
    };
    let graph_client_secret = if sources.entra {
        Some(get(SecretName::GraphClientSecret)?)
    } else {
        None
    };
    Ok(Credentials {
        servicenow,
        graph_client_secret,
    })
}

/// ServiceNow's `Auth` for how the profile signs in (`kind`): Basic with the password, or the
/// OAuth password grant with the client secret (asked first) and the password. Each secret is
/// asked for only when `kind` needs it.
pub fn servicenow_auth<E>(
    username: &str,
    kind: &ServiceNowAuth,
    password: impl FnOnce() -> Result<Secret, E>,
    client_secret: impl FnOnce() -> Result<Secret, E>,
) -> Result<Auth, E> {
    Ok(match kind {
        ServiceNowAuth::Basic => Auth::Basic {
            username: username.to_owned(),
            password: password()?,
        },
        ServiceNowAuth::OAuth { client_id } => Auth::OAuth {
            client_id: client_id.clone(),
            client_secret: client_secret()?,
            username: username.to_owned(),
            password: password()?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::Env;

    fn sources(auth: Option<ServiceNowAuth>, entra: bool) -> CredentialSources {
        CredentialSources {
            profile: "p".into(),
            store: crate::secrets::StoreChoice::Env,
            servicenow: auth.map(|a| ("admin".to_owned(), a)),
            entra,
        }
    }

    fn secrets(vars: &[(&str, &str)]) -> Secrets {
        let env = Env::Map(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect());
        Secrets::new("p", crate::secrets::StoreChoice::Env)
            .with_env(env)
            .with_interactive(false)
    }

    #[test]
    fn each_configured_side_gets_its_secrets_and_a_missing_one_names_its_variable() {
        let oauth = ServiceNowAuth::OAuth {
            client_id: "cid".into(),
        };
        let vars = [
            ("NOWSYNC_SERVICENOW_PASSWORD", "pw"),
            ("NOWSYNC_SERVICENOW_OAUTH_CLIENT_SECRET", "cs"),
        ];
        let c = read_credentials(&sources(Some(oauth), false), &secrets(&vars), Prompt::OnTerminal).unwrap();
        assert!(matches!(c.servicenow, Some(Auth::OAuth { ref client_id, .. }) if client_id == "cid"));
        assert!(c.graph_client_secret.is_none());
        let err = read_credentials(
            &sources(Some(ServiceNowAuth::Basic), true),
            &secrets(&vars),
            Prompt::Never,
        )
        .unwrap_err();
        assert!(err.to_string().contains("NOWSYNC_GRAPH_CLIENT_SECRET"), "{err}");
        let none = read_credentials(&sources(None, false), &secrets(&[]), Prompt::Never).unwrap();
        assert!(none.servicenow.is_none() && none.graph_client_secret.is_none());
    }

    #[test]
    fn servicenow_auth_asks_only_what_its_kind_needs_the_client_secret_first() {
        let asked = std::cell::RefCell::new(Vec::new());
        let ask = |what: &'static str| {
            let asked = &asked;
            move || {
                asked.borrow_mut().push(what);
                Ok::<_, &str>(Secret::new(what))
            }
        };
        let basic = servicenow_auth("admin", &ServiceNowAuth::Basic, ask("password"), ask("client secret")).unwrap();
        assert!(matches!(basic, Auth::Basic { ref username, .. } if username == "admin"));
        assert_eq!(*asked.borrow(), ["password"]);
        asked.borrow_mut().clear();
        let oauth = ServiceNowAuth::OAuth {
            client_id: "cid".into(),
        };
        let auth = servicenow_auth("admin", &oauth, ask("password"), ask("client secret")).unwrap();
        assert!(
            matches!(auth, Auth::OAuth { ref client_id, ref username, .. } if client_id == "cid" && username == "admin")
        );
        assert_eq!(*asked.borrow(), ["client secret", "password"]);
        let refused = servicenow_auth("admin", &oauth, ask("password"), || Err::<Secret, _>("no secret"));
        assert_eq!(refused.unwrap_err(), "no secret");
    }
}

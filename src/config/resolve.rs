//! Raw TOML to validated [`Config`]: every check that can fail names the key path, quotes the
//! bad value and says what is expected.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::bounds;
use super::raw::{RawConfig, RawEntra, RawNotification, RawProfile, RawSecrets, RawServiceNow};
use super::{
    Cloud, Config, ConfigError, Entra, Notification, Profile, SecretsSettings, ServiceNow, ServiceNowAuth, SmtpTls,
};
use crate::secrets::StoreChoice;
use crate::servicenow::Instance;

pub fn resolve(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let value: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError::Syntax {
        path: path.to_owned(),
        message: e.to_string().trim_end().to_owned(),
    })?;
    let raw: RawConfig =
        serde_path_to_error::deserialize(toml::Value::Table(value)).map_err(|e| shape_error(path, &e))?;
    let mut profiles = std::collections::BTreeMap::new();
    for (name, raw_profile) in raw.profiles {
        let ctx = Ctx {
            path: path.to_owned(),
            prefix: format!("profiles.{name}"),
        };
        let profile = ctx.profile(&name, raw_profile)?;
        profiles.insert(name, profile);
    }
    Ok(Config {
        path: path.to_owned(),
        profiles,
    })
}

/// Turns serde's "unknown field `x`" or "invalid type" into a message with the full key path.
fn shape_error(path: &Path, e: &serde_path_to_error::Error<toml::de::Error>) -> ConfigError {
    let at = e.path().to_string();
    let inner = e.inner().to_string();
    // toml appends "in `table`" on a second line; the key path below says it better.
    let inner = inner.lines().next().unwrap_or_default().trim_end();
    if let Some(rest) = inner.strip_prefix("unknown field `")
        && let Some((field, expected)) = rest.split_once('`')
    {
        let key = if at == "." || at.is_empty() {
            field.to_owned()
        } else if at == field || at.ends_with(&format!(".{field}")) {
            at.clone()
        } else {
            format!("{at}.{field}")
        };
        let expected = expected.trim_start_matches(", ");
        if matches!(field, "password" | "client_secret" | "secret" | "smtp_password") {
            return ConfigError::Invalid {
                path: path.to_owned(),
                key,
                value: "(unknown key)".to_owned(),
                expected: "secrets are never kept in the configuration file: set them with the environment \
                           (NOWSYNC_SERVICENOW_PASSWORD, NOWSYNC_GRAPH_CLIENT_SECRET) or the OS keyring"
                    .to_owned(),
            };
        }
        return ConfigError::Invalid {
            path: path.to_owned(),
            key,
            value: "(unknown key)".to_owned(),
            expected: format!("not a nowsync setting; {expected}"),
        };
    }
    ConfigError::Invalid {
        path: path.to_owned(),
        key: at,
        value: "(wrong type)".to_owned(),
        expected: inner.to_owned(),
    }
}

struct Ctx {
    path: PathBuf,
    prefix: String,
}

impl Ctx {
    fn key(&self, section: &str, key: &str) -> String {
        format!("{}.{section}.{key}", self.prefix)
    }

    fn invalid(
        &self,
        section: &str,
        key: &str,
        value: impl std::fmt::Display,
        expected: impl Into<String>,
    ) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.clone(),
            key: self.key(section, key),
            value: format!("'{value}'"),
            expected: expected.into(),
        }
    }

    fn required<T>(&self, section: &str, key: &str, v: Option<T>, expected: &str) -> Result<T, ConfigError> {
        v.ok_or_else(|| ConfigError::Missing {
            path: self.path.clone(),
            key: self.key(section, key),
            expected: expected.to_owned(),
        })
    }

    /// A key that takes one of a few words; absent, the first of `choices`.
    fn choice<T: Copy>(
        &self,
        section: &str,
        key: &str,
        raw: Option<&str>,
        choices: &[(&str, T)],
        expected: &str,
    ) -> Result<T, ConfigError> {
        let word = raw.unwrap_or(choices[0].0);
        match choices.iter().find(|(w, _)| *w == word) {
            Some(&(_, value)) => Ok(value),
            None => Err(self.invalid(section, key, word, expected)),
        }
    }

    fn ranged(
        &self,
        section: &str,
        key: &str,
        v: Option<i64>,
        default: i64,
        lo: i64,
        hi: i64,
    ) -> Result<i64, ConfigError> {
        let v = v.unwrap_or(default);
        if (lo..=hi).contains(&v) {
            Ok(v)
        } else {
            Err(self.invalid(section, key, v, format!("expected a whole number from {lo} to {hi}")))
        }
    }

    fn profile(&self, name: &str, raw: RawProfile) -> Result<Profile, ConfigError> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(ConfigError::Invalid {
                path: self.path.clone(),
                key: self.prefix.clone(),
                value: format!("'{name}'"),
                expected: "a profile name uses only letters, digits, '-' and '_'".to_owned(),
            });
        }
        Ok(Profile {
            name: name.to_owned(),
            servicenow: raw.servicenow.map(|s| self.servicenow(s)).transpose()?,
            entra: raw.entra.map(|e| self.entra(e)).transpose()?,
            provisioning: raw
                .provisioning
                .map(|p| self.provisioning(p))
                .transpose()?
                .unwrap_or_default(),
            notification: raw.notification.map(|n| self.notification(n)).transpose()?,
            secrets: raw.secrets.map(|s| self.secrets(s)).transpose()?.unwrap_or_default(),
        })
    }

    fn servicenow(&self, raw: RawServiceNow) -> Result<ServiceNow, ConfigError> {
        const S: &str = "servicenow";
        let instance_text = self.required(
            S,
            "instance",
            raw.instance,
            "a bare instance name (dev35214) or a full URL",
        )?;
        let allow_insecure_http = raw.allow_insecure_http.unwrap_or(false);
        let instance = Instance::parse(&instance_text, allow_insecure_http)
            .map_err(|e| self.invalid(S, "instance", &instance_text, e.to_string()))?;
        let username = self.required(S, "username", raw.username, "the ServiceNow admin account's user name")?;
        if username.trim().is_empty() || username.contains(':') {
            return Err(self.invalid(S, "username", &username, "a non-empty user name without ':'"));
        }
        let auth = match raw.auth.as_deref().unwrap_or("basic") {
            "basic" => {
                if raw.oauth_client_id.is_some() {
                    return Err(self.invalid(S, "oauth_client_id", "…", "only used with auth = \"oauth\""));
                }
                ServiceNowAuth::Basic
            }
            "oauth" => ServiceNowAuth::OAuth {
                client_id: self.required(
                    S,
                    "oauth_client_id",
                    raw.oauth_client_id,
                    "the OAuth application's client id (auth = \"oauth\")",
                )?,
            },
            other => return Err(self.invalid(S, "auth", other, "expected \"basic\" or \"oauth\"")),
        };
        Ok(ServiceNow {
            instance,
            username,
            allow_insecure_http,
            auth,
            max_in_flight: self.ranged(
                S,
                "max_in_flight",
                raw.max_in_flight,
                64,
                bounds::MAX_IN_FLIGHT.0,
                bounds::MAX_IN_FLIGHT.1,
            )? as usize,
            throttle_budget: minutes(self.ranged(
                S,
                "throttle_budget_minutes",
                raw.throttle_budget_minutes,
                15,
                1,
                1440,
            )?),
            page_size: self.ranged(S, "page_size", raw.page_size, 1000, 1, 10_000)? as u32,
            timeout: Duration::from_secs(self.ranged(S, "timeout_seconds", raw.timeout_seconds, 90, 1, 600)? as u64),
            network: self.network(S, raw.ca_file, raw.proxy)?,
        })
    }

    fn entra(&self, raw: RawEntra) -> Result<Entra, ConfigError> {
        const S: &str = "entra";
        let guid = |key: &str, v: Option<String>| -> Result<String, ConfigError> {
            let v = self.required(S, key, v, "a GUID such as 00000000-0000-0000-0000-000000000000")?;
            if is_guid(&v) {
                Ok(v.to_ascii_lowercase())
            } else {
                Err(self.invalid(
                    S,
                    key,
                    &v,
                    "expected a GUID such as 00000000-0000-0000-0000-000000000000",
                ))
            }
        };
        let tenant_id = guid("tenant_id", raw.tenant_id)?;
        let client_id = guid("client_id", raw.client_id)?;
        let service_principal_id = guid("service_principal_id", raw.service_principal_id)?;
        let cloud = self.choice(
            S,
            "cloud",
            raw.cloud.as_deref(),
            &[
                ("global", Cloud::Global),
                ("usgov", Cloud::UsGov),
                ("usgov-dod", Cloud::UsGovDod),
                ("china", Cloud::China),
            ],
            "expected global, usgov, usgov-dod or china",
        )?;
        Ok(Entra {
            tenant_id,
            client_id,
            service_principal_id,
            cloud,
            authority_url: self.secure_url(S, "authority_url", raw.authority_url)?,
            graph_url: self.secure_url(S, "graph_url", raw.graph_url)?,
            network: self.network(S, raw.ca_file, raw.proxy)?,
        })
    }

    fn notification(&self, raw: RawNotification) -> Result<Notification, ConfigError> {
        const S: &str = "notification";
        let email = self.required(
            S,
            "email",
            raw.email,
            "the address that gets quarantine and failure notices",
        )?;
        // lettre's own parser: an address accepted here is one the notifier can send to.
        if let Err(e) = email.parse::<lettre::Address>() {
            return Err(self.invalid(
                S,
                "email",
                &email,
                format!("expected an e-mail address such as idm-team@example.com ({e})"),
            ));
        }
        let smtp_tls = self.choice(
            S,
            "smtp_tls",
            raw.smtp_tls.as_deref(),
            &[
                ("starttls", SmtpTls::StartTls),
                ("tls", SmtpTls::Tls),
                ("none", SmtpTls::None),
            ],
            "expected starttls, tls or none",
        )?;
        if smtp_tls == SmtpTls::None
            && let Some(host) = &raw.smtp_host
            && !crate::net::proxy::is_loopback_name(host)
        {
            return Err(self.invalid(
                S,
                "smtp_tls",
                "none",
                format!("plain SMTP is only allowed to a loopback host, not '{host}'"),
            ));
        }
        Ok(Notification {
            email,
            smtp_host: raw.smtp_host,
            smtp_port: self.ranged(S, "smtp_port", raw.smtp_port, 587, 1, 65535)? as u16,
            smtp_tls,
            smtp_user: raw.smtp_user,
        })
    }
}

impl Ctx {
    fn secrets(&self, raw: RawSecrets) -> Result<SecretsSettings, ConfigError> {
        let store = match raw.store {
            None => StoreChoice::Auto,
            Some(word) => word
                .parse()
                .map_err(|_| self.invalid("secrets", "store", &word, format!("expected {}", StoreChoice::WORDS)))?,
        };
        Ok(SecretsSettings { store })
    }
}

fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

mod network;
pub use network::entra_url;
mod provisioning;
#[cfg(test)]
mod tests;

fn minutes(n: i64) -> Duration {
    Duration::from_secs(u64::try_from(n).unwrap_or(0) * 60)
}

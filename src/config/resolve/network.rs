//! The network keys of `[servicenow]` and `[entra]`: `ca_file`, `proxy`, and the rule that a
//! URL that carries a secret is https:// unless it points at this machine (issue 13).

use std::path::PathBuf;

use super::Ctx;
use crate::config::{ConfigError, Network};

impl Ctx {
    /// `ca_file` (relative to the configuration file; read now, so a wrong path fails at load)
    /// and `proxy` (http(s)://host:port, no credentials: secrets never live in this file).
    pub(super) fn network(
        &self,
        section: &str,
        ca_file: Option<String>,
        proxy: Option<String>,
    ) -> Result<Network, ConfigError> {
        let ca_file = match ca_file {
            None => None,
            Some(text) => {
                let path = match self.path.parent() {
                    Some(dir) if PathBuf::from(&text).is_relative() => dir.join(&text),
                    _ => PathBuf::from(&text),
                };
                crate::net::tls::read_ca_file(&path)
                    .map_err(|e| self.invalid(section, "ca_file", &text, e.to_string()))?;
                Some(path)
            }
        };
        let proxy = match proxy {
            None => None,
            Some(text) => Some(self.proxy_url(section, &text)?),
        };
        Ok(Network { ca_file, proxy })
    }

    fn proxy_url(&self, section: &str, text: &str) -> Result<url::Url, ConfigError> {
        let bad = |why: &str| self.invalid(section, "proxy", text, why.to_owned());
        let url =
            url::Url::parse(text).map_err(|_| bad("expected a proxy URL such as http://proxy.example.com:3128"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(bad(
                "expected an http:// or https:// proxy URL with a host, such as http://proxy.example.com:3128",
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "credentials do not belong in the configuration file: give the proxy without them, or set HTTPS_PROXY in the service's environment",
            ));
        }
        if url.path() != "/" || url.query().is_some() {
            return Err(bad("expected the proxy's scheme, host and port only"));
        }
        Ok(url)
    }

    /// An `[entra]` URL (`authority_url`, `graph_url`), checked by [`entra_url`].
    pub(super) fn secure_url(
        &self,
        section: &str,
        key: &str,
        v: Option<String>,
    ) -> Result<Option<String>, ConfigError> {
        let Some(v) = v else { return Ok(None) };
        entra_url(&v)
            .map(Some)
            .map_err(|why| self.invalid(section, key, &v, why))
    }
}

/// An `[entra]` URL (`authority_url`, `graph_url`) normalised (no surrounding spaces, no
/// trailing `/`), or what is expected instead: https://, or http:// to loopback only, because
/// the client secret and tokens travel to it. The setup wizard checks its fields with it.
pub fn entra_url(v: &str) -> Result<String, &'static str> {
    let normalised = v.trim().trim_end_matches('/');
    match url::Url::parse(normalised) {
        Ok(u) if u.scheme() == "https" && u.host().is_some() => Ok(normalised.to_owned()),
        Ok(u) if u.scheme() == "http" && crate::net::proxy::is_loopback(&u) => Ok(normalised.to_owned()),
        Ok(u) if u.scheme() == "http" => Err(
            "plain http:// to a host that is not this machine would carry the client secret and tokens in clear text: use https://",
        ),
        _ => Err("expected an absolute https:// URL"),
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn ca_file_is_read_relative_to_the_file_and_proxy_and_loopback_http_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let ca = crate::sim::tls::TestCa::new("nowsync config test CA").unwrap();
        std::fs::write(dir.path().join("corp-ca.pem"), ca.pem()).unwrap();
        let text = "[profiles.p.servicenow]\ninstance = \"https://snow.corp.example\"\nusername = \"admin\"\n\
                    ca_file = \"corp-ca.pem\"\nproxy = \"http://proxy.corp.example:3128\"\n\
                    [profiles.p.entra]\ntenant_id = \"00000000-0000-0000-0000-000000000001\"\n\
                    client_id = \"00000000-0000-0000-0000-000000000002\"\n\
                    service_principal_id = \"00000000-0000-0000-0000-000000000003\"\n\
                    authority_url = \"http://127.0.0.1:9\"\ngraph_url = \"http://localhost:9/v1.0\"\n";
        let config = Config::parse(text, &dir.path().join("config.toml")).unwrap();
        let p = config.profile("p").unwrap();
        let sn = p.servicenow.as_ref().unwrap();
        assert_eq!(
            sn.network.ca_file.as_deref(),
            Some(dir.path().join("corp-ca.pem").as_path())
        );
        assert_eq!(
            sn.network.proxy.as_ref().map(url::Url::as_str),
            Some("http://proxy.corp.example:3128/")
        );
        let entra = p.entra.as_ref().unwrap();
        assert_eq!(entra.network, Default::default());
        assert_eq!(entra.graph_url.as_deref(), Some("http://localhost:9/v1.0"));

        std::fs::write(dir.path().join("empty.pem"), "not a certificate").unwrap();
        let bad = text.replace("corp-ca.pem", "empty.pem");
        let err = Config::parse(&bad, &dir.path().join("config.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("servicenow.ca_file") && err.contains("no PEM certificate"),
            "{err}"
        );
        let socks = text.replace("http://proxy.corp.example:3128", "socks5://p:1");
        let err = Config::parse(&socks, &dir.path().join("config.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("servicenow.proxy"), "{err}");
    }
}

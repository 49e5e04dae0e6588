//! Where a cloud's authority and Graph live (spec §1.6), and how `authority_url`/`graph_url`
//! overrides combine with them: an override moves requests, never the token scope, which stays
//! the cloud's Graph root plus `/.default` (DESIGN.md "Configuration").

use crate::config::{Cloud, Entra};

use super::Error;

/// The three addresses a client needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The login host, no trailing slash: `https://login.microsoftonline.com`.
    pub authority: String,
    /// The versioned Graph base requests are made against: `https://graph.microsoft.com/v1.0`.
    pub graph: String,
    /// The client-credentials scope: `https://graph.microsoft.com/.default`.
    pub scope: String,
}

/// `(login host, Graph root)` per cloud. China: Entra's 2025 doc names
/// `login.partner.microsoftonline.cn` (older docs `login.chinacloudapi.cn`; override if needed).
pub fn defaults(cloud: Cloud) -> (&'static str, &'static str) {
    match cloud {
        Cloud::Global => ("https://login.microsoftonline.com", "https://graph.microsoft.com"),
        Cloud::UsGov => ("https://login.microsoftonline.us", "https://graph.microsoft.us"),
        Cloud::UsGovDod => ("https://login.microsoftonline.us", "https://dod-graph.microsoft.us"),
        Cloud::China => (
            "https://login.partner.microsoftonline.cn",
            "https://microsoftgraph.chinacloudapi.cn",
        ),
    }
}

/// An override URL: https://, or http:// to loopback only (the secret and tokens travel to it;
/// config refuses the rest at load, this keeps the client honest when built another way).
fn checked(what: &str, value: &str) -> Result<String, Error> {
    let trimmed = value.trim().trim_end_matches('/');
    let ok = url::Url::parse(trimmed).is_ok_and(|u| {
        u.host().is_some() && (u.scheme() == "https" || (u.scheme() == "http" && crate::net::proxy::is_loopback(&u)))
    });
    if ok {
        Ok(trimmed.to_owned())
    } else {
        Err(Error::Config(format!(
            "{what} '{value}' is not an https:// URL (http:// only to this machine): give e.g. https://graph.microsoft.com/v1.0"
        )))
    }
}

impl Endpoints {
    pub fn resolve(settings: &Entra) -> Result<Endpoints, Error> {
        let (login, root) = defaults(settings.cloud);
        let authority = match &settings.authority_url {
            Some(a) => checked("authority_url", a)?,
            None => login.to_owned(),
        };
        let graph = match &settings.graph_url {
            Some(g) => checked("graph_url", g)?,
            None => format!("{root}/v1.0"),
        };
        Ok(Endpoints {
            authority,
            graph,
            scope: format!("{root}/.default"),
        })
    }

    /// `{authority}/{tenant}/oauth2/v2.0/token`.
    pub fn token_url(&self, tenant: &str) -> String {
        format!("{}/{tenant}/oauth2/v2.0/token", self.authority)
    }

    /// The authority's OpenID metadata for the tenant (answers 400 AADSTS90002 for an unknown one).
    pub fn openid_url(&self, tenant: &str) -> String {
        format!("{}/{tenant}/v2.0/.well-known/openid-configuration", self.authority)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entra(cloud: Cloud, authority: Option<&str>, graph: Option<&str>) -> Entra {
        Entra {
            tenant_id: "t".into(),
            client_id: "c".into(),
            service_principal_id: "s".into(),
            cloud,
            authority_url: authority.map(Into::into),
            graph_url: graph.map(Into::into),
            network: Default::default(),
        }
    }

    #[test]
    fn cloud_table() {
        let cases = [
            (
                Cloud::Global,
                "https://login.microsoftonline.com",
                "https://graph.microsoft.com",
            ),
            (
                Cloud::UsGov,
                "https://login.microsoftonline.us",
                "https://graph.microsoft.us",
            ),
            (
                Cloud::UsGovDod,
                "https://login.microsoftonline.us",
                "https://dod-graph.microsoft.us",
            ),
            (
                Cloud::China,
                "https://login.partner.microsoftonline.cn",
                "https://microsoftgraph.chinacloudapi.cn",
            ),
        ];
        for (cloud, login, root) in cases {
            let e = Endpoints::resolve(&entra(cloud, None, None)).unwrap();
            assert_eq!(e.authority, login);
            assert_eq!(e.graph, format!("{root}/v1.0"));
            assert_eq!(e.scope, format!("{root}/.default"));
        }
    }

    #[test]
    fn overrides_move_requests_not_the_scope() {
        let e = Endpoints::resolve(&entra(
            Cloud::UsGov,
            Some("http://127.0.0.1:9/"),
            Some("http://127.0.0.1:9/v1.0"),
        ))
        .unwrap();
        assert_eq!(e.token_url("tid"), "http://127.0.0.1:9/tid/oauth2/v2.0/token");
        assert_eq!(e.graph, "http://127.0.0.1:9/v1.0");
        assert_eq!(e.scope, "https://graph.microsoft.us/.default");
        assert!(Endpoints::resolve(&entra(Cloud::Global, None, Some("graph.local"))).is_err());
        assert!(Endpoints::resolve(&entra(Cloud::Global, Some("http://login.example.com"), None)).is_err());
    }
}

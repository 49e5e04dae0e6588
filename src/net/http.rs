//! How one service is reached: its `ca_file` and `proxy` from the profile, the proxy
//! environment, and the resolver. Both clients build their `reqwest::Client` from here, so trust
//! ([`tls::Trust`]), proxy choice ([`proxy::choose`]) and name resolution are decided once.

use std::path::PathBuf;

use url::Url;

use super::proxy::{self, Choice, ProxyEnv};
use super::resolve::Resolver;
use super::tls::{TlsError, Trust};

/// The network settings of one service.
#[derive(Debug, Clone)]
pub struct Transport {
    /// Extra CA certificates (PEM), trusted besides the platform's roots.
    pub ca_file: Option<PathBuf>,
    /// A proxy that carries every request (else the environment's, see [`proxy`]).
    pub proxy: Option<Url>,
    /// `HTTPS_PROXY` and friends.
    pub proxy_env: ProxyEnv,
    pub resolver: Resolver,
}

impl Default for Transport {
    /// No `ca_file` or `proxy`; the process's proxy environment; the system resolver.
    fn default() -> Self {
        Transport {
            ca_file: None,
            proxy: None,
            proxy_env: ProxyEnv::from_process(),
            resolver: Resolver::System,
        }
    }
}

impl Transport {
    /// A profile's `ca_file` and `proxy`, with the process's environment.
    pub fn new(ca_file: Option<PathBuf>, proxy: Option<Url>) -> Transport {
        Transport {
            ca_file,
            proxy,
            ..Transport::default()
        }
    }

    /// The proxy a request to `target` goes through, if any.
    pub fn proxy_for(&self, target: &Url) -> Option<Choice> {
        proxy::choose(self.proxy.as_ref(), &self.proxy_env, target)
    }

    /// The trust of this service (platform roots plus `ca_file`).
    pub fn trust(&self) -> Result<Trust, TlsError> {
        Trust::load(self.ca_file.as_deref())
    }

    /// A reqwest builder with this trust, proxy choice and resolver; the caller adds its
    /// timeouts and redirect policy.
    pub fn client_builder(&self) -> Result<reqwest::ClientBuilder, TlsError> {
        let tls = self.trust()?.client_config()?;
        let (explicit, env) = (self.proxy.clone(), self.proxy_env.clone());
        // reqwest's own reading of the environment is off: ours decides, for every request.
        let mut builder =
            reqwest::Client::builder()
                .use_preconfigured_tls(tls)
                .no_proxy()
                .proxy(reqwest::Proxy::custom(move |url| {
                    proxy::choose(explicit.as_ref(), &env, url).map(|c| c.url)
                }));
        if let Some(r) = self.resolver.for_reqwest() {
            builder = builder.dns_resolver(r);
        }
        Ok(builder)
    }
}

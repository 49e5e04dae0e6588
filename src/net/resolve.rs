//! Name resolution, injectable: the HTTP clients and test connection's DNS and TCP steps ask a
//! [`Resolver`], which is the system's unless a test gives a fixed table (tests never depend on
//! the system resolver or on names that exist).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

type Lookup = Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send>>;

/// Where names are looked up. Cheap to clone.
#[derive(Clone, Default)]
pub enum Resolver {
    /// The operating system's resolver (getaddrinfo), as reqwest would use it.
    #[default]
    System,
    /// A fixed table of names; any other name does not resolve.
    Fixed(Arc<HashMap<String, Vec<IpAddr>>>),
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resolver::System => f.write_str("Resolver::System"),
            Resolver::Fixed(t) => f
                .debug_tuple("Resolver::Fixed")
                .field(&t.keys().collect::<Vec<_>>())
                .finish(),
        }
    }
}

impl Resolver {
    /// A table resolver: each `(name, address)` pair adds an address to the name.
    pub fn fixed<'a>(entries: impl IntoIterator<Item = (&'a str, IpAddr)>) -> Resolver {
        let mut table: HashMap<String, Vec<IpAddr>> = HashMap::new();
        for (name, ip) in entries {
            table.entry(name.to_ascii_lowercase()).or_default().push(ip);
        }
        Resolver::Fixed(Arc::new(table))
    }

    /// The addresses of `host` (an IP literal is its own address).
    pub fn lookup(&self, host: &str, port: u16) -> Lookup {
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Box::pin(async move { Ok(vec![SocketAddr::new(ip, port)]) });
        }
        match self {
            Resolver::System => {
                Box::pin(async move { Ok(tokio::net::lookup_host((host.as_str(), port)).await?.collect()) })
            }
            Resolver::Fixed(table) => {
                let found = table.get(&host.to_ascii_lowercase()).cloned();
                Box::pin(async move {
                    match found {
                        Some(ips) => Ok(ips.into_iter().map(|ip| SocketAddr::new(ip, port)).collect()),
                        None => Err(io::Error::new(
                            io::ErrorKind::NotFound,
                            format!("failed to lookup address information: '{host}' is not known"),
                        )),
                    }
                })
            }
        }
    }

    /// The same resolver for reqwest, or `None` for the system's (reqwest's own default).
    pub fn for_reqwest(&self) -> Option<Arc<Resolver>> {
        match self {
            Resolver::System => None,
            Resolver::Fixed(_) => Some(Arc::new(self.clone())),
        }
    }
}

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let lookup = self.lookup(name.as_str(), 0);
        Box::pin(async move {
            let addrs = lookup.await?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_fixed_table_resolves_its_names_only() {
        let r = Resolver::fixed([("Snow.Nowsync.Test", IpAddr::from([127, 0, 0, 1]))]);
        let got = r.lookup("snow.nowsync.test", 443).await.unwrap();
        assert_eq!(got, vec![SocketAddr::from(([127, 0, 0, 1], 443))]);
        let err = r.lookup("dev1.service-now.com", 443).await.unwrap_err();
        assert!(err.to_string().contains("dev1.service-now.com"), "{err}");
        let lit = r.lookup("[::1]", 8443).await.unwrap();
        assert_eq!(lit, vec![SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 8443))]);
    }
}

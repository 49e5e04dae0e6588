//! Which proxy carries a request: the one place that decides, used by the HTTP clients (through
//! `reqwest::Proxy::custom`) and by test connection (to say which proxy it went through).
//!
//! Rules: a `proxy` set in the profile carries every request of that service. Otherwise the
//! environment is honoured as curl and most tools read it: `HTTPS_PROXY` for https:// URLs,
//! `HTTP_PROXY` for http:// ones (either case; `ALL_PROXY` as a fallback), unless `NO_PROXY`
//! names the host (`*`, a domain and its subdomains, with or without a leading `.`, an IP, or an
//! IP network `10.0.0.0/8`). Loopback addresses never go through an environment proxy: no
//! corporate proxy can reach this machine's loopback.

use std::net::IpAddr;

use url::Url;

/// The proxy settings of the environment, read once (tests build their own).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    pub https: Option<String>,
    pub http: Option<String>,
    pub all: Option<String>,
    pub no_proxy: Option<String>,
}

impl ProxyEnv {
    /// `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY` (upper case first, then lower case).
    pub fn from_process() -> ProxyEnv {
        let get = |name: &str| {
            [name.to_owned(), name.to_ascii_lowercase()]
                .iter()
                .find_map(|n| std::env::var(n).ok())
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        ProxyEnv {
            https: get("HTTPS_PROXY"),
            http: get("HTTP_PROXY"),
            all: get("ALL_PROXY"),
            no_proxy: get("NO_PROXY"),
        }
    }
}

/// Where a proxy came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The profile's `proxy` key.
    Profile,
    /// An environment variable.
    Env(&'static str),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Profile => f.write_str("the profile's proxy setting"),
            Source::Env(name) => write!(f, "{name}"),
        }
    }
}

/// The proxy for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub url: Url,
    pub source: Source,
}

impl Choice {
    /// The proxy's address without credentials, for messages.
    pub fn shown(&self) -> String {
        let mut u = self.url.clone();
        let _ = u.set_username("");
        let _ = u.set_password(None);
        u.as_str().trim_end_matches('/').to_owned()
    }
}

/// The proxy that carries a request to `target`, if any.
pub fn choose(explicit: Option<&Url>, env: &ProxyEnv, target: &Url) -> Option<Choice> {
    if let Some(url) = explicit {
        return Some(Choice {
            url: url.clone(),
            source: Source::Profile,
        });
    }
    let host = target.host()?;
    if is_loopback_host(&host) || env.no_proxy.as_deref().is_some_and(|np| bypassed(np, &host)) {
        return None;
    }
    let (value, source) = match target.scheme() {
        "https" => env.https.as_ref().map(|v| (v, "HTTPS_PROXY")),
        "http" => env.http.as_ref().map(|v| (v, "HTTP_PROXY")),
        _ => None,
    }
    .or_else(|| env.all.as_ref().map(|v| (v, "ALL_PROXY")))?;
    // `proxy:3128` without a scheme is how many set it; curl reads it as http://.
    let text = if value.contains("://") {
        value.clone()
    } else {
        format!("http://{value}")
    };
    let url = Url::parse(&text).ok()?;
    Some(Choice {
        url,
        source: Source::Env(source),
    })
}

fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
    }
}

/// Whether a bare host name or address is loopback: `localhost`, 127.0.0.0/8 or `::1`, an
/// IPv6 address with or without brackets (`[::1]`). The one rule for `smtp_host` (config and
/// notifier alike).
pub fn is_loopback_name(host: &str) -> bool {
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    bare.eq_ignore_ascii_case("localhost") || bare.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether the URL's host is loopback (127.0.0.0/8, ::1, `localhost`).
pub fn is_loopback(url: &Url) -> bool {
    url.host().is_some_and(|h| is_loopback_host(&h))
}

/// Whether `NO_PROXY` (comma- or space-separated) names `host`.
fn bypassed(no_proxy: &str, host: &url::Host<&str>) -> bool {
    let ip: Option<IpAddr> = match host {
        url::Host::Ipv4(ip) => Some((*ip).into()),
        url::Host::Ipv6(ip) => Some((*ip).into()),
        url::Host::Domain(_) => None,
    };
    let name = match host {
        url::Host::Domain(d) => d.to_ascii_lowercase(),
        _ => String::new(),
    };
    no_proxy
        .split([',', ' '])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            if let (Some(ip), Some((net, bits))) = (ip, entry.split_once('/')) {
                return in_network(ip, net, bits);
            }
            if let Ok(e) = entry.trim_matches(['[', ']']).parse::<IpAddr>() {
                return ip == Some(e);
            }
            let domain = entry
                .trim_start_matches("*.")
                .trim_start_matches('.')
                .to_ascii_lowercase();
            // A `host:port` entry names the host (curl ignores the port too).
            let domain = domain.split(':').next().unwrap_or_default();
            !name.is_empty() && (name == domain || name.ends_with(&format!(".{domain}")))
        })
}

fn in_network(ip: IpAddr, net: &str, bits: &str) -> bool {
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else {
        return false;
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn env(https: Option<&str>, http: Option<&str>, no_proxy: Option<&str>) -> ProxyEnv {
        ProxyEnv {
            https: https.map(Into::into),
            http: http.map(Into::into),
            all: None,
            no_proxy: no_proxy.map(Into::into),
        }
    }

    #[test]
    fn the_profiles_proxy_carries_everything() {
        let p = url("http://proxy.corp:3128");
        let e = env(Some("http://other:1"), None, Some("*"));
        for target in ["https://acme.service-now.com", "http://127.0.0.1:9"] {
            let c = choose(Some(&p), &e, &url(target)).unwrap();
            assert_eq!((c.url.as_str(), c.source), ("http://proxy.corp:3128/", Source::Profile));
        }
    }

    #[test]
    fn the_environment_by_scheme_unless_no_proxy_or_loopback() {
        let e = env(
            Some("http://sp:8080"),
            Some("hp:3128"),
            Some("internal.corp, .example.org,10.0.0.0/8,[::2]"),
        );
        let pick = |t: &str| choose(None, &e, &url(t)).map(|c| (c.url.to_string(), c.source));
        assert_eq!(
            pick("https://acme.service-now.com"),
            Some(("http://sp:8080/".into(), Source::Env("HTTPS_PROXY")))
        );
        assert_eq!(
            pick("http://snow.lan"),
            Some(("http://hp:3128/".into(), Source::Env("HTTP_PROXY")))
        );
        for direct in [
            "https://internal.corp",
            "https://snow.internal.corp",
            "https://example.org",
            "https://a.b.example.org",
            "https://10.1.2.3",
            "https://[::2]",
            "https://127.0.0.1:8443",
            "https://localhost",
            "https://[::1]",
        ] {
            assert_eq!(pick(direct), None, "{direct}");
        }
        assert!(pick("https://notinternal.corp").is_some());
        assert!(pick("https://11.0.0.1").is_some());
        assert_eq!(
            choose(None, &ProxyEnv::default(), &url("https://acme.service-now.com")),
            None
        );
        let all = ProxyEnv {
            all: Some("socks-less:1080".into()),
            ..ProxyEnv::default()
        };
        assert_eq!(
            choose(None, &all, &url("https://x.example")).map(|c| c.source),
            Some(Source::Env("ALL_PROXY"))
        );
        let star = env(Some("http://sp:8080"), None, Some("*"));
        assert_eq!(choose(None, &star, &url("https://x.example")), None);
    }

    #[test]
    fn a_proxy_is_shown_without_credentials() {
        let e = env(Some("http://user:pw@sp:8080"), None, None);
        let c = choose(None, &e, &url("https://x.example")).unwrap();
        assert_eq!(c.shown(), "http://sp:8080");
    }
}

//! Instance resolution: what the admin types (a bare name or a full URL) into the base URL
//! every request is made against.

use std::net::IpAddr;

use url::Url;

/// A resolved ServiceNow instance: its base URL, without a trailing slash or path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    base: Url,
}

/// What the admin typed cannot be an instance.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InstanceError {
    #[error("the instance is empty: give the name before .service-now.com (e.g. dev35214) or a full https:// URL")]
    Empty,
    #[error(
        "instance '{0}' is not a valid instance name: {1}; use the part before .service-now.com (e.g. dev35214), or a full https:// URL"
    )]
    BadName(String, &'static str),
    #[error("instance URL '{0}' cannot be parsed: {1}")]
    BadUrl(String, String),
    #[error("instance URL '{0}' uses the scheme '{1}': only https:// (or http:// to a loopback address) is allowed")]
    BadScheme(String, String),
    #[error(
        "instance URL '{0}' has the path '{1}': give the instance's base URL only (e.g. https://acme.service-now.com), nowsync adds /api/now/... itself"
    )]
    HasPath(String, String),
    #[error("instance URL '{0}' carries a query, fragment or credentials: give the base URL only")]
    Extra(String),
    #[error(
        "instance URL '{0}' is plain http:// to a host that is not loopback: use https://, or set allow_insecure_http = true if you really mean it"
    )]
    InsecureHttp(String),
}

impl Instance {
    /// Resolves a bare name (`dev35214` → `https://dev35214.service-now.com`) or a full URL.
    pub fn parse(input: &str, allow_insecure_http: bool) -> Result<Self, InstanceError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(InstanceError::Empty);
        }
        if trimmed.contains("://") {
            return Self::parse_url(trimmed, allow_insecure_http);
        }
        Self::parse_name(trimmed)
    }

    fn parse_name(name: &str) -> Result<Self, InstanceError> {
        let bad = |why| Err(InstanceError::BadName(name.to_owned(), why));
        if name.chars().any(char::is_whitespace) {
            return bad("it contains spaces");
        }
        if name.contains('_') {
            return bad("it contains an underscore, which a host name cannot have");
        }
        if !name.is_ascii() {
            return bad("it contains non-ASCII characters");
        }
        if name.contains('/') {
            return bad("it contains '/': a path is not part of an instance name");
        }
        if name.contains('.') {
            return bad("it contains '.': for a host name give the full URL with https://");
        }
        if name.starts_with('-') || name.ends_with('-') {
            return bad("it starts or ends with '-'");
        }
        if name.len() > 63 {
            return bad("it is longer than 63 characters");
        }
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return bad("only letters, digits and '-' are allowed");
        }
        let url = format!("https://{}.service-now.com", name.to_ascii_lowercase());
        let base = Url::parse(&url).map_err(|e| InstanceError::BadUrl(url.clone(), e.to_string()))?;
        Ok(Self { base })
    }

    fn parse_url(input: &str, allow_insecure_http: bool) -> Result<Self, InstanceError> {
        let mut url = Url::parse(input).map_err(|e| InstanceError::BadUrl(input.to_owned(), e.to_string()))?;
        match url.scheme() {
            "https" => {}
            "http" => {
                if !allow_insecure_http && !is_loopback(&url) {
                    return Err(InstanceError::InsecureHttp(input.to_owned()));
                }
            }
            other => return Err(InstanceError::BadScheme(input.to_owned(), other.to_owned())),
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(InstanceError::BadUrl(input.to_owned(), "it has no host".to_owned()));
        }
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
            return Err(InstanceError::Extra(input.to_owned()));
        }
        let path = url.path().trim_end_matches('/').to_owned();
        if path.starts_with("/api") || path.ends_with(".do") {
            return Err(InstanceError::HasPath(input.to_owned(), path));
        }
        // A self-hosted instance may live under a path prefix; keep it, without a trailing slash.
        url.set_path(&path);
        Ok(Self { base: url })
    }

    /// The base URL as text, without a trailing slash: `https://dev35214.service-now.com`.
    pub fn base_url(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_owned()
    }

    /// The host name (for DNS and messages).
    pub fn host(&self) -> &str {
        self.base.host_str().unwrap_or_default()
    }

    /// The port, explicit or the scheme's default.
    pub fn port(&self) -> u16 {
        self.base.port_or_known_default().unwrap_or(443)
    }

    pub fn is_https(&self) -> bool {
        self.base.scheme() == "https"
    }

    /// `base + path`, where `path` starts with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url(), path)
    }
}

impl std::fmt::Display for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.base_url())
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_inputs() {
        let cases = [
            ("dev35214", "https://dev35214.service-now.com"),
            ("  DEV35214 ", "https://dev35214.service-now.com"),
            ("acme-prod", "https://acme-prod.service-now.com"),
            ("https://support.acme.com", "https://support.acme.com"),
            ("https://support.acme.com/", "https://support.acme.com"),
            ("https://snow.internal:8443/sn", "https://snow.internal:8443/sn"),
            ("http://127.0.0.1:41001", "http://127.0.0.1:41001"),
            ("http://localhost:8080/", "http://localhost:8080"),
            ("http://[::1]:9000", "http://[::1]:9000"),
        ];
        for (input, want) in cases {
            let got = Instance::parse(input, false).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(got.base_url(), want, "{input}");
        }
    }

    #[test]
    fn bad_inputs_say_why() {
        let cases: [(&str, &str); 11] = [
            ("", "empty"),
            ("dev 352", "spaces"),
            ("dev_352", "underscore"),
            ("dévinstance", "non-ASCII"),
            ("dev35214/api", "path"),
            (
                "https://dev35214.service-now.com/api/now/table/sys_user",
                "nowsync adds /api",
            ),
            ("ftp://dev35214.service-now.com", "scheme 'ftp'"),
            ("http://dev35214.service-now.com", "allow_insecure_http"),
            ("https://dev35214.service-now.com?x=1", "query"),
            ("https://admin:pw@dev35214.service-now.com", "credentials"),
            ("acme.service-now.com", "full URL"),
        ];
        for (input, needle) in cases {
            let err = Instance::parse(input, false).expect_err(input).to_string();
            assert!(err.contains(needle), "{input}: {err}");
        }
    }

    #[test]
    fn insecure_http_allowed_when_asked() {
        let i = Instance::parse("http://snow.corp.example", true).unwrap();
        assert_eq!(i.base_url(), "http://snow.corp.example");
        assert_eq!(i.port(), 80);
        assert!(!i.is_https());
    }

    #[test]
    fn url_joins_paths() {
        let i = Instance::parse("dev1", false).unwrap();
        assert_eq!(
            i.url("/api/now/v2/table/sys_user"),
            "https://dev1.service-now.com/api/now/v2/table/sys_user"
        );
        assert_eq!(i.host(), "dev1.service-now.com");
        assert_eq!(i.port(), 443);
    }
}

//! What a server's certificate chain says, for people: who it is for, who issued it, until when
//! (read with `x509-parser`), and what to do when it is not trusted.

use std::path::Path;

use rustls::CertificateError;
use rustls::pki_types::CertificateDer;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use super::tls::Failure;

/// The facts of a chain that messages quote. Empty when there was no certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shown {
    /// The leaf's subject, e.g. `CN=acme.service-now.com`.
    pub subject: String,
    /// The names the leaf is valid for (DNS and IP subject alternative names).
    pub names: Vec<String>,
    /// The leaf's `notAfter`, RFC 2822-ish as x509-parser prints it.
    pub not_after: String,
    /// The CA that must be trusted for the chain: the issuer of its last certificate.
    pub issuer: String,
}

/// Reads the leaf and the top of `chain` (leaf first, as servers send it).
pub fn describe(chain: &[CertificateDer<'_>]) -> Shown {
    fn parse<'c>(c: &'c CertificateDer<'_>) -> Option<X509Certificate<'c>> {
        X509Certificate::from_der(c.as_ref()).ok().map(|(_, x)| x)
    }
    let (Some(leaf), Some(top)) = (chain.first().and_then(parse), chain.last().and_then(parse)) else {
        return Shown::default();
    };
    let names = leaf
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    GeneralName::DNSName(d) => Some((*d).to_owned()),
                    GeneralName::IPAddress(b) => ip_text(b),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Shown {
        subject: leaf.subject().to_string(),
        names,
        not_after: leaf.validity().not_after.to_string(),
        issuer: top.issuer().to_string(),
    }
}

fn ip_text(b: &[u8]) -> Option<String> {
    match b.len() {
        4 => <[u8; 4]>::try_from(b)
            .ok()
            .map(|a| std::net::IpAddr::from(a).to_string()),
        16 => <[u8; 16]>::try_from(b)
            .ok()
            .map(|a| std::net::IpAddr::from(a).to_string()),
        _ => None,
    }
}

impl Failure {
    /// What went wrong and what to do, for the profile section `section` (`servicenow`,
    /// `entra`) whose `ca_file` is `ca_file`.
    pub fn explain(&self, host: &str, section: &str, ca_file: Option<&Path>) -> String {
        let s = &self.shown;
        let trusted = match ca_file {
            Some(p) => format!(
                "neither this machine's root certificates nor ca_file '{}' trust",
                p.display()
            ),
            None => "this machine's root certificates do not trust".to_owned(),
        };
        match &self.problem {
            Some(CertificateError::UnknownIssuer) => format!(
                "the certificate of {host} was issued by '{}', which {trusted}: a private CA or a \
                 TLS-inspecting proxy signed it. Get that CA's certificate in PEM form (from your network or PKI \
                 team) and name the file with ca_file = \"...\" under [{section}]; it is trusted in addition to \
                 the platform's roots",
                or_unknown(&s.issuer)
            ),
            Some(CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }) => {
                // Our reading of the certificate first: rustls's `presented` is debug text.
                let names = match &self.problem {
                    _ if !s.names.is_empty() => s.names.join(", "),
                    Some(CertificateError::NotValidForNameContext { presented, .. }) if !presented.is_empty() => {
                        presented.join(", ")
                    }
                    _ => or_unknown(&s.subject).to_owned(),
                };
                format!(
                    "the certificate is for {names}, not for {host}: check the host name in the URL; if a proxy \
                     inspects TLS, it must present a certificate that names {host}"
                )
            }
            Some(CertificateError::Expired | CertificateError::ExpiredContext { .. }) => format!(
                "the certificate of {host} expired ({}): whoever serves it (the instance, or a proxy that \
                 inspects TLS) must renew it; also check this machine's clock",
                or_unknown(&s.not_after)
            ),
            Some(CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. }) => {
                format!("the certificate of {host} is not valid yet: check this machine's clock and time zone")
            }
            Some(other) => format!(
                "the certificate of {host} was refused ({other:?}), issued by '{}'",
                or_unknown(&s.issuer)
            ),
            None => format!("the TLS handshake with {host} failed: {}", self.detail),
        }
    }
}

fn or_unknown(s: &str) -> &str {
    if s.is_empty() { "an unknown issuer" } else { s }
}
